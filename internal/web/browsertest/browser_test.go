package browsertest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/emmansun/gmsm/sm2"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/sealpicture"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// site is a running pledged (API + pages) over a real Redis.
type site struct {
	base   string
	env    *verifytest.Env
	enf    *enforce.Service
	tokens map[auth.Role]string
	// published is the notice in force: the environment's notice
	// republished under a seal whose picture is a real image.
	published pledge.PublishedNotice
	// statusKey signs the site's status statements (statement_test.go).
	statusKey *sm2.PrivateKey
}

// sealPicture is a drawn seal impression, size pixels square.
func sealPicture(t *testing.T, size int) []byte {
	t.Helper()
	b, err := sealpicture.PNG(size)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pictureSealESID is the seal the notice is republished under.
const pictureSealESID = "11010599990002"

// republishWithPicture files a second seal for the agency whose picture is
// a real image, and publishes the notice again sealed with it: what a
// citizen sees on the notice is then a seal impression, checked against
// the registry.
func republishWithPicture(t *testing.T, env *verifytest.Env, st *store.Store) pledge.PublishedNotice {
	t.Helper()
	ctx := context.Background()
	now := env.Clock.Now()
	filed, err := env.Seals.Make(ctx, verifytest.SealMaker, seal.MakeRequest{
		Filing: seal.Filing{Agency: verifytest.Agency, Category: seal.Category("statutory_name"), TypeCode: seal.TypeCode("01"), DocumentNo: "朝市监印备〔2026〕2号"},
		ESID:   pictureSealESID, Name: "北京市朝阳区市场监督管理局", SignerCerts: [][]byte{env.SealSigner.Cert.Raw},
		ValidStart: now.Add(-time.Hour), ValidEnd: now.AddDate(2, 0, 0),
		Picture: ses.Picture{Type: "PNG", Data: sealPicture(t, 160), Width: 40, Height: 40},
	})
	if err != nil {
		t.Fatalf("make the seal with a picture: %v", err)
	}
	parsed, err := ses.ParseSeal(filed.DER)
	if err != nil {
		t.Fatal(err)
	}
	sealer := pledge.NewSESSealer(map[string]pledge.AgencySeal{verifytest.Agency: {Seal: parsed, Signer: env.AgencySeal.Signer}}, env.Registry, env.Clock)
	env.Clock.Advance(time.Minute)
	pub, err := pledge.NewNotices(store.NewNoticeRepo(st), env.Catalogue, sealer, env.Clock).Publish(ctx, verifytest.Agency, verifytest.Notice())
	if err != nil {
		t.Fatalf("republish the notice: %v", err)
	}
	return pub
}

func newSite(t *testing.T) *site {
	t.Helper()
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t), Timeout: 2 * time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	env := verifytest.New(t, st, clk)
	env.Ready(t)
	// A second version of the entry names its region, as an agency would;
	// the notice is then republished against it.
	named := verifytest.Entry(clk.Now())
	named.RegionName = pledge.Text{Zh: "北京市朝阳区", En: "Chaoyang District, Beijing"}
	if _, err := env.Catalogue.Record(context.Background(), pledge.Editor{Agency: verifytest.Agency, Actor: "officer-1"}, named, 1); err != nil {
		t.Fatal(err)
	}
	published := republishWithPicture(t, env, st)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(st, key, env.Protector, clk)
	if err != nil {
		t.Fatal(err)
	}
	enf := env.Domain.Enforce
	pages, err := web.NewForSite(web.Site{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	statusKey, statements := statementIssuer(t, env)
	api := httpapi.New(httpapi.Deps{
		Log: slog.New(slog.DiscardHandler), Clock: clk, Auth: tokens, Tokens: tokens, Statements: statements,
		Seals: env.Seals, Revocations: env.Revoc, Enforce: enf, Web: pages,
		Pledges: &httpapi.PledgeAPI{Catalogue: env.Catalogue, Notices: env.Notices, Service: env.Service, Records: env.Pledges, Verifier: env.Verifier,
			OFD: ofdAPI(t, env), Findings: env.Registry},
	}, httpapi.Options{BaseURL: base})
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	applicant := auth.Identity{Name: verifytest.Applicant.Name, IDType: verifytest.Applicant.IDType, IDNumber: verifytest.Applicant.IDNumber}
	s := &site{base: base, env: env, enf: enf, tokens: map[auth.Role]string{}, published: published, statusKey: statusKey}
	for _, req := range []auth.CreateRequest{
		{Role: auth.RoleApplicant, Identity: &applicant, TTL: time.Hour},
		{Role: auth.RoleAgency, Org: verifytest.Agency, TTL: time.Hour},
		{Role: auth.RoleEnforcement, Org: verifytest.Key.Region, TTL: time.Hour},
	} {
		iss, err := tokens.Create(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[req.Role] = iss.Secret
	}
	return s
}

// chromiumPath finds the browser; without one the test fails under
// `make test` (PLEDGESEAL_TEST_REQUIRE_REDIS=1) and is skipped otherwise.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("PLEDGESEAL_TEST_REQUIRE_REDIS") == "1" {
		t.Fatal("chromium is not installed (apt-get install -y chromium); the browser tests need it")
	}
	t.Skip("chromium is not installed; skipping the browser tests")
	return ""
}

// artifacts is where screenshots go: PLEDGESEAL_TEST_ARTIFACTS or a
// temporary directory (logged).
func artifacts(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("PLEDGESEAL_TEST_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	dir = filepath.Join(dir, "browser", strings.ReplaceAll(t.Name(), "/", "_"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// browser is one headless Chromium; each tab collects JavaScript errors.
type browser struct {
	t      *testing.T
	ctx    context.Context
	dir    string
	base   string
	mu     sync.Mutex
	errs   []string
	nshots int
	axe    string // axe-core's source (axeSource)
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, dir: artifacts(t), base: base, axe: axeSource(t)}
}

// axeSource reads axe-core from PLEDGESEAL_AXE_JS (scripts/test.sh installs
// the pinned version); under make test a missing file fails the test,
// otherwise the accessibility checks are skipped with a log line.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PLEDGESEAL_AXE_JS")
	if path == "" {
		if os.Getenv("PLEDGESEAL_TEST_REQUIRE_REDIS") == "1" {
			t.Fatal("PLEDGESEAL_AXE_JS is not set: scripts/test.sh installs axe-core into var/tools")
		}
		t.Log("PLEDGESEAL_AXE_JS is not set: no accessibility checks (run through scripts/test.sh)")
		return ""
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return string(src)
}

// axeRunJS runs axe-core on the page (WCAG 2.1 A and AA rules) and answers
// the serious and critical violations, one line each with the elements.
const axeRunJS = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})
  .then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => v.impact + ' ' + v.id + ': ' + v.help + ' — ' + v.nodes.slice(0, 5).map(n => n.target.join(' ')).join(', ')))`

// accessible injects axe-core into the page (once per document) and fails
// the test on each serious or critical violation.
func (b *browser) accessible(ctx context.Context, name string) {
	b.t.Helper()
	if b.axe == "" {
		return
	}
	if !get(b, ctx, "axe loaded", chromedp.Evaluate[bool]("typeof axe === 'object'")) {
		get(b, ctx, "inject axe", chromedp.Evaluate[any](b.axe+";0"))
	}
	for _, v := range get(b, ctx, "axe", chromedp.Evaluate[[]string](axeRunJS, chromedp.EvalAwaitPromise)) {
		b.t.Errorf("%s: accessibility: %s", name, v)
	}
}

// tab opens a fresh tab (its own sessionStorage, so its own sign-in)
// whose console errors and uncaught exceptions fail the test.
func (b *browser) tab() context.Context {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatal(err)
	}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// A failed request (an expected 404) is the browser's log, not
			// a JavaScript error; everything else at error level counts.
			if (m.Type == chromedp.ConsoleError && m.Source != "network") || m.IsException() {
				b.fail(fmt.Sprintf("%s (%s:%d)", m, m.URL, m.Line))
			}
		}
	}()
	return ctx
}

func (b *browser) fail(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.errs = append(b.errs, msg)
}

// checkJS fails the test on any JavaScript error seen so far.
func (b *browser) checkJS() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errs {
		b.t.Errorf("JavaScript error: %s", e)
	}
	b.errs = nil
}

// run runs actions with a time limit, saving a screenshot named what on
// failure too.
func (b *browser) run(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		b.shot(ctx, "FAILED-"+what)
		b.t.Fatalf("%s: %v", what, err)
	}
	b.checkJS()
}

// contrastJS lists visible text whose contrast with its background is
// below WCAG AA: 4.5:1, or 3:1 for large text (24px, or 18.66px bold).
// The background is the first opaque one among the element and its
// ancestors (white when none).
const contrastJS = `(() => {
  const rgb = s => (s.match(/[\d.]+/g) || []).map(Number);
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const bg = e => { for (; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) return c; } return [255, 255, 255]; };
  const bad = [];
  for (const e of document.querySelectorAll("body *")) {
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    if (!e.getClientRects().length) continue;
    const st = getComputedStyle(e);
    if (st.visibility === "hidden") continue;
    const fg = rgb(st.color), b = bg(e);
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(st.fontSize), bold = parseInt(st.fontWeight, 10) >= 700;
    const need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) bad.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + " " + JSON.stringify(e.textContent.trim().slice(0, 30)) + " " + ratio.toFixed(2));
  }
  return bad;
})()`

// shot saves a full-page screenshot as NN-name.png and checks the text
// contrast and, with axe-core, the accessibility of the page it shows.
func (b *browser) shot(ctx context.Context, name string) {
	b.t.Helper()
	if !strings.HasPrefix(name, "FAILED") {
		for _, bad := range get(b, ctx, "contrast", chromedp.Evaluate[[]string](contrastJS)) {
			b.t.Errorf("%s: low contrast: %s", name, bad)
		}
		b.accessible(ctx, name)
	}
	c, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.nshots++
	name = strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == '\\' {
			return '-'
		}
		return r
	}, name)
	p := filepath.Join(b.dir, fmt.Sprintf("%02d-%s.png", b.nshots, name))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) signIn(ctx context.Context, path, token string) {
	b.t.Helper()
	b.run(ctx, "sign in at "+path,
		chromedp.Navigate(b.base+path),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), token),
		chromedp.Click(chromedp.CSS("#signin-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#signed-in-only")),
	)
}

// void drops the value of an action.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}

// get runs an action that returns a value.
func get[T any](b *browser, ctx context.Context, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	c, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, a)
	if err != nil {
		b.shot(ctx, "FAILED-"+what)
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (b *browser) text(ctx context.Context, sel string) string {
	b.t.Helper()
	return get(b, ctx, "text of "+sel, chromedp.TextContent(chromedp.CSS(sel)))
}

// TestPledgeLifecycleInBrowser: an applicant signs a pledge end to end,
// the agency accepts it, the public verifies it (QR status link and
// package upload), enforcement records it as false, and the verification
// page then shows it failed.
func TestPledgeLifecycleInBrowser(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.base)
	notice := s.published.Notice
	if notice.Version != 2 {
		t.Fatalf("the notice in force is version %d, want the republication", notice.Version)
	}

	// --- applicant ---
	app := b.tab()
	b.signIn(app, "/app/apply", s.tokens[auth.RoleApplicant])
	b.shot(app, "apply-signed-in")
	who := b.text(app, "#whoami-text")
	// The matter is chosen from the catalogue, by keyboard: the only region
	// is preselected and its pledgeable matters listed; ticking one and
	// submitting loads its notice without a code or number being typed.
	radio := `#pick-matters input[value="` + verifytest.Key.Matter + `"]`
	b.run(app, "the picker lists the region's matters",
		chromedp.WaitVisible(chromedp.CSS(radio)),
		chromedp.WaitVisible(chromedp.CSS(`#pick-matters [data-matter="`+verifytest.Key.Matter+`"] .pick-name`)),
	)
	if got := get(b, app, "the region chosen", chromedp.Value(chromedp.CSS("#pick-region"))); got != verifytest.Key.Region {
		t.Errorf("the region picker holds %q, want the only region %s", got, verifytest.Key.Region)
	}
	if label := b.text(app, `#pick-region option[value="`+verifytest.Key.Region+`"]`); label != "北京市朝阳区（"+verifytest.Key.Region+"）" {
		t.Errorf("the region is offered as %q, want its name and code", label)
	}
	listed := b.text(app, "#pick-matters")
	if !strings.Contains(listed, "社会团体成立登记") || !strings.Contains(listed, notice.ID) || !strings.Contains(listed, "无犯罪记录证明") {
		t.Errorf("the picker does not show the matter's name, certificate and notice: %q", listed)
	}
	b.shot(app, "apply-picker")
	b.run(app, "tick the matter by keyboard", chromedp.Focus(chromedp.CSS(radio)), chromedp.KeyEvent(" "), chromedp.KeyEvent("\t"))
	if got := get(b, app, "focus", chromedp.Evaluate[string](`document.activeElement.id`)); got != "pick-submit" {
		t.Fatalf("Tab after the matter reaches %q, want the submit button", got)
	}
	b.run(app, "submit by keyboard; the notice loads by itself",
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS("#matter-result table")),
		chromedp.WaitVisible(chromedp.CSS(`#matter-result button[data-notice="`+notice.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#notice-card")),
		chromedp.WaitVisible(chromedp.CSS(`#seal-check[data-ok="true"]`)),
	)
	// The seal impression is shown (decoded, not a placeholder) and the
	// registry check names the seal the notice is sealed with.
	if w := get(b, app, "seal picture", chromedp.Evaluate[int](`(document.querySelector("#seal-picture img") || {}).naturalWidth || 0`)); w != 160 {
		t.Errorf("the seal picture is %dpx wide, want the 160px impression", w)
	}
	if chk := b.text(app, "#seal-check"); !strings.Contains(chk, pictureSealESID) {
		t.Errorf("the seal check %q does not name seal %s", chk, pictureSealESID)
	}
	if got := get(b, app, "the notice number", chromedp.Value(chromedp.CSS("#notice-id"))); got != notice.ID {
		t.Errorf("the notice number field holds %q, want %q (filled from the matter query)", got, notice.ID)
	}
	if strings.Contains(who, verifytest.Applicant.IDNumber) || !strings.Contains(who, "1101**") {
		t.Errorf("whoami shows %q: want the masked ID number", who)
	}
	noticeText := b.text(app, "#notice-body")
	if !strings.Contains(noticeText, s.published.DigestHex()) || !strings.Contains(noticeText, "拟任负责人") {
		t.Errorf("the notice page lacks the digest or the conditions: %q", noticeText)
	}
	b.shot(app, "apply-notice")
	// Submitting without every statement ticked is refused on the page.
	// (the statements are required fields, so the browser refuses first).
	b.run(app, "incomplete pledge", chromedp.Click(chromedp.CSS("#pledge-form button[type=submit]")))
	if !b.hidden(app, "#review-card") {
		t.Errorf("an incomplete pledge went to review")
	}
	var ticks []chromedp.Action[chromedp.Void]
	for _, c := range []string{"KNOWS_NOTICE", "MEETS_CONDITIONS", "CAN_PROVIDE_MATERIALS", "INFORMATION_TRUE", "ACCEPTS_VERIFICATION", "BEARS_LIABILITY"} {
		ticks = append(ticks, chromedp.Click(chromedp.CSS("#st-"+c)))
	}
	ticks = append(ticks,
		chromedp.SendKeys(chromedp.CSS("#fact-label"), "社会团体名称"),
		chromedp.SendKeys(chromedp.CSS("#fact-value"), "北京市围棋协会"),
		chromedp.Click(chromedp.CSS("#pledge-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#review-card")))
	b.run(app, "fill in the pledge", ticks...)
	b.run(app, "the page checked the draft's SM3 itself", chromedp.WaitVisible(chromedp.CSS(`#review-check[data-ok="true"]`)))
	review := b.text(app, "#review-body")
	if !strings.Contains(review, "北京市围棋协会") || !strings.Contains(review, s.published.DigestHex()) ||
		!strings.Contains(review, "本人愿意承担不实承诺的法律责任。") || !strings.Contains(review, "社会团体成立登记") {
		t.Errorf("the review does not show the document to be signed: %q", review)
	}
	// The exact bytes: canonical JSON whose SM3 is the digest shown.
	reviewed := []byte(b.text(app, "#review-json"))
	shownDigest := b.text(app, "#review-digest")
	if sum := pki.Digest(reviewed); hex.EncodeToString(sum[:]) != shownDigest {
		t.Fatalf("the review shows digest %s, the bytes shown hash to %x", shownDigest, sum)
	}
	reviewedDoc, err := pledge.ParseDocument(reviewed)
	if err != nil {
		t.Fatalf("the bytes shown for review are not a canonical pledge document: %v", err)
	}
	if reviewedDoc.Applicant.IDNumber != verifytest.Applicant.IDNumber || len(reviewedDoc.Facts) != 1 || reviewedDoc.Facts[0].Value != "北京市围棋协会" {
		t.Fatalf("reviewed document %+v", reviewedDoc)
	}
	b.run(app, "open the exact bytes", chromedp.Click(chromedp.CSS("#review-bytes summary")), chromedp.WaitVisible(chromedp.CSS("#review-json")))
	b.shot(app, "apply-review")
	b.run(app, "sign",
		chromedp.Click(chromedp.CSS("#sign-btn")),
		chromedp.WaitVisible(chromedp.CSS("#done-card")),
		chromedp.WaitVisible(chromedp.CSS(`#done-check[data-same="true"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#download[href^="blob:"]`)),
	)
	pledgeID, doc := b.text(app, "#done-id"), b.text(app, "#done-doc")
	if pledgeID != reviewedDoc.PledgeID || doc != string(reviewed) {
		t.Fatalf("signed pledge %q is not the reviewed %q, or its document differs", pledgeID, reviewedDoc.PledgeID)
	}
	// The package and the QR code, downloaded as a user does (the browser
	// saves them): the package's document is the reviewed bytes, byte for
	// byte, and the package is the bytes the API serves.
	downloads := t.TempDir()
	b.run(app, "allow downloads", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads})
		return err
	}))
	b.run(app, "download the package", chromedp.Click(chromedp.CSS("#download")))
	pkgBytes := b.downloaded(filepath.Join(downloads, pledgeID+".pledge.json"))
	var offered pledge.Package
	if err := json.Unmarshal(pkgBytes, &offered); err != nil {
		t.Fatalf("the downloaded package is not JSON: %v", err)
	}
	signedDoc, err := base64.StdEncoding.DecodeString(offered.Document)
	if err != nil || !bytes.Equal(signedDoc, reviewed) || offered.PledgeID != pledgeID {
		t.Fatalf("the package's document differs from the reviewed bytes (%v)", err)
	}
	if want := s.download(t, pledgeID); !bytes.Equal(pkgBytes, want) {
		t.Fatal("the page's package download is not the bytes the API serves")
	}
	get(b, app, "QR code", chromedp.Poll[bool](`document.getElementById("qr").complete && document.getElementById("qr").naturalWidth > 0`, chromedp.WithPollingTimeout(10*time.Second)))
	b.run(app, "download the QR code", chromedp.Click(chromedp.CSS("#qr-download")))
	if img, err := png.Decode(bytes.NewReader(b.downloaded(filepath.Join(downloads, pledgeID+".qr.png")))); err != nil || img.Bounds().Dx() != httpapi.QRSize {
		t.Errorf("the downloaded QR code is not the %dpx PNG: %v", httpapi.QRSize, err)
	}
	b.shot(app, "apply-signed")
	b.run(app, "my pledges", chromedp.WaitVisible(chromedp.CSS(`#mine-list tr[data-pledge="`+pledgeID+`"] td[data-status="SIGNED"]`)))

	// A second pledge, withdrawn before the decision from "my pledges".
	b.run(app, "sign a second pledge",
		chromedp.Click(chromedp.CSS("#pledge-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#review-card")),
		chromedp.WaitVisible(chromedp.CSS(`#review-check[data-ok="true"]`)),
		chromedp.Click(chromedp.CSS("#sign-btn")),
		chromedp.WaitNotVisible(chromedp.CSS("#review-card")),
	)
	second := b.text(app, "#done-id")
	if second == pledgeID || !strings.HasPrefix(second, "P") {
		t.Fatalf("second pledge %q (first %q)", second, pledgeID)
	}
	row := `#mine-list tr[data-pledge="` + second + `"] `
	b.run(app, "withdraw",
		chromedp.Click(chromedp.CSS(row+"button")),
		chromedp.SendKeys(chromedp.CSS(row+"textarea"), "改走普通程序"),
		chromedp.Click(chromedp.CSS(row+"button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(row+`td[data-status="WITHDRAWN"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#mine-list tr[data-pledge="`+pledgeID+`"] td[data-status="SIGNED"]`)),
	)
	b.shot(app, "apply-withdrawn")

	// --- officer accepts ---
	off := b.tab()
	b.signIn(off, "/app/officer", s.tokens[auth.RoleAgency])
	// The pending queue lists the pledge where the API has the route
	// (GET /v1/agency/pledges); otherwise the page says it is not there
	// yet and the officer opens the pledge by its number.
	queued := `#queue tr[data-pledge="` + pledgeID + `"]`
	b.run(off, "pending queue", chromedp.WaitVisible(chromedp.CSS("#seals table")),
		void(chromedp.Poll[bool](`!!document.querySelector('`+queued+`') || !document.getElementById("queue-na").hidden`, chromedp.WithPollingTimeout(10*time.Second))))
	// The agency's seals with their impressions: the drawn one decodes.
	b.run(off, "seal impressions", void(chromedp.Poll[bool](`(document.querySelector('#seals tr[data-esid="`+pictureSealESID+`"] img') || {}).naturalWidth === 160`, chromedp.WithPollingTimeout(10*time.Second))))
	if get(b, off, "queue row", chromedp.Evaluate[bool](`!!document.querySelector('`+queued+`')`)) {
		b.shot(off, "officer-queue")
		b.run(off, "open from the queue", chromedp.Click(chromedp.CSS(queued+" button")))
	} else {
		t.Log("GET /v1/agency/pledges is not there: opening the pledge by its number")
		b.run(off, "open by number", chromedp.SendKeys(chromedp.CSS("#open-id"), pledgeID), chromedp.Click(chromedp.CSS("#open-form button[type=submit]")))
	}
	b.run(off, "accept",
		chromedp.WaitVisible(chromedp.CSS(`#case-body[data-status="SIGNED"]`)),
		chromedp.SendKeys(chromedp.CSS("#doc-no"), "朝市监许〔2026〕42号"),
	)
	b.shot(off, "officer-case")
	b.run(off, "accept", chromedp.Click(chromedp.CSS("#accept-form button[type=submit]")), chromedp.WaitVisible(chromedp.CSS(`#case-body[data-status="ACCEPTED"]`)))
	b.shot(off, "officer-accepted")

	// --- the public verifies: QR status link, then the package file ---
	pub := b.tab()
	statusURL := s.base + "/v1/pledges/" + pledgeID + "/verification"
	b.run(pub, "verify by status link",
		chromedp.Navigate(s.base+"/app/verify"),
		chromedp.SendKeys(chromedp.CSS("#status-url"), statusURL),
		chromedp.Click(chromedp.CSS("#verify-url-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_PASSED"]`)),
	)
	// The QR code's link opened in a browser (a phone scanning it) lands
	// on the same report.
	b.run(pub, "open the status link in the browser",
		chromedp.Navigate(statusURL),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_PASSED"]`)),
	)
	if u := get(b, pub, "page", chromedp.Evaluate[string](`location.pathname + location.search`)); u != "/app/verify?id="+pledgeID {
		t.Errorf("the status link opened %q, want the verification page", u)
	}
	report := b.text(pub, "#report")
	if strings.Contains(report, verifytest.Applicant.IDNumber) || strings.Contains(report, verifytest.Applicant.Name) {
		t.Errorf("the public report shows personal data: %q", report)
	}
	// A package without time-stamps says its times are claimed (issue 16).
	if !strings.Contains(report, "签署方自行声明，未经证明") && !strings.Contains(report, "claimed by the signer, not proven") {
		t.Errorf("the report does not say the signing time is claimed: %q", report)
	}
	b.shot(pub, "verify-passed")
	b.run(pub, "an unknown pledge",
		chromedp.Navigate(s.base+"/app/verify?id=P"+strings.Repeat("0", 32)),
		chromedp.WaitVisible(chromedp.CSS("#verify-msg.err")),
	)
	if !b.hidden(pub, "#report") {
		t.Error("a report is shown for an unknown pledge")
	}
	b.shot(pub, "verify-unknown")
	pkg := s.download(t, pledgeID)
	file := filepath.Join(t.TempDir(), pledgeID+".pledge.json")
	if err := os.WriteFile(file, pkg, 0o600); err != nil {
		t.Fatal(err)
	}
	b.run(pub, "verify an uploaded package",
		chromedp.Navigate(s.base+"/app/verify?lang=en"),
		chromedp.SetUploadFiles(chromedp.CSS("#pkg-file"), []string{file}),
		chromedp.Click(chromedp.CSS("#verify-file-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_PASSED"]`)),
	)
	if lang := get(b, pub, "English page", chromedp.AttributeValue(chromedp.CSS("html"), "lang")).Value; lang != "en" {
		t.Errorf("lang=%q after ?lang=en", lang)
	}
	b.shot(pub, "verify-upload-en")

	// --- enforcement flags it false ---
	rec, err := s.env.Pledges.GetPledge(context.Background(), pledgeID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.enf.CreateTask(context.Background(), rec, verifytest.Entry(time.Time{}).PostCheck); err != nil {
		t.Fatal(err)
	}
	enf := b.tab()
	b.signIn(enf, "/app/enforce", s.tokens[auth.RoleEnforcement])
	evidence := hex.EncodeToString(bytes.Repeat([]byte{0xcd}, 32))
	b.run(enf, "record a finding",
		chromedp.WaitVisible(chromedp.CSS("#tasks table")),
		chromedp.SendKeys(chromedp.CSS("#f-pledge"), pledgeID),
		chromedp.SetValue(chromedp.CSS("#f-outcome"), "FALSE_CONFIRMED"),
		chromedp.SendKeys(chromedp.CSS("#f-docno"), "朝市监核〔2026〕3号"),
		chromedp.SendKeys(chromedp.CSS("#f-inspector"), "INS-1"),
		chromedp.SendKeys(chromedp.CSS("#f-evidence"), evidence),
	)
	// An evidence file is hashed in the page; its SM3 joins the typed one.
	evidenceFile := filepath.Join(t.TempDir(), "现场核查记录.txt")
	evidenceBody := []byte("2026年11月26日现场核查：拟任负责人存在刑事处罚记录。\n")
	if err := os.WriteFile(evidenceFile, evidenceBody, 0o600); err != nil {
		t.Fatal(err)
	}
	fileSum := pki.Digest(evidenceBody)
	b.run(enf, "hash an evidence file in the page",
		chromedp.SetUploadFiles(chromedp.CSS("#f-evidence-files"), []string{evidenceFile}),
		void(chromedp.Poll[bool](`document.getElementById("f-evidence").value.includes("`+hex.EncodeToString(fileSum[:])+`")`, chromedp.WithPollingTimeout(10*time.Second))))
	if got := get(b, enf, "evidence list", chromedp.Value(chromedp.CSS("#f-evidence"))); strings.Fields(got)[0] != evidence || len(strings.Fields(got)) != 2 {
		t.Errorf("evidence list %q: want the typed digest and the file's", got)
	}
	b.shot(enf, "enforce-console")
	const publicSeed = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	b.run(enf, "run a draw over the open tasks with a public seed and inspectors",
		chromedp.SendKeys(chromedp.CSS("#draw-region"), verifytest.Key.Region),
		chromedp.SendKeys(chromedp.CSS("#draw-matter"), verifytest.Key.Matter),
		chromedp.SetValue(chromedp.CSS("#draw-ratio"), "1000"),
		chromedp.SendKeys(chromedp.CSS("#draw-seed"), publicSeed),
		chromedp.SendKeys(chromedp.CSS("#draw-inspectors"), "INS-1, INS-2\nINS-3"),
		chromedp.SetValue(chromedp.CSS("#draw-per"), "2"),
		chromedp.Click(chromedp.CSS("#draw-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#draw-repro")),
	)
	if sel := b.text(enf, "#draw-selected"); !strings.Contains(sel, pledgeID) {
		t.Errorf("the draw at 1000‰ did not select %s: %q", pledgeID, sel)
	}
	if got := b.text(enf, "#draw-inspectors-out"); !strings.Contains(got, pledgeID+" → ") || strings.Count(got, "INS-") < 2 {
		t.Errorf("inspectors assigned: %q", got)
	}
	b.shot(enf, "enforce-draw-record")
	checkDrawRecord(t, b, enf, publicSeed, pledgeID)
	// Task states are words, not codes.
	// (The tab's language is the cookie's: English since the upload above.)
	en := get(b, enf, "lang", chromedp.AttributeValue(chromedp.CSS("html"), "lang")).Value == "en"
	words := map[bool][]string{false: {"待核查", "撤销", "公示", "受理机关"}, true: {"Open: to be checked", "revoked", "public disclosure", "agency"}}[en]
	if st := b.text(enf, `#tasks td[data-status="OPEN"]`); st != words[0] {
		t.Errorf("open task shown as %q", st)
	}
	// FALSE_CONFIRMED asks first, saying what will happen; cancel records nothing.
	b.run(enf, "asked to confirm",
		chromedp.Click(chromedp.CSS("#finding-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#finding-confirm")))
	until := time.Now().In(time.FixedZone("CST", 8*3600)).AddDate(5, 0, 0).Format("2006-01-02")
	if c := b.text(enf, "#finding-confirm"); !strings.Contains(c, words[1]) || !strings.Contains(c, until) || !strings.Contains(c, words[2]) || !strings.Contains(c, words[3]) {
		t.Errorf("the confirmation does not say the consequences: %q", c)
	}
	b.shot(enf, "enforce-confirm-false")
	b.run(enf, "cancel", chromedp.Click(chromedp.CSS("#fc-no")), chromedp.WaitNotVisible(chromedp.CSS("#finding-confirm")))
	if fs, err := s.enf.Findings(context.Background(), pledgeID); err != nil || len(fs) != 0 {
		t.Fatalf("cancelled, yet findings %v %v", fs, err)
	}
	b.run(enf, "finding recorded",
		chromedp.Click(chromedp.CSS("#finding-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#finding-confirm")),
		chromedp.Click(chromedp.CSS("#fc-yes")),
		chromedp.WaitVisible(chromedp.CSS(`#findings li[data-outcome="FALSE_CONFIRMED"]`)),
	)
	b.shot(enf, "enforce-false-confirmed")

	// --- the verification page now shows it failed ---
	b.run(pub, "verify after the finding",
		chromedp.Navigate(s.base+"/app/verify?lang=zh&id="+pledgeID),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_FAILED"][data-sub="PLEDGE_FALSE"]`)),
	)
	b.shot(pub, "verify-failed")
	// The state-now check follows the registry; agency and matter appear by
	// name with their codes in small print; every check says in Chinese
	// what it found (the verifier's English stays folded, marked lang=en).
	b.run(pub, "names in the report", chromedp.WaitVisible(chromedp.CSS("#rep-agency small.code")), chromedp.WaitVisible(chromedp.CSS("#rep-matter small.code")))
	if st := get(b, pub, "state-now check", chromedp.Evaluate[string](`(e => e.dataset.result + "/" + e.dataset.sub)(document.querySelector('li[data-check="pledge-state-now"]'))`)); st != "FAILED/PLEDGE_FALSE" {
		t.Errorf("state-now check beside a false pledge: %s", st)
	}
	if ag := b.text(pub, "#rep-agency"); !strings.Contains(ag, verifytest.Agency) || len([]rune(ag)) <= len(verifytest.Agency)+1 {
		t.Errorf("agency shown as %q: want its name and its code", ag)
	}
	plain := get(b, pub, "plain check texts", chromedp.Evaluate[[]string](`[...document.querySelectorAll("ul.checks .detail.plain")].map(e => e.textContent)`))
	for _, p := range plain {
		if p == "" || !regexp.MustCompile(`\p{Han}`).MatchString(p) || strings.Contains(p, "accepted") {
			t.Errorf("a check's plain text on the Chinese page: %q", p)
		}
	}
	if len(plain) < 10 {
		t.Errorf("only %d plain check texts", len(plain))
	}
	b.run(pub, "the verifier's words, folded", chromedp.Click(chromedp.CSS(`li[data-check="pledge-state-now"] details.tech summary`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-check="pledge-state-now"] details.tech span[lang="en"]`)))
	if tech := b.text(pub, `li[data-check="pledge-state-now"] details.tech`); strings.Contains(tech, "in force") || !strings.Contains(tech, "PLEDGE_FALSE") {
		t.Errorf("the state-now check's technical detail: %q", tech)
	}
	b.shot(pub, "verify-failed-names-details")
	b.run(pub, "the report in English",
		chromedp.Navigate(s.base+"/app/verify?lang=en&id="+pledgeID),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_FAILED"]`)), chromedp.WaitVisible(chromedp.CSS("#rep-agency small.code")))
	if st := b.text(pub, `li[data-check="pledge-findings-now"] .detail.plain`); !strings.Contains(st, "found the pledge false") {
		t.Errorf("English findings check: %q", st)
	}
	b.shot(pub, "verify-failed-en")
	// An oversized upload is explained in the reader's language with a next step.
	big := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(big, []byte(`{"pad":"`+strings.Repeat("a", 2<<20)+`"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	b.run(pub, "oversized upload",
		chromedp.Navigate(s.base+"/app/verify?lang=zh"),
		chromedp.SetUploadFiles(chromedp.CSS("#pkg-file"), []string{big}),
		chromedp.Click(chromedp.CSS("#verify-file-form button[type=submit]")),
		void(chromedp.Poll[bool](`document.getElementById("verify-msg").classList.contains("err")`, chromedp.WithPollingTimeout(20*time.Second))))
	if m := b.text(pub, "#verify-msg"); !strings.Contains(m, "文件太大") || strings.Contains(m, "exceeds") {
		t.Errorf("oversized upload message: %q", m)
	}
	b.shot(pub, "verify-too-large")
	b.run(pub, "back to the report", chromedp.Navigate(s.base+"/app/verify?lang=zh&id="+pledgeID),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_FAILED"][data-sub="PLEDGE_FALSE"]`)))
	// Printable: the print style sheet keeps the report and drops the rest.
	media := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	b.run(pub, "print media", media("print"))
	shown := `["header.site", "#verify-url-form", "#print", "#verdict", "#print-qr"].map(s => document.querySelector(s).getClientRects().length > 0 ? "shown" : "hidden").join(",")`
	layout := get(b, pub, "print layout", chromedp.Evaluate[string](shown))
	if layout != "hidden,hidden,hidden,shown,shown" {
		t.Errorf("printed header, form, print button, verdict, status QR: %s", layout)
	}
	if ok := get(b, pub, "printed QR", chromedp.Poll[bool](`document.querySelector("#print-qr img").complete && document.querySelector("#print-qr img").naturalWidth > 0`, chromedp.WithPollingTimeout(10*time.Second))); !ok {
		t.Error("the printed report has no status QR code")
	}
	b.shot(pub, "verify-failed-print")
	pdf := get(b, pub, "PDF", chromedp.PrintToPDF(chromedp.PDFPrintBackground()))
	if err := os.WriteFile(filepath.Join(b.dir, "verify-failed.pdf"), pdf, 0o644); err != nil || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Errorf("printed report: %v (%d bytes)", err, len(pdf))
	}
	b.run(pub, "screen media", media(""))
	if layout := get(b, pub, "screen layout", chromedp.Evaluate[string](shown)); layout != "shown,shown,shown,shown,hidden" {
		t.Errorf("on screen: header, form, print button, verdict, status QR: %s", layout)
	}
	b.run(pub, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_FAILED"]`)))
	b.shot(pub, "verify-failed-phone")
	if wide := get(b, pub, "page width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)); wide {
		t.Error("the report scrolls sideways on a phone-sized screen")
	}
	b.run(app, "phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS("#mine-list table")))
	b.shot(app, "apply-phone")
	if wide := get(b, app, "page width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)); wide {
		t.Error("the applicant page scrolls sideways on a phone-sized screen")
	}
	// The finding barred the applicant (the test domain reads the
	// enforcement bars, as the server does); an appeal upheld lifts the bar,
	// so the applicant may pledge again.
	fs, err := s.enf.Findings(context.Background(), pledgeID)
	if err != nil || len(fs) == 0 {
		t.Fatalf("findings of the pledge: %v %v", fs, err)
	}
	if _, err := s.enf.Reverse(context.Background(), auth.Principal{Role: auth.RoleEnforcement, Org: verifytest.Key.Region, TokenID: "tok-browser"},
		enforce.ReverseRequest{FindingID: fs[len(fs)-1].ID, Reason: "APPEAL_UPHELD", DocumentNo: "朝复〔2026〕1号"}); err != nil {
		t.Fatalf("reverse the finding: %v", err)
	}
	// On the phone, in English: choose the matter, pledge, and review the
	// document and its exact bytes without sideways scrolling.
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(s.base + "/app/apply?region=" + verifytest.Key.Region + "&notice=" + notice.ID),
		chromedp.WaitVisible(chromedp.CSS(radio)),
		// The language switch, as a reader uses it: it keeps the query.
		chromedp.Click(chromedp.CSS("#lang-switch")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="en"] ` + radio)),
		chromedp.Click(chromedp.CSS(radio)),
		chromedp.Click(chromedp.CSS("#pick-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#seal-check[data-ok="true"]`)),
	}
	for _, c := range []string{"KNOWS_NOTICE", "MEETS_CONDITIONS", "CAN_PROVIDE_MATERIALS", "INFORMATION_TRUE", "ACCEPTS_VERIFICATION", "BEARS_LIABILITY"} {
		steps = append(steps, chromedp.Click(chromedp.CSS("#st-"+c)))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS("#pledge-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#review-check[data-ok="true"]`)),
		chromedp.Click(chromedp.CSS("#review-bytes summary")), chromedp.WaitVisible(chromedp.CSS("#review-json")))
	b.run(app, "review on a phone, in English", steps...)
	if q := get(b, app, "query", chromedp.Evaluate[string](`location.search`)); !strings.Contains(q, "notice="+notice.ID) || !strings.Contains(q, "lang=en") {
		t.Errorf("the language switch lost the query: %q", q)
	}
	if lang := get(b, app, "English page", chromedp.AttributeValue(chromedp.CSS("html"), "lang")).Value; lang != "en" {
		t.Errorf("lang=%q after ?lang=en", lang)
	}
	if rv := b.text(app, "#review-card"); !strings.Contains(rv, "Review and sign") || !strings.Contains(rv, "I bear the legal liability of an untrue pledge.") ||
		!strings.Contains(rv, "Resident identity card") || !strings.Contains(rv, "Not barred from pledging") {
		t.Errorf("the English review is not in English: %q", rv)
	}
	b.shot(app, "apply-review-phone-en")
	if wide := get(b, app, "page width", chromedp.Evaluate[bool](`document.documentElement.scrollWidth > document.documentElement.clientWidth`)); wide {
		t.Error("the review scrolls sideways on a phone-sized screen")
	}
}

