package ofd

import (
	"context"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// withStatus replaces the SES report's NOT_PERFORMED status checks (a
// ses.Verifier reads no registry) with the registry's answer by the
// pledge verifier's rules (verify.SESStatusChecks: the seal, its maker and
// signer certificates at the signing time, and the seal's state now). The
// signing time is the time-stamp's genTime when the SES report's timestamp
// check PASSED, else the signer's claimed timeInfo, as for a counter-seal.
func withStatus(ctx context.Context, src status.Source, sig *ses.Signature, rep outcome.Report) outcome.Report {
	var checks []outcome.Check
	if at, ok := statusTime(sig, rep); ok {
		checks = verify.SESStatusChecks(ctx, src, sig, at)
	} else {
		for _, name := range []string{ses.CheckSealStatus, ses.CheckMakerStatus, ses.CheckSignerStatus} {
			checks = append(checks, check(name, outcome.Indeterminate, outcome.FormatFailure, "the signing time is unknown, so the status at that time cannot be asked"))
		}
	}
	byName := make(map[string]outcome.Check, len(checks))
	for _, c := range checks {
		byName[c.Name] = c
	}
	out := make([]outcome.Check, 0, len(rep.Checks)+1)
	for _, c := range rep.Checks {
		if s, ok := byName[c.Name]; ok {
			c = s
			delete(byName, c.Name)
		}
		out = append(out, c)
	}
	for _, c := range checks { // the ones the SES report has no place for (the state now)
		if _, left := byName[c.Name]; left {
			out = append(out, c)
		}
	}
	rep.Checks = out
	return rep
}

// statusTime is the time the registry is asked about.
func statusTime(sig *ses.Signature, rep outcome.Report) (time.Time, bool) {
	if c, ok := rep.Find(ses.CheckTimestamp); ok && c.Result == outcome.Passed {
		// The SES verifier has verified the token against its TSA anchors;
		// this reads its genTime (the chain is not built again).
		if tok, _ := tsa.VerifyToken(sig.TimeStamp, nil); tok != nil {
			return tok.GenTime.UTC(), true
		}
	}
	if sig.TBS.TimeInfoErr != "" || sig.TBS.TimeInfo.IsZero() {
		return time.Time{}, false
	}
	return sig.TBS.TimeInfo.UTC(), true
}
