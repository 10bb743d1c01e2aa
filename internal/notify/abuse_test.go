package notify

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// hostsResolver answers name lookups from a table, as a DNS server under
// the attacker's control would; names not in it do not resolve.
type hostsResolver map[string][]netip.Addr

func (h hostsResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := h[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func addrs(s ...string) []netip.Addr {
	out := make([]netip.Addr, len(s))
	for i, a := range s {
		out[i] = netip.MustParseAddr(a)
	}
	return out
}

// TestRegisterRefusesInternalTargets is the SSRF attack at registration:
// an agency points its hook at the service's own network.
func TestRegisterRefusesInternalTargets(t *testing.T) {
	ctx := context.Background()
	res := hostsResolver{
		"hooks.example.org": addrs("93.184.216.34"),
		"internal.example":  addrs("10.1.2.3"),
		"mixed.example":     addrs("93.184.216.34", "127.0.0.1"),
		"v6.example":        addrs("2606:4700::1111"),
		"allowed.internal":  addrs("10.9.9.9"),
	}
	// An empty, non-nil allow list: nothing internal is allowed.
	r := newRig(t, testredis.Addr(t), testredis.Prefix(t), clock.NewFake(t0), Options{Allow: []string{}, Resolver: res})
	for _, u := range []string{
		"http://127.0.0.1:6379/", "http://127.1/", "http://2130706433/", "http://0x7f.0.0.1/", "http://[::1]/x", "http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.1/", "http://[fe80::1]/", "http://[fc00::1]/",
		"http://224.0.0.1/", "http://0.0.0.0/", "http://[::]/", "http://[::ffff:127.0.0.1]/", "http://100.64.0.1/",
		"http://255.255.255.255/", "http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/",
		"http://internal.example/", "http://mixed.example/", "http://INTERNAL.example./",
	} {
		_, err := r.svc.Register(ctx, agency, u, secret)
		if e := apperr.As(err); e == nil || e.Kind != apperr.Malformed || e.Code != "HOOK_TARGET_REFUSED" {
			t.Errorf("%s: %v, want HOOK_TARGET_REFUSED", u, err)
		}
	}
	if _, err := r.svc.Register(ctx, agency, "http://nowhere.invalid/", secret); apperr.As(err) == nil || apperr.As(err).Code != "HOOK_UNRESOLVABLE" {
		t.Errorf("unresolvable: %v", err)
	}
	for _, u := range []string{"http://hooks.example.org/in", "https://v6.example/in", "http://93.184.216.34:8443/in"} {
		if _, err := r.svc.Register(ctx, agency, u, secret); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	// The allow list opens CIDRs and host names (tests, internal receivers).
	a := newRig(t, testredis.Addr(t), testredis.Prefix(t), clock.NewFake(t0), Options{Allow: []string{"10.0.0.0/8", "allowed.internal"}, Resolver: res})
	for _, u := range []string{"http://10.0.0.1/", "http://internal.example/", "http://allowed.internal/"} {
		if _, err := a.svc.Register(ctx, agency, u, secret); err != nil {
			t.Errorf("allowed %s: %v", u, err)
		}
	}
	if _, err := a.svc.Register(ctx, agency, "http://127.0.0.1/", secret); apperr.As(err) == nil || apperr.As(err).Code != "HOOK_TARGET_REFUSED" {
		t.Errorf("loopback outside the allow list: %v", err)
	}
}

// TestDeliveryRechecksTheDialledAddress is the DNS rebinding attack: the
// hook's name resolved to a public address when it was registered and
// resolves to loopback when the worker connects. The connection is
// refused at dial time; the receiver on loopback never hears of it.
func TestDeliveryRechecksTheDialledAddress(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	rc := newReceiver(t, clk)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(rc.srv.URL, "http://"))
	// At registration "localhost" answered with a public address; at
	// delivery the system resolver says 127.0.0.1.
	r := newRig(t, testredis.Addr(t), testredis.Prefix(t), clk, Options{Allow: []string{}, MaxAttempts: 1,
		Resolver: hostsResolver{"localhost": addrs("93.184.216.34")}})
	if _, err := r.svc.Register(ctx, admin, "http://localhost:"+port+"/hook", secret); err != nil {
		t.Fatal(err)
	}
	r.change(t, 0, "AG-1")
	if n, err := r.svc.Step(ctx); err != nil || n != 1 {
		t.Fatalf("step: %d %v", n, err)
	}
	if rc.calls.Load() != 0 {
		t.Fatal("the worker connected to a loopback address")
	}
	dead, err := r.svc.Dead(ctx, admin)
	if err != nil || len(dead) != 1 || dead[0].LastError != "transport error" {
		t.Fatalf("dead letters %+v %v", dead, err)
	}
	// The same hook with loopback allowed is delivered: the refusal above
	// was the address check, not the set-up.
	ok := newRig(t, testredis.Addr(t), testredis.Prefix(t), clk, Options{Resolver: hostsResolver{"localhost": addrs("127.0.0.1")}})
	if _, err := ok.svc.Register(ctx, admin, "http://localhost:"+port+"/hook", secret); err != nil {
		t.Fatal(err)
	}
	ok.change(t, 0, "AG-1")
	if _, err := ok.svc.Step(ctx); err != nil || rc.calls.Load() != 1 {
		t.Fatalf("allowed delivery: %v, %d calls", err, rc.calls.Load())
	}
}

// TestDeliveryDoesNotFollowRedirects: a receiver that answers 3xx (for
// instance to an internal address) is a failed delivery, not a hop.
func TestDeliveryDoesNotFollowRedirects(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	target := newReceiver(t, clk)
	redirector := httptest.NewServer(http.RedirectHandler(target.srv.URL, http.StatusTemporaryRedirect))
	t.Cleanup(redirector.Close)
	r := newRig(t, testredis.Addr(t), testredis.Prefix(t), clk, Options{MaxAttempts: 1})
	if _, err := r.svc.Register(ctx, admin, redirector.URL, secret); err != nil {
		t.Fatal(err)
	}
	r.change(t, 0, "AG-1")
	if _, err := r.svc.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if target.calls.Load() != 0 {
		t.Fatal("the redirect was followed")
	}
	if dead, _ := r.svc.Dead(ctx, admin); len(dead) != 1 || dead[0].LastError != "HTTP 307" {
		t.Fatalf("dead %+v", dead)
	}
}

// countingHandler counts log records by message.
type countingHandler struct {
	mu    sync.Mutex
	lines []slog.Record
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, r)
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// count returns how many records carry msg, and the "suppressed" value of
// the last of them.
func (h *countingHandler) count(msg string) (n int, suppressed int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.lines {
		if r.Message != msg {
			continue
		}
		n++
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "suppressed" {
				suppressed = a.Value.Int64()
			}
			return true
		})
	}
	return n, suppressed
}