// TestKeyboard: the first Tab reaches the skip link, which moves focus to
// the main content; the language link and the forms are reachable by Tab.
func TestKeyboard(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.base)
	tab := b.tab()
	b.run(tab, "open the verification page", chromedp.Navigate(s.base+"/app/verify"), chromedp.WaitVisible(chromedp.CSS("#verify-url-form")))
	active := func() string {
		return get(b, tab, "focus", chromedp.Evaluate[string](`(document.activeElement.id || document.activeElement.className || document.activeElement.tagName)`))
	}
	b.run(tab, "tab", chromedp.KeyEvent("\t"))
	if got := active(); got != "skip" {
		t.Fatalf("first Tab focuses %q, want the skip link", got)
	}
	b.shot(tab, "skip-link")
	b.run(tab, "enter", chromedp.KeyEvent("\r"))
	if got := active(); got != "main" {
		t.Fatalf("the skip link moved focus to %q, want main", got)
	}
	seen := map[string]bool{}
	for i := 0; i < 15; i++ {
		b.run(tab, "tab", chromedp.KeyEvent("\t"))
		seen[active()] = true
	}
	for _, want := range []string{"pkg-file", "status-url"} {
		if !seen[want] {
			t.Errorf("Tab never reached #%s (reached %v)", want, seen)
		}
	}
	b.run(tab, "type and submit by keyboard", chromedp.Focus(chromedp.CSS("#status-url")), chromedp.KeyEvent("not-a-pledge\r"),
		chromedp.WaitVisible(chromedp.CSS("#verify-msg.err")))
	b.shot(tab, "keyboard-error")
}

