package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/api"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/scope"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// harness is a real server (real Redis, real token service) whose every
// response is validated against api/openapi.yaml. Handler tests of every
// resource use it: h.do(...) fails the test when a response breaks the spec.
type harness struct {
	t      *testing.T
	srv    *Server
	store  *store.Store
	tokens *auth.Tokens
	clock  *clock.Fake
	logs   *syncBuffer
	// tok holds one valid token secret per role (public: "").
	tok    map[auth.Role]string
	spec   *openapi3.T
	router routers.Router
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func randomKey(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Demo bindings used by the harness tokens.
const (
	testAgency       = "110105-SCJGJ"
	testJurisdiction = "110105"
)

var testIdentity = auth.Identity{Name: "张三丰", IDType: "RESIDENT_ID", IDNumber: "110101199001061234"}

// testOrgs is the harness's organisation directory: the agencies below,
// and the jurisdictions covering their regions.
type testOrgs struct{}

var testAgencies = []string{testAgency, "110105-MZJ", "110106-SCJGJ", "310101-SCJGJ"}

func (testOrgs) OrgExists(_ context.Context, role auth.Role, org string) (bool, error) {
	for _, a := range testAgencies {
		r, _ := scope.AgencyRegion(a)
		if (role == auth.RoleAgency && org == a) || (role == auth.RoleEnforcement && scope.IsRegion(org) && scope.Covers(org, r)) {
			return true, nil
		}
	}
	return false, nil
}

// harnessOption adjusts the deps before the server is built.
type harnessOption func(*Deps)

func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t)}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	prot, err := pii.New(randomKey(t, 16), randomKey(t, 32))
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens(st, randomKey(t, 32), prot, clk)
	if err != nil {
		t.Fatal(err)
	}
	tokens.CheckOrgs(testOrgs{})
	logs := &syncBuffer{}
	deps := Deps{
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Clock: clk,
		Auth: tokens, Tokens: tokens,
		Ready: []ReadinessCheck{{Name: "redis", Check: st.Ping}},
	}
	reg := store.NewRegistry(st)
	// The registry's lookup counters, as the domain builder registers them.
	deps.Registry = prometheus.NewRegistry()
	deps.Registry.MustRegister(reg.Collectors()...)
	deps.Seals, deps.Revocations = seal.NewSeals(reg, seal.Config{}, clk), seal.NewRevocations(reg, clk, seal.RevocationOptions{Pledges: store.NewPledgeRepo(st, enforceProtector(t), pledge.NewCatalogue(store.NewCatalogueRepo(st), clk))})
	deps.Enforce, deps.Webhooks = newEnforceAPI(t, st, clk)
	deps.Pledges = newPledgeAPI(t, st, clk) // pledges_test.go
	for _, o := range opts {
		o(&deps)
	}
	h := &harness{t: t, srv: New(deps, Options{MaxBodyBytes: 64 << 10}), store: st, tokens: tokens, clock: clk, logs: logs,
		tok: map[auth.Role]string{auth.RolePublic: ""}}
	for _, req := range []auth.CreateRequest{
		{Role: auth.RoleAdmin, TTL: time.Hour},
		{Role: auth.RoleSealMaker, TTL: time.Hour},
		{Role: auth.RoleAgency, Org: testAgency, TTL: time.Hour},
		{Role: auth.RoleEnforcement, Org: testJurisdiction, TTL: time.Hour},
		{Role: auth.RoleApplicant, Identity: &testIdentity, TTL: time.Hour},
	} {
		iss, err := tokens.Create(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		h.tok[req.Role] = iss.Secret
	}
	h.loadSpec()
	return h
}

func (h *harness) loadSpec() {
	h.t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.Spec())
	if err != nil {
		h.t.Fatalf("api/openapi.yaml does not load: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		h.t.Fatalf("api/openapi.yaml is not valid: %v", err)
	}
	// Route matching only: the server URL must not constrain test hosts.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	r, err := legacy.NewRouter(doc)
	if err != nil {
		h.t.Fatalf("router: %v", err)
	}
	h.spec, h.router = doc, r
}

// do sends a request as role (public: no Authorization header) and
// validates the response against the spec. body may be nil, a string or
// any value to marshal as JSON.
func (h *harness) do(method, path string, role auth.Role, body any) *httptest.ResponseRecorder {
	h.t.Helper()
	return h.doToken(method, path, h.tok[role], body)
}

func (h *harness) doToken(method, path, token string, body any) *httptest.ResponseRecorder {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	h.validate(req, rec)
	return rec
}

// validate checks a recorded response against the OpenAPI document. A
// response to a path the spec does not know is not checked here
// (TestOpenAPIRoutesMatchSpec covers the route list).
func (h *harness) validate(req *http.Request, rec *httptest.ResponseRecorder) {
	h.t.Helper()
	route, params, err := h.router.FindRoute(req)
	if err != nil {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.Body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		h.t.Errorf("%s %s → %d breaks api/openapi.yaml: %v\nbody: %s", req.Method, req.URL.Path, rec.Code, err, rec.Body.String())
	}
}

// decode unmarshals a JSON response body.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("response is not the expected JSON: %v\n%s", err, rec.Body.String())
	}
	return v
}
