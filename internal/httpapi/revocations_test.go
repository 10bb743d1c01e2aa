package httpapi

import (
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

func TestRevocationsOverHTTP(t *testing.T) {
	h := newHarness(t)
	pd := seedDecided(t, h, "PL-2026-000001").Digest
	digest := hex.EncodeToString(pd[:])
	pledge := map[string]any{"kind": "pledge", "id": "PL-2026-000001", "digest": digest}
	cases := []struct {
		name   string
		method string
		path   string
		role   auth.Role
		body   any
		want   int
	}{
		{"401/public may not revoke", http.MethodPost, "/v1/revocations", auth.RolePublic,
			map[string]any{"subjects": []any{pledge}, "reason": "FALSE_PLEDGE", "documentNo": "d"}, http.StatusUnauthorized},
		{"403/agency may not revoke", http.MethodPost, "/v1/revocations", auth.RoleAgency,
			map[string]any{"subjects": []any{pledge}, "reason": "FALSE_PLEDGE", "documentNo": "d"}, http.StatusForbidden},
		{"403/seal maker may not revoke a pledge", http.MethodPost, "/v1/revocations", auth.RoleSealMaker,
			map[string]any{"subjects": []any{pledge}, "reason": "FALSE_PLEDGE", "documentNo": "d"}, http.StatusForbidden},
		{"400/bad digest", http.MethodPost, "/v1/revocations", auth.RoleEnforcement,
			map[string]any{"subjects": []any{map[string]any{"kind": "pledge", "digest": "abc"}}, "reason": "FALSE_PLEDGE", "documentNo": "d"}, http.StatusBadRequest},
		{"400/bad kind", http.MethodPost, "/v1/revocations", auth.RoleEnforcement,
			map[string]any{"subjects": []any{map[string]any{"kind": "car", "id": "x"}}, "reason": "FALSE_PLEDGE", "documentNo": "d"}, http.StatusBadRequest},
		{"400/reason for another kind", http.MethodPost, "/v1/revocations", auth.RoleEnforcement,
			map[string]any{"subjects": []any{pledge}, "reason": "KEY_COMPROMISE", "documentNo": "d"}, http.StatusBadRequest},
		{"201/enforcement revokes", http.MethodPost, "/v1/revocations", auth.RoleEnforcement,
			map[string]any{"subjects": []any{pledge}, "reason": "FALSE_PLEDGE", "documentNo": "京朝执〔2026〕8号"}, http.StatusCreated},
		{"409/revoke twice", http.MethodPost, "/v1/revocations", auth.RoleAdmin,
			map[string]any{"subjects": []any{pledge}, "reason": "DECISION_REVOKED", "documentNo": "d"}, http.StatusConflict},
		{"200/get by id", http.MethodGet, "/v1/revocations?kind=pledge&id=PL-2026-000001", auth.RolePublic, nil, http.StatusOK},
		{"200/get by digest", http.MethodGet, "/v1/revocations?kind=pledge&digest=" + digest, auth.RolePublic, nil, http.StatusOK},
		{"404/never revoked", http.MethodGet, "/v1/revocations?kind=certificate&id=nope", auth.RolePublic, nil, http.StatusNotFound},
		{"400/no id nor digest", http.MethodGet, "/v1/revocations?kind=pledge", auth.RolePublic, nil, http.StatusBadRequest},
		{"201/appeal upheld", http.MethodPost, "/v1/revocations/reversals", auth.RoleAdmin,
			map[string]any{"subjects": []any{map[string]any{"kind": "pledge", "id": "PL-2026-000001"}}, "reason": "APPEAL_UPHELD", "documentNo": "京复〔2026〕2号"}, http.StatusCreated},
		{"409/reverse twice", http.MethodPost, "/v1/revocations/reversals", auth.RoleAdmin,
			map[string]any{"subjects": []any{pledge}, "reason": "APPEAL_UPHELD", "documentNo": "d"}, http.StatusConflict},
		{"400/batch empty", http.MethodPost, "/v1/revocations/batch", auth.RolePublic, map[string]any{"subjects": []any{}}, http.StatusBadRequest},
		{"200/batch", http.MethodPost, "/v1/revocations/batch", auth.RolePublic,
			map[string]any{"subjects": []any{pledge, map[string]any{"kind": "seal", "id": "none"}}}, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h.clock.Advance(time.Minute)
			rec := h.do(c.method, c.path, c.role, c.body)
			if rec.Code != c.want {
				t.Fatalf("got %d, want %d: %s", rec.Code, c.want, rec.Body)
			}
		})
	}
	// At the time between revocation and reversal the pledge was FALSE; now it is ACTIVE.
	between := h.clock.Now().Add(-5 * time.Minute).Format(time.RFC3339)
	ans := decode[struct {
		Results []resultView `json:"results"`
	}](t, h.do(http.MethodPost, "/v1/revocations/batch", auth.RolePublic,
		map[string]any{"at": between, "subjects": []any{map[string]any{"kind": "pledge", "id": "PL-2026-000001"}}}))
	if len(ans.Results) != 1 || ans.Results[0].At.Code != "FALSE" || ans.Results[0].Now.Code != "ACTIVE" ||
		ans.Results[0].At.DocumentNo != "京朝执〔2026〕8号" {
		t.Fatalf("batch at %s: %+v", between, ans.Results)
	}
	rec := decode[struct {
		Events []eventView `json:"events"`
	}](t, h.do(http.MethodGet, "/v1/revocations?"+url.Values{"kind": {"pledge"}, "digest": {digest}}.Encode(), auth.RolePublic, nil))
	if len(rec.Events) != 2 || rec.Events[0].Reason != "FALSE_PLEDGE" || rec.Events[1].Reason != "APPEAL_UPHELD" {
		t.Fatalf("record: %+v", rec.Events)
	}
	// Every batch lookup was one Redis round trip (plus one script load), and /metrics says so.
	metrics := h.do(http.MethodGet, "/metrics", auth.RolePublic, nil).Body.String()
	lookups, trips := metricValue(t, metrics, "pledgeseal_status_lookups_total"), metricValue(t, metrics, "pledgeseal_status_lookup_round_trips_total")
	if lookups < 2 || trips < lookups || trips > lookups+1 {
		t.Fatalf("lookups %v, round trips %v", lookups, trips)
	}
}

