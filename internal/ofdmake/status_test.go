package ofdmake_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

func (f *fixture) verifyWith(t *testing.T, b []byte, src status.Source) outcome.Report {
	t.Helper()
	res, err := ofd.Verify(context.Background(), b, ofd.Options{SES: ses.NewVerifier(ses.Options{SealTrust: f.env.SealTrust}), Status: src})
	if err != nil || len(res.Signatures) != 1 {
		t.Fatalf("verify: %v %+v", err, res)
	}
	return res.Signatures[0]
}

func mustCheck(t *testing.T, r outcome.Report, name string, want outcome.Result, sub outcome.SubIndication) outcome.Check {
	t.Helper()
	c, ok := r.Find(name)
	if !ok || c.Result != want || (want != outcome.Passed && c.SubIndication != sub) {
		t.Fatalf("check %s: %s %s %q, want %s %s", name, c.Result, c.SubIndication, c.Detail, want, sub)
	}
	return c
}

type brokenSource struct{}

func (brokenSource) Lookup(context.Context, time.Time, []status.Subject) (status.Answer, error) {
	return status.Answer{}, apperr.Wrap(apperr.Unavailable, errors.New("down"), "the registry cannot be read")
}

// TestOFDStatusChecksFollowTheRegistry: with the registry as the status
// source, the written OFD's seal and certificate status checks are
// PASSED (nothing NOT_PERFORMED but the timestamp of a sealer without a
// TSA); a seal suspended since before the sealing fails the seal-status
// check (SEAL_SUSPENDED), one suspended after it passes at the sealing
// time and the state now says suspended (the rules of a counter-seal);
// an unreadable source is INDETERMINATE, never PASSED.
func TestOFDStatusChecksFollowTheRegistry(t *testing.T) {
	f := newFixture(t)
	pkg := f.accepted(t, f.env.Request("ofd-status-01"))
	f.env.Clock.Advance(time.Hour)
	b := f.write(t, pkg, false)

	r := f.verifyWith(t, b, f.env.Registry)
	for _, c := range r.Checks {
		if c.Result != outcome.Passed && !(c.Name == ses.CheckTimestamp && c.Result == outcome.NotPerformed) {
			t.Errorf("check %s: %s %s", c.Name, c.Result, c.Detail)
		}
	}
	if r.Indication != outcome.TotalPassed {
		t.Fatalf("indication %s", r.Indication)
	}
	for _, n := range []string{ses.CheckSealStatus, ses.CheckMakerStatus, ses.CheckSignerStatus, verify.CheckSealNow} {
		mustCheck(t, r, n, outcome.Passed, "")
	}

	// Unreadable registry: fail closed.
	r = f.verifyWith(t, b, brokenSource{})
	mustCheck(t, r, ses.CheckSealStatus, outcome.Indeterminate, outcome.TryLater)
	if r.Indication == outcome.TotalPassed {
		t.Fatal("an unreadable status source gave TOTAL_PASSED")
	}

	// Suspended after the sealing: the document holds, the state now says so.
	esID := f.env.AgencySeal.Seal.Info.ESID
	f.env.Clock.Advance(time.Hour)
	if _, err := f.env.Seals.ChangeStatus(context.Background(), verifytest.SealMaker, esID,
		seal.StatusChange{Action: seal.Suspend, Reason: "印章更换", DocumentNo: "停〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	r = f.verifyWith(t, b, f.env.Registry)
	mustCheck(t, r, ses.CheckSealStatus, outcome.Passed, "")
	if c := mustCheck(t, r, verify.CheckSealNow, outcome.Passed, ""); !strings.Contains(c.Detail, "SUSPENDED") {
		t.Errorf("seal-status-now: %s", c.Detail)
	}
	if _, err := f.env.Seals.ChangeStatus(context.Background(), verifytest.SealMaker, esID,
		seal.StatusChange{Action: seal.Restore, Reason: "恢复", DocumentNo: "复〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}

	// Attack: the seal was reported lost before the document was sealed
	// (a thief's or a careless office's sealing): FAILED.
	pkg2 := f.accepted(t, f.env.Request("ofd-status-02"))
	f.env.Clock.Advance(time.Hour)
	lostSince := f.env.Clock.Now()
	f.env.Clock.Advance(time.Minute)
	b2 := f.write(t, pkg2, false) // the writer does not ask the registry
	if _, err := f.env.Seals.ChangeStatus(context.Background(), verifytest.SealMaker, esID,
		seal.StatusChange{Action: seal.ReportLost, Reason: "印章遗失", DocumentNo: "失〔2026〕1号", Effective: lostSince}); err != nil {
		t.Fatal(err)
	}
	r = f.verifyWith(t, b2, f.env.Registry)
	mustCheck(t, r, ses.CheckSealStatus, outcome.Failed, outcome.SealReportedLost)
	if r.Indication != outcome.TotalFailed || r.SubIndication != outcome.SealReportedLost {
		t.Fatalf("report %s / %s", r.Indication, r.SubIndication)
	}
	// The first document, sealed before the loss, still holds.
	mustCheck(t, f.verifyWith(t, b, f.env.Registry), ses.CheckSealStatus, outcome.Passed, "")
}

// addEntries returns orig with the entries in replace replaced (in their
// place) and the entries in extra appended.
func addEntries(t *testing.T, orig []byte, replace map[string][]byte, extra map[string][]byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(orig), int64(len(orig)))
	if err != nil {
		t.Fatal(err)
	}
	all := entries(t, orig)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	write := func(name string, d []byte) {
		w, err := zw.Create(name)
		if err == nil {
			_, err = w.Write(d)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range zr.File {
		d := all[f.Name]
		if r, ok := replace[f.Name]; ok {
			d = r
		}
		write(f.Name, d)
	}
	for name, d := range extra {
		write(name, d)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFilesAddedAfterSealingAreFlagged: a page, an attachment or any other
// file put into a sealed OFD fails ofd-unreferenced-files and is named,
// whether or not Document.xml is changed to show it.
func TestFilesAddedAfterSealingAreFlagged(t *testing.T) {
	f := newFixture(t)
	b := f.write(t, f.accepted(t, f.env.Request("ofd-added-01")), false)
	files := entries(t, b)
	mustCheck(t, f.verifyWith(t, b, nil), ofd.CheckUnreferenced, outcome.Passed, "")

	page := files["Doc_0/Pages/Page_0/Content.xml"]
	doc := files["Doc_0/Document.xml"]
	withPage := bytes.Replace(doc, []byte("</ofd:Pages>"), []byte(`<ofd:Page ID="999" BaseLoc="Pages/Page_9/Content.xml"/></ofd:Pages>`), 1)
	cases := []struct {
		name    string
		replace map[string][]byte
		extra   map[string][]byte
		added   string
	}{
		{"page listed in Document.xml", map[string][]byte{"Doc_0/Document.xml": withPage}, map[string][]byte{"Doc_0/Pages/Page_9/Content.xml": page}, "Doc_0/Pages/Page_9/Content.xml"},
		{"page file only", nil, map[string][]byte{"Doc_0/Pages/Page_9/Content.xml": page}, "Doc_0/Pages/Page_9/Content.xml"},
		{"attachment file", nil, map[string][]byte{"Doc_0/Attachs/invoice.pdf": []byte("%PDF-1.7")}, "Doc_0/Attachs/invoice.pdf"},
		{"file at the root", nil, map[string][]byte{"readme.html": []byte("<script>alert(1)</script>")}, "readme.html"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.verifyWith(t, addEntries(t, b, c.replace, c.extra), nil)
			ch := mustCheck(t, r, ofd.CheckUnreferenced, outcome.Failed, outcome.SigConstraintsFailure)
			if !strings.Contains(ch.Detail, c.added) {
				t.Errorf("detail does not name %s: %s", c.added, ch.Detail)
			}
			if r.Indication != outcome.TotalFailed {
				t.Errorf("indication %s", r.Indication)
			}
		})
	}
}
