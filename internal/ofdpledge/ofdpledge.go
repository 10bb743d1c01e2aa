// Package ofdpledge verifies a signed OFD together with the pledge package
// it carries as an attachment: the one code path of the service's
// POST /v1/ofd/verifications and of `pledgectl ofd verify` (docs/ofd.md).
package ofdpledge

import (
	"context"
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// Checker verifies an OFD and its attached pledge package.
type Checker struct {
	// OFD verifies every signature of the OFD within the limits
	// (ofd.Verify with the caller's trust and status).
	OFD func(ctx context.Context, data []byte, lim ofd.Limits) (*ofd.Result, error)
	// Pledge verifies an attached pledge package (verify.Verifier.Verify
	// with the caller's viewer). It is called only when the OFD carries
	// one; before, Allow (if set) may refuse, e.g. for a rate limit.
	Pledge func(ctx context.Context, pkg []byte) verify.Report
	Allow  func() error
}

// Result is what Check found.
type Result struct {
	// Signatures are the OFD's signatures' reports; Indication their worst.
	Signatures []outcome.Report
	Indication outcome.Indication
	// Pledge is the attached package's report, with the check that it is
	// the pledge the document shows (verify.CheckOFDBinding); nil when the
	// OFD carries no pledge package.
	Pledge *verify.Report
}

// Overall is the worst of the signatures and the attached package's
// validity at signing: what a relying party needs to pass before taking
// the OFD for the decided pledge it shows (the state now is reported
// beside it).
func (r *Result) Overall() outcome.Indication {
	ind := r.Indication
	if r.Pledge != nil {
		ind = outcome.Worst([]outcome.Report{{Indication: ind}, {Indication: r.Pledge.ValidAtSigning.Indication}})
	}
	return ind
}

// Check verifies data within lim. An error is an unreadable OFD (the
// caller's 400 or usage error), or Allow's refusal.
func (c Checker) Check(ctx context.Context, data []byte, lim ofd.Limits) (*Result, error) {
	res, err := c.OFD(ctx, data, lim)
	if err != nil {
		return nil, err
	}
	out := &Result{Signatures: res.Signatures, Indication: outcome.Worst(res.Signatures)}
	att, ok := attachedPackage(data, lim)
	if !ok {
		return out, nil
	}
	if c.Allow != nil {
		if err := c.Allow(); err != nil {
			return nil, err
		}
	}
	r := c.Pledge(ctx, att.Data)
	verify.BindToOFD(&r, att.Name)
	out.Pledge = &r
	return out, nil
}

// attachedPackage returns the first attachment that is a pledge package
// (named *.pledge.json, at most pledge.MaxPackage bytes).
func attachedPackage(data []byte, lim ofd.Limits) (ofd.Attachment, bool) {
	atts, err := ofd.Attachments(data, lim)
	if err != nil {
		return ofd.Attachment{}, false
	}
	for _, a := range atts {
		if strings.HasSuffix(a.Name, ".pledge.json") && len(a.Data) <= pledge.MaxPackage {
			return a, true
		}
	}
	return ofd.Attachment{}, false
}
