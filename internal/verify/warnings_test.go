package verify

import (
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

// TestSESWarningsFolded: the check that folds an SES report carries the
// warnings of its SES checks, each naming its check, whether the SES
// passed or not; a report without warnings adds none (the JSON keeps its
// shape).
func TestSESWarningsFolded(t *testing.T) {
	rep := func(ind outcome.Indication, ws ...outcome.Warning) outcome.Report {
		c := outcome.Check{Name: "seal-format", Result: outcome.Passed, Warnings: ws}
		return outcome.Report{Indication: ind, Checks: []outcome.Check{c, {Name: "data-hash", Result: outcome.Passed}}}
	}
	w := outcome.Warning{Code: outcome.WarnCertListTypeUnknown, Detail: "certListType 3"}
	for _, ind := range []outcome.Indication{outcome.TotalPassed, outcome.TotalFailed} {
		r := &Report{}
		sesCheck(builder{r}, CheckAgencySeal, "the agency seal", rep(ind, w), outcome.HashFailure)
		got := r.ValidAtSigning.Checks[0].Warnings
		if len(got) != 1 || got[0].Code != w.Code || got[0].Detail != "seal-format: certListType 3" {
			t.Fatalf("%s: warnings %+v", ind, got)
		}
	}
	r := &Report{}
	sesCheck(builder{r}, CheckAgencySeal, "the agency seal", rep(outcome.TotalPassed), outcome.HashFailure)
	if r.ValidAtSigning.Checks[0].Warnings != nil {
		t.Fatalf("no warnings expected: %+v", r.ValidAtSigning.Checks[0].Warnings)
	}
}
