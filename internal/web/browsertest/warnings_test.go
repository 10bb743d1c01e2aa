package browsertest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// TestWarningsInReport: a check's warnings (leniency the SES engine
// applied to another product's seal, issue 14) are shown under the check
// with the catalogue's text for their code and the detail. Packages this
// service makes carry no warnings, so the page is given a report with one
// through a stubbed fetch.
func TestWarningsInReport(t *testing.T) {
	s := newSite(t)
	b := newBrowser(t, s.base)
	tab := b.tab()
	at := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	rep := verify.Report{Format: "pledgeseal.verification/v1", Indication: outcome.TotalPassed,
		ValidAtSigning: verify.AtSigning{Indication: outcome.TotalPassed, Checks: []verify.Check{
			{Name: verify.CheckAgencySeal, Scope: verify.ScopeSigning, Result: outcome.Passed, Detail: "the agency seal verifies",
				Warnings: []outcome.Warning{{Code: outcome.WarnCertListTypeUnknown, Detail: "seal-format: certListType 3 read as type 1"}}},
			{Name: verify.CheckNoticeSeal, Scope: verify.ScopeSigning, Result: outcome.Passed, Detail: "the notice seal verifies"},
		}},
		StatusNow: verify.Now{Indication: outcome.TotalPassed, Checks: []verify.Check{}},
		Freshness: verify.Freshness{VerifiedAt: at},
	}
	body, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	stub := `window.fetch = () => Promise.resolve(new Response(` + "`" + string(body) + "`" + `, {status: 200, headers: {"Content-Type": "application/json"}})); true`
	b.run(tab, "open the verify page", chromedp.Navigate(s.base+"/app/verify"), chromedp.WaitVisible(chromedp.CSS("#verify-url-form")))
	get(b, tab, "stub fetch", chromedp.Evaluate[bool](stub))
	b.run(tab, "look up a pledge",
		chromedp.SendKeys(chromedp.CSS("#status-url"), "P"+strings.Repeat("0", 32)),
		chromedp.Click(chromedp.CSS("#verify-url-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`li[data-warning="CERT_LIST_TYPE_UNKNOWN"]`)))
	got := b.text(tab, `li[data-check="agency-seal"] ul.warnings`)
	for _, want := range []string{"宽容处理", "印章证书列表类型未知", "seal-format: certListType 3 read as type 1"} {
		if !strings.Contains(got, want) {
			t.Errorf("warning text %q lacks %q", got, want)
		}
	}
	if n := get(b, tab, "count warnings", chromedp.Evaluate[int](`document.querySelectorAll("ul.warnings li").length`)); n != 1 {
		t.Errorf("%d warnings shown, want 1 (none for the notice seal)", n)
	}
	b.shot(tab, "report-with-warning")
}
