package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// limitedHarness is a harness whose server limits verification to
// verify and the public listings to public, with a limiter over its own
// store client of the Redis at addr (default: the shared test Redis).
func limitedHarness(t *testing.T, verify, public RateLimit, trusted []string, addr string) *harness {
	t.Helper()
	var deps Deps
	h := newHarness(t, func(d *Deps) { deps = *d })
	if addr == "" {
		addr = testredis.Addr(t)
	}
	h.srv = New(limitedDeps(t, deps, addr, testredis.Prefix(t)), Options{MaxBodyBytes: 64 << 10, VerifyLimit: verify, PublicLimit: public, TrustedProxies: trusted})
	return h
}

func limitedDeps(t *testing.T, deps Deps, addr, prefix string) Deps {
	t.Helper()
	st, err := store.New(store.Options{Addrs: []string{addr}, Prefix: prefix, Timeout: 300 * time.Millisecond}, deps.Clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	deps.Limiter = store.NewRateLimiter(st)
	deps.Registry = nil // a fresh registry per server
	return deps
}

// verifyOne posts a body to /v1/verifications from a client address.
func verifyFrom(h *harness, remote, xff, body string) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/verifications", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = remote
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	h.validate(req, rec)
	return rec
}

const onePackage = `{"package":{"format":"x"}}`

func batchOf(n int) string {
	return `{"packages":[` + strings.TrimSuffix(strings.Repeat(`{"format":"x"},`, n), ",") + `]}`
}

func want429(t *testing.T, rec *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429\n%s", rec.Code, rec.Body.String())
	}
	p := decode[Problem](t, rec)
	if p.Code != "RATE_LIMITED" || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("problem %+v", p)
	}
	if got := rec.Header().Get("Retry-After"); got != retryAfter {
		t.Fatalf("Retry-After %q, want %q", got, retryAfter)
	}
}

// TestRateLimitVerification is the flood attack: one client verifies as
// fast as it can, with single packages and with batches. A batch takes a
// token per package; the refusal is a 429 problem with Retry-After.
func TestRateLimitVerification(t *testing.T) {
	h := limitedHarness(t, RateLimit{Rate: 0.5, Burst: 4}, RateLimit{}, nil, "")
	const me = "203.0.113.5:4000"
	for i := range 4 {
		if rec := verifyFrom(h, me, "", onePackage); rec.Code != http.StatusOK {
			t.Fatalf("request %d under the limit: %d %s", i, rec.Code, rec.Body.String())
		}
	}
	want429(t, verifyFrom(h, me, "", onePackage), "2")
	// Another client is not affected.
	if rec := verifyFrom(h, "203.0.113.6:4000", "", batchOf(4)); rec.Code != http.StatusOK {
		t.Fatalf("other client: %d", rec.Code)
	}
	// Two seconds give one token: a batch of two still waits two more.
	h.clock.Advance(2 * time.Second)
	want429(t, verifyFrom(h, me, "", batchOf(2)), "2")
	h.clock.Advance(2 * time.Second)
	if rec := verifyFrom(h, me, "", batchOf(2)); rec.Code != http.StatusOK {
		t.Fatalf("batch of two after two tokens: %d %s", rec.Code, rec.Body.String())
	}
	// A batch above the burst can never pass: the problem says so.
	h.clock.Advance(time.Hour)
	rec := verifyFrom(h, me, "", batchOf(5))
	want429(t, rec, "8")
	if !strings.Contains(rec.Body.String(), "smaller batches") {
		t.Fatalf("detail: %s", rec.Body.String())
	}
	// The status of a pledge by ID takes from the same bucket.
	for range 4 {
		h.do(http.MethodGet, "/v1/pledges/00000000000000000000/verification", auth.RolePublic, nil)
	}
	if rec := h.do(http.MethodGet, "/v1/pledges/00000000000000000000/verification", auth.RolePublic, nil); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("verification by ID after the burst: %d", rec.Code)
	}
	// Routes that are not limited stay open.
	for range 10 {
		if rec := h.do(http.MethodGet, "/healthz", auth.RolePublic, nil); rec.Code != http.StatusOK {
			t.Fatalf("healthz: %d", rec.Code)
		}
	}
}

