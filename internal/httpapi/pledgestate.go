package httpapi

import (
	"context"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// downloadsView links what the applicant and the agency take away once
// the pledge is decided: the counter-sealed package, its status QR code,
// the sealed OFD and the signed status statement. They are the decided
// documents, offered whatever the state now (shown beside them): a revoked
// or false pledge keeps its decided documents, whose verification says the
// state now.
type downloadsView struct {
	Package   string `json:"package"`
	QR        string `json:"qr"`
	OFD       string `json:"ofd,omitempty"`
	Statement string `json:"statement,omitempty"`
	// InForce is false when the state now is no longer ACCEPTED (revoked,
	// found false, ...): the documents record the decision, not a pledge
	// in force.
	InForce bool `json:"inForce"`
}

// statesNow returns each pledge's state now as the status route reports
// it: the workflow state, outranked by a finding or a revocation of the
// decision in the registry (an accepted pledge found false is FALSE, never
// "accepted" beside the finding). One registry lookup for all of recs. An
// unreadable registry is an error: the caller shows no state (fail closed).
func (s *Server) statesNow(ctx context.Context, recs []pledge.Record) (map[string]pledge.Status, error) {
	out := make(map[string]pledge.Status, len(recs))
	for _, r := range recs {
		out[r.ID] = r.Status
	}
	src := s.deps.Pledges.Findings
	if src == nil || len(recs) == 0 {
		return out, nil
	}
	subjects := make([]status.Subject, len(recs))
	for i, r := range recs {
		subjects[i] = status.Subject{Kind: status.KindPledge, ID: r.ID}
	}
	ans, err := src.Lookup(ctx, s.deps.Clock.Now(), subjects)
	if err != nil {
		return nil, err
	}
	if len(ans.Results) != len(recs) {
		return nil, apperr.New(apperr.Unavailable, "the registry gave an incomplete answer; try again later").WithCode(apperr.CodeTryLater)
	}
	for i, r := range recs {
		if st, ok := registryState(ans.Results[i].Now.Code); ok {
			out[r.ID] = st
		}
	}
	return out, nil
}

// registryState maps a finding or revocation in the registry to the
// workflow state it puts the pledge in; ACTIVE and UNKNOWN change nothing.
func registryState(c status.Code) (pledge.Status, bool) {
	switch c {
	case "", status.Active, status.Unknown:
		return "", false
	case status.False:
		return pledge.StatusFalse, true
	case status.NotFulfilled:
		return pledge.StatusNotFulfilled, true
	}
	return pledge.StatusRevoked, true
}

// downloads are the links of a decided pledge in state now st; the status
// statement is linked when this service signs statements.
func (s *Server) downloads(r pledge.Record, st pledge.Status) *downloadsView {
	if r.Decision == nil {
		return nil
	}
	base := "/v1/pledges/" + r.ID
	d := &downloadsView{Package: base + "/package", QR: base + "/qr", InForce: st == pledge.StatusAccepted}
	if p := s.deps.Pledges; p != nil && p.OFD != nil && p.OFD.Documents != nil { // the route exists (ofdRoutes)
		d.OFD = base + "/ofd"
	}
	if s.deps.Statements != nil {
		d.Statement = base + "/status-statement"
	}
	return d
}
