package verify_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// TestCopyBeforeTheDecision: the package an applicant downloaded at
// signing, verified after the agency accepted the pledge, says plainly
// that it predates the decision and where the decided copy is, beside the
// state now (accepted): never "awaiting the decision" next to "accepted".
func TestCopyBeforeTheDecision(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rec, _, err := e.Service.SignWithEventCertificate(ctx, verifytest.Applicant, e.Request("key-before-decision"))
	if err != nil {
		t.Fatal(err)
	}
	early := e.Package(t, rec)
	if r := e.Verifier.Verify(ctx, early, verify.Public()); r.SubIndication != verify.AwaitingDecision {
		t.Fatalf("before the decision: %s / %s", r.Indication, r.SubIndication)
	}
	e.Clock.Advance(time.Minute)
	if _, err := e.Service.Accept(ctx, pledge.Officer{Agency: verifytest.Agency, ID: "officer-1"}, rec.ID, "朝市监许〔2026〕9号", e.Clock.Now().Format(time.DateOnly)); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Minute)
	r := e.Verifier.Verify(ctx, early, verify.Public())
	if r.Indication != outcome.IndeterminateResult || r.SubIndication != verify.PredatesDecision || r.StatusNow.State != status.Active {
		t.Fatalf("copy before the decision: %s / %s, state %s", r.Indication, r.SubIndication, r.StatusNow.State)
	}
	for _, c := range r.StatusNow.Checks {
		if c.SubIndication == verify.AwaitingDecision {
			t.Errorf("%s still says awaiting the decision", c.Name)
		}
		if c.Name == verify.CheckPledgeState && (!strings.Contains(c.Detail, "predates the decision") || !strings.Contains(c.Detail, "朝市监许〔2026〕9号") ||
			!strings.Contains(c.Detail, "/ofd")) {
			t.Errorf("detail does not say the copy predates the decision and where the decided copy is: %s", c.Detail)
		}
	}
	// The decided copy verifies.
	if r := e.Verifier.Verify(ctx, e.Package(t, mustGet(t, e, rec.ID)), verify.Public()); r.Indication != outcome.TotalPassed {
		t.Fatalf("decided copy: %s / %s", r.Indication, r.SubIndication)
	}
}

func mustGet(t *testing.T, e *verifytest.Env, id string) pledge.Record {
	t.Helper()
	r, err := e.Pledges.GetPledge(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
