package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// TestPledgeOFDIsSealedOncePerDecision: the sealed OFD is made once per
// decision and kept: later downloads, the agency's included, are the same
// bytes (one SM2 signature and one time-stamp per decision, not per
// download); concurrent first downloads all get one document; after the
// decision is revoked the kept document is still the decided one and its
// verification says the state now (the package's report fails, the seal's
// status checks pass: the seal was in force when it sealed).
func TestPledgeOFDIsSealedOncePerDecision(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	p := f.signEvent(t, "ofd-once-0001")
	f.accept(t, p.ID)
	path := "/v1/pledges/" + p.ID + "/ofd"
	get := func(role auth.Role) []byte {
		t.Helper()
		rec := h.do("GET", path, role, nil)
		wantStatus(t, rec, http.StatusOK)
		return bytes.Clone(rec.Body.Bytes())
	}
	first := get(auth.RoleApplicant)
	e.Clock.Advance(60e9)
	if !bytes.Equal(get(auth.RoleApplicant), first) || !bytes.Equal(get(auth.RoleAgency), first) {
		t.Fatal("a second download is not the same document")
	}

	// Concurrent first downloads of another decision: one document.
	q := f.signEvent(t, "ofd-once-0002")
	f.accept(t, q.ID)
	var wg sync.WaitGroup
	docs := make([][]byte, 6)
	for i := range docs {
		wg.Go(func() {
			rec := h.do("GET", "/v1/pledges/"+q.ID+"/ofd", auth.RoleApplicant, nil)
			if rec.Code == http.StatusOK {
				docs[i] = bytes.Clone(rec.Body.Bytes())
			}
		})
	}
	wg.Wait()
	for i, d := range docs {
		if d == nil || !bytes.Equal(d, docs[0]) {
			t.Fatalf("concurrent download %d differs (%d bytes)", i, len(d))
		}
	}
	if bytes.Equal(docs[0], first) {
		t.Fatal("two decisions got the same document")
	}

	// Revoked after the decision: the decided document stays; the
	// verification says the state now.
	if _, err := e.Revoc.Revoke(context.Background(), auth.Principal{Role: auth.RoleEnforcement, Org: testJurisdiction, TokenID: "t"}, seal.RevokeRequest{
		Subjects: []status.Subject{verifytest.SubjectOfPledge(p.ID)}, Reason: seal.ReasonDecisionRevoked, DocumentNo: "朝市监撤〔2026〕9号"}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(get(auth.RoleApplicant), first) {
		t.Fatal("the kept document changed after the revocation")
	}
	rec := h.postOFD(auth.RolePublic, "application/ofd", first)
	wantStatus(t, rec, http.StatusOK)
	var v struct {
		Signatures []outcome.Report
		Pledge     *struct{ Indication outcome.Indication }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || len(v.Signatures) != 1 || v.Pledge == nil {
		t.Fatalf("report %s", rec.Body)
	}
	if v.Pledge.Indication != outcome.TotalFailed {
		t.Errorf("the revoked pledge's report is %s", v.Pledge.Indication)
	}
	for _, n := range []string{ses.CheckSealStatus, ses.CheckSignerStatus, ses.CheckMakerStatus} {
		if c, ok := v.Signatures[0].Find(n); !ok || c.Result != outcome.Passed {
			t.Errorf("%s: %+v", n, c)
		}
	}
}
