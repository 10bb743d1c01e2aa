package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// TestOpenAPIRoutesMatchSpec fails when a registered route is missing from
// api/openapi.yaml or the spec names a route the server does not have.
func TestOpenAPIRoutesMatchSpec(t *testing.T) {
	h := newHarness(t)
	registered := map[string]bool{}
	for _, r := range h.srv.Routes() {
		registered[r.Method+" "+r.Path] = true
	}
	inSpec := map[string]bool{}
	for path, item := range h.spec.Paths.Map() {
		for method := range item.Operations() {
			inSpec[method+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range registered {
		if !inSpec[k] {
			missing = append(missing, k)
		}
	}
	for k := range inSpec {
		if !registered[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from api/openapi.yaml: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("api/openapi.yaml names routes the server does not have: %v", extra)
	}
}

// fillParams replaces {param} segments with a harmless well-formed value.
func fillParams(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") {
			segs[i] = "00000000000000000000"
		}
	}
	return strings.Join(segs, "/")
}

// TestRouteRoleMatrix calls every route with every role: a role the route
// does not allow gets 403 (401 without a token); an allowed role never does,
// and nothing answers 500.
func TestRouteRoleMatrix(t *testing.T) {
	h := newHarness(t)
	for _, r := range h.srv.Routes() {
		for _, role := range auth.Roles() {
			t.Run(fmt.Sprintf("%s %s as %s", r.Method, r.Path, role), func(t *testing.T) {
				var body any
				if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
					body = "{}"
				}
				rec := h.do(r.Method, fillParams(r.Path), role, body)
				switch {
				case rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable:
					t.Fatalf("status %d: %s", rec.Code, rec.Body)
				case !r.Allows(role) && role == auth.RolePublic:
					if rec.Code != http.StatusUnauthorized {
						t.Fatalf("anonymous call: want 401, got %d", rec.Code)
					}
				case !r.Allows(role):
					if rec.Code != http.StatusForbidden {
						t.Fatalf("role %s: want 403, got %d", role, rec.Code)
					}
				default:
					if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
						t.Fatalf("role %s is allowed but got %d: %s", role, rec.Code, rec.Body)
					}
				}
			})
		}
	}
}

