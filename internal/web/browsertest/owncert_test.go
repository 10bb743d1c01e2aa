package browsertest

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/cli/pledgecli"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// ownSigner is the applicant's own certificate and encrypted key as files,
// and `pledgectl pledge sign-cms` run with them.
type ownSigner struct {
	t                    *testing.T
	s                    *site
	dir, key, cert, pass string
	certDER              []byte
}

func newOwnSigner(t *testing.T, s *site) *ownSigner {
	t.Helper()
	now := s.env.Clock.Now()
	leaf := verifytest.NewLeaf(t, verifytest.Applicant.Name, s.env.CitizenCA, now.Add(-time.Hour), now.AddDate(1, 0, 0), verifytest.Applicant.IDNumber)
	enc, err := pki.EncryptPrivateKeyPEM(leaf.Key, []byte("my usb key pin"))
	if err != nil {
		t.Fatal(err)
	}
	o := &ownSigner{t: t, s: s, dir: t.TempDir(), certDER: leaf.Cert.Raw}
	o.key = o.write("key.pem", enc)
	o.cert = o.write("cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Cert.Raw}))
	o.pass = o.write("pass.txt", []byte("my usb key pin\n"))
	return o
}

func (o *ownSigner) write(name string, b []byte) string {
	o.t.Helper()
	p := filepath.Join(o.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		o.t.Fatal(err)
	}
	return p
}

// sign runs `pledgectl pledge sign-cms` (the command the page names) over
// the file in and returns the signature file it wrote.
func (o *ownSigner) sign(in string, extra ...string) string {
	o.t.Helper()
	out := in + ".p7s"
	root := pledgecli.Commands(io.Discard, o.s.env.Clock)[0]
	root.SetArgs(append([]string{"sign-cms", "--key", o.key, "--passphrase-file", o.pass, "--cert", o.cert, "--in", in, "--out", out}, extra...))
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SilenceErrors, root.SilenceUsage = true, true
	if err := root.Execute(); err != nil {
		o.t.Fatalf("pledgectl pledge sign-cms: %v", err)
	}
	return out
}

// reviewSteps opens the apply page's review of a fresh draft.
func reviewSteps() []chromedp.Action[chromedp.Void] {
	steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(`#seal-check[data-ok="true"]`))}
	for _, c := range []string{"KNOWS_NOTICE", "MEETS_CONDITIONS", "CAN_PROVIDE_MATERIALS", "INFORMATION_TRUE", "ACCEPTS_VERIFICATION", "BEARS_LIABILITY"} {
		steps = append(steps, chromedp.Click(chromedp.CSS("#st-"+c)))
	}
	return append(steps, chromedp.Click(chromedp.CSS("#pledge-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#review-check[data-ok="true"]`)))
}

// TestOwnCertificateInBrowser: after ticking the statements the applicant
// opens "sign with my own certificate" by keyboard, downloads the exact
// bytes (their SM3 is the digest shown), signs them with pledgectl, and
// uploads the signature: a signature over other bytes (one statement not
// acknowledged) is refused in words with nothing stored; the real one is
// shown verified (signer, validity, the applicant's, this document) and
// submitted, and the stored pledge is those bytes under that signature. On
// a phone, in English, the section fits the screen.
func TestOwnCertificateInBrowser(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.base)
	own := newOwnSigner(t, s)
	app := b.tab()
	b.signIn(app, "/app/apply?region="+verifytest.Key.Region+"&matter="+verifytest.Key.Matter, s.tokens[auth.RoleApplicant])
	b.run(app, "review a draft", reviewSteps()...)
	if !get(b, app, "own section closed", chromedp.Evaluate[bool](`!document.getElementById("own").open && !document.getElementById("own").hidden`)) {
		t.Fatal("the own-certificate section is not offered (closed) beside the online signing")
	}

	// By keyboard: Tab from the online signing reaches the section; Enter
	// opens it; Tab then reaches the download, the file input and the check.
	active := func() string {
		return get(b, app, "focus", chromedp.Evaluate[string](`document.activeElement.id || document.activeElement.tagName`))
	}
	b.run(app, "focus the sign button", chromedp.Focus(chromedp.CSS("#sign-btn")))
	for i := 0; i < 8 && active() != "own-summary"; i++ {
		b.run(app, "tab", chromedp.KeyEvent("\t"))
	}
	if got := active(); got != "own-summary" {
		t.Fatalf("Tab from the sign button never reached the own-certificate section (at %q)", got)
	}
	b.run(app, "open by keyboard", chromedp.KeyEvent("\r"), chromedp.WaitVisible(chromedp.CSS("#own-download")))
	seen := map[string]bool{}
	for i := 0; i < 14; i++ {
		b.run(app, "tab", chromedp.KeyEvent("\t"))
		seen[active()] = true
	}
	for _, want := range []string{"own-download", "own-file", "own-check-btn"} {
		if !seen[want] {
			t.Errorf("Tab never reached #%s (reached %v)", want, seen)
		}
	}
	b.shot(app, "own-open")

	// The exact bytes: downloaded as a user does, they are the bytes shown
	// for review and their SM3 is the digest shown; the commands name them.
	downloads := t.TempDir()
	b.run(app, "allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))
	name := b.text(app, "#own-name")
	b.run(app, "download the file to sign", chromedp.Click(chromedp.CSS("#own-download")))
	docPath := filepath.Join(downloads, name)
	doc := b.downloaded(docPath)
	if shown := b.text(app, "#review-json"); !bytes.Equal(doc, []byte(shown)) {
		t.Fatal("the downloaded file is not the bytes shown for review")
	}
	sum := pki.Digest(doc)
	if got := b.text(app, "#own-digest"); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("the page shows digest %s, the downloaded bytes hash to %x", got, sum)
	}
	parsed, err := pledge.ParseDocument(doc)
	if err != nil || name != parsed.PledgeID+".document.json" {
		t.Fatalf("the file %s is not the draft's canonical document: %v", name, err)
	}
	if cmd := b.text(app, "#own-cmd-pledgectl"); !strings.Contains(cmd, "pledgectl pledge sign-cms") || !strings.Contains(cmd, "--in "+name) {
		t.Errorf("the pledgectl command %q does not sign the downloaded file", cmd)
	}

	// The attack: a signature over other bytes (the last statement not
	// acknowledged) is refused on the page, in words, and stores nothing.
	other, err := pledge.ParseDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	other.Statements[len(other.Statements)-1].Acknowledged = false
	otherBytes, err := other.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	forged := own.sign(own.write("unticked.json", otherBytes))
	b.run(app, "upload a signature over other bytes",
		chromedp.SetUploadFiles(chromedp.CSS("#own-file"), []string{forged}),
		chromedp.Click(chromedp.CSS("#own-check-btn")),
		chromedp.WaitVisible(chromedp.CSS(`#own-result[data-acceptable="false"]`)))
	if v := b.text(app, "#own-verdict"); !strings.Contains(v, "签名覆盖的不是这份待签文件") || !strings.Contains(v, "CMS_OTHER_DOCUMENT") {
		t.Errorf("the refusal says %q", v)
	}
	if ok := get(b, app, "digest row", chromedp.AttributeValue(chromedp.CSS(`#own-report dd[data-check="digest"]`), "data-ok")).Value; ok != "false" {
		t.Errorf("the digest row says %q for other bytes", ok)
	}
	if !b.hidden(app, "#own-submit") {
		t.Error("a refused signature can be submitted")
	}
	if _, err := s.env.Pledges.GetPledge(context.Background(), parsed.PledgeID); err == nil {
		t.Fatal("checking a signature stored a pledge")
	}
	b.shot(app, "own-refused")

	// The applicant's real signature (PEM, as some tools write): verified,
	// then submitted.
	sig := own.sign(docPath, "--pem")
	b.run(app, "upload the signature",
		chromedp.SetUploadFiles(chromedp.CSS("#own-file"), []string{sig}),
		chromedp.Click(chromedp.CSS("#own-check-btn")),
		chromedp.WaitVisible(chromedp.CSS(`#own-result[data-acceptable="true"]`)),
		chromedp.WaitVisible(chromedp.CSS("#own-submit")))
	report := b.text(app, "#own-report")
	for _, want := range []string{verifytest.Applicant.Name, "Test Citizen CA", "✓ 是"} {
		if !strings.Contains(report, want) {
			t.Errorf("the check report lacks %q: %q", want, report)
		}
	}
	if strings.Contains(report, verifytest.Applicant.IDNumber) {
		t.Error("the check report shows the full identity number")
	}
	for _, row := range []string{"digest", "validAt", "applicant", "trusted"} {
		if ok := get(b, app, row, chromedp.AttributeValue(chromedp.CSS(`#own-report dd[data-check="`+row+`"]`), "data-ok")).Value; ok != "true" {
			t.Errorf("check row %s says %q", row, ok)
		}
	}
	if _, err := s.env.Pledges.GetPledge(context.Background(), parsed.PledgeID); err == nil {
		t.Fatal("checking a signature stored a pledge")
	}
	b.shot(app, "own-verified")
	b.run(app, "submit",
		chromedp.Click(chromedp.CSS("#own-submit")),
		chromedp.WaitVisible(chromedp.CSS("#done-card")),
		chromedp.WaitVisible(chromedp.CSS(`#done-check[data-same="true"]`)))
	if id := b.text(app, "#done-id"); id != parsed.PledgeID {
		t.Fatalf("signed %q, want the draft %s", id, parsed.PledgeID)
	}
	rec, err := s.env.Pledges.GetPledge(context.Background(), parsed.PledgeID)
	if err != nil {
		t.Fatalf("the submitted pledge is not stored: %v", err)
	}
	if rec.Way != pledge.WayOwnCertificate || !bytes.Equal(rec.Document, doc) {
		t.Fatalf("stored pledge: way %s, document equal %v", rec.Way, bytes.Equal(rec.Document, doc))
	}
	res, err := pledge.VerifyApplicantSignature(pledge.PKICMS{}, s.env.ApplicantTrust, rec.ID, rec.Document, rec.ApplicantCMS, parsed.SignedAt)
	if err != nil || res.EventCertificate || !bytes.Equal(res.Signer.Raw, own.certDER) {
		t.Fatalf("the stored pledge does not verify as signed by the applicant's own certificate: %v", err)
	}
	b.shot(app, "own-signed")

	// On a phone, in English.
	b.run(app, "phone, English", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(s.base+"/app/apply?lang=en&region="+verifytest.Key.Region+"&matter="+verifytest.Key.Matter))
	b.run(app, "review on the phone", append(reviewSteps(), chromedp.Click(chromedp.CSS("#own-summary")), chromedp.WaitVisible(chromedp.CSS("#own-cmd-pledgectl")))...)
	if txt := b.text(app, "#own"); !strings.Contains(txt, "Sign with my own certificate") || !strings.Contains(txt, "USB key") {
		t.Errorf("the English section is not in English: %q", txt)
	}
	b.shot(app, "own-phone-en")
	if wide := get(b, app, "page width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)); wide {
		t.Error("the own-certificate section scrolls sideways on a phone-sized screen")
	}
}
