package browsertest

import (
	"context"
	"crypto/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/emmansun/gmsm/sm2"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/statement"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// statementIssuer is the site's status statement issuer over the domain's
// registry (real Redis), with a fresh status key.
func statementIssuer(t *testing.T, env *verifytest.Env) (*sm2.PrivateKey, *statement.Issuer) {
	t.Helper()
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewNoteSigner("pledgeseal.browsertest/status", key)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := statement.NewIssuer(statement.IssuerOptions{Status: env.Status, Signer: signer, Validity: 24 * time.Hour, Clock: env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return key, iss
}

// TestStatusStatementFromThePages: a decided pledge's signed status
// statement is offered on the applicant's page, the agency's list and the
// public verification report, with what it is and how to check it
// offline; the file downloaded from the page opens with the status key and
// says the state now. After the decision is revoked the listing still
// offers the decided documents (the OFD included) with a plain note that
// the pledge is no longer in force, and the statement says REVOKED.
// axe-core stays clean on every page shown.
func TestStatusStatementFromThePages(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	req := s.env.Request("browser-stmt-0001")
	req.Notice = pledge.NoticeRef{ID: s.published.Notice.ID, Version: s.published.Notice.Version, Digest: s.published.DigestHex()}
	rec, _, err := s.env.Service.SignWithEventCertificate(ctx, verifytest.Applicant, req)
	if err != nil {
		t.Fatal(err)
	}
	s.env.Clock.Advance(time.Minute)
	if _, err := s.env.Service.Accept(ctx, pledge.Officer{Agency: verifytest.Agency, ID: "officer-1"}, rec.ID, "朝市监许〔2026〕12号", s.env.Clock.Now().In(time.FixedZone("UTC+8", 8*3600)).Format(time.DateOnly)); err != nil {
		t.Fatal(err)
	}
	s.env.Clock.Advance(time.Minute)

	b := newBrowser(t, s.base)
	app := b.tab()
	b.signIn(app, "/app/apply", s.tokens[auth.RoleApplicant])
	row := `#mine-list tr[data-pledge="` + rec.ID + `"]`
	b.run(app, "my pledges offers the status statement",
		chromedp.WaitVisible(chromedp.CSS(row+` td[data-status="ACCEPTED"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+" .dl-statement")),
	)
	if hint := b.text(app, row+" .statement"); !strings.Contains(hint, "nextUpdate") || !strings.Contains(hint, "pledgectl status verify") {
		t.Errorf("the statement's explanation: %q", hint)
	}
	if get(b, app, "note", chromedp.Evaluate[bool](`!!document.querySelector('`+row+` .not-in-force')`)) {
		t.Error("an accepted pledge is marked not in force")
	}
	b.shot(app, "my-pledges-statement")
	st, err := statement.Open(downloadStatement(b, app, row, rec.ID), &s.statusKey.PublicKey)
	if err != nil || st.PledgeID != rec.ID || st.State != status.Active || !st.NextUpdate.After(st.ThisUpdate) {
		t.Fatalf("the downloaded statement: %v %+v", err, st)
	}

	// The agency's list of accepted pledges.
	off := b.tab()
	b.signIn(off, "/app/officer", s.tokens[auth.RoleAgency])
	queued := `#queue tr[data-pledge="` + rec.ID + `"]`
	b.run(off, "accepted pledges",
		chromedp.WaitVisible(chromedp.CSS("#q-status")),
		chromedp.SetValue(chromedp.CSS("#q-status"), "ACCEPTED"),
		chromedp.Click(chromedp.CSS("#queue-load")),
		chromedp.WaitVisible(chromedp.CSS(queued+" .dl-statement")),
	)
	b.shot(off, "officer-accepted-statement")

	// The public verification report.
	pub := b.tab()
	b.run(pub, "the report offers the statement",
		chromedp.Navigate(s.base+"/app/verify?id="+rec.ID),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_PASSED"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-statement a.dl-statement[href="/v1/pledges/`+rec.ID+`/status-statement"]`)),
	)
	b.shot(pub, "verify-statement")

	// Revoked: the decided documents stay, plainly not in force.
	if _, err := s.env.Revoc.Revoke(ctx, auth.Principal{Role: auth.RoleEnforcement, Org: verifytest.Key.Region, TokenID: "t"}, seal.RevokeRequest{
		Subjects: []status.Subject{verifytest.SubjectOfPledge(rec.ID)}, Reason: seal.ReasonDecisionRevoked, DocumentNo: "朝市监撤〔2026〕3号"}); err != nil {
		t.Fatal(err)
	}
	s.env.Clock.Advance(time.Minute)
	b.run(app, "revoked, its decided documents stay",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(row+` td[data-status="REVOKED"]`)),
		chromedp.WaitVisible(chromedp.CSS(row+" .not-in-force")),
		chromedp.WaitVisible(chromedp.CSS(row+" .dl-ofd")),
		chromedp.WaitVisible(chromedp.CSS(row+" .dl-statement")),
	)
	if note := b.text(app, row+" .not-in-force"); !strings.Contains(note, "不再有效") && !strings.Contains(note, "no longer in force") {
		t.Errorf("the not-in-force note: %q", note)
	}
	b.shot(app, "my-pledges-revoked")
	st, err = statement.Open(downloadStatement(b, app, row, rec.ID), &s.statusKey.PublicKey)
	if err != nil || st.State == status.Active {
		t.Fatalf("the revoked pledge's statement: %v %+v", err, st)
	}
}

// downloadStatement clicks the statement link of row into a fresh folder
// and returns the file the browser saved.
func downloadStatement(b *browser, ctx context.Context, row, id string) []byte {
	b.t.Helper()
	dir := b.t.TempDir()
	b.run(ctx, "allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir})
		return err
	}))
	b.run(ctx, "download the status statement", chromedp.Click(chromedp.CSS(row+" .dl-statement")))
	return b.downloaded(filepath.Join(dir, id+".status-statement.txt"))
}
