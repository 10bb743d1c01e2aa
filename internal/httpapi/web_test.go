package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/web"
)

// TestWebRoutes: the pages are mounted beside the API, outside the route
// list, and the API keeps answering problem documents.
func TestWebRoutes(t *testing.T) {
	pages, err := web.NewForSite(web.Site{})
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Deps{Web: pages}, Options{})
	for _, r := range srv.Routes() {
		if r.Path == "/" || strings.HasPrefix(r.Path, "/app") || strings.HasPrefix(r.Path, "/assets") {
			t.Errorf("page route %s in the API route list", r.Path)
		}
	}
	cases := []struct {
		name, method, path string
		code               int
		ctype              string
	}{
		{"302/root", "GET", "/", 302, ""},
		{"200/page", "GET", "/app/verify", 200, "text/html; charset=utf-8"},
		{"200/asset", "GET", "/assets/app.js", 200, "text/javascript; charset=utf-8"},
		{"200/healthz still JSON", "GET", "/healthz", 200, "application/json; charset=utf-8"},
		{"404/API problem", "GET", "/v1/nothing", 404, "application/problem+json"},
		{"404/unknown page", "GET", "/app/nope", 404, "text/plain; charset=utf-8"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
			if rec.Code != c.code {
				t.Fatalf("status %d, want %d: %s", rec.Code, c.code, rec.Body)
			}
			if c.ctype != "" && !strings.HasPrefix(rec.Header().Get("Content-Type"), c.ctype) {
				t.Errorf("Content-Type %q, want %q", rec.Header().Get("Content-Type"), c.ctype)
			}
		})
	}
	// Without Deps.Web there are no pages.
	rec := httptest.NewRecorder()
	New(Deps{}, Options{}).Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/app/", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("no Web: /app/ → %d", rec.Code)
	}
}