// TestRateLimitPublicListings: the public listing routes have their own
// bucket.
func TestRateLimitPublicListings(t *testing.T) {
	h := limitedHarness(t, RateLimit{Rate: 1, Burst: 100}, RateLimit{Rate: 1, Burst: 3}, nil, "")
	for _, path := range []string{"/v1/public/pledges", "/v1/public/pledges/X1", "/v1/enforcement/false-pledges"} {
		if rec := h.do(http.MethodGet, path, auth.RolePublic, nil); rec.Code == http.StatusTooManyRequests {
			t.Fatalf("%s under the limit: 429", path)
		}
	}
	want429(t, h.do(http.MethodGet, "/v1/public/pledges", auth.RolePublic, nil), "1")
	if rec := verifyFrom(h, "192.0.2.1:1234", "", onePackage); rec.Code != http.StatusOK {
		t.Fatalf("verification shares the listing bucket: %d", rec.Code)
	}
}

// TestRateLimitSharedAcrossInstances: two servers with their own Redis
// clients (two pledged instances) draw from one bucket per client.
func TestRateLimitSharedAcrossInstances(t *testing.T) {
	lim, prefix := RateLimit{Rate: 0.1, Burst: 3}, testredis.Prefix(t)
	var da, db Deps
	a := newHarness(t, func(d *Deps) { da = *d })
	_ = newHarness(t, func(d *Deps) { db = *d })
	db.Clock = a.clock
	a.srv = New(limitedDeps(t, da, testredis.Addr(t), prefix), Options{VerifyLimit: lim})
	b := &harness{t: t, srv: New(limitedDeps(t, db, testredis.Addr(t), prefix), Options{VerifyLimit: lim}), spec: a.spec, router: a.router}
	const me = "198.51.100.20:5555"
	for i, h := range []*harness{a, b, a} {
		if rec := verifyFrom(h, me, "", onePackage); rec.Code != http.StatusOK {
			t.Fatalf("request %d: %d", i, rec.Code)
		}
	}
	want429(t, verifyFrom(b, me, "", onePackage), "10")
}

// TestRateLimitIgnoresForgedForwardedFor is the evasion attack: a client
// that rotates X-Forwarded-For must not get a fresh bucket each time
// unless the peer is a configured proxy.
func TestRateLimitIgnoresForgedForwardedFor(t *testing.T) {
	h := limitedHarness(t, RateLimit{Rate: 0.1, Burst: 2}, RateLimit{}, nil, "")
	const me = "203.0.113.77:1000"
	for i := range 2 {
		verifyFrom(h, me, "10.0.0."+strconv.Itoa(i), onePackage)
	}
	want429(t, verifyFrom(h, me, "10.0.0.9", onePackage), "10")

	// Behind a trusted proxy, the forwarded address is the client.
	p := limitedHarness(t, RateLimit{Rate: 0.1, Burst: 2}, RateLimit{}, []string{"192.0.2.0/24"}, "")
	const proxy = "192.0.2.10:80"
	for i := range 3 {
		if rec := verifyFrom(p, proxy, "198.51.100."+strconv.Itoa(i+1), onePackage); rec.Code != http.StatusOK {
			t.Fatalf("client %d behind the proxy: %d", i, rec.Code)
		}
	}
	verifyFrom(p, proxy, "198.51.100.1", onePackage)
	want429(t, verifyFrom(p, proxy, "198.51.100.1", onePackage), "10")
	// IPv6 clients are bucketed by /64: hopping inside it does not help.
	for i := range 2 {
		verifyFrom(h, "[2001:db8:1:2::"+strconv.Itoa(i+1)+"]:443", "", onePackage)
	}
	want429(t, verifyFrom(h, "[2001:db8:1:2:ffff::1]:443", "", onePackage), "10")
}