// TestFailingHookLogsAreThrottled is the log flood: a dead hook with a busy
// stream. Its first failure is logged, then one summary line an interval
// with the failures held back, and one line when it recovers.
func TestFailingHookLogsAreThrottled(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	rc := newReceiver(t, clk)
	rc.fail.Store(true)
	logs := &countingHandler{}
	r := newRig(t, testredis.Addr(t), testredis.Prefix(t), clk, Options{MaxAttempts: 100, LogInterval: 5 * time.Minute})
	r.svc.log = slog.New(logs)
	if _, err := r.svc.Register(ctx, admin, rc.srv.URL, secret); err != nil {
		t.Fatal(err)
	}
	const events = 40
	for i := range events {
		r.change(t, i, "AG-1")
	}
	attempts := 0
	step := func() {
		t.Helper()
		n, err := r.svc.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		attempts += n
	}
	step() // 40 failures at once
	// Retries after 1, 2 and 4 minutes: all inside the first interval.
	for _, d := range []time.Duration{time.Minute, 2 * time.Minute} {
		clk.Advance(d)
		step()
	}
	if attempts != 3*events {
		t.Fatalf("%d attempts, want %d", attempts, 3*events)
	}
	if n, _ := logs.count("webhook delivery failed"); n != 1 {
		t.Fatalf("%d first-failure lines for %d failures, want 1", n, attempts)
	}
	if n, _ := logs.count("webhook deliveries still failing"); n != 0 {
		t.Fatalf("%d summary lines inside the first interval", n)
	}
	clk.Advance(4 * time.Minute) // 7 min: the next retries are past the interval
	step()
	n, held := logs.count("webhook deliveries still failing")
	if n != 1 || held != 3*events-1 {
		t.Fatalf("summary: %d lines, %d suppressed; want 1 line, %d", n, held, 3*events-1)
	}
	rc.fail.Store(false)
	clk.Advance(8 * time.Minute)
	step()
	if got := len(rc.seqs()); got != events {
		t.Fatalf("%d delivered after recovery", got)
	}
	if n, held := logs.count("webhook delivers again"); n != 1 || held != events-1 {
		t.Fatalf("recovery: %d lines, %d suppressed", n, held)
	}
	if total := len(logs.lines); total != 3 {
		t.Fatalf("%d log lines for %d failed attempts, want 3", total, 4*events)
	}
}

