package httpapi

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// ofdAPIOf is the sealed-OFD API over a verifytest environment, wired as
// the app wires it.
func ofdAPIOf(e *verifytest.Env) *OFDAPI {
	labels, err := web.Messages("zh-CN")
	if err != nil {
		panic(err)
	}
	v := ses.NewVerifier(ses.Options{SealTrust: e.SealTrust})
	return &OFDAPI{
		Documents: &ofdmake.Once{Writer: &ofdmake.Writer{Sealer: e.Sealer, Clock: e.Clock}, Repo: e.Domain.OFDs},
		Labels:    labels, Version: "test",
		Verify: func(ctx context.Context, data []byte, lim ofd.Limits) (*ofd.Result, error) {
			return ofd.Verify(ctx, data, ofd.Options{SES: v, Status: e.Registry, Limits: lim})
		},
	}
}

// postOFD uploads b to POST /v1/ofd/verifications as role.
func (h *harness) postOFD(role auth.Role, contentType string, b []byte) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest("POST", "/v1/ofd/verifications", bytes.NewReader(b))
	req.Header.Set("Content-Type", contentType)
	if tok := h.tok[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return serve(h, req)
}

// changeEntry rewrites one entry of an OFD (ZIP) with f applied.
func changeEntry(t *testing.T, b []byte, name string, f func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range zr.File {
		rc, err := e.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		_ = rc.Close()
		if e.Name == name {
			data = f(data)
		}
		w, _ := zw.Create(e.Name)
		_, _ = w.Write(data)
	}
	_ = zw.Close()
	return buf.Bytes()
}

