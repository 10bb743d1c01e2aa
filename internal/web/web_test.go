package web

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

func newHandler(t *testing.T) *Handler {
	t.Helper()
	h, err := NewForSite(Site{})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(h http.Handler, method, target string, cookie *http.Cookie) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, target, nil)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestPages(t *testing.T) {
	h := newHandler(t)
	cases := []struct {
		name, method, target string
		cookie               *http.Cookie
		code                 int
		lang                 string // want <html lang=…>
		contains             string
		setsCookie           bool
	}{
		{"200/home zh by default", "GET", "/app/", nil, 200, "zh-CN", "首页", false},
		{"200/verify", "GET", "/app/verify", nil, 200, "zh-CN", `id="verify-file-form"`, false},
		{"200/apply", "GET", "/app/apply", nil, 200, "zh-CN", `id="signin-form"`, false},
		{"200/officer", "GET", "/app/officer", nil, 200, "zh-CN", `id="accept-form"`, false},
		{"200/enforce", "GET", "/app/enforce", nil, 200, "zh-CN", `id="finding-form"`, false},
		{"200/english by query", "GET", "/app/verify?lang=en", nil, 200, "en", "Verify a pledge", true},
		{"200/english by cookie", "GET", "/app/verify", &http.Cookie{Name: LangCookie, Value: "en"}, 200, "en", "Verify a pledge", false},
		{"200/query beats cookie", "GET", "/app/verify?lang=zh", &http.Cookie{Name: LangCookie, Value: "en"}, 200, "zh-CN", "核验承诺书", true},
		{"200/unknown lang falls back", "GET", "/app/?lang=xx", nil, 200, "zh-CN", "首页", false},
		{"200/HEAD", "HEAD", "/app/verify", nil, 200, "", "", false},
		{"302/root", "GET", "/", nil, 302, "", "", false},
		{"301/app without slash", "GET", "/app", nil, 301, "", "", false},
		{"404/unknown page", "GET", "/app/nope", nil, 404, "", "", false},
		{"404/outside", "GET", "/elsewhere", nil, 404, "", "", false},
		{"405/post", "POST", "/app/verify", nil, 405, "", "", false},
		{"200/css", "GET", "/assets/app.css", nil, 200, "", "--pass", false},
		{"200/js", "GET", "/assets/app.js", nil, 200, "", "use strict", false},
		{"200/sm3", "GET", "/assets/sm3.js", nil, 200, "", "PledgeSealSM3", false},
		{"200/apply picker and review", "GET", "/app/apply", nil, 200, "zh-CN", `id="pick-region"`, false},
		{"200/layout loads sm3 before app", "GET", "/app/", nil, 200, "zh-CN", `<script src="/assets/sm3.js" defer></script>
<script src="/assets/app.js" defer></script>`, false},
		{"404/asset", "GET", "/assets/none.js", nil, 404, "", "", false},
		{"404/asset directory", "GET", "/assets/", nil, 404, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := get(h, c.method, c.target, c.cookie)
			if rec.Code != c.code {
				t.Fatalf("status %d, want %d", rec.Code, c.code)
			}
			if csp := rec.Header().Get("Content-Security-Policy"); csp != ContentSecurityPolicy {
				t.Errorf("CSP %q", csp)
			}
			body := rec.Body.String()
			if c.lang != "" && !strings.Contains(body, `<html lang="`+c.lang+`">`) {
				t.Errorf("want lang %s in %.200s", c.lang, body)
			}
			if c.contains != "" && !strings.Contains(body, c.contains) {
				t.Errorf("body lacks %q", c.contains)
			}
			if got := strings.Contains(rec.Header().Get("Set-Cookie"), LangCookie+"="); got != c.setsCookie {
				t.Errorf("Set-Cookie %q, want a language cookie: %v", rec.Header().Get("Set-Cookie"), c.setsCookie)
			}
		})
	}
}

// TestNoInlineScript: the CSP forbids inline script, so no page may carry
// one (only the JSON message block, which is data), nor inline handlers or
// styles, nor anything from another origin.
func TestNoInlineScript(t *testing.T) {
	h := newHandler(t)
	scriptTag := regexp.MustCompile(`<script\b[^>]*>`)
	handler := regexp.MustCompile(`(?i)\son[a-z]+\s*=|style\s*=|javascript:|https?://`)
	for _, p := range pages() {
		for _, lang := range []string{"zh", "en"} {
			body := get(h, "GET", "/app/"+p.Path+"?lang="+lang, nil).Body.String()
			for _, tag := range scriptTag.FindAllString(body, -1) {
				if !strings.Contains(tag, `src="/assets/`) && !strings.Contains(tag, `type="application/json"`) {
					t.Errorf("%s/%s: inline script %s", p.Name, lang, tag)
				}
			}
			// The text of the pages may mention https://… as an example; the markup may not.
			markup := regexp.MustCompile(`>[^<]*<`).ReplaceAllString(body, "><")
			if m := handler.FindString(markup); m != "" {
				t.Errorf("%s/%s: %q in the markup", p.Name, lang, m)
			}
			if !strings.Contains(body, `<main id="main"`) || !strings.Contains(body, `class="skip"`) {
				t.Errorf("%s/%s: no main landmark or skip link", p.Name, lang)
			}
		}
	}
}

// TestLabels: every form control of every page has a label.
func TestLabels(t *testing.T) {
	h := newHandler(t)
	control := regexp.MustCompile(`<(input|select|textarea)\b[^>]*\bid="([^"]+)"`)
	for _, p := range pages() {
		body := get(h, "GET", "/app/"+p.Path, nil).Body.String()
		for _, m := range control.FindAllStringSubmatch(body, -1) {
			if !strings.Contains(body, `for="`+m[2]+`"`) {
				t.Errorf("%s: %s #%s has no label", p.Name, m[1], m[2])
			}
		}
	}
}

