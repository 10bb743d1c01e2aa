package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// tokenFor issues an extra token of a role bound to org.
func (h *harness) tokenFor(role auth.Role, org string) string {
	h.t.Helper()
	iss, err := h.tokens.Create(context.Background(), auth.CreateRequest{Role: role, Org: org, TTL: time.Hour})
	if err != nil {
		h.t.Fatal(err)
	}
	return iss.Secret
}

// wantCode fails unless rec is a problem with status and machine code.
func wantCode(t *testing.T, what string, rec *httptest.ResponseRecorder, status int, code apperr.Code) {
	t.Helper()
	if rec.Code != status || decode[Problem](t, rec).Code != code {
		t.Fatalf("%s: got %d %s, want %d %s", what, rec.Code, rec.Body, status, code)
	}
}

// TestRegistryReversalCannotUndoAFinding reproduces issue 12 §2 exactly:
// a FALSE_CONFIRMED finding of Chaoyang (110105); Shanghai's enforcement
// (310000) reverses it through the registry route. Before the fix that was
// 201: the pledge read ACTIVE while the credit bar stayed, and the
// legitimate finding reversal then failed with 409 — registry, finding and
// bar disagreed with no repair path.
func TestRegistryReversalCannotUndoAFinding(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	rec := seedDecided(t, h, "PL-SCOPE-1")
	shanghai := h.tokenFor(auth.RoleEnforcement, "310000")
	h.clock.Advance(time.Minute)
	fr := h.do(http.MethodPost, "/v1/enforcement/findings", auth.RoleEnforcement, map[string]any{"pledgeId": rec.ID,
		"outcome": "FALSE_CONFIRMED", "documentNo": "朝市监核〔2026〕9号", "evidence": []string{strings.Repeat("ab", 32)}, "inspector": "INS-1"})
	if fr.Code != http.StatusCreated {
		t.Fatalf("finding: %d %s", fr.Code, fr.Body)
	}
	finding := decode[enforce.Finding](t, fr)
	h.clock.Advance(time.Minute)
	reversal := map[string]any{"subjects": []any{map[string]any{"kind": "pledge", "id": rec.ID}}, "reason": "APPEAL_UPHELD", "documentNo": "沪复〔2026〕1号"}

	// The attack: another jurisdiction, through the registry route.
	r := h.doToken(http.MethodPost, "/v1/revocations/reversals", shanghai, reversal)
	wantCode(t, "another jurisdiction's registry reversal", r, http.StatusForbidden, "OUT_OF_SCOPE")
	// Even the finding's own jurisdiction and an admin may not bypass the
	// finding's reversal: the write script refuses (the bar would stay).
	for _, role := range []auth.Role{auth.RoleEnforcement, auth.RoleAdmin} {
		r := h.do(http.MethodPost, "/v1/revocations/reversals", role, reversal)
		wantCode(t, string(role)+" registry reversal of a finding's state", r, http.StatusConflict, "FINDING_OWNED")
	}
	reg := store.NewRegistry(h.store)
	bars, err := reg.EnforcementBars(ctx, rec.Applicant)
	if err != nil || len(bars) != 1 || bars[0].Repaired {
		t.Fatalf("bar after refused registry reversals: %+v %v", bars, err)
	}
	if st := h.do(http.MethodGet, "/v1/revocations?kind=pledge&id="+rec.ID, auth.RolePublic, nil); !strings.Contains(st.Body.String(), `"now":{"code":"FALSE"`) {
		t.Fatalf("registry after refused reversals: %s", st.Body)
	}
	// Another jurisdiction may not use the finding route either.
	r = h.doToken(http.MethodPost, "/v1/enforcement/findings/"+finding.ID+"/reversal", shanghai,
		map[string]string{"reason": "APPEAL_UPHELD", "documentNo": "沪复〔2026〕1号"})
	if r.Code != http.StatusForbidden {
		t.Fatalf("another jurisdiction's finding reversal: %d %s", r.Code, r.Body)
	}
	// The legitimate reversal works and moves registry, finding and bar together.
	r = h.do(http.MethodPost, "/v1/enforcement/findings/"+finding.ID+"/reversal", auth.RoleEnforcement,
		map[string]string{"reason": "APPEAL_UPHELD", "documentNo": "朝复〔2026〕3号"})
	if r.Code != http.StatusCreated {
		t.Fatalf("finding reversal: %d %s", r.Code, r.Body)
	}
	bars, err = reg.EnforcementBars(ctx, rec.Applicant)
	if err != nil || len(bars) != 1 || !bars[0].Repaired {
		t.Fatalf("bar after the finding reversal: %+v %v", bars, err)
	}
	if st := h.do(http.MethodGet, "/v1/revocations?kind=pledge&id="+rec.ID, auth.RolePublic, nil); !strings.Contains(st.Body.String(), `"now":{"code":"ACTIVE"`) {
		t.Fatalf("registry after the finding reversal: %s", st.Body)
	}
	// After the reversal the registry route works again on the pledge
	// (its latest finding no longer holds the state), for its jurisdiction only.
	h.clock.Advance(time.Minute)
	revoke := map[string]any{"subjects": []any{map[string]any{"kind": "pledge", "id": rec.ID}}, "reason": "DECISION_REVOKED", "documentNo": "朝市监撤〔2026〕1号"}
	r = h.doToken(http.MethodPost, "/v1/revocations", shanghai, revoke)
	wantCode(t, "another jurisdiction revokes", r, http.StatusForbidden, "OUT_OF_SCOPE")
	if r := h.do(http.MethodPost, "/v1/revocations", auth.RoleEnforcement, revoke); r.Code != http.StatusCreated {
		t.Fatalf("own jurisdiction revokes: %d %s", r.Code, r.Body)
	}
}