// downloaded waits (10 s at most) for the browser to finish saving a file
// and returns its bytes.
func (b *browser) downloaded(path string) []byte {
	b.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if data, err := os.ReadFile(path); err == nil && len(data) > 0 {
			return data
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	b.t.Fatalf("the browser did not save %s (the folder holds %v)", filepath.Base(path), entries)
	return nil
}

func (b *browser) hidden(ctx context.Context, sel string) bool {
	b.t.Helper()
	return get(b, ctx, "hidden "+sel, chromedp.Evaluate[bool](`document.querySelector("`+sel+`").hidden`))
}

// download fetches a pledge's package as its applicant.
func (s *site) download(t *testing.T, id string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.base+"/v1/pledges/"+id+"/package", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.tokens[auth.RoleApplicant])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("package: %d %v %s", resp.StatusCode, err, body)
	}
	return body
}

// TestApplyLinkLoadsNotice: a link naming region and matter (what make run
// prints) shows the matter and its notice right after sign-in, with the
// notice number filled in; a matter without a notice loads nothing.
func TestApplyLinkLoadsNotice(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.base)
	tests := []struct {
		name, matter string
		wantNotice   bool
	}{
		{"matter with a notice", verifytest.Key.Matter, true},
		{"matter not in the catalogue", "M-9999", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tab := b.tab()
			b.signIn(tab, "/app/apply?region="+verifytest.Key.Region+"&matter="+tc.matter, s.tokens[auth.RoleApplicant])
			if !tc.wantNotice {
				b.run(tab, "the matter answer", chromedp.WaitVisible(chromedp.CSS("#matter-result p.msg")),
					chromedp.WaitVisible(chromedp.CSS(`#pick-matters input[value="`+verifytest.Key.Matter+`"]`)))
				if get(b, tab, "ticked", chromedp.Evaluate[bool](`!!document.querySelector("#pick-matters input:checked")`)) {
					t.Error("the picker ticks a matter the link did not name")
				}
				if !b.hidden(tab, "#notice-card") {
					t.Errorf("a notice card for a matter without a notice")
				}
				return
			}
			b.run(tab, "the notice loads by itself", chromedp.WaitVisible(chromedp.CSS("#notice-card")),
				chromedp.WaitVisible(chromedp.CSS(`#seal-check[data-ok="true"]`)),
				// The picker shows the same choice: the region and the matter ticked.
				chromedp.WaitVisible(chromedp.CSS(`#pick-matters input[value="`+tc.matter+`"]:checked`)))
			if got := get(b, tab, "the notice number", chromedp.Value(chromedp.CSS("#notice-id"))); got != s.published.Notice.ID {
				t.Errorf("notice number %q, want %q", got, s.published.Notice.ID)
			}
			b.shot(tab, "apply-link")
		})
	}
}