func TestPledgeOFDForApplicantAndAgencyOnly(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	p := f.signEvent(t, "ofd-route-0001")
	path := "/v1/pledges/" + p.ID + "/ofd"
	// Before the decision there is no sealed OFD.
	wantProblem(t, h.do("GET", path, auth.RoleApplicant, nil), http.StatusConflict, "PLEDGE_NOT_ACCEPTED")
	f.accept(t, p.ID)

	rec := h.do("GET", path, auth.RoleApplicant, nil)
	wantStatus(t, rec, http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); ct != "application/ofd" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := rec.Header().Get("Content-Disposition"); !strings.Contains(cd, p.ID+".ofd") {
		t.Errorf("Content-Disposition %q", cd)
	}
	doc := rec.Body.Bytes()
	res, err := ofd.Verify(context.Background(), doc, ofd.Options{SES: ses.NewVerifier(ses.Options{SealTrust: e.SealTrust})})
	if err != nil || len(res.Signatures) != 1 || res.Signatures[0].Indication != outcome.TotalPassed {
		t.Fatalf("the OFD does not verify: %v %+v", err, res)
	}
	// The applicant's OFD shows the identity unmasked.
	if !bytes.Contains(entryOf(t, doc, "Doc_0/Pages/Page_0/Content.xml"), []byte(testIdentity.IDNumber)) {
		t.Error("the applicant's OFD masks the applicant")
	}
	wantStatus(t, h.do("GET", path, auth.RoleAgency, nil), http.StatusOK)
	wantStatus(t, h.do("GET", path, auth.RolePublic, nil), http.StatusUnauthorized)
	wantStatus(t, h.do("GET", path, auth.RoleEnforcement, nil), http.StatusForbidden)
	other, err := h.tokens.Create(context.Background(), auth.CreateRequest{Role: auth.RoleAgency, Org: "110106-SCJGJ", TTL: 3600e9})
	if err != nil {
		t.Fatal(err)
	}
	wantProblem(t, h.doToken("GET", path, other.Secret, nil), http.StatusNotFound, "")
	wantProblem(t, h.do("GET", "/v1/pledges/Pnot-an-id/ofd", auth.RoleApplicant, nil), http.StatusNotFound, "")

	// Anyone can verify it; the attached package's report comes with it,
	// masked for the public.
	rec = h.postOFD(auth.RolePublic, "application/ofd", doc)
	wantStatus(t, rec, http.StatusOK)
	var v struct {
		Format     string
		Indication outcome.Indication
		Signatures []outcome.Report
		Pledge     *struct {
			Indication outcome.Indication
			Pledge     struct{ Applicant struct{ IDNumber string } }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatal(err)
	}
	if v.Format != OFDVerificationFormat || v.Indication != outcome.TotalPassed || len(v.Signatures) != 1 || v.Pledge == nil ||
		v.Pledge.Indication != outcome.TotalPassed || v.Pledge.Pledge.Applicant.IDNumber == testIdentity.IDNumber {
		t.Fatalf("report %s", rec.Body)
	}
	// The attached package is bound to the document's pledge (the check
	// pledgectl ofd verify runs through the same code, internal/ofdpledge).
	if !strings.Contains(rec.Body.String(), `"name":"ofd-pledge-binding","scope":"SIGNING","result":"PASSED"`) {
		t.Errorf("no ofd-pledge-binding PASSED in %s", rec.Body)
	}
	// A changed page fails; garbage is a 400 problem; another media type 415.
	bad := changeEntry(t, doc, "Doc_0/Pages/Page_0/Content.xml", func(b []byte) []byte { return bytes.Replace(b, []byte("朝市监许"), []byte("朝市监罚"), 1) })
	rec = h.postOFD(auth.RolePublic, "application/octet-stream", bad)
	wantStatus(t, rec, http.StatusOK)
	if !strings.Contains(rec.Body.String(), `"indication":"TOTAL_FAILED"`) || !strings.Contains(rec.Body.String(), "Content.xml does not match") {
		t.Fatalf("changed page: %s", rec.Body)
	}
	wantProblem(t, h.postOFD(auth.RolePublic, "application/ofd", []byte("not a zip")), http.StatusBadRequest, "OFD_UNREADABLE")
	wantProblem(t, h.postOFD(auth.RolePublic, "application/ofd", nil), http.StatusBadRequest, "")
	wantProblem(t, h.postOFD(auth.RolePublic, "text/plain", doc), http.StatusUnsupportedMediaType, "")
}

func entryOf(t *testing.T, b []byte, name string) []byte {
	t.Helper()
	var out []byte
	changeEntry(t, b, name, func(d []byte) []byte { out = d; return d })
	return out
}

// TestMyPledgesShowStateNowAndDownloads: the applicant's and the agency's
// listings give each pledge its state now as the status route reports it
// (a revocation in the registry outranks "accepted"), and, once decided,
// the decided documents (package, QR code, sealed OFD, status statement)
// whatever the state now, marked not in force unless accepted now; a
// revoked pledge whose OFD was never asked for still gets its decided
// document, sealed after the revocation, and its report says revoked.
func TestMyPledgesShowStateNowAndDownloads(t *testing.T) {
	h, e := pledgeHarness(t)
	withStatements(t, h, e)
	f := setUp(t, h, e)
	signed := f.signEvent(t, "state-now-0001")
	kept := f.signEvent(t, "state-now-0002")
	f.accept(t, kept.ID)
	revoked := f.signEvent(t, "state-now-0003")
	f.accept(t, revoked.ID)
	if _, err := e.Revoc.Revoke(context.Background(), auth.Principal{Role: auth.RoleEnforcement, Org: testJurisdiction, TokenID: "t"}, seal.RevokeRequest{
		Subjects: []status.Subject{verifytest.SubjectOfPledge(revoked.ID)}, Reason: seal.ReasonDecisionRevoked, DocumentNo: "朝市监撤〔2026〕2号"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		role auth.Role
		path string
	}{{auth.RoleApplicant, "/v1/me/pledges"}, {auth.RoleAgency, "/v1/agency/pledges?status=ACCEPTED"}} {
		rec := h.do("GET", c.path, c.role, nil)
		wantStatus(t, rec, http.StatusOK)
		items := map[string]pledgeItem{}
		for _, it := range decode[listPage](t, rec).Items {
			items[it.ID] = it
		}
		if it, ok := items[kept.ID]; !ok || it.StateNow != pledge.StatusAccepted || it.Downloads == nil || !it.Downloads.InForce ||
			it.Downloads.OFD != "/v1/pledges/"+kept.ID+"/ofd" || it.Downloads.Package != "/v1/pledges/"+kept.ID+"/package" || it.Downloads.QR == "" ||
			it.Downloads.Statement != "/v1/pledges/"+kept.ID+"/status-statement" {
			t.Errorf("%s: accepted pledge listed as %+v (downloads %+v)", c.path, it, it.Downloads)
		}
		if it := items[revoked.ID]; it.StateNow != pledge.StatusRevoked || it.Downloads == nil || it.Downloads.InForce ||
			it.Downloads.OFD != "/v1/pledges/"+revoked.ID+"/ofd" || it.Downloads.Statement != "/v1/pledges/"+revoked.ID+"/status-statement" {
			t.Errorf("%s: revoked pledge listed as %+v (downloads %+v)", c.path, it, it.Downloads)
		}
		if it, ok := items[signed.ID]; ok && (it.StateNow != pledge.StatusSigned || it.Downloads != nil) {
			t.Errorf("%s: undecided pledge listed as %+v", c.path, it)
		}
	}
	wantProblem(t, h.do("GET", "/v1/pledges/"+signed.ID+"/ofd", auth.RoleApplicant, nil), http.StatusConflict, "PLEDGE_NOT_ACCEPTED")
	wantStatus(t, h.do("GET", "/v1/pledges/"+kept.ID+"/ofd", auth.RoleAgency, nil), http.StatusOK)
	rec := h.do("GET", "/v1/pledges/"+revoked.ID+"/ofd", auth.RoleApplicant, nil)
	wantStatus(t, rec, http.StatusOK)
	doc := bytes.Clone(rec.Body.Bytes())
	if again := h.do("GET", "/v1/pledges/"+revoked.ID+"/ofd", auth.RoleAgency, nil); !bytes.Equal(again.Body.Bytes(), doc) {
		t.Error("the revoked pledge's decided OFD is not kept once")
	}
	rec = h.postOFD(auth.RolePublic, "application/ofd", doc)
	wantStatus(t, rec, http.StatusOK)
	var v struct {
		Signatures []outcome.Report
		Pledge     *struct {
			Indication outcome.Indication
			Status     struct{ Code string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || len(v.Signatures) != 1 || v.Signatures[0].Indication != outcome.TotalPassed || v.Pledge == nil {
		t.Fatalf("the decided OFD of the revoked pledge: %s", rec.Body)
	}
	if v.Pledge.Indication != outcome.TotalFailed {
		t.Errorf("the revoked pledge's report says %s, not that it is revoked: %s", v.Pledge.Indication, rec.Body)
	}
}

// TestOFDUploadExpansionIsBounded: an upload small on the wire that
// expands beyond OFDUploadLimits (here 40 entries of 900 KiB of zeros,
// each under the ratio check's threshold) is refused with 413 before
// anything is read, not verified from 36 MiB of memory.
func TestOFDUploadExpansionIsBounded(t *testing.T) {
	h := newHarness(t)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create("OFD.xml")
	_, _ = w.Write([]byte(`<OFD><DocBody><Signatures>/S.xml</Signatures></DocBody></OFD>`))
	zeros := make([]byte, 900<<10)
	for i := range 40 {
		w, _ := zw.Create("Doc_0/Res/z" + strconv.Itoa(i))
		_, _ = w.Write(zeros)
	}
	_ = zw.Close()
	if buf.Len() > 64<<10 {
		t.Fatalf("the bomb is %d bytes on the wire", buf.Len())
	}
	wantProblem(t, h.postOFD(auth.RolePublic, "application/ofd", buf.Bytes()), http.StatusRequestEntityTooLarge, "OFD_TOO_LARGE")
}