// TestRevocationsFailClosed: with Redis stopped, status reads answer 503
// problem+json with TRY_LATER, never "not revoked".
func TestRevocationsFailClosed(t *testing.T) {
	srv := testredis.Start(t)
	t.Setenv(testredis.EnvAddr, srv.Addr)
	h := newHarness(t)
	srv.Stop()
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{http.MethodPost, "/v1/revocations/batch", map[string]any{"subjects": []any{map[string]any{"kind": "certificate", "id": "c"}}}},
		{http.MethodGet, "/v1/revocations?kind=pledge&id=p", nil},
		{http.MethodGet, "/v1/seals/s/status", nil},
	} {
		rec := h.do(c.method, c.path, auth.RolePublic, c.body)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Fatalf("%s %s: %d %s", c.method, c.path, rec.Code, rec.Body)
		}
		if p := decode[Problem](t, rec); p.Code != "TRY_LATER" {
			t.Fatalf("%s %s: %+v", c.method, c.path, p)
		}
	}
}

// FuzzRevocationSubject: subjects come from anyone (the batch lookup is
// public); parsing never panics, and what it accepts renders back the same.
func FuzzRevocationSubject(f *testing.F) {
	f.Add("pledge", "PL-1", "")
	f.Add("certificate", "", strings.Repeat("ab", 32))
	f.Add("seal", "ES", strings.Repeat("AB", 32))
	f.Add("car", "x", "zz")
	f.Add("pledge", "", "")
	f.Fuzz(func(t *testing.T, kind, id, digest string) {
		sub, err := subjectBody{Kind: status.Kind(kind), ID: id, Digest: digest}.subject()
		if err != nil {
			return
		}
		v := viewSubject(sub)
		if v.Kind != sub.Kind || v.ID != id || !strings.EqualFold(v.Digest, digest) {
			t.Fatalf("%q %q %q → %+v", kind, id, digest, v)
		}
	})
}

// metricValue reads one unlabelled sample from a Prometheus text exposition.
func metricValue(t *testing.T, text, name string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("metric %s not exported", name)
	return 0
}
