package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// TestReportLanguage: the verification report words every check in the
// language Accept-Language asks for (zh-CN by default, q-values honoured),
// names it in Content-Language, and keeps the machine codes and the
// verifier's English detail beside.
func TestReportLanguage(t *testing.T) {
	h, e := pledgeHarness(t)
	pages, err := web.NewForSite(web.Site{})
	if err != nil {
		t.Fatal(err)
	}
	h.srv.deps.Web = pages
	f := setUp(t, h, e)
	id := f.signEvent(t, "lang-key-0001").ID
	f.accept(t, id)
	for _, tc := range []struct{ header, lang, stateText string }{
		{"", "zh-CN", "承诺书已受理，目前有效。"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "承诺书已受理，目前有效。"},
		{"en-US,en;q=0.9", "en", "The pledge is accepted and in force."},
		{"fr-FR, en;q=0.5, zh;q=0.3", "en", "The pledge is accepted and in force."},
		{"de, zh-TW;q=0.8", "zh-CN", "承诺书已受理，目前有效。"},
		{";;;garbage", "zh-CN", "承诺书已受理，目前有效。"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/v1/pledges/"+id+"/verification", nil)
		if tc.header != "" {
			req.Header.Set("Accept-Language", tc.header)
		}
		rec := httptest.NewRecorder()
		h.srv.Handler().ServeHTTP(rec, req)
		h.validate(req, rec)
		wantStatus(t, rec, http.StatusOK)
		if got := rec.Header().Get("Content-Language"); got != tc.lang {
			t.Errorf("%q: Content-Language %q, want %q", tc.header, got, tc.lang)
		}
		var r verify.Report
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
			t.Fatal(err)
		}
		for _, c := range r.Checks() {
			if c.Text == "" || c.Name == "" || c.Detail == "" {
				t.Errorf("%q: check without text, code or detail: %+v", tc.header, c)
			}
		}
		c, _ := r.Find(verify.CheckPledgeState)
		if c.Text != tc.stateText || c.Result != "PASSED" {
			t.Errorf("%q: state-now check %+v, want text %q", tc.header, c, tc.stateText)
		}
	}
}