func TestProblemDocuments(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, method, path string
		role               auth.Role
		token              string
		body               any
		status             int
		kind               string
	}{
		{"unknown path", "GET", "/v1/nothing-here", auth.RolePublic, "", nil, 404, "not-found"},
		{"bad scheme", "GET", "/v1/whoami", "", "", nil, 401, "unauthorized"},
		{"unknown token", "GET", "/v1/whoami", "", "pst_" + strings.Repeat("A", 43), nil, 401, "unauthorized"},
		{"garbage token", "GET", "/v1/whoami", "", "hello", nil, 401, "unauthorized"},
		{"unknown field", "POST", "/v1/tokens", auth.RoleAdmin, "", `{"role":"admin","bogus":1}`, 400, "malformed"},
		{"malformed json", "POST", "/v1/tokens", auth.RoleAdmin, "", `{"role":`, 400, "malformed"},
		{"wrong type", "POST", "/v1/tokens", auth.RoleAdmin, "", `{"role":7}`, 400, "malformed"},
		{"two values", "POST", "/v1/tokens", auth.RoleAdmin, "", `{"role":"admin"} {}`, 400, "malformed"},
		{"empty body", "POST", "/v1/tokens", auth.RoleAdmin, "", ``, 400, "malformed"},
		{"oversized body", "POST", "/v1/tokens", auth.RoleAdmin, "", `{"label":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "too-large"},
		{"invalid role", "POST", "/v1/tokens", auth.RoleAdmin, "", `{"role":"emperor"}`, 400, "malformed"},
		{"agency without org", "POST", "/v1/tokens", auth.RoleAdmin, "", `{"role":"agency"}`, 400, "malformed"},
		{"bad token id", "DELETE", "/v1/tokens/xyz", auth.RoleAdmin, "", nil, 400, "malformed"},
		{"unknown token id", "DELETE", "/v1/tokens/0123456789abcdef0123", auth.RoleAdmin, "", nil, 404, "not-found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rec *httptest.ResponseRecorder
			switch {
			case tc.role != "":
				rec = h.do(tc.method, tc.path, tc.role, tc.body)
			case tc.name == "bad scheme":
				req := mustReq(t, tc.method, tc.path)
				req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
				rec = serve(h, req)
			default:
				rec = h.doToken(tc.method, tc.path, tc.token, tc.body)
			}
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
				t.Fatalf("content type %q", ct)
			}
			p := decode[Problem](t, rec)
			if p.Type != ProblemTypeBase+tc.kind || p.Status != tc.status || p.Detail == "" || p.RequestID == "" {
				t.Fatalf("problem %+v", p)
			}
			if tc.status == 401 && rec.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}

func TestWrongMediaType(t *testing.T) {
	h := newHarness(t)
	req := mustReq(t, "POST", "/v1/tokens")
	req.Body = http.NoBody
	req.Header.Set("Content-Type", "text/plain")
	req.Header.Set("Authorization", "Bearer "+h.tok[auth.RoleAdmin])
	if rec := serve(h, req); rec.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("got %d", rec.Code)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newHarness(t)
	rec := h.do("PUT", "/healthz", auth.RolePublic, "{}")
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("got %d", rec.Code)
	}
}

func TestPanicBecomes500AndServerLives(t *testing.T) {
	h := newHarness(t)
	h.srv.handle("GET", "/test/panic", anyone(), func(*gin.Context, auth.Principal) error { panic("boom") })
	rec := h.do("GET", "/test/panic", auth.RolePublic, nil)
	if rec.Code != 500 {
		t.Fatalf("got %d", rec.Code)
	}
	p := decode[Problem](t, rec)
	if strings.Contains(p.Detail, "boom") {
		t.Fatal("panic value leaked to the client")
	}
	if rec := h.do("GET", "/healthz", auth.RolePublic, nil); rec.Code != 200 {
		t.Fatalf("server unhealthy after panic: %d", rec.Code)
	}
}

func TestInternalErrorDetailHidden(t *testing.T) {
	h := newHarness(t)
	h.srv.handle("GET", "/test/internal", anyone(), func(*gin.Context, auth.Principal) error {
		return fmt.Errorf("database password is hunter2")
	})
	rec := h.do("GET", "/test/internal", auth.RolePublic, nil)
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "hunter2") {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
}

func TestTokenLifecycleOverHTTP(t *testing.T) {
	h := newHarness(t)
	rec := h.do("POST", "/v1/tokens", auth.RoleAdmin, map[string]any{
		"role": "applicant", "identity": map[string]string{"name": "李四", "idType": "RESIDENT_ID", "idNumber": "110101198001051234"}, "ttl": "2h"})
	if rec.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	created := decode[createTokenResponse](t, rec)
	rec = h.doToken("GET", "/v1/whoami", created.Token, nil)
	who := decode[whoamiResponse](t, rec)
	if who.Role != auth.RoleApplicant || who.Name != "李*" || who.ID != "1101**********1234" {
		t.Fatalf("whoami %+v", who)
	}
	if strings.Contains(rec.Body.String(), "110101198001051234") {
		t.Fatal("unmasked ID number in whoami")
	}
	list := decode[struct{ Tokens []auth.TokenInfo }](t, h.do("GET", "/v1/tokens", auth.RoleAdmin, nil))
	found := false
	for _, ti := range list.Tokens {
		found = found || ti.ID == created.ID
	}
	if !found {
		t.Fatal("new token not listed")
	}
	if rec := h.do("DELETE", "/v1/tokens/"+created.ID, auth.RoleAdmin, nil); rec.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	if rec := h.doToken("GET", "/v1/whoami", created.Token, nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("revoked token still works: %d", rec.Code)
	}
	// Expiry: the clock moves past the TTL of the harness tokens.
	h.clock.Advance(2 * time.Hour)
	if rec := h.do("GET", "/v1/whoami", auth.RoleAdmin, nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("expired token still works: %d", rec.Code)
	}
}

// TestSecretsNeverLogged drives requests carrying tokens and personal data
// and checks that the log output holds none of them.
func TestSecretsNeverLogged(t *testing.T) {
	h := newHarness(t)
	rec := h.do("POST", "/v1/tokens", auth.RoleAdmin, map[string]any{
		"role": "applicant", "identity": map[string]string{"name": "王五", "idType": "RESIDENT_ID", "idNumber": "440101197001189999"}})
	created := decode[createTokenResponse](t, rec)
	h.doToken("GET", "/v1/whoami", created.Token, nil)
	h.doToken("GET", "/v1/whoami", "pst_"+strings.Repeat("B", 43), nil)
	h.do("GET", "/v1/tokens?secret=querystring-secret", auth.RoleAdmin, nil)
	logs := h.logs.String()
	if !strings.Contains(logs, `"route":"/v1/whoami"`) {
		t.Fatalf("requests were not logged at all:\n%s", logs)
	}
	for role, tok := range h.tok {
		if tok != "" && strings.Contains(logs, tok) {
			t.Fatalf("the %s token appears in the logs", role)
		}
	}
	for _, secret := range []string{created.Token, "pst_BBBB", "王五", "440101197001189999", "querystring-secret", "Bearer"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("%q appears in the logs:\n%s", secret, logs)
		}
	}
}

func TestReadiness(t *testing.T) {
	h := newHarness(t)
	if rec := h.do("GET", "/readyz", auth.RolePublic, nil); rec.Code != 200 {
		t.Fatalf("ready: %d %s", rec.Code, rec.Body)
	}
	down := newHarness(t, func(d *Deps) {
		d.Ready = append(d.Ready, ReadinessCheck{Name: "trust", Check: func(context.Context) error {
			return apperr.New(apperr.Unavailable, "trust anchor expired")
		}})
	})
	rec := down.do("GET", "/readyz", auth.RolePublic, nil)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("not-ready: %d %v", rec.Code, rec.Header())
	}
	if rec := h.do("GET", "/metrics", auth.RolePublic, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "pledgeseal_http_requests_total") {
		t.Fatalf("metrics: %d", rec.Code)
	}
	if rec := h.do("GET", "/openapi.yaml", auth.RolePublic, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "openapi: 3.1") {
		t.Fatalf("spec: %d", rec.Code)
	}
}

// TestFailClosedWhenRedisDown: with the token store unreachable a bearer
// token gives 503, never a public or authenticated principal.
func TestFailClosedWhenRedisDown(t *testing.T) {
	h := newHarness(t)
	dead, err := store.New(store.Options{Addrs: []string{"127.0.0.1:1"}, Timeout: 200 * time.Millisecond}, h.clock)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(dead, randomKey(t, 32), nil, h.clock)
	if err != nil {
		t.Fatal(err)
	}
	srv := New(Deps{Auth: tokens, Tokens: tokens, Ready: []ReadinessCheck{{Name: "redis", Check: dead.Ping}}}, Options{})
	h.srv = srv
	rec := h.do("GET", "/v1/whoami", auth.RoleAdmin, nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("whoami with Redis down: %d %s", rec.Code, rec.Body)
	}
	if p := decode[Problem](t, rec); p.Code != "TRY_LATER" {
		t.Fatalf("problem %+v", p)
	}
	if rec := h.do("GET", "/readyz", auth.RolePublic, nil); rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("readyz with Redis down: %d", rec.Code)
	}
}

func TestRequestIDEchoed(t *testing.T) {
	h := newHarness(t)
	req := mustReq(t, "GET", "/healthz")
	req.Header.Set("X-Request-ID", "client-req-12345")
	if rec := serve(h, req); rec.Header().Get("X-Request-ID") != "client-req-12345" {
		t.Fatal("client request ID not echoed")
	}
	req = mustReq(t, "GET", "/healthz")
	req.Header.Set("X-Request-ID", "bad id with spaces")
	if rec := serve(h, req); rec.Header().Get("X-Request-ID") == "bad id with spaces" || rec.Header().Get("X-Request-ID") == "" {
		t.Fatal("malformed request ID echoed or none made")
	}
}

func TestGinPath(t *testing.T) {
	for in, want := range map[string]string{"/v1/seals/{id}": "/v1/seals/:id", "/healthz": "/healthz", "/v1/a/{x}/b/{y}": "/v1/a/:x/b/:y"} {
		if got := ginPath(in); got != want {
			t.Errorf("ginPath(%q) = %q", in, got)
		}
	}
}
