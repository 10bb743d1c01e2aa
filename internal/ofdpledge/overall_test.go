package ofdpledge

import (
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// TestOverallCountsTheAttachedPackage: passing OFD signatures over a
// package that fails at signing (another pledge's, ofd-pledge-binding)
// are not a passing OFD; the server's top indication and the CLI's exit
// status both come from Overall.
func TestOverallCountsTheAttachedPackage(t *testing.T) {
	pledgeReport := func(ind outcome.Indication) *verify.Report {
		r := &verify.Report{}
		r.ValidAtSigning.Indication = ind
		return r
	}
	for _, c := range []struct {
		res  Result
		want outcome.Indication
	}{
		{Result{Indication: outcome.TotalPassed}, outcome.TotalPassed},
		{Result{Indication: outcome.TotalPassed, Pledge: pledgeReport(outcome.TotalPassed)}, outcome.TotalPassed},
		{Result{Indication: outcome.TotalPassed, Pledge: pledgeReport(outcome.TotalFailed)}, outcome.TotalFailed},
		{Result{Indication: outcome.TotalFailed, Pledge: pledgeReport(outcome.TotalPassed)}, outcome.TotalFailed},
		{Result{Indication: outcome.TotalPassed, Pledge: pledgeReport(outcome.IndeterminateResult)}, outcome.IndeterminateResult},
	} {
		if got := c.res.Overall(); got != c.want {
			t.Errorf("signatures %s, package %v: overall %s, want %s", c.res.Indication, c.res.Pledge, got, c.want)
		}
	}
}