func TestCatalogues(t *testing.T) {
	h := newHandler(t)
	if len(h.catalog["zh-CN"]) < 100 {
		t.Fatalf("zh-CN catalogue has %d messages", len(h.catalog["zh-CN"]))
	}
	bad := map[string]map[string]string{"zh-CN": {"a": "甲", "b": "乙"}, "en": {"a": "A"}}
	if err := CheckCatalogues(bad); err == nil || !strings.Contains(err.Error(), `en lacks "b"`) {
		t.Fatalf("CheckCatalogues = %v", err)
	}
	// Every key the script looks up literally is in the catalogue.
	js, err := fs.ReadFile(assetFS, "assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\bt\("([a-zA-Z.]+)"\)`).FindAllStringSubmatch(string(js), -1) {
		if _, ok := h.catalog["en"][m[1]]; !ok {
			t.Errorf("app.js uses %q, which no catalogue has", m[1])
		}
	}
}

// TestWarningTexts: every warning code a check can carry has a text in
// both catalogues (app.js shows "warning.<code>" beside the detail).
func TestWarningTexts(t *testing.T) {
	h := newHandler(t)
	for _, code := range outcome.WarningCodes() {
		for _, lang := range []string{"zh-CN", "en"} {
			if h.catalog[lang]["warning."+string(code)] == "" {
				t.Errorf("%s catalogue lacks warning.%s", lang, code)
			}
		}
	}
}

// TestTemplateKeys: every message key a template names exists.
func TestTemplateKeys(t *testing.T) {
	h := newHandler(t)
	key := regexp.MustCompile(`\{\{t "([^"]+)"\}\}`)
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil || len(files) < 5 {
		t.Fatalf("templates: %v %v", files, err)
	}
	n := 0
	for _, f := range files {
		b, err := fs.ReadFile(templateFS, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range key.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, ok := h.catalog["zh-CN"][m[1]]; !ok {
				t.Errorf("%s uses %q, which no catalogue has", f, m[1])
			}
		}
	}
	if n < 100 {
		t.Errorf("only %d message keys found in the templates", n)
	}
	for _, p := range pages() {
		if _, ok := h.catalog["en"][p.Title]; !ok {
			t.Errorf("page %s: title key %q missing", p.Name, p.Title)
		}
	}
}

// FuzzServe: no request path, query or cookie makes the handler panic or
// answer with a server error.
func FuzzServe(f *testing.F) {
	h, err := NewForSite(Site{})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"/app/", "/app/verify?lang=en", "/assets/app.css", "/app/../etc/passwd", "/assets/%2e%2e/web.go", "/app/verify?id=P0&lang=%00", "/"} {
		f.Add(s, "en")
	}
	f.Fuzz(func(t *testing.T, target, cookie string) {
		req, err := http.NewRequest("GET", "http://x"+target, nil)
		if err != nil || !strings.HasPrefix(target, "/") {
			return
		}
		req.Header.Set("Cookie", LangCookie+"="+cookie)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s → %d", target, rec.Code)
		}
	})
}

// TestAssetsRevalidate: every asset carries a strong ETag, a repeat visit
// with If-None-Match gets 304 without a body, and a changed tag gets 200.
func TestAssetsRevalidate(t *testing.T) {
	h := newHandler(t)
	for _, a := range []string{"app.css", "app.js", "sm3.js", "favicon.svg"} {
		first := get(h, "GET", "/assets/"+a, nil)
		tag := first.Header().Get("ETag")
		if first.Code != 200 || !regexp.MustCompile(`^"[0-9a-f]{32}"$`).MatchString(tag) {
			t.Fatalf("%s: %d, ETag %q", a, first.Code, tag)
		}
		req := httptest.NewRequest("GET", "/assets/"+a, nil)
		req.Header.Set("If-None-Match", tag)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 || rec.Header().Get("ETag") != tag {
			t.Errorf("%s revalidated: %d, %d bytes, ETag %q", a, rec.Code, rec.Body.Len(), rec.Header().Get("ETag"))
		}
		req.Header.Set("If-None-Match", `"0000"`)
		rec = httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 || rec.Body.Len() == 0 {
			t.Errorf("%s with another tag: %d", a, rec.Code)
		}
	}
	if a, b := get(h, "GET", "/assets/app.js", nil).Header().Get("ETag"), get(h, "GET", "/assets/app.css", nil).Header().Get("ETag"); a == b {
		t.Error("two assets share one ETag")
	}
}

// TestFooterSite: the footer names the service and the operator's contact
// from config (escaped), else the catalogue's; no developer sentence.
func TestFooterSite(t *testing.T) {
	h, err := NewForSite(Site{ServiceName: "北京市告知承诺核验<服务>", OperatorContact: "12345 · ops@example.gov.cn"})
	if err != nil {
		t.Fatal(err)
	}
	body := get(h, "GET", "/app/verify", nil).Body.String()
	if !strings.Contains(body, `<p id="footer-service">北京市告知承诺核验&lt;服务&gt;</p>`) || !strings.Contains(body, "运营单位联系方式：12345 · ops@example.gov.cn") {
		t.Errorf("footer from config not shown: %s", body[strings.Index(body, "<footer"):])
	}
	for _, lang := range []string{"zh", "en"} {
		body = get(newHandler(t), "GET", "/app/?lang="+lang, nil).Body.String()
		foot := body[strings.Index(body, "<footer"):]
		if strings.Contains(foot, "pledged") || !strings.Contains(foot, map[string]string{"zh": "请联系办理该事项的机关", "en": "contact the agency"}[lang]) {
			t.Errorf("default footer (%s): %s", lang, foot)
		}
	}
}