// TestSM3InPage: the SM3 the applicant page hashes the reviewed bytes with
// (assets/sm3.js) agrees with the service's SM3 on the standard's example,
// block boundaries, UTF-8 text and random data.
func TestSM3InPage(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.base)
	tab := b.tab()
	b.run(tab, "open a page", chromedp.Navigate(s.base+"/app/verify"), chromedp.WaitVisible(chromedp.CSS("#verify-url-form")))
	random := make([]byte, 1000)
	if _, err := rand.Read(random); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
		want string // from GB/T 32905 where it gives one
	}{
		{"empty", nil, ""},
		{"abc (GB/T 32905 example 1)", []byte("abc"), "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{"64 bytes (GB/T 32905 example 2)", bytes.Repeat([]byte("abcd"), 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
		{"55 bytes (padding fits)", bytes.Repeat([]byte{'x'}, 55), ""},
		{"56 bytes (padding spills)", bytes.Repeat([]byte{'x'}, 56), ""},
		{"UTF-8", []byte(`{"name":"张三丰","text":"本人愿意承担不实承诺的法律责任。"}`), ""},
		{"random", random, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			arr, _ := json.Marshal(bytesToInts(tc.in))
			got := get(b, tab, "sm3", chromedp.Evaluate[string](`PledgeSealSM3.hex(new Uint8Array(`+string(arr)+`))`))
			sum := pki.Digest(tc.in)
			if want := hex.EncodeToString(sum[:]); got != want || tc.want != "" && got != tc.want {
				t.Errorf("page SM3 %s, service SM3 %s (standard %s)", got, want, tc.want)
			}
		})
	}
}