// TestDeleteHook: an agency deletes its own hook only, an admin any; a
// repeat or another agency's hook is 404; deliveries still due for a
// deleted hook are dead-lettered without another attempt.
func TestDeleteHook(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	rc := newReceiver(t, clk)
	rc.fail.Store(true)
	r := newRig(t, testredis.Addr(t), testredis.Prefix(t), clk, Options{MaxAttempts: 5})
	mine, err := r.svc.Register(ctx, agency, rc.srv.URL, secret)
	if err != nil {
		t.Fatal(err)
	}
	other := auth.Principal{Role: auth.RoleAgency, Org: "AG-2", TokenID: "ag2"}
	theirs, err := r.svc.Register(ctx, other, rc.srv.URL, secret)
	if err != nil {
		t.Fatal(err)
	}
	r.change(t, 0, "AG-1")
	if _, err := r.svc.Step(ctx); err != nil { // fails once, retry due in a minute
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		p    auth.Principal
		id   string
		want apperr.Kind
	}{
		"enforcement":          {auth.Principal{Role: auth.RoleEnforcement, Org: "110000"}, mine.ID, apperr.Forbidden},
		"public":               {auth.Public(), mine.ID, apperr.Forbidden},
		"another agency's":     {agency, theirs.ID, apperr.NotFound},
		"nonexistent":          {agency, "H0000000000000000", apperr.NotFound},
		"nonexistent by admin": {admin, "H0000000000000000", apperr.NotFound},
	} {
		if err := r.svc.Delete(ctx, c.p, c.id); apperr.KindOf(err) != c.want {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if err := r.svc.Delete(ctx, agency, mine.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Delete(ctx, agency, mine.ID); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("repeat: %v", err)
	}
	if err := r.svc.Delete(ctx, admin, theirs.ID); err != nil {
		t.Fatalf("admin: %v", err)
	}
	if hs, err := r.svc.Hooks(ctx, admin); err != nil || len(hs) != 0 {
		t.Fatalf("hooks left: %+v %v", hs, err)
	}
	calls := rc.calls.Load()
	clk.Advance(time.Hour)
	if _, err := r.svc.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if rc.calls.Load() != calls {
		t.Fatal("a deleted hook was called")
	}
	if dead, _ := r.svc.Dead(ctx, admin); len(dead) != 1 || dead[0].LastError != "the hook no longer exists" {
		t.Fatalf("dead %+v", dead)
	}
}
