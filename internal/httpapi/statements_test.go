package httpapi

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/statement"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// withStatements gives h's server a status statement issuer over the pledge
// domain's registry (real Redis) and returns the status key.
func withStatements(t *testing.T, h *harness, e *verifytest.Env) *sm2.PrivateKey {
	t.Helper()
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewNoteSigner("pledgeseal.test/status", key)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := statement.NewIssuer(statement.IssuerOptions{Status: e.Status, Signer: signer, Validity: 24 * time.Hour, Clock: h.clock})
	if err != nil {
		t.Fatal(err)
	}
	h.srv.deps.Statements = iss
	return key
}

func openStatement(t *testing.T, signed []byte, key *sm2.PrivateKey) statement.Statement {
	t.Helper()
	st, err := statement.Open(signed, &key.PublicKey)
	if err != nil {
		t.Fatalf("the statement does not open with the status key: %v\n%s", err, signed)
	}
	return st
}

// TestStatusStatementRoute: the public statement route and the package
// download's statement header; after a revocation the statement says
// REVOKED, never ACTIVE.
func TestStatusStatementRoute(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	ev := f.signEvent(t, "stmt-route-0001")
	path := "/v1/pledges/" + ev.ID + "/status-statement"
	// Without a status identity: 404 STATUS_KEY_NOT_CONFIGURED.
	wantProblem(t, h.do("GET", path, auth.RolePublic, nil), http.StatusNotFound, string(apperr.CodeStatusKeyNotConfigured))
	key := withStatements(t, h, e)

	rec := h.do("GET", path, auth.RolePublic, nil)
	wantStatus(t, rec, http.StatusOK)
	if st := openStatement(t, rec.Body.Bytes(), key); st.State != statement.SignedCode || st.PledgeID != ev.ID {
		t.Fatalf("statement of a signed pledge: %+v", st)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
	f.accept(t, ev.ID)
	st := openStatement(t, h.do("GET", path, auth.RolePublic, nil).Body.Bytes(), key)
	if st.State != status.Active || st.Reference == nil || st.Reference.Kind != statement.RefDecision {
		t.Fatalf("statement of an accepted pledge: %+v", st)
	}
	if !st.NextUpdate.Equal(st.ThisUpdate.Add(24*time.Hour)) || !st.ThisUpdate.Equal(h.clock.Now().Truncate(time.Second)) {
		t.Fatalf("validity %s – %s at %s", st.ThisUpdate, st.NextUpdate, h.clock.Now())
	}
	// The package download carries the statement beside the unchanged package.
	pkgRec := h.do("GET", "/v1/pledges/"+ev.ID+"/package", auth.RoleApplicant, nil)
	wantStatus(t, pkgRec, http.StatusOK)
	hdr, err := base64.StdEncoding.DecodeString(pkgRec.Header().Get(HeaderStatusStatement))
	if err != nil {
		t.Fatalf("statement header: %v", err)
	}
	if st := openStatement(t, hdr, key); st.PledgeID != ev.ID || st.State != status.Active {
		t.Fatalf("package statement: %+v", st)
	}

	// Revocation of the decision: the statement says REVOKED.
	rec = h.do("POST", "/v1/revocations", auth.RoleEnforcement, map[string]any{
		"subjects": []map[string]string{{"kind": "pledge", "id": ev.ID}}, "reason": "DECISION_REVOKED", "documentNo": "朝市监撤〔2026〕3号"})
	if rec.Code != http.StatusCreated && rec.Code != http.StatusOK {
		t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
	}
	body := h.do("GET", path, auth.RolePublic, nil).Body.Bytes()
	st = openStatement(t, body, key)
	if st.State != status.Revoked || strings.Contains(string(body), "state ACTIVE") {
		t.Fatalf("statement of a revoked pledge:\n%s", body)
	}
	hdr, _ = base64.StdEncoding.DecodeString(h.do("GET", "/v1/pledges/"+ev.ID+"/package", auth.RoleAgency, nil).Header().Get(HeaderStatusStatement))
	if st := openStatement(t, hdr, key); st.State != status.Revoked {
		t.Fatalf("package statement after the revocation: %+v", st)
	}

	// Unknown pledges.
	wantProblem(t, h.do("GET", "/v1/pledges/P00000000000000000000000000000000/status-statement", auth.RolePublic, nil), http.StatusNotFound, string(apperr.CodePledgeNotFound))
	wantProblem(t, h.do("GET", "/v1/pledges/not-an-id/status-statement", auth.RolePublic, nil), http.StatusNotFound, "")
}

// TestStatusStatementRedisDown: with the registry unreadable no statement
// is signed: 503, a problem document, never a statement.
func TestStatusStatementRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	h, e := pledgeHarness(t, srv.Addr)
	f := setUp(t, h, e)
	ev := f.signEvent(t, "stmt-down-0001")
	f.accept(t, ev.ID)
	withStatements(t, h, e)
	path := "/v1/pledges/" + ev.ID + "/status-statement"
	wantStatus(t, h.do("GET", path, auth.RolePublic, nil), http.StatusOK)
	srv.Kill()
	rec := h.do("GET", path, auth.RolePublic, nil)
	wantProblem(t, rec, http.StatusServiceUnavailable, string(apperr.CodeTryLater))
	if strings.Contains(rec.Body.String(), statement.Format) {
		t.Fatalf("a statement was served with Redis down: %s", rec.Body)
	}
}

// TestStatusStatementRateLimited: the statement route takes from the
// verification bucket, as the status URL does (each answer costs an SM2
// signature and a registry read).
func TestStatusStatementRateLimited(t *testing.T) {
	h := limitedHarness(t, RateLimit{Rate: 0.5, Burst: 2}, RateLimit{}, nil, "")
	path := "/v1/pledges/P00000000000000000000000000000000/status-statement"
	for range 2 {
		if rec := h.do(http.MethodGet, path, auth.RolePublic, nil); rec.Code != http.StatusNotFound {
			t.Fatalf("under the limit: %d %s", rec.Code, rec.Body)
		}
	}
	want429(t, h.do(http.MethodGet, path, auth.RolePublic, nil), "2")
}