func bytesToInts(b []byte) []int {
	out := make([]int, len(b))
	for i, x := range b {
		out[i] = int(x)
	}
	return out
}

// TestReviewExpires: a draft reviewed too long ago is not signed; the page
// says so, keeps the sign button off, and a fresh review signs.
func TestReviewExpires(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.base)
	tab := b.tab()
	b.signIn(tab, "/app/apply?region="+verifytest.Key.Region+"&matter="+verifytest.Key.Matter, s.tokens[auth.RoleApplicant])
	steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(`#seal-check[data-ok="true"]`))}
	for _, c := range []string{"KNOWS_NOTICE", "MEETS_CONDITIONS", "CAN_PROVIDE_MATERIALS", "INFORMATION_TRUE", "ACCEPTS_VERIFICATION", "BEARS_LIABILITY"} {
		steps = append(steps, chromedp.Click(chromedp.CSS("#st-"+c)))
	}
	review := append(steps, chromedp.Click(chromedp.CSS("#pledge-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#review-check[data-ok="true"]`)))
	b.run(tab, "review", review...)
	stale := get(b, tab, "draft", chromedp.Evaluate[string](`JSON.parse(document.getElementById("review-json").textContent).pledgeId`))
	s.env.Clock.Advance(16 * time.Minute) // past the 15-minute draft expiry
	b.run(tab, "sign too late", chromedp.Click(chromedp.CSS("#sign-btn")), chromedp.WaitVisible(chromedp.CSS("#sign-msg.err")))
	if msg := b.text(tab, "#sign-msg"); !strings.Contains(msg, "过期") {
		t.Errorf("the page says %q, want that the draft expired", msg)
	}
	if !get(b, tab, "sign button", chromedp.Evaluate[bool](`document.getElementById("sign-btn").disabled`)) || !b.hidden(tab, "#done-card") {
		t.Error("after an expired draft the sign button is on, or a pledge is shown")
	}
	if _, err := s.env.Pledges.GetPledge(context.Background(), stale); err == nil {
		t.Fatal("the expired draft was signed")
	}
	b.shot(tab, "review-expired")
	b.run(tab, "review again and sign",
		chromedp.Click(chromedp.CSS("#back-btn")),
		chromedp.Click(chromedp.CSS("#pledge-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#review-check[data-ok="true"]`)),
		chromedp.Click(chromedp.CSS("#sign-btn")),
		chromedp.WaitVisible(chromedp.CSS(`#done-check[data-same="true"]`)))
	if id := b.text(tab, "#done-id"); id == stale || !strings.HasPrefix(id, "P") {
		t.Errorf("signed %q after the expired %q", id, stale)
	}
}

// TestOfficerQueue: the officer pages past 50 pending pledges by the API's
// cursor, sees the matter by name, filters by matter and by state (the
// decided ones too), and a decision date the server refuses (before the
// signing day) is explained in words, not codes.
func TestOfficerQueue(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	ref := pledge.NoticeRef{ID: s.published.Notice.ID, Version: s.published.Notice.Version, Digest: s.published.DigestHex()}
	var ids []string
	for i := range 55 {
		req := s.env.Request(fmt.Sprintf("queue-key-%04d", i))
		req.Notice = ref
		rec, _, err := s.env.Service.SignWithEventCertificate(ctx, verifytest.Applicant, req)
		if err != nil {
			t.Fatalf("pledge %d: %v", i, err)
		}
		ids = append(ids, rec.ID)
		s.env.Clock.Advance(time.Second)
	}
	b := newBrowser(t, s.base)
	off := b.tab()
	b.signIn(off, "/app/officer", s.tokens[auth.RoleAgency])
	rows := func() int {
		return get(b, off, "rows", chromedp.Evaluate[int](`document.querySelectorAll("#queue tbody tr").length`))
	}
	b.run(off, "first page", chromedp.WaitVisible(chromedp.CSS(`#queue-page[data-page="1"]`)), chromedp.WaitVisible(chromedp.CSS("#queue-next")),
		void(chromedp.Poll[bool](`!!document.querySelector("#queue tbody td small.code")`, chromedp.WithPollingTimeout(10*time.Second))))
	if n := rows(); n != 50 {
		t.Errorf("first page: %d rows, want 50", n)
	}
	if m := b.text(off, "#queue tbody tr td:nth-child(2)"); !strings.Contains(m, verifytest.Key.Matter) || len([]rune(m)) <= len(verifytest.Key.Matter)+20 {
		t.Errorf("matter shown as %q: want its name with the code", m)
	}
	b.shot(off, "officer-queue-page1")
	b.run(off, "next page", chromedp.Click(chromedp.CSS("#queue-next")), chromedp.WaitVisible(chromedp.CSS(`#queue-page[data-page="2"]`)))
	if n := rows(); n != 5 || !b.hidden(off, "#queue-next") || b.hidden(off, "#queue-first") {
		t.Errorf("second page: %d rows, want 5 and no next page", n)
	}
	if last := get(b, off, "oldest", chromedp.Evaluate[string](`[...document.querySelectorAll("#queue tbody tr")].pop().dataset.pledge`)); last != ids[0] {
		t.Errorf("the last row of the last page is %s, want the oldest %s", last, ids[0])
	}
	b.shot(off, "officer-queue-page2")
	b.run(off, "another matter", chromedp.SendKeys(chromedp.CSS("#q-matter"), "OTHER-MATTER"), chromedp.Click(chromedp.CSS("#queue-load")),
		chromedp.WaitVisible(chromedp.CSS(`#queue-page[data-page="1"][data-count="0"]`)))
	b.run(off, "first page again", chromedp.SetValue(chromedp.CSS("#q-matter"), verifytest.Key.Matter), chromedp.Click(chromedp.CSS("#queue-load")),
		chromedp.WaitVisible(chromedp.CSS(`#queue-page[data-page="1"][data-count="50"]`)))

	// The decision date defaults to today in China and may not precede the
	// signing day; a browser that lets an earlier date through gets the
	// server's refusal explained.
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	newest := `#queue tr[data-pledge="` + ids[54] + `"] button`
	b.run(off, "open the newest", chromedp.Click(chromedp.CSS(newest)), chromedp.WaitVisible(chromedp.CSS(`#case-body[data-status="SIGNED"]`)))
	if d := get(b, off, "date", chromedp.Value(chromedp.CSS("#doc-date"))); d != today {
		t.Errorf("decision date defaults to %q, want today in China %s", d, today)
	}
	b.run(off, "a date before the signing",
		chromedp.SendKeys(chromedp.CSS("#doc-no"), "朝市监许〔2026〕77号"),
		void(chromedp.Evaluate[bool](`(e => { e.removeAttribute("min"); e.value = "2020-01-01"; return true; })(document.getElementById("doc-date"))`)),
		chromedp.Click(chromedp.CSS("#accept-form button[type=submit]")),
		void(chromedp.Poll[bool](`document.getElementById("case-msg").classList.contains("err")`, chromedp.WithPollingTimeout(10*time.Second))))
	if m := b.text(off, "#case-msg"); !strings.Contains(m, "不能早于") || !strings.Contains(m, "DECISION_DATE_INVALID") || strings.Contains(m, "before the pledge") {
		t.Errorf("refused date explained as %q", m)
	}
	b.shot(off, "officer-date-refused")
	b.run(off, "accept with today", chromedp.SetValue(chromedp.CSS("#doc-date"), today), chromedp.Click(chromedp.CSS("#accept-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#case-body[data-status="ACCEPTED"]`)))
	b.run(off, "the decided ones", chromedp.SetValue(chromedp.CSS("#q-status"), "ACCEPTED"), chromedp.Click(chromedp.CSS("#queue-load")),
		chromedp.WaitVisible(chromedp.CSS(`#queue tr[data-pledge="`+ids[54]+`"][data-status="ACCEPTED"]`)))
	if st := b.text(off, `#queue tr[data-pledge="`+ids[54]+`"] td:nth-child(4)`); !strings.Contains(st, "已受理") || !strings.Contains(st, "77号") {
		t.Errorf("decided row status %q", st)
	}
	b.shot(off, "officer-queue-decided")
}

// TestBarredApplicant: an applicant barred for a false pledge learns it as
// soon as the matter is chosen — in plain words, with the end date, the
// certificate route and how to appeal — before ticking any statement; an
// applicant without a bar is told they may pledge.
func TestBarredApplicant(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.base)
	tab := b.tab()
	b.signIn(tab, "/app/apply?region="+verifytest.Key.Region+"&matter="+verifytest.Key.Matter, s.tokens[auth.RoleApplicant])
	b.run(tab, "not barred", chromedp.WaitVisible(chromedp.CSS(`#eligibility[data-eligible="true"]`)))
	now := s.env.Clock.Now()
	end := now.Add(-time.Minute).AddDate(5, 0, 0)
	bar := pledge.Bar{ID: "B-BROWSER-1", Subject: s.env.Service.SubjectIndex(verifytest.Applicant), Reason: pledge.BarFalsePledge, ScopeKind: pledge.ScopeAll,
		Start: now.Add(-time.Minute), End: end, EndRule: pledge.Text{Zh: "自认定之日起五年", En: "five years from the finding"},
		Source: pledge.BarSource, DocumentNo: "朝市监核〔2026〕3号"}
	if err := s.env.Bars.PutBar(context.Background(), bar); err != nil {
		t.Fatal(err)
	}
	b.run(tab, "barred", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#eligibility[data-eligible="false"]`)))
	msg := b.text(tab, "#eligibility")
	until := end.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	for _, want := range []string{"虚假承诺", until, "朝市监核〔2026〕3号", "提交证明材料", "行政复议"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the bar explanation lacks %q: %q", want, msg)
		}
	}
	for _, code := range []string{"FALSE_PLEDGE", "ALL", "scope"} {
		if strings.Contains(msg, code) {
			t.Errorf("the bar explanation shows the code %q: %q", code, msg)
		}
	}
	if ticked := get(b, tab, "ticked", chromedp.Evaluate[int](`document.querySelectorAll("#statements input:checked").length`)); ticked != 0 {
		t.Errorf("%d statements ticked before the bar was shown", ticked)
	}
	b.shot(tab, "apply-barred")
	b.run(tab, "in English", chromedp.Navigate(s.base+"/app/apply?lang=en&region="+verifytest.Key.Region+"&matter="+verifytest.Key.Matter),
		chromedp.WaitVisible(chromedp.CSS(`#eligibility[data-eligible="false"]`)))
	if msg := b.text(tab, "#eligibility"); !strings.Contains(msg, "found false") || !strings.Contains(msg, until) || !strings.Contains(msg, "certificates") {
		t.Errorf("English bar explanation: %q", msg)
	}
	b.shot(tab, "apply-barred-en")
}

// TestPublicDisclosure: the 公示 page lists a matter's published pledges
// (masked, paged by the API's next value) and the false-pledge list; a
// pledge found false leaves the first list and shows on the second.
func TestPublicDisclosure(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	env := s.env
	// The matter publishes its decided pledges for a year.
	entry := verifytest.Entry(env.Clock.Now())
	entry.RegionName = pledge.Text{Zh: "北京市朝阳区", En: "Chaoyang District, Beijing"}
	entry.Disclosure = pledge.DisclosurePolicy{Publish: true, Days: 365, Scope: pledge.Text{Zh: "本机关网站", En: "the agency's website"}}
	if _, err := env.Catalogue.Record(ctx, pledge.Editor{Agency: verifytest.Agency, Actor: "officer-1"}, entry, 2); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Minute)
	pub, err := env.Notices.Publish(ctx, verifytest.Agency, verifytest.Notice())
	if err != nil {
		t.Fatal(err)
	}
	env.Published = pub
	var ids []string
	for i := range 23 {
		rec, _, err := env.Service.SignWithEventCertificate(ctx, verifytest.Applicant, env.Request(fmt.Sprintf("pub-key-%04d", i)))
		if err != nil {
			t.Fatal(err)
		}
		env.Clock.Advance(time.Second)
		day := env.Clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
		if _, err := env.Service.Accept(ctx, pledge.Officer{Agency: verifytest.Agency, ID: "officer-1"}, rec.ID, fmt.Sprintf("朝市监许〔2026〕%d号", 100+i), day); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rec.ID)
	}
	env.Clock.Advance(time.Minute)
	officer := auth.Principal{Role: auth.RoleEnforcement, Org: verifytest.Key.Region, TokenID: "tok-browser"}
	if _, err := s.enf.RecordFinding(ctx, officer, enforce.FindingRequest{PledgeID: ids[0], Outcome: enforce.FalseConfirmed,
		DocumentNo: "朝市监核〔2026〕5号", Evidence: []string{strings.Repeat("ab", 32)}, Inspector: "INS-1"}); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, s.base)
	tab := b.tab()
	b.run(tab, "open", chromedp.Navigate(s.base+"/app/public?lang=zh"),
		chromedp.WaitVisible(chromedp.CSS(`#false-list tr[data-pledge="`+ids[0]+`"]`)),
		void(chromedp.Poll[bool](`!!document.querySelector('#pub-matter option[value="`+verifytest.Key.Matter+`"]')`, chromedp.WithPollingTimeout(10*time.Second))),
		chromedp.SetValue(chromedp.CSS("#pub-matter"), verifytest.Key.Matter),
		chromedp.Click(chromedp.CSS("#pub-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#pub-list table")))
	if f := b.text(tab, "#false-list"); !strings.Contains(f, "张*丰") || !strings.Contains(f, "朝市监核〔2026〕5号") || strings.Contains(f, verifytest.Applicant.IDNumber) {
		t.Errorf("false list %q", f)
	}
	rows := func() []string {
		return get(b, tab, "rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll("#pub-list tbody tr")].map(r => r.dataset.pledge)`))
	}
	var seen []string
	first := rows()
	seen = append(seen, first...)
	b.shot(tab, "public-page1")
	for range 5 {
		if b.hidden(tab, "#pub-next") {
			break
		}
		b.run(tab, "next page", chromedp.Click(chromedp.CSS("#pub-next")),
			void(chromedp.Poll[bool](`!!document.querySelector("#pub-list table") || !!document.querySelector("#pub-list p")`, chromedp.WithPollingTimeout(10*time.Second))))
		seen = append(seen, rows()...)
	}
	b.shot(tab, "public-last-page")
	if len(first) == 0 || len(first) > 20 || len(seen) != 22 || slices.Contains(seen, ids[0]) {
		t.Errorf("published: first page %d, all %d (want 22, without the false one %s): %v", len(first), len(seen), ids[0], seen)
	}
	if txt := b.text(tab, "#pub-list"); strings.Contains(txt, verifytest.Applicant.IDNumber) || strings.Contains(txt, verifytest.Applicant.Name) {
		t.Errorf("the public list shows the identity unmasked: %q", txt)
	}
}

// TestAppealReversal: the enforcement officer finds a false-pledge finding
// by the pledge's number, records the reconsideration decision that set it
// aside with its document number, and sees the bar lifted: the applicant
// is eligible again and the pledge verifies as in force.
func TestAppealReversal(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	env := s.env
	env.Published = s.published
	rec, _, err := env.Service.SignWithEventCertificate(ctx, verifytest.Applicant, env.Request("appeal-key-0001"))
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Minute)
	day := env.Clock.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	if _, err := env.Service.Accept(ctx, pledge.Officer{Agency: verifytest.Agency, ID: "officer-1"}, rec.ID, "朝市监许〔2026〕8号", day); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(time.Minute)
	officer := auth.Principal{Role: auth.RoleEnforcement, Org: verifytest.Key.Region, TokenID: "tok-browser"}
	f, err := s.enf.RecordFinding(ctx, officer, enforce.FindingRequest{PledgeID: rec.ID, Outcome: enforce.FalseConfirmed,
		DocumentNo: "朝市监核〔2026〕6号", Evidence: []string{strings.Repeat("ab", 32)}, Inspector: "INS-1"})
	if err != nil {
		t.Fatal(err)
	}
	// The bars enforcement writes, as the running service reads them.
	bars := env.Domain.Bars
	barred := func() bool {
		t.Helper()
		bs, err := bars.BarsFor(ctx, env.Service.SubjectIndex(verifytest.Applicant))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range bs {
			if b.ActiveAt(verifytest.Key, env.Clock.Now()) {
				return true
			}
		}
		return false
	}
	if !barred() {
		t.Fatal("after the finding the applicant is not barred")
	}
	env.Clock.Advance(time.Minute) // (the tokens last an hour)
	b := newBrowser(t, s.base)
	tab := b.tab()
	b.signIn(tab, "/app/enforce?lang=zh", s.tokens[auth.RoleEnforcement])
	item := `#findings li[data-finding="` + f.ID + `"]`
	b.run(tab, "find the finding", chromedp.SendKeys(chromedp.CSS("#fs-pledge"), rec.ID), chromedp.Click(chromedp.CSS("#findings-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(item+" details.appeal-box summary")), chromedp.Click(chromedp.CSS(item+" details.appeal-box summary")),
		chromedp.SetValue(chromedp.CSS("#ap-reason-"+f.ID), "APPEAL_UPHELD"), chromedp.SendKeys(chromedp.CSS("#ap-doc-"+f.ID), "朝复〔2026〕2号"))
	b.shot(tab, "enforce-appeal-form")
	b.run(tab, "record the reversal", chromedp.Click(chromedp.CSS(item+" form.appeal button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#findings li[data-outcome="APPEAL_REVERSED"]`)))
	if m := b.text(tab, "#finding-msg"); !strings.Contains(m, "约束已解除") {
		t.Errorf("after the reversal the page says %q", m)
	}
	if d := b.text(tab, item); !strings.Contains(d, "已被撤销") || get(b, tab, "form gone", chromedp.Evaluate[bool](`!!document.querySelector('`+item+` form.appeal')`)) {
		t.Errorf("the reversed finding still offers an appeal or does not say it was set aside: %q", d)
	}
	b.shot(tab, "enforce-appeal-recorded")
	if barred() {
		t.Error("after the reversal the bar stays")
	}
	b.run(tab, "the pledge verifies again", chromedp.Navigate(s.base+"/app/verify?lang=zh&id="+rec.ID),
		chromedp.WaitVisible(chromedp.CSS(`#verdict[data-indication="TOTAL_PASSED"]`)))
	b.shot(tab, "verify-after-appeal")
}

// TestAxeFindsViolations holds the accessibility check to account: on a
// page with an unlabelled form field and an image without alternative text
// axe-core must report serious or critical violations, so a clean run of
// the page tests means something.
func TestAxeFindsViolations(t *testing.T) {
	b := newBrowser(t, "")
	if b.axe == "" {
		t.Skip("no axe-core (PLEDGESEAL_AXE_JS)")
	}
	ctx := b.tab()
	bad := `<!doctype html><html lang="en"><head><title>t</title></head><body><main><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>`
	b.run(ctx, "open a bad page", chromedp.Navigate("data:text/html;base64,"+base64.StdEncoding.EncodeToString([]byte(bad))))
	get(b, ctx, "inject axe", chromedp.Evaluate[any](b.axe+";0"))
	found := get(b, ctx, "axe", chromedp.Evaluate[[]string](axeRunJS, chromedp.EvalAwaitPromise))
	ids := strings.Join(found, "\n")
	if !strings.Contains(ids, "image-alt") || !strings.Contains(ids, "label") {
		t.Fatalf("axe-core missed the violations of a bad page: %q", found)
	}
}

// checkDrawRecord runs the page's reproducibility record as a citizen
// would: the population file the page offers (its content taken from the
// public record), then the shown OpenSSL command with bash. The digest must
// equal the published one and the pledge's rank the published rank.
func checkDrawRecord(t *testing.T, b *browser, ctx context.Context, seed, pledgeID string) {
	t.Helper()
	cmd := b.text(ctx, "#draw-command")
	if !strings.Contains(cmd, "SEED="+seed) {
		t.Fatalf("the record's command does not carry the public seed: %q", cmd)
	}
	var rec struct {
		Population []struct{ PledgeID, Tier string } `json:"population"`
		Result     struct {
			PopulationDigest string `json:"populationDigest"`
			Selection        []struct{ PledgeID, Rank string }
		} `json:"result"`
	}
	id := strings.Fields(b.text(ctx, "#draw-result dd.mono"))[0]
	resp, err := http.Get(b.base + "/v1/enforcement/draws/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var tsv strings.Builder
	for _, c := range rec.Population {
		fmt.Fprintf(&tsv, "%s\t%s\n", c.PledgeID, c.Tier)
	}
	if err := os.WriteFile(filepath.Join(dir, "population.tsv"), []byte(tsv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	sh := exec.Command("bash", "-c", cmd)
	sh.Dir = dir
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("the record's command: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 || lines[0] != rec.Result.PopulationDigest {
		t.Fatalf("recomputed digest %q, published %q", lines[0], rec.Result.PopulationDigest)
	}
	rank := ""
	for _, sel := range rec.Result.Selection {
		if sel.PledgeID == pledgeID {
			rank = sel.Rank
		}
	}
	found := false
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) == 3 && f[2] == pledgeID {
			found = f[0] == rank
		}
	}
	if rank == "" || !found {
		t.Fatalf("the recomputed rank of %s does not match the published %q:\n%s", pledgeID, rank, out)
	}
}
