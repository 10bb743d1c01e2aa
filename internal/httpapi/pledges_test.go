package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// apiOf is the PledgeAPI over a verifytest environment.
func apiOf(e *verifytest.Env) *PledgeAPI {
	return &PledgeAPI{Catalogue: e.Catalogue, Notices: e.Notices, Service: e.Service, Records: e.Pledges, Verifier: e.Verifier, OFD: ofdAPIOf(e), Findings: e.Registry}
}

// newPledgeAPI is the pledge domain every harness gets (so the route
// matrix and the spec check cover its routes). It keeps its own key prefix
// on the harness's Redis, so its demo seal does not show in seal tests.
func newPledgeAPI(t *testing.T, _ *store.Store, clk *clock.Fake) *PledgeAPI {
	t.Helper()
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t), Timeout: time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return apiOf(verifytest.New(t, st, clk))
}

// pledgeHarness is a harness with a handle on its pledge domain. addr, if
// given, is a Redis for the domain's store (the tokens stay on the shared one).
func pledgeHarness(t *testing.T, addr ...string) (*harness, *verifytest.Env) {
	t.Helper()
	var env *verifytest.Env
	h := newHarness(t, func(d *Deps) {
		a := testredis.Addr(t)
		if len(addr) > 0 {
			a = addr[0]
		}
		st, err := store.New(store.Options{Addrs: []string{a}, Prefix: testredis.Prefix(t) + "pl:", Timeout: time.Second}, d.Clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		env = verifytest.New(t, st, d.Clock.(*clock.Fake))
		d.Pledges = apiOf(env)
		// The revocation API works on the same registry as the domain.
		d.Revocations = env.Revoc
	})
	return h, env
}

func (h *harness) doKey(method, path string, role auth.Role, key string, body any) *httptest.ResponseRecorder {
	h.t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		h.t.Fatal(err)
	}
	if str, ok := body.(string); ok {
		raw = []byte(str)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	if tok := h.tok[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return serve(h, req)
}

func wantStatus(t *testing.T, rec *httptest.ResponseRecorder, code int) {
	t.Helper()
	if rec.Code != code {
		t.Fatalf("status %d, want %d: %s", rec.Code, code, rec.Body)
	}
}

func wantProblem(t *testing.T, rec *httptest.ResponseRecorder, code int, detail string) {
	t.Helper()
	wantStatus(t, rec, code)
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Detail == "" {
		t.Fatalf("not a problem document: %s", rec.Body)
	}
	if detail != "" && !strings.Contains(rec.Body.String(), detail) {
		t.Fatalf("problem %s does not mention %q", rec.Body, detail)
	}
}

type pledgeFlow struct {
	h   *harness
	e   *verifytest.Env
	ref pledge.NoticeRef
}

// setUp records the catalogue entry and publishes the notice over HTTP.
func setUp(t *testing.T, h *harness, e *verifytest.Env) *pledgeFlow {
	t.Helper()
	rec := h.do("POST", "/v1/catalogue/entries", auth.RoleAgency, map[string]any{"entry": verifytest.Entry(h.clock.Now())})
	wantStatus(t, rec, http.StatusCreated)
	h.clock.Advance(time.Minute)
	rec = h.do("POST", "/v1/notices", auth.RoleAgency, verifytest.Notice())
	wantStatus(t, rec, http.StatusCreated)
	n := decode[noticeView](t, rec)
	return &pledgeFlow{h: h, e: e, ref: pledge.NoticeRef{ID: n.Notice.ID, Version: n.Notice.Version, Digest: n.Digest}}
}

func (f *pledgeFlow) body(way string) map[string]any {
	return map[string]any{"notice": f.ref, "channel": "WEB", "way": way,
		"facts": []pledge.Fact{{Code: "ORG_NAME", Label: pledge.Text{Zh: "社会团体名称"}, Value: "北京市围棋协会"}}}
}

// signEvent signs a pledge with an event certificate over HTTP.
func (f *pledgeFlow) signEvent(t *testing.T, key string) pledgeView {
	t.Helper()
	rec := f.h.doKey("POST", "/v1/pledges", auth.RoleApplicant, key, f.body(pledge.WayEventCertificate))
	wantStatus(t, rec, http.StatusCreated)
	return decode[struct{ Pledge pledgeView }](t, rec).Pledge
}

// prepareOwn prepares a draft over HTTP.
func (f *pledgeFlow) prepareOwn(t *testing.T, key string) draftView {
	t.Helper()
	rec := f.h.doKey("POST", "/v1/pledges", auth.RoleApplicant, key, f.body(pledge.WayOwnCertificate))
	wantStatus(t, rec, http.StatusCreated)
	return decode[struct{ Draft draftView }](t, rec).Draft
}

func (f *pledgeFlow) citizen(t *testing.T, parent verifytest.CA) verifytest.CA {
	now := f.h.clock.Now()
	return verifytest.NewLeaf(t, testIdentity.Name, parent, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0), testIdentity.IDNumber)
}

func signCMS(t *testing.T, doc []byte, signer verifytest.CA, at time.Time) string {
	t.Helper()
	cms, err := pki.SignDetached(doc, signer.Cert.Raw, pki.NewKeySigner(signer.Key), at)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(cms)
}

func (f *pledgeFlow) accept(t *testing.T, id string) pledgeView {
	t.Helper()
	f.h.clock.Advance(time.Minute)
	rec := f.h.do("POST", "/v1/pledges/"+id+"/accept", auth.RoleAgency, map[string]any{"documentNo": "朝市监许〔2026〕7号", "date": f.h.clock.Now().Format(time.DateOnly)})
	wantStatus(t, rec, http.StatusOK)
	f.h.clock.Advance(time.Minute)
	return decode[pledgeView](t, rec)
}

func (f *pledgeFlow) pkg(t *testing.T, id string) []byte {
	t.Helper()
	rec := f.h.do("GET", "/v1/pledges/"+id+"/package", auth.RoleApplicant, nil)
	wantStatus(t, rec, http.StatusOK)
	return rec.Body.Bytes()
}

func (f *pledgeFlow) verifyPkg(t *testing.T, role auth.Role, pkg []byte) verify.Report {
	t.Helper()
	rec := f.h.do("POST", "/v1/verifications", role, map[string]json.RawMessage{"package": pkg})
	wantStatus(t, rec, http.StatusOK)
	return decode[verify.Report](t, rec)
}

func (f *pledgeFlow) verifyStored(t *testing.T, role auth.Role, id string) verify.Report {
	t.Helper()
	rec := f.h.do("GET", "/v1/pledges/"+id+"/verification", role, nil)
	wantStatus(t, rec, http.StatusOK)
	// The same link opened by a browser (a scanned QR code) goes to the page.
	req := mustReq(t, "GET", "/v1/pledges/"+id+"/verification")
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	page := serve(f.h, req)
	if page.Code != http.StatusSeeOther || page.Header().Get("Location") != "/app/verify?id="+id {
		t.Fatalf("browser request: %d Location=%q", page.Code, page.Header().Get("Location"))
	}
	return decode[verify.Report](t, rec)
}

func wantReport(t *testing.T, r verify.Report, ind outcome.Indication, sub outcome.SubIndication) {
	t.Helper()
	if r.Indication != ind || r.SubIndication != sub {
		js, _ := json.MarshalIndent(r, "", " ")
		t.Fatalf("got %s/%s, want %s/%s\n%s", r.Indication, r.SubIndication, ind, sub, js)
	}
}

// TestPledgeEndToEnd: catalogue → notice → sign (both ways) → accept →
// verify TOTAL_PASSED; withdrawal and revocation give their sub-indications.
func TestPledgeEndToEnd(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)

	// The public catalogue query.
	rec := h.do("GET", "/v1/catalogue/matters/110105/M-0001", auth.RolePublic, nil)
	wantStatus(t, rec, http.StatusOK)
	if ans := decode[pledge.MatterAnswer](t, rec); len(ans.Demands) != 1 || ans.Demands[0].Modes[0] != pledge.ModeWrittenPledge {
		t.Fatalf("matter answer: %s", rec.Body)
	}
	rec = h.do("GET", "/v1/catalogue/matters/110105/M-9999", auth.RolePublic, nil)
	if ans := decode[pledge.MatterAnswer](t, rec); len(ans.Demands) != 0 || ans.Message == nil || ans.Message.Zh != "不在清单内，不得索要" {
		t.Fatalf("absent matter: %s", rec.Body)
	}
	// The public notice fetch returns the notice with its seal.
	rec = h.do("GET", "/v1/notices/"+f.ref.ID, auth.RolePublic, nil)
	wantStatus(t, rec, http.StatusOK)
	if n := decode[noticeView](t, rec); n.Seal == "" || n.Digest != f.ref.Digest {
		t.Fatalf("notice: %s", rec.Body)
	}

	// (a) event certificate, with a repeat.
	ev := f.signEvent(t, "e2e-event-0001")
	rec = h.doKey("POST", "/v1/pledges", auth.RoleApplicant, "e2e-event-0001", f.body(pledge.WayEventCertificate))
	wantStatus(t, rec, http.StatusOK)
	if again := decode[struct{ Pledge pledgeView }](t, rec).Pledge; again.ID != ev.ID {
		t.Fatalf("repeat made another pledge %s != %s", again.ID, ev.ID)
	}
	// (b) own certificate.
	d := f.prepareOwn(t, "e2e-own-0001")
	doc, _ := base64.StdEncoding.DecodeString(d.Document)
	rec = h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature", auth.RoleApplicant, map[string]string{"cms": signCMS(t, doc, f.citizen(t, e.CitizenCA), h.clock.Now())})
	wantStatus(t, rec, http.StatusCreated)

	for _, id := range []string{ev.ID, d.PledgeID} {
		if got := f.accept(t, id); got.Status != pledge.StatusAccepted || got.Decision == nil {
			t.Fatalf("accept: %+v", got)
		}
		pkg := f.pkg(t, id)
		pub := f.verifyPkg(t, auth.RolePublic, pkg)
		wantReport(t, pub, outcome.TotalPassed, outcome.None)
		if !pub.Pledge.Applicant.Masked || pub.Pledge.Applicant.IDNumber == testIdentity.IDNumber {
			t.Fatalf("public report shows personal data: %+v", pub.Pledge.Applicant)
		}
		mine := f.verifyStored(t, auth.RoleApplicant, id)
		wantReport(t, mine, outcome.TotalPassed, outcome.None)
		if mine.Pledge.Applicant.Masked || mine.Pledge.Applicant.IDNumber != testIdentity.IDNumber {
			t.Fatalf("the applicant sees a masked report: %+v", mine.Pledge.Applicant)
		}
		ag := f.verifyStored(t, auth.RoleAgency, id)
		if ag.Pledge.Applicant.Masked {
			t.Fatal("the agency sees a masked report")
		}
	}
	// A batch.
	rec = h.do("POST", "/v1/verifications", auth.RolePublic, map[string][]json.RawMessage{"packages": {f.pkg(t, ev.ID), f.pkg(t, d.PledgeID)}})
	wantStatus(t, rec, http.StatusOK)
	if b := decode[batchView](t, rec); b.Indication != outcome.TotalPassed || len(b.Reports) != 2 {
		t.Fatalf("batch: %s", rec.Body)
	}

	// The QR code of the status URL.
	rec = h.do("GET", "/v1/pledges/"+ev.ID+"/qr", auth.RolePublic, nil)
	wantStatus(t, rec, http.StatusOK)
	img, err := png.Decode(bytes.NewReader(rec.Body.Bytes()))
	if err != nil || rec.Header().Get("Content-Type") != "image/png" {
		t.Fatalf("QR is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != QRSize || b.Dy() != QRSize {
		t.Fatalf("QR size %v", b)
	}
	wantStatus(t, h.do("GET", "/v1/pledges/P00000000000000000000000000000000/qr", auth.RolePublic, nil), http.StatusNotFound)

	// Withdrawal before the decision.
	w := f.signEvent(t, "e2e-withdraw-1")
	rec = h.do("POST", "/v1/pledges/"+w.ID+"/withdraw", auth.RoleApplicant, map[string]string{"reason": "改走普通程序"})
	wantStatus(t, rec, http.StatusOK)
	wantReport(t, f.verifyStored(t, auth.RolePublic, w.ID), outcome.TotalFailed, outcome.PledgeWithdrawn)
	wantProblem(t, h.do("POST", "/v1/pledges/"+ev.ID+"/withdraw", auth.RoleApplicant, map[string]string{"reason": "太晚了"}), http.StatusConflict, "NOT_WITHDRAWABLE")

	// Revocation of the decision (enforcement, over the revocation API).
	rec = h.do("POST", "/v1/revocations", auth.RoleEnforcement, map[string]any{
		"subjects": []map[string]string{{"kind": "pledge", "id": ev.ID}}, "reason": "DECISION_REVOKED", "documentNo": "朝市监撤〔2026〕3号"})
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	wantReport(t, f.verifyStored(t, auth.RolePublic, ev.ID), outcome.TotalFailed, outcome.DecisionRevoked)
	wantReport(t, f.verifyStored(t, auth.RolePublic, d.PledgeID), outcome.TotalPassed, outcome.None)

	// Returned by the agency.
	r := f.signEvent(t, "e2e-return-01")
	wantStatus(t, h.do("POST", "/v1/pledges/"+r.ID+"/return", auth.RoleAgency, map[string]string{"reason": "材料不全"}), http.StatusOK)
	wantReport(t, f.verifyStored(t, auth.RolePublic, r.ID), outcome.TotalFailed, verify.PledgeReturned)
}

// TestPledgeBadInput: every bad input has its own case and gets a clear
// 4xx or a FAILED sub-indication, never a 500.
func TestPledgeBadInput(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	a := f.signEvent(t, "bad-input-a-01")
	f.accept(t, a.ID)
	b := f.signEvent(t, "bad-input-b-01")
	f.accept(t, b.ID)
	pkgA, pkgB := f.pkg(t, a.ID), f.pkg(t, b.ID)
	var pb pledge.Package
	_ = json.Unmarshal(pkgB, &pb)
	b64 := base64.StdEncoding.EncodeToString
	unb64 := func(s string) []byte {
		out, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	t.Run("tampered document", func(t *testing.T) {
		pkg := verifytest.MutatePackage(t, pkgA, func(p *pledge.Package) {
			d, err := pledge.ParseDocument(unb64(p.Document))
			if err != nil {
				t.Fatal(err)
			}
			d.Facts[0].Value = "北京市象棋协会"
			c, _ := d.Canonical()
			p.Document = b64(c)
		})
		wantReport(t, f.verifyPkg(t, auth.RolePublic, pkg), outcome.TotalFailed, outcome.HashFailure)
	})
	t.Run("notice digest mismatch when signing", func(t *testing.T) {
		body := f.body(pledge.WayEventCertificate)
		ref := f.ref
		ref.Digest = strings.Repeat("0", 64)
		body["notice"] = ref
		wantProblem(t, h.doKey("POST", "/v1/pledges", auth.RoleApplicant, "bad-digest-0001", body), http.StatusConflict, "NOTICE_DIGEST_MISMATCH")
	})
	t.Run("notice digest mismatch in a package", func(t *testing.T) {
		pkg := verifytest.MutatePackage(t, pkgA, func(p *pledge.Package) {
			n := e.Published.Notice
			if n.ID == "" {
				got, err := e.Notices.Get(context.Background(), f.ref.ID, f.ref.Version)
				if err != nil {
					t.Fatal(err)
				}
				n = got.Notice
			}
			n.Liability = pledge.Text{Zh: "不承担责任"}
			c, _ := n.Canonical()
			p.Notice.Document = b64(c)
		})
		wantReport(t, f.verifyPkg(t, auth.RolePublic, pkg), outcome.TotalFailed, outcome.NoticeMismatch)
	})
	t.Run("signature by a certificate outside the trust anchors", func(t *testing.T) {
		d := f.prepareOwn(t, "bad-outside-001")
		doc := unb64(d.Document)
		rec := h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature", auth.RoleApplicant, map[string]string{"cms": signCMS(t, doc, f.citizen(t, e.OutsideCA), h.clock.Now())})
		wantProblem(t, rec, http.StatusForbidden, "NO_CERTIFICATE_CHAIN_FOUND")
	})
	t.Run("swapped applicant signature", func(t *testing.T) {
		d := f.prepareOwn(t, "bad-swapped-001")
		other := f.prepareOwn(t, "bad-swapped-002")
		rec := h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature", auth.RoleApplicant, map[string]string{"cms": signCMS(t, unb64(other.Document), f.citizen(t, e.CitizenCA), h.clock.Now())})
		wantProblem(t, rec, http.StatusForbidden, "CMS_OTHER_DOCUMENT")
		pkg := verifytest.MutatePackage(t, pkgA, func(p *pledge.Package) { p.ApplicantSignature = pb.ApplicantSignature })
		wantReport(t, f.verifyPkg(t, auth.RolePublic, pkg), outcome.TotalFailed, outcome.HashFailure)
	})
	t.Run("SES made over another pledge", func(t *testing.T) {
		pkg := verifytest.MutatePackage(t, pkgA, func(p *pledge.Package) { p.AgencySeal = pb.AgencySeal })
		wantReport(t, f.verifyPkg(t, auth.RolePublic, pkg), outcome.TotalFailed, outcome.HashFailure)
	})
	t.Run("expired seal", func(t *testing.T) {
		pkg := verifytest.MutatePackage(t, pkgA, func(p *pledge.Package) {
			p.AgencySeal.SES = b64(e.SignAt(t, unb64(p.AgencySeal.SealedData), e.Seal.Info.Property.ValidEnd.Add(time.Hour), "pledge:"+p.PledgeID))
		})
		wantReport(t, f.verifyPkg(t, auth.RolePublic, pkg), outcome.TotalFailed, outcome.SealOutOfValidity)
	})
	t.Run("malformed JSON", func(t *testing.T) {
		wantProblem(t, h.do("POST", "/v1/verifications", auth.RolePublic, `{"package": {`), http.StatusBadRequest, "")
		wantProblem(t, h.doKey("POST", "/v1/pledges", auth.RoleApplicant, "bad-json-00001", "not json"), http.StatusBadRequest, "")
		// A package that is JSON but not a package is a FORMAT_FAILURE report.
		wantReport(t, f.verifyPkg(t, auth.RolePublic, []byte(`{"format":"x"}`)), outcome.TotalFailed, outcome.FormatFailure)
	})
	t.Run("malformed base64", func(t *testing.T) {
		d := f.prepareOwn(t, "bad-base64-0001")
		wantProblem(t, h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature", auth.RoleApplicant, map[string]string{"cms": "***"}), http.StatusBadRequest, "CMS_MALFORMED")
		wantReport(t, f.verifyPkg(t, auth.RolePublic, verifytest.MutatePackage(t, pkgA, func(p *pledge.Package) { p.Document = "@@" })), outcome.TotalFailed, outcome.FormatFailure)
	})
	t.Run("malformed DER", func(t *testing.T) {
		d := f.prepareOwn(t, "bad-der-000001")
		wantProblem(t, h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature", auth.RoleApplicant, map[string]string{"cms": b64([]byte{0x30, 0x80, 0x01})}), http.StatusBadRequest, "CMS_MALFORMED")
		wantReport(t, f.verifyPkg(t, auth.RolePublic, verifytest.MutatePackage(t, pkgA, func(p *pledge.Package) { p.AgencySeal.SES = b64([]byte{0x04, 0x01, 0x00}) })), outcome.TotalFailed, outcome.FormatFailure)
	})
	t.Run("oversized body", func(t *testing.T) {
		big := `{"package": "` + strings.Repeat("A", 70<<10) + `"}`
		wantProblem(t, h.do("POST", "/v1/verifications", auth.RolePublic, big), http.StatusRequestEntityTooLarge, "")
	})
	t.Run("unknown fields", func(t *testing.T) {
		body := f.body(pledge.WayEventCertificate)
		body["applicant"] = map[string]string{"name": "李四"}
		wantProblem(t, h.doKey("POST", "/v1/pledges", auth.RoleApplicant, "bad-unknown-001", body), http.StatusBadRequest, "applicant")
		wantProblem(t, h.do("POST", "/v1/verifications", auth.RolePublic, map[string]any{"package": json.RawMessage(pkgA), "extra": 1}), http.StatusBadRequest, "extra")
	})
	t.Run("barred applicant", func(t *testing.T) {
		now := h.clock.Now()
		subject := e.Service.SubjectIndex(verifytest.Applicant)
		if err := e.Bars.PutBar(context.Background(), pledge.Bar{ID: "B-1", Subject: subject, Reason: pledge.BarFalsePledge, ScopeKind: "ALL",
			Start: now.Add(-time.Hour), End: now.AddDate(1, 0, 0), EndRule: pledge.Text{Zh: "信用修复后解除"}, Source: "credit-china", DocumentNo: "失信〔2026〕1号"}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_ = e.Bars.PutBar(context.Background(), pledge.Bar{ID: "B-1", Subject: subject, Reason: pledge.BarFalsePledge, ScopeKind: "ALL",
				Start: now.Add(-time.Hour), End: now.AddDate(1, 0, 0), EndRule: pledge.Text{Zh: "信用修复后解除"}, Source: "credit-china", Repaired: true, RepairedAt: now})
		}()
		wantProblem(t, h.doKey("POST", "/v1/pledges", auth.RoleApplicant, "bad-barred-0001", f.body(pledge.WayEventCertificate)), http.StatusForbidden, "APPLICANT_BARRED")
	})
	t.Run("matter not in the catalogue", func(t *testing.T) {
		n := verifytest.Notice()
		n.ID = "N-NOT-LISTED"
		n.Entry.Matter = "M-9999"
		rec := h.do("POST", "/v1/notices", auth.RoleAgency, n)
		if rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("notice for a matter not in the catalogue: %d %s", rec.Code, rec.Body)
		}
		body := f.body(pledge.WayEventCertificate)
		body["notice"] = pledge.NoticeRef{ID: "N-NOT-LISTED", Version: 1, Digest: strings.Repeat("a", 64)}
		wantProblem(t, h.doKey("POST", "/v1/pledges", auth.RoleApplicant, "bad-matter-0001", body), http.StatusNotFound, "NOTICE_NOT_FOUND")
	})
	t.Run("seal suspended before acceptance", func(t *testing.T) {
		c := f.signEvent(t, "bad-suspend-001")
		if _, err := e.Seals.ChangeStatus(context.Background(), verifytest.SealMaker, verifytest.ESID, seal.StatusChange{
			Action: seal.Suspend, Reason: "印章保管人变更", DocumentNo: "朝市监印停〔2026〕1号"}); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_, _ = e.Seals.ChangeStatus(context.Background(), verifytest.SealMaker, verifytest.ESID, seal.StatusChange{
				Action: seal.Restore, Reason: "恢复", DocumentNo: "朝市监印复〔2026〕1号"})
		}()
		h.clock.Advance(time.Minute)
		wantProblem(t, h.do("POST", "/v1/pledges/"+c.ID+"/accept", auth.RoleAgency, map[string]any{"documentNo": "X-1", "date": "2026-11-25"}), http.StatusConflict, "SEAL_NOT_ACTIVE")
		// A counter-seal made anyway while suspended (a faulty or rogue
		// system) fails verification with SEAL_SUSPENDED.
		pkg := f.pkg(t, c.ID)
		forged := verifytest.MutatePackage(t, pkg, func(p *pledge.Package) {
			doc := unb64(p.Document)
			parsed, err := pledge.ParseDocument(doc)
			if err != nil {
				t.Fatal(err)
			}
			dd, sd, at := pki.Digest(doc), pki.Digest(unb64(p.ApplicantSignature.CMS)), h.clock.Now().UTC().Truncate(time.Second)
			data, err := pledge.DecisionStatement{Format: pledge.DecisionFormat, PledgeID: p.PledgeID,
				DocumentDigest: hex.EncodeToString(dd[:]), ApplicantSignatureDigest: hex.EncodeToString(sd[:]),
				Decision: pledge.DecisionAccepted, DecisionNo: "X-1", DecisionDate: "2026-11-25", Agency: parsed.Agency,
				Entry: parsed.Entry, Notice: parsed.Notice, StatusURL: p.StatusURL, SealedAt: at.Format(time.RFC3339)}.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			p.AgencySeal = &pledge.PackageSeal{SealedData: b64(data), SES: b64(e.SignAt(t, data, at, "pledge:"+p.PledgeID)), DocumentNo: "X-1", Date: "2026-11-25"}
		})
		r := f.verifyPkg(t, auth.RolePublic, forged)
		if r.Indication != outcome.TotalFailed || r.SubIndication != outcome.SealSuspended {
			t.Fatalf("got %s/%s", r.Indication, r.SubIndication)
		}
	})
	t.Run("wrong role and foreign pledge", func(t *testing.T) {
		wantStatus(t, h.do("POST", "/v1/pledges/"+a.ID+"/accept", auth.RoleApplicant, map[string]any{"documentNo": "X", "date": "2026-11-25"}), http.StatusForbidden)
		wantStatus(t, h.do("GET", "/v1/pledges/"+a.ID+"/package", auth.RoleEnforcement, nil), http.StatusForbidden)
		wantProblem(t, h.do("POST", "/v1/pledges", auth.RoleApplicant, f.body(pledge.WayEventCertificate)), http.StatusBadRequest, "IDEMPOTENCY_KEY_REQUIRED")
		for _, id := range []string{"not-a-pledge", "P" + strings.Repeat("G", 32), strings.ToUpper(a.ID), "%7Bx%7D"} {
			wantProblem(t, h.do("GET", "/v1/pledges/"+id+"/verification", auth.RolePublic, nil), http.StatusNotFound, "PLEDGE_NOT_FOUND")
			wantProblem(t, h.do("GET", "/v1/pledges/"+id+"/package", auth.RoleAgency, nil), http.StatusNotFound, "")
		}
	})
}

// TestPledgeRedisDown: with the pledge store's Redis gone, verification
// answers INDETERMINATE / TRY_LATER and state-changing routes 503.
func TestPledgeRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	h, e := pledgeHarness(t, srv.Addr)
	f := setUp(t, h, e)
	ev := f.signEvent(t, "down-event-001")
	f.accept(t, ev.ID)
	pkg := f.pkg(t, ev.ID)
	wantReport(t, f.verifyPkg(t, auth.RolePublic, pkg), outcome.TotalPassed, outcome.None)
	srv.Kill()
	wantReport(t, f.verifyPkg(t, auth.RolePublic, pkg), outcome.IndeterminateResult, outcome.TryLater)
	for _, rec := range []*httptest.ResponseRecorder{
		h.doKey("POST", "/v1/pledges", auth.RoleApplicant, "down-event-002", f.body(pledge.WayEventCertificate)),
		h.do("POST", "/v1/pledges/"+ev.ID+"/withdraw", auth.RoleApplicant, map[string]string{"reason": "x"}),
		h.do("POST", "/v1/notices", auth.RoleAgency, verifytest.Notice()),
		h.do("GET", "/v1/pledges/"+ev.ID+"/verification", auth.RolePublic, nil),
		h.do("GET", "/v1/me/pledges", auth.RoleApplicant, nil),
		h.do("GET", "/v1/agency/pledges?status=ACCEPTED", auth.RoleAgency, nil),
	} {
		wantProblem(t, rec, http.StatusServiceUnavailable, "")
	}
}

// TestOpenSSLOverHTTP: the applicant's CMS signature and the agency's SES
// in a package fetched through the API verify with OpenSSL (the domain
// tests in internal/pledge do the same on the service's own bytes).
func TestOpenSSLOverHTTP(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	ev := f.signEvent(t, "openssl-http-01")
	f.accept(t, ev.ID)
	var p pledge.Package
	if err := json.Unmarshal(f.pkg(t, ev.ID), &p); err != nil {
		t.Fatal(err)
	}
	dec := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pubPEM := func(c *smx509.Certificate) []byte {
		der, err := smx509.MarshalPKIXPublicKey(c.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	check := func(name string, pub, msg, sig []byte, wantOK bool) {
		t.Helper()
		out, err := exec.Command(bin, "dgst", "-sm3", "-verify", write(name+".pub", pub),
			"-sigopt", "distid:1234567812345678", "-signature", write(name+".sig", sig), write(name+".msg", msg)).CombinedOutput()
		if ok := err == nil && strings.Contains(string(out), "Verified OK"); ok != wantOK {
			t.Fatalf("%s: openssl says %q (err %v), want ok=%v", name, out, err, wantOK)
		}
	}
	sm3 := func(b []byte) string {
		out, err := exec.Command(bin, "dgst", "-sm3", "-r", write("sm3.in", b)).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.Fields(string(out))[0]
	}
	// Applicant: signed attributes (messageDigest = SM3 of the document).
	cms, err := pki.ParseCMS(dec(p.ApplicantSignature.CMS))
	if err != nil || len(cms.Signers) != 1 || cms.Signers[0].Cert == nil {
		t.Fatalf("CMS: %v", err)
	}
	si := cms.Signers[0]
	check("applicant", pubPEM(si.Cert), si.SignedAttrs, si.Signature, true)
	if got := sm3(dec(p.Document)); got != fmt.Sprintf("%x", si.MessageDigest) {
		t.Fatalf("openssl SM3 of the document %s, messageDigest %x", got, si.MessageDigest)
	}
	bad := append([]byte{}, si.SignedAttrs...)
	bad[len(bad)-1] ^= 1
	check("applicant-tampered", pubPEM(si.Cert), bad, si.Signature, false)
	// Agency: the SES signature over TBS_Sign, whose dataHash is SM3 of
	// the sealed signed-pledge bytes.
	sig, err := ses.ParseSignature(dec(p.AgencySeal.SES))
	if err != nil {
		t.Fatal(err)
	}
	signer, err := pki.ParseCertificate(sig.Cert)
	if err != nil {
		t.Fatal(err)
	}
	check("agency", pubPEM(signer), sig.RawTBS, sig.Value, true)
	if got := sm3(dec(p.AgencySeal.SealedData)); got != fmt.Sprintf("%x", sig.TBS.DataHash) {
		t.Fatalf("openssl SM3 of the sealed data %s, dataHash %x", got, sig.TBS.DataHash)
	}
}

// listPage is a decoded listing response.
type listPage struct {
	Items      []pledgeItem `json:"items"`
	NextCursor string       `json:"nextCursor"`
}

func listedIDs(p listPage) []string {
	ids := []string{}
	for _, it := range p.Items {
		ids = append(ids, it.ID)
	}
	return ids
}

// TestPledgeListings: GET /v1/me/pledges and GET /v1/agency/pledges follow
// sign, accept, withdraw and return; each caller sees only its own; pages
// chain by cursor; bad queries are 400.
func TestPledgeListings(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	ctx := context.Background()
	mint := func(req auth.CreateRequest) string {
		req.TTL = time.Hour
		iss, err := h.tokens.Create(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return iss.Secret
	}
	otherID := auth.Identity{Name: "李四", IDType: "RESIDENT_ID", IDNumber: "110101198001071235"}
	otherApplicant := mint(auth.CreateRequest{Role: auth.RoleApplicant, Identity: &otherID})
	otherAgency := mint(auth.CreateRequest{Role: auth.RoleAgency, Org: "110105-MZJ"})

	var mine []string // newest first
	for i := range 4 {
		h.clock.Advance(time.Second)
		mine = append([]string{f.signEvent(t, fmt.Sprintf("list-key-%04d", i)).ID}, mine...)
	}
	h.clock.Advance(time.Second)
	theirs, _, err := e.Service.SignWithEventCertificate(ctx,
		pledge.Applicant{Kind: pledge.ApplicantPerson, Name: otherID.Name, IDType: otherID.IDType, IDNumber: otherID.IDNumber},
		pledge.SignRequest{Notice: f.ref, Channel: pledge.ChannelWeb, IdempotencyKey: "list-other-0001"})
	if err != nil {
		t.Fatal(err)
	}

	get := func(path, token string) listPage {
		t.Helper()
		rec := h.doToken("GET", path, token, nil)
		wantStatus(t, rec, http.StatusOK)
		return decode[listPage](t, rec)
	}
	all := func(path, token string, limit int) []string {
		t.Helper()
		var ids []string
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		url := fmt.Sprintf("%s%slimit=%d", path, sep, limit)
		for range 20 {
			p := get(url, token)
			if len(p.Items) > limit {
				t.Fatalf("%d items for limit %d", len(p.Items), limit)
			}
			ids = append(ids, listedIDs(p)...)
			if p.NextCursor == "" {
				return ids
			}
			url = fmt.Sprintf("%s%slimit=%d&cursor=%s", path, sep, limit, p.NextCursor)
		}
		t.Fatal("pagination never ends")
		return nil
	}
	me, ag := h.tok[auth.RoleApplicant], h.tok[auth.RoleAgency]

	// The applicant's own, newest first, without the applicant member.
	p := get("/v1/me/pledges", me)
	if !slices.Equal(listedIDs(p), mine) || p.NextCursor != "" {
		t.Fatalf("mine %v, want %v", listedIDs(p), mine)
	}
	if it := p.Items[0]; it.Applicant != nil || it.Status != pledge.StatusSigned || it.Entry.Matter == "" || it.SignedAt.IsZero() ||
		it.StatusURL == "" || it.Decision != nil {
		t.Fatalf("item %+v", it)
	}
	if raw := h.doToken("GET", "/v1/me/pledges", me, nil).Body.String(); strings.Contains(raw, testIdentity.IDNumber) || strings.Contains(raw, testIdentity.Name) {
		t.Fatalf("the applicant's own listing repeats the identity: %s", raw)
	}
	for _, limit := range []int{1, 3} {
		if got := all("/v1/me/pledges", me, limit); !slices.Equal(got, mine) {
			t.Fatalf("limit %d: %v", limit, got)
		}
	}
	if got := listedIDs(get("/v1/me/pledges", otherApplicant)); !slices.Equal(got, []string{theirs.ID}) {
		t.Fatalf("the other applicant sees %v", got)
	}

	// The agency's queue (default SIGNED) with the applicant unmasked.
	q := get("/v1/agency/pledges", ag)
	if len(q.Items) != 5 || q.Items[0].ID != theirs.ID {
		t.Fatalf("queue %v", listedIDs(q))
	}
	if a := q.Items[0].Applicant; a == nil || a.Name != otherID.Name || a.IDNumber != otherID.IDNumber || a.Masked ||
		a.MaskedName != "李*" || a.MaskedIDNumber != "1101**********1235" {
		t.Fatalf("applicant %+v", a)
	}

	// Moves between statuses.
	f.accept(t, mine[0])
	wantStatus(t, h.do("POST", "/v1/pledges/"+mine[1]+"/withdraw", auth.RoleApplicant, map[string]string{"reason": "改走普通程序"}), http.StatusOK)
	wantStatus(t, h.do("POST", "/v1/pledges/"+mine[2]+"/return", auth.RoleAgency, map[string]string{"reason": "材料不齐"}), http.StatusOK)
	want := map[string][]string{
		"SIGNED":    {theirs.ID, mine[3]},
		"ACCEPTED":  {mine[0]},
		"WITHDRAWN": {mine[1]},
		"RETURNED":  {mine[2]},
		"FALSE":     {},
		"REVOKED":   {},
	}
	for st, ids := range want {
		if got := all("/v1/agency/pledges?status="+st, ag, 1); !slices.Equal(got, ids) {
			t.Errorf("%s: %v, want %v", st, got, ids)
		}
		// Another agency sees none of them, whatever it asks for.
		if got := listedIDs(get("/v1/agency/pledges?agency="+testAgency+"&status="+st, otherAgency)); len(got) != 0 {
			t.Errorf("another agency sees %s %v", st, got)
		}
	}
	// The matter filter: the pledges' own matter keeps them all, another
	// matter none (pages may be short; the cursor still chains).
	if got := all("/v1/agency/pledges?status=SIGNED&matter="+verifytest.Key.Matter, ag, 1); !slices.Equal(got, want["SIGNED"]) {
		t.Errorf("matter filter: %v, want %v", got, want["SIGNED"])
	}
	if got := all("/v1/agency/pledges?status=SIGNED&matter=OTHER-MATTER", ag, 1); len(got) != 0 {
		t.Errorf("another matter lists %v", got)
	}
	acc := get("/v1/agency/pledges?status=ACCEPTED", ag).Items
	if len(acc) != 1 || acc[0].Decision == nil || acc[0].Decision.DocumentNo == "" || acc[0].StatusSince.Before(acc[0].SignedAt) {
		t.Fatalf("accepted item %+v", acc)
	}
	mineNow := get("/v1/me/pledges", me).Items
	if len(mineNow) != 4 || mineNow[0].Status != pledge.StatusAccepted || mineNow[1].Status != pledge.StatusWithdrawn || mineNow[2].Status != pledge.StatusReturned {
		t.Fatalf("mine after moves %+v", mineNow)
	}

	for name, tc := range map[string]struct {
		path  string
		token string
		code  int
	}{
		"400/limit zero":       {"/v1/me/pledges?limit=0", me, 400},
		"400/limit too large":  {"/v1/agency/pledges?limit=101", ag, 400},
		"400/limit not number": {"/v1/me/pledges?limit=ten", me, 400},
		"400/unknown status":   {"/v1/agency/pledges?status=DECIDED", ag, 400},
		"400/forged cursor":    {"/v1/me/pledges?cursor=MDAwMA", me, 400},
		"400/garbage cursor":   {"/v1/agency/pledges?cursor=%00%ff", ag, 400},
		"400/bad matter":       {"/v1/agency/pledges?matter=%E4%BA%8B%E9%A1%B9", ag, 400},
		"403/agency as me":     {"/v1/me/pledges", ag, 403},
		"403/applicant queue":  {"/v1/agency/pledges", me, 403},
		"401/anonymous":        {"/v1/agency/pledges", "", 401},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, h.doToken("GET", tc.path, tc.token, nil), tc.code, "")
		})
	}
}

// prepareReview prepares a draft for review with an event certificate
// (way a in two steps) over HTTP.
func (f *pledgeFlow) prepareReview(t *testing.T, key string) draftView {
	t.Helper()
	body := f.body(pledge.WayEventCertificate)
	body["prepareOnly"] = true
	rec := f.h.doKey("POST", "/v1/pledges", auth.RoleApplicant, key, body)
	wantStatus(t, rec, http.StatusCreated)
	return decode[struct{ Draft draftView }](t, rec).Draft
}

// TestReviewThenSignWithEventCertificate: the draft shows the exact bytes
// and their SM3 digest; the second call signs those bytes only for the
// digest reviewed, only for the draft's applicant, once.
func TestReviewThenSignWithEventCertificate(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	other := auth.Identity{Name: "李四", IDType: "RESIDENT_ID", IDNumber: "110101198001071235"}
	iss, err := h.tokens.Create(context.Background(), auth.CreateRequest{Role: auth.RoleApplicant, Identity: &other, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}

	d := f.prepareReview(t, "review-sign-01")
	doc, err := base64.StdEncoding.DecodeString(d.Document)
	if err != nil {
		t.Fatal(err)
	}
	sum := pki.Digest(doc)
	if d.Digest != fmt.Sprintf("%x", sum) {
		t.Fatalf("draft digest %s is not the SM3 of its document", d.Digest)
	}
	// The digest is SM3 as openssl computes it too.
	if bin, err := exec.LookPath("openssl"); err == nil {
		cmd := exec.Command(bin, "dgst", "-sm3", "-r")
		cmd.Stdin = bytes.NewReader(doc)
		out, err := cmd.Output()
		if err != nil || !strings.HasPrefix(string(out), d.Digest) {
			t.Fatalf("openssl SM3 %q (err %v), draft says %s", out, err, d.Digest)
		}
	}
	parsed, err := pledge.ParseDocument(doc)
	if err != nil || parsed.PledgeID != d.PledgeID || parsed.Applicant.IDNumber != testIdentity.IDNumber {
		t.Fatalf("draft document: %v %+v", err, parsed)
	}
	otherDigest := strings.Repeat("0", 64)
	sign := func(token, id, digest string) *httptest.ResponseRecorder {
		return h.doToken("POST", "/v1/pledges/"+id+"/event-signature", token, map[string]string{"digest": digest})
	}
	me := h.tok[auth.RoleApplicant]

	cases := []struct {
		name   string
		token  string
		id     string
		body   any
		status int
		code   apperr.Code
	}{
		{"400/digest not hex", me, d.PledgeID, map[string]string{"digest": "xyz"}, 400, "FIELD_INVALID"},
		{"400/digest missing", me, d.PledgeID, map[string]string{}, 400, "FIELD_INVALID"},
		{"400/unknown field", me, d.PledgeID, map[string]string{"digest": d.Digest, "cms": "AA=="}, 400, ""},
		{"409/digest mismatch", me, d.PledgeID, map[string]string{"digest": otherDigest}, 409, apperr.CodeDraftDigestMismatch},
		{"404/another applicant", iss.Secret, d.PledgeID, map[string]string{"digest": d.Digest}, 404, apperr.CodeDraftNotFound},
		{"404/no such draft", me, "P" + strings.Repeat("a", 32), map[string]string{"digest": d.Digest}, 404, apperr.CodeDraftNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := h.doToken("POST", "/v1/pledges/"+tc.id+"/event-signature", tc.token, tc.body)
			wantProblem(t, rec, tc.status, string(tc.code))
		})
	}
	// Nothing was signed by the refused calls.
	wantStatus(t, h.do("GET", "/v1/pledges/"+d.PledgeID, auth.RoleApplicant, nil), http.StatusNotFound)

	// The reviewed digest signs, in either letter case; the pledge carries
	// the reviewed bytes exactly.
	rec := sign(me, d.PledgeID, strings.ToUpper(d.Digest))
	wantStatus(t, rec, http.StatusCreated)
	p := decode[struct{ Pledge pledgeView }](t, rec).Pledge
	if p.ID != d.PledgeID || p.Document != d.Document || p.Digest != d.Digest || p.Way != pledge.WayEventCertificate {
		t.Fatalf("signed pledge %+v does not carry the reviewed draft", p)
	}
	// A repeat returns the pledge; a repeat with another digest is refused.
	rec = sign(me, d.PledgeID, d.Digest)
	wantStatus(t, rec, http.StatusOK)
	if again := decode[struct{ Pledge pledgeView }](t, rec).Pledge; again.ID != p.ID {
		t.Fatalf("repeat gave %s", again.ID)
	}
	wantProblem(t, sign(me, d.PledgeID, otherDigest), http.StatusConflict, string(apperr.CodeDraftDigestMismatch))
	wantProblem(t, sign(iss.Secret, d.PledgeID, d.Digest), http.StatusNotFound, string(apperr.CodeDraftNotFound))
	// Preparing again with the same key answers with the pledge.
	body := f.body(pledge.WayEventCertificate)
	body["prepareOnly"] = true
	rec = h.doKey("POST", "/v1/pledges", auth.RoleApplicant, "review-sign-01", body)
	wantStatus(t, rec, http.StatusOK)
	if pp := decode[struct{ Pledge *pledgeView }](t, rec).Pledge; pp == nil || pp.ID != p.ID {
		t.Fatalf("prepare after signing: %s", rec.Body)
	}
	// The package carries the reviewed bytes, and verifies once accepted.
	f.accept(t, p.ID)
	pkg := f.pkg(t, p.ID)
	var pk pledge.Package
	if err := json.Unmarshal(pkg, &pk); err != nil || pk.Document != d.Document {
		t.Fatalf("package document differs from the reviewed draft: %v", err)
	}
	wantReport(t, f.verifyPkg(t, auth.RolePublic, pkg), outcome.TotalPassed, outcome.None)

	// A draft past its expiry is refused with a clear code, and stays unsigned.
	late := f.prepareReview(t, "review-sign-02")
	h.clock.Advance(16 * time.Minute)
	wantProblem(t, sign(me, late.PledgeID, late.Digest), http.StatusConflict, string(apperr.CodeDraftExpired))
	wantStatus(t, h.do("GET", "/v1/pledges/"+late.PledgeID, auth.RoleApplicant, nil), http.StatusNotFound)
}

// TestMyEligibility: GET /v1/me/eligibility reads only the token's own
// bars (a bar of one applicant is not another's, whatever the query), says
// why and until when, follows the bar's scope, and refuses bad queries and
// other roles.
func TestMyEligibility(t *testing.T) {
	h, e := pledgeHarness(t)
	ctx := context.Background()
	now := h.clock.Now()
	me := pledge.Applicant{Kind: pledge.ApplicantPerson, Name: testIdentity.Name, IDType: testIdentity.IDType, IDNumber: testIdentity.IDNumber}
	bar := pledge.Bar{ID: "B-ELIG-1", Subject: e.Service.SubjectIndex(me), Reason: pledge.BarFalsePledge, ScopeKind: pledge.ScopeMatter,
		ScopeValue: verifytest.Key.Matter, Start: now.Add(-time.Hour), End: now.AddDate(5, 0, 0).Add(-2 * time.Hour),
		EndRule: pledge.Text{Zh: "自认定之日起五年", En: "five years from the finding"}, Source: pledge.BarSource, DocumentNo: "朝市监核〔2026〕9号"}
	if err := e.Bars.PutBar(ctx, bar); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		Eligible bool             `json:"eligible"`
		Bars     []pledge.BarView `json:"bars"`
	}
	ask := func(token, query string) answer {
		t.Helper()
		rec := h.doToken("GET", "/v1/me/eligibility?"+query, token, nil)
		wantStatus(t, rec, http.StatusOK)
		return decode[answer](t, rec)
	}
	mine := "region=" + verifytest.Key.Region + "&matter=" + verifytest.Key.Matter
	a := ask(h.tok[auth.RoleApplicant], mine)
	if a.Eligible || len(a.Bars) != 1 || a.Bars[0].Reason != pledge.BarFalsePledge || !a.Bars[0].End.Equal(bar.End.UTC().Truncate(time.Second)) && !a.Bars[0].End.Equal(bar.End.UTC()) ||
		a.Bars[0].DocumentNo != bar.DocumentNo {
		t.Fatalf("barred applicant: %+v", a)
	}
	if a := ask(h.tok[auth.RoleApplicant], "region="+verifytest.Key.Region+"&matter=OTHER-MATTER"); !a.Eligible || len(a.Bars) != 0 {
		t.Fatalf("a matter outside the bar's scope: %+v", a)
	}
	other := auth.Identity{Name: "李四", IDType: "RESIDENT_ID", IDNumber: "110101198001071235"}
	iss, err := h.tokens.Create(ctx, auth.CreateRequest{Role: auth.RoleApplicant, Identity: &other, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if a := ask(iss.Secret, mine+"&idNumber="+testIdentity.IDNumber); !a.Eligible {
		t.Fatalf("another applicant sees the bar: %+v", a)
	}
	for name, tc := range map[string]struct {
		query, token string
		code         int
	}{
		"400/no matter":  {"region=" + verifytest.Key.Region, h.tok[auth.RoleApplicant], 400},
		"400/bad region": {"region=%E5%8C%97&matter=M", h.tok[auth.RoleApplicant], 400},
		"403/agency":     {mine, h.tok[auth.RoleAgency], 403},
		"401/anonymous":  {mine, "", 401},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, h.doToken("GET", "/v1/me/eligibility?"+tc.query, tc.token, nil), tc.code, "")
		})
	}
}
