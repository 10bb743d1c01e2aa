package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// ofdAPI is the sealed-OFD API of the site, wired as the app wires it.
func ofdAPI(t *testing.T, env *verifytest.Env) *httpapi.OFDAPI {
	t.Helper()
	labels, err := web.Messages("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	v := ses.NewVerifier(ses.Options{SealTrust: env.SealTrust})
	return &httpapi.OFDAPI{
		Documents: &ofdmake.Once{Writer: &ofdmake.Writer{Sealer: env.Sealer, Clock: env.Clock}, Repo: env.Domain.OFDs},
		Labels:    labels, Version: "browsertest",
		Verify: func(ctx context.Context, data []byte, lim ofd.Limits) (*ofd.Result, error) {
			return ofd.Verify(ctx, data, ofd.Options{SES: v, Limits: lim})
		},
	}
}

// TestSealedOFDFromMyPledges: the applicant's "my pledges" shows an
// accepted pledge as accepted with its downloads; the sealed OFD
// downloaded from there verifies (in the test, and uploaded on the
// verification page, which shows the file's signature and the attached
// package's report both passed). The signing-time copy of the same pledge,
// uploaded, says it predates the decision, not "awaiting the decision".
func TestSealedOFDFromMyPledges(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	req := s.env.Request("browser-ofd-0001")
	req.Notice = pledge.NoticeRef{ID: s.published.Notice.ID, Version: s.published.Notice.Version, Digest: s.published.DigestHex()}
	rec, _, err := s.env.Service.SignWithEventCertificate(ctx, verifytest.Applicant, req)
	if err != nil {
		t.Fatal(err)
	}
	early := s.download(t, rec.ID)
	s.env.Clock.Advance(time.Minute)
	if _, err := s.env.Service.Accept(ctx, pledge.Officer{Agency: verifytest.Agency, ID: "officer-1"}, rec.ID, "朝市监许〔2026〕11号", s.env.Clock.Now().In(time.FixedZone("UTC+8", 8*3600)).Format(time.DateOnly)); err != nil {
		t.Fatal(err)
	}
	s.env.Clock.Advance(time.Minute)

	b := newBrowser(t, s.base)
	app := b.tab()
	b.signIn(app, "/app/apply", s.tokens[auth.RoleApplicant])
	row := `#mine-list tr[data-pledge="` + rec.ID + `"]`
	b.run(app, "my pledges shows it accepted with its downloads",
		chromedp.WaitVisible(chromedp.CSS(row+` td[data-status="ACCEPTED"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+" .dl-ofd")),
		chromedp.WaitVisible(chromedp.CSS(row+" .dl-package")),
		chromedp.WaitVisible(chromedp.CSS(row+" .dl-qr")),
	)
	b.shot(app, "my-pledges-accepted")
	downloads := t.TempDir()
	b.run(app, "allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))
	b.run(app, "download the sealed OFD", chromedp.Click(chromedp.CSS(row+" .dl-ofd")))
	ofdPath := filepath.Join(downloads, rec.ID+".ofd")
	doc := b.downloaded(ofdPath)
	res, err := ofd.Verify(ctx, doc, ofd.Options{SES: ses.NewVerifier(ses.Options{SealTrust: s.env.SealTrust})})
	if err != nil || len(res.Signatures) != 1 || res.Signatures[0].Indication != outcome.TotalPassed {
		t.Fatalf("the OFD downloaded from the page does not verify: %v %+v", err, res)
	}

	// Uploaded on the public verification page.
	pub := b.tab()
	b.run(pub, "upload the OFD",
		chromedp.Navigate(s.base+"/app/verify"),
		chromedp.WaitVisible(chromedp.CSS("#pkg-file")),
		chromedp.SetUploadFiles(chromedp.CSS("#pkg-file"), []string{ofdPath}),
		chromedp.Click(chromedp.CSS("#verify-file-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#ofd-verdict[data-indication="TOTAL_PASSED"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_PASSED"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#ofd-report li[data-check="data-hash"][data-result="PASSED"]`)),
	)
	if n := get(b, pub, "reference checks", chromedp.Evaluate[int](`document.querySelectorAll('#ofd-report li[data-check^="ofd-reference "][data-result="PASSED"]').length`)); n < 8 {
		t.Errorf("%d file-part checks shown passed, want one per part", n)
	}
	b.shot(pub, "verify-ofd-upload")

	// The signing-time copy says it predates the decision.
	earlyPath := filepath.Join(t.TempDir(), rec.ID+".early.pledge.json")
	if err := os.WriteFile(earlyPath, early, 0o600); err != nil {
		t.Fatal(err)
	}
	b.run(pub, "upload the signing-time copy",
		chromedp.Navigate(s.base+"/app/verify"),
		chromedp.WaitVisible(chromedp.CSS("#pkg-file")),
		chromedp.SetUploadFiles(chromedp.CSS("#pkg-file"), []string{earlyPath}),
		chromedp.Click(chromedp.CSS("#verify-file-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-sub="PREDATES_DECISION"]`)),
	)
	verdict := b.text(pub, "#verdict")
	page := b.text(pub, "#report")
	if !strings.Contains(verdict, "签署时的副本") || !strings.Contains(verdict, "我的承诺书") || strings.Contains(page, "等待机关受理") {
		t.Errorf("the signing-time copy's report: %q", verdict)
	}
	if st := b.text(pub, "#state-now"); st != "已受理，有效" {
		t.Errorf("state now %q", st)
	}
	b.shot(pub, "verify-early-copy")
}