// TestRateLimitOneRoundTrip counts the commands the limiter's own Redis
// processes for one verification under the limit: exactly one (the
// script), whatever the batch size.
func TestRateLimitOneRoundTrip(t *testing.T) {
	srv := testredis.Start(t)
	h := limitedHarness(t, RateLimit{Rate: 100, Burst: 100}, RateLimit{}, nil, srv.Addr)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	// processed counts the commands clients sent, by COMMANDSTATS: all but
	// the ones this test's own client sends (info, hello, client) and the
	// GET and SET the script runs inside Redis (only the limiter uses this
	// server).
	processed := func() int {
		info, err := rdb.InfoMap(context.Background(), "commandstats").Result()
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for name, v := range info["Commandstats"] {
			if strings.HasPrefix(name, "cmdstat_info") || strings.HasPrefix(name, "cmdstat_hello") || strings.HasPrefix(name, "cmdstat_client") ||
				name == "cmdstat_get" || name == "cmdstat_set" {
				continue
			}
			calls, _, _ := strings.Cut(strings.TrimPrefix(v, "calls="), ",")
			c, _ := strconv.Atoi(calls)
			n += c
		}
		return n
	}
	verifyFrom(h, "192.0.2.1:1", "", onePackage) // loads the script (EVALSHA, then EVAL once)
	for _, body := range []string{onePackage, batchOf(10)} {
		before := processed()
		if rec := verifyFrom(h, "192.0.2.1:1", "", body); rec.Code != http.StatusOK {
			t.Fatalf("%d", rec.Code)
		}
		if got := processed() - before; got != 1 {
			t.Fatalf("%d limiter commands for one verification, want 1", got)
		}
	}
}

// TestRateLimitRedisDown: when the limiter's Redis is down the request is
// let through (the route fails closed on its own reads), never a 500, and
// the outage is logged once, not once a request.
func TestRateLimitRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	h := limitedHarness(t, RateLimit{Rate: 0.1, Burst: 1}, RateLimit{}, nil, srv.Addr)
	srv.Kill()
	for i := range 5 {
		if rec := verifyFrom(h, "192.0.2.1:1", "", onePackage); rec.Code != http.StatusOK {
			t.Fatalf("request %d with the limiter down: %d %s", i, rec.Code, rec.Body.String())
		}
	}
	if n := strings.Count(h.logs.String(), "rate limiter unavailable"); n != 1 {
		t.Fatalf("%d warnings for 5 requests, want 1", n)
	}
}

// TestRateLimitBatchStatusBySubjects is the bulk-read attack: a batch status
// lookup of many subjects used to take one token, so one client could read
// a thousand statuses per token. It now takes batchCost(n) tokens.
func TestRateLimitBatchStatusBySubjects(t *testing.T) {
	h := limitedHarness(t, RateLimit{Rate: 0.5, Burst: 4}, RateLimit{}, nil, "")
	batch := func(n int) *httptest.ResponseRecorder {
		subs := make([]any, n)
		for i := range subs {
			subs[i] = map[string]any{"kind": "certificate", "id": strconv.Itoa(i)}
		}
		return h.do(http.MethodPost, "/v1/revocations/batch", auth.RolePublic, map[string]any{"subjects": subs})
	}
	// 100 subjects cost 6 tokens, more than the burst of 4: never passes.
	rec := batch(100)
	want429(t, rec, "8")
	if !strings.Contains(rec.Body.String(), "smaller batches") {
		t.Fatalf("detail: %s", rec.Body.String())
	}
	// 40 subjects cost 3 of the 4 tokens; a second such batch waits.
	if rec := batch(40); rec.Code != http.StatusOK {
		t.Fatalf("batch of 40 within the burst: %d %s", rec.Code, rec.Body.String())
	}
	want429(t, batch(40), "4")
	if rec := batch(1); rec.Code != http.StatusOK {
		t.Fatalf("batch of one with one token left: %d %s", rec.Code, rec.Body.String())
	}
}
