package httpapi

import (
	"context"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// Verification reports carry the log proof of the pledge's state now
// (validated against api/openapi.yaml by the harness): NOT_YET_LOGGED
// while the change is pending, PROVEN once integrated (a checkpoint is
// signed on demand), and the proof checks offline with the log key.
func TestVerificationReportCarriesLogProof(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	key, signer := newLogSigner(t)
	tl := testLog{store.NewTransLog(e.Store), signer}
	h.srv.deps.TransLog = tl
	p := f.signEvent(t, "log-report-0001")
	f.accept(t, p.ID)

	r := f.verifyStored(t, auth.RolePublic, p.ID)
	if r.Log == nil || r.Log.Status != verify.LogNotYetLogged || r.Log.Entry != "" {
		t.Fatalf("before integration: %+v", r.Log)
	}
	if c := verify.CheckLog(&r, p.ID, &key.PublicKey); c.Result != outcome.Indeterminate {
		t.Fatalf("a pending entry checks %s", c.Result)
	}
	if err := tl.IntegrateAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, r := range []verify.Report{f.verifyStored(t, auth.RolePublic, p.ID), f.verifyPkg(t, auth.RolePublic, f.pkg(t, p.ID))} {
		wantReport(t, r, outcome.TotalPassed, "")
		if r.Log == nil || r.Log.Status != verify.LogProven || r.Log.Checkpoint == "" {
			t.Fatalf("after integration: %+v", r.Log)
		}
		if c := verify.CheckLog(&r, p.ID, &key.PublicKey); c.Result != outcome.Passed {
			t.Fatalf("log check: %+v", c)
		}
	}
}

// newLogSigner returns a fresh log key and its note signer.
func newLogSigner(t *testing.T) (*sm2.PrivateKey, *translog.NoteSigner) {
	t.Helper()
	key, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewNoteSigner("pledgeseal.test/log", key)
	if err != nil {
		t.Fatal(err)
	}
	return key, signer
}