// TestRevokeNonexistentPledge: revoking a pledge ID that does not exist
// was 201; it is 404 now, and nothing is recorded.
func TestRevokeNonexistentPledge(t *testing.T) {
	h := newHarness(t)
	body := map[string]any{"subjects": []any{map[string]any{"kind": "pledge", "id": "PL-NOT-THERE"}}, "reason": "DECISION_REVOKED", "documentNo": "d"}
	r := h.do(http.MethodPost, "/v1/revocations", auth.RoleEnforcement, body)
	wantCode(t, "nonexistent pledge", r, http.StatusNotFound, "SUBJECT_NOT_FOUND")
	if g := h.do(http.MethodGet, "/v1/revocations?kind=pledge&id=PL-NOT-THERE", auth.RolePublic, nil); g.Code != http.StatusNotFound {
		t.Fatalf("something was recorded: %d %s", g.Code, g.Body)
	}
	rec := seedDecided(t, h, "PL-SCOPE-2")
	early := map[string]any{"subjects": []any{map[string]any{"kind": "pledge", "id": rec.ID}}, "reason": "DECISION_REVOKED", "documentNo": "d",
		"effective": rec.CreatedAt.Add(-time.Hour).Format(time.RFC3339)}
	r = h.do(http.MethodPost, "/v1/revocations", auth.RoleEnforcement, early)
	wantCode(t, "effective before the pledge", r, http.StatusBadRequest, "EFFECTIVE_BEFORE_SUBJECT")
	early["effective"] = h.clock.Now().Add(24 * time.Hour).Format(time.RFC3339)
	r = h.do(http.MethodPost, "/v1/revocations", auth.RoleEnforcement, early)
	wantCode(t, "effective tomorrow", r, http.StatusBadRequest, "EFFECTIVE_IN_FUTURE")
}

// TestTokenAPINamesRealOrganisations: the token API refuses an agency or
// enforcement token for an organisation nobody knows, and an applicant ID
// number that fails the GB 11643 check (issue 12).
func TestTokenAPINamesRealOrganisations(t *testing.T) {
	h := newHarness(t)
	for _, c := range []struct {
		body map[string]any
		code apperr.Code
	}{
		{map[string]any{"role": "agency", "org": "110105-NOSUCH"}, "UNKNOWN_ORG"},
		{map[string]any{"role": "enforcement", "org": "440300"}, "UNKNOWN_ORG"},
		{map[string]any{"role": "enforcement", "org": "EVERYWHERE"}, "UNKNOWN_ORG"},
		{map[string]any{"role": "applicant", "identity": map[string]string{"name": "王五", "idType": "RESIDENT_ID", "idNumber": "110101199003071234"}}, "ID_NUMBER_INVALID"},
	} {
		r := h.do(http.MethodPost, "/v1/tokens", auth.RoleAdmin, c.body)
		wantCode(t, fmt.Sprint(c.body), r, http.StatusBadRequest, c.code)
	}
	for _, body := range []map[string]any{
		{"role": "agency", "org": "110105-MZJ"},
		{"role": "enforcement", "org": "110000"},
		{"role": "applicant", "identity": map[string]string{"name": "王五", "idType": "RESIDENT_ID", "idNumber": "11010519491231002X"}},
	} {
		if r := h.do(http.MethodPost, "/v1/tokens", auth.RoleAdmin, body); r.Code != http.StatusCreated {
			t.Fatalf("%v: %d %s", body, r.Code, r.Body)
		}
	}
}
