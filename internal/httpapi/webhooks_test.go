package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/notify"
)

// TestWebhookTargetsAndDelete: an internal target is a 400 with its code;
// DELETE /v1/webhooks/{id} removes the caller's own hook (204), and is 404
// on a repeat and on another agency's hook.
func TestWebhookTargetsAndDelete(t *testing.T) {
	h := newHarness(t)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	t.Cleanup(rc.Close)
	for _, u := range []string{"http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/", "http://[::1]:6379/"} {
		r := h.do(http.MethodPost, "/v1/webhooks", auth.RoleAgency, map[string]string{"url": u, "secret": "0123456789abcdef0123"})
		if p := decode[Problem](t, r); r.Code != 400 || p.Code != "HOOK_TARGET_REFUSED" {
			t.Errorf("%s: %d %+v", u, r.Code, p)
		}
	}
	mine := decode[hookView](t, h.do(http.MethodPost, "/v1/webhooks", auth.RoleAgency, map[string]string{"url": rc.URL, "secret": "0123456789abcdef0123"}))
	theirs := decode[hookView](t, h.do(http.MethodPost, "/v1/webhooks", auth.RoleAdmin, map[string]string{"url": rc.URL, "secret": "0123456789abcdef0123"}))
	other, err := h.tokens.Create(context.Background(), auth.CreateRequest{Role: auth.RoleAgency, Org: "110106-SCJGJ", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		token string
		id    string
		want  int
	}{
		{"public", "", mine.ID, 401},
		{"applicant", h.tok[auth.RoleApplicant], mine.ID, 403},
		{"another agency", other.Secret, mine.ID, 404},
		{"agency, the admin's hook", h.tok[auth.RoleAgency], theirs.ID, 404},
		{"owner", h.tok[auth.RoleAgency], mine.ID, 204},
		{"owner again", h.tok[auth.RoleAgency], mine.ID, 404},
		{"admin", h.tok[auth.RoleAdmin], theirs.ID, 204},
	}
	for _, s := range steps {
		if r := h.doToken(http.MethodDelete, "/v1/webhooks/"+s.id, s.token, nil); r.Code != s.want {
			t.Errorf("%s: %d, want %d: %s", s.name, r.Code, s.want, r.Body)
		}
	}
	if r := h.do(http.MethodGet, "/v1/webhooks", auth.RoleAdmin, nil); r.Code != 200 || decode[struct {
		Webhooks []hookView `json:"webhooks"`
	}](t, r).Webhooks == nil || len(decode[struct {
		Webhooks []hookView `json:"webhooks"`
	}](t, r).Webhooks) != 0 {
		t.Fatalf("hooks left: %s", r.Body)
	}
}

// TestEnforcementRevocationReachesAgencyHook, end to end: an agency
// registers a hook over HTTP on a real receiver, an enforcement officer of
// the pledge's jurisdiction revokes the agency's pledge over HTTP, and the
// notification worker delivers the revocation to the agency's hook.
func TestEnforcementRevocationReachesAgencyHook(t *testing.T) {
	h := newHarness(t)
	rec := seedPublished(t, h, "PL-HOOKED-1")
	var mu sync.Mutex
	var actions []string
	rc := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		actions = append(actions, r.Header.Get(notify.HeaderEvent))
	}))
	t.Cleanup(rc.Close)
	if r := h.do(http.MethodPost, "/v1/webhooks", auth.RoleAgency, map[string]string{"url": rc.URL, "secret": "0123456789abcdef0123"}); r.Code != 201 {
		t.Fatalf("register: %d %s", r.Code, r.Body)
	}
	if r := h.do(http.MethodPost, "/v1/revocations", auth.RoleEnforcement, map[string]any{
		"subjects": []any{map[string]string{"kind": "pledge", "id": rec.ID}}, "reason": "FALSE_PLEDGE", "documentNo": "朝市监核〔2026〕7号"}); r.Code != 201 {
		t.Fatalf("revoke: %d %s", r.Code, r.Body)
	}
	worker := h.srv.deps.Webhooks.(*notify.Service)
	if _, err := worker.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Contains(actions, "revocation.revoke") {
		t.Fatalf("the agency's hook received %q, not the revocation", actions)
	}
}
