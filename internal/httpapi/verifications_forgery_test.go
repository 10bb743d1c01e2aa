package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// TestVerificationRefusesForgedDecision: the forgeries that once verified
// TOTAL_PASSED over POST /v1/verifications while the report repeated them
// (decision number and date, status link, signing way, certificates) now
// fail with the check naming the member, and the genuine package's report
// shows the decision and status link the agency sealed.
func TestVerificationRefusesForgedDecision(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	ev := f.signEvent(t, "forged-decision-1")
	f.accept(t, ev.ID)
	pkg := f.pkg(t, ev.ID)
	other := f.signEvent(t, "forged-decision-2")
	f.accept(t, other.ID)
	var op pledge.Package
	if err := json.Unmarshal(f.pkg(t, other.ID), &op); err != nil {
		t.Fatal(err)
	}

	r := f.verifyPkg(t, auth.RolePublic, pkg)
	wantReport(t, r, outcome.TotalPassed, outcome.None)
	if d := r.Pledge.Decision; d == nil || d.DocumentNo != "朝市监许〔2026〕7号" || r.Pledge.StatusURL != verifytest.StatusURL(ev.ID) || r.Pledge.Way != pledge.WayEventCertificate {
		t.Fatalf("genuine report: %+v", r.Pledge)
	}
	for _, tc := range []struct {
		name  string
		f     func(p *pledge.Package)
		check string
	}{
		{"documentNo", func(p *pledge.Package) { p.AgencySeal.DocumentNo = "朝市监许〔2026〕999号" }, verify.CheckDecisionFields},
		{"date", func(p *pledge.Package) { p.AgencySeal.Date = "2026-11-24" }, verify.CheckDecisionFields},
		{"statusUrl", func(p *pledge.Package) { p.StatusURL = "https://pledge.evil.example/v1/pledges/" + p.PledgeID }, verify.CheckDecisionFields},
		{"way", func(p *pledge.Package) { p.ApplicantSignature.Way = pledge.WayOwnCertificate }, verify.CheckSignatureWay},
		{"certificates emptied", func(p *pledge.Package) { p.Certificates = []string{} }, verify.CheckCertificates},
		{"certificates replaced", func(p *pledge.Package) { p.Certificates = op.Certificates }, verify.CheckCertificates},
		{"certificate byte corrupted", func(p *pledge.Package) {
			der, err := base64.StdEncoding.DecodeString(p.Certificates[0])
			if err != nil {
				t.Fatal(err)
			}
			der[len(der)-1] ^= 1 // in the signature value: still parses
			p.Certificates[0] = base64.StdEncoding.EncodeToString(der)
		}, verify.CheckCertificates},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.verifyPkg(t, auth.RolePublic, verifytest.MutatePackage(t, pkg, tc.f))
			wantReport(t, r, outcome.TotalFailed, verify.FieldMismatch)
			if c, ok := r.Find(tc.check); !ok || c.Result != outcome.Failed {
				t.Fatalf("check %s: %+v", tc.check, c)
			}
			if d := r.Pledge.Decision; d != nil && d.DocumentNo != "朝市监许〔2026〕7号" {
				t.Fatalf("forged decision shown: %+v", d)
			}
		})
	}
}

// TestAcceptRefusesImpossibleDecisionDate: a decision dated before the
// pledge was signed or after the sealing day is a 400, and nothing is
// sealed or recorded.
func TestAcceptRefusesImpossibleDecisionDate(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	ev := f.signEvent(t, "decision-date-01")
	h.clock.Advance(time.Minute)
	today := pledge.CivilDate(h.clock.Now())
	for _, date := range []string{"2026-11-24", "2026-11-26", "2000-01-01"} {
		if date == today {
			t.Fatalf("the harness clock moved: %s", today)
		}
		wantProblem(t, h.do("POST", "/v1/pledges/"+ev.ID+"/accept", auth.RoleAgency, map[string]any{"documentNo": "朝市监许〔2026〕7号", "date": date}),
			http.StatusBadRequest, string(apperr.CodeDecisionDateInvalid))
	}
	rec := h.do("GET", "/v1/pledges/"+ev.ID, auth.RoleAgency, nil)
	wantStatus(t, rec, http.StatusOK)
	if v := decode[pledgeView](t, rec); v.Status != pledge.StatusSigned || v.Decision != nil {
		t.Fatalf("after refused acceptances: %+v", v)
	}
	wantStatus(t, h.do("POST", "/v1/pledges/"+ev.ID+"/accept", auth.RoleAgency, map[string]any{"documentNo": "朝市监许〔2026〕7号", "date": today}), http.StatusOK)
}
