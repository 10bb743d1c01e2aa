package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/version"
)

// bareServer is a server without Redis: health, metrics and the spec
// routes work; its log lines are collected.
func bareServer(t *testing.T, opts Options) (*Server, *prometheus.Registry, *syncBuffer) {
	t.Helper()
	reg := prometheus.NewRegistry()
	logs := &syncBuffer{}
	srv := New(Deps{Registry: reg, Log: slog.New(slog.NewJSONHandler(logs, nil))}, opts)
	return srv, reg, logs
}

// seriesCount is the number of HTTP request series, and whether any label
// holds value.
func seriesCount(t *testing.T, reg *prometheus.Registry, value string) (int, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	n, found := 0, false
	for _, mf := range mfs {
		if !strings.HasPrefix(mf.GetName(), "pledgeseal_http_") {
			continue
		}
		for _, m := range mf.GetMetric() {
			n++
			for _, l := range m.GetLabel() {
				found = found || l.GetValue() == value
			}
		}
	}
	return n, found
}

// TestInventedMethodsAddNoSeries is the attack of issue 19: a client
// sending made-up methods must not grow the metric series (each would
// otherwise add a counter and a histogram with its buckets).
func TestInventedMethodsAddNoSeries(t *testing.T) {
	srv, reg, logs := bareServer(t, Options{})
	send := func(method, path string) int {
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest(method, path, nil))
		return rec.Code
	}
	send("GET", "/healthz")
	send("XYZZY", "/healthz")
	send("XYZZY", "/nowhere")
	before, _ := seriesCount(t, reg, "")
	for i := range 50 {
		for _, path := range []string{"/healthz", "/nowhere", "/v1/seals"} {
			if code := send(fmt.Sprintf("INVENTED%d", i), path); code < 400 || code >= 500 {
				t.Fatalf("invented method on %s answered %d", path, code)
			}
		}
	}
	after, leaked := seriesCount(t, reg, "INVENTED7")
	if after != before || leaked {
		t.Fatalf("invented methods changed the series: %d before, %d after (method label leaked: %v)", before, after, leaked)
	}
	if _, other := seriesCount(t, reg, "OTHER"); !other {
		t.Fatal("invented methods are not counted as OTHER")
	}
	if strings.Contains(logs.String(), "INVENTED") {
		t.Fatal("an invented method reached the access log")
	}
	for _, m := range []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"} {
		if methodLabel(m) != m {
			t.Errorf("standard method %s is labelled %s", m, methodLabel(m))
		}
	}
	if methodLabel("get") != "OTHER" {
		t.Error("methods are case-sensitive: get is not GET")
	}
}

// accessLine returns the access log line of the last request.
func accessLine(t *testing.T, logs *syncBuffer) map[string]any {
	t.Helper()
	var last map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err == nil && m["msg"] == "request" {
			last = m
		}
	}
	if last == nil {
		t.Fatalf("no access log line:\n%s", logs)
	}
	return last
}

// TestAccessLogDurationAndClient: the duration is a float in seconds and
// the client is the peer; X-Forwarded-For counts only from a trusted proxy
// (otherwise any client could write any address into the log).
func TestAccessLogDurationAndClient(t *testing.T) {
	get := func(srv *Server, peer, xff string) {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.RemoteAddr = peer
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		req.Header.Set("X-Real-IP", "203.0.113.99")
		srv.Handler().ServeHTTP(httptest.NewRecorder(), req)
	}

	srv, _, logs := bareServer(t, Options{})
	get(srv, "192.0.2.10:5555", "198.51.100.1")
	line := accessLine(t, logs)
	if line["client"] != "192.0.2.0/24" {
		t.Fatalf("without trusted proxies the client is %v, want the peer's network 192.0.2.0/24", line["client"])
	}
	d, ok := line["duration_s"].(float64)
	if !ok || d < 0 || d > 60 {
		t.Fatalf("duration_s = %#v, want seconds as a number", line["duration_s"])
	}
	if _, old := line["duration"]; old {
		t.Fatal("the nanosecond duration field is still logged")
	}

	srv, _, logs = bareServer(t, Options{TrustedProxies: []string{"10.0.0.0/8"}})
	get(srv, "10.1.2.3:443", "198.51.100.1")
	if c := accessLine(t, logs)["client"]; c != "198.51.100.0/24" {
		t.Fatalf("behind a trusted proxy the client is %v, want 198.51.100.0/24", c)
	}
	get(srv, "192.0.2.10:5555", "198.51.100.1")
	if c := accessLine(t, logs)["client"]; c != "192.0.2.0/24" {
		t.Fatalf("an untrusted peer's X-Forwarded-For was believed: client %v", c)
	}
	// A forged entry before the proxy's own is not taken: the right-most
	// untrusted address is the client.
	get(srv, "10.1.2.3:443", "6.6.6.6, 198.51.100.1")
	if c := accessLine(t, logs)["client"]; c != "198.51.100.0/24" {
		t.Fatalf("client %v, want the address the trusted proxy saw", c)
	}

	// The log holds the network, never the person's own address.
	get(srv, "10.1.2.3:443", "2001:db8:1234:5678::42")
	if c := accessLine(t, logs)["client"]; c != "2001:db8:1234::/48" {
		t.Fatalf("IPv6 client logged as %v, want its /48", c)
	}
	if strings.Contains(logs.String(), "198.51.100.1\"") || strings.Contains(logs.String(), "5678::42") {
		t.Fatalf("a full client address reached the log: %s", logs)
	}

	// A list gin cannot read trusts nobody.
	srv, _, logs = bareServer(t, Options{TrustedProxies: []string{"not-an-address"}})
	get(srv, "10.1.2.3:443", "198.51.100.1")
	if c := accessLine(t, logs)["client"]; c != "10.1.2.0/24" {
		t.Fatalf("with an unreadable proxy list the client is %v, want the peer", c)
	}
}

// TestMetricsPassPromtool scrapes /metrics of a server whose registry also
// holds the Redis client metrics and the Go and process collectors (as
// pledged's does), after real traffic, and runs `promtool check metrics`
// on it. Under make test (PLEDGESEAL_TEST_REQUIRE_REDIS=1) a missing
// promtool is a failure: the test script installs it (Debian package
// prometheus).
func TestMetricsPassPromtool(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv(testredis.EnvRequire) == "1" {
			t.Fatal("promtool is required under make test (Debian package prometheus; scripts/test.sh installs it as root)")
		}
		t.Skip("promtool not installed (Debian package prometheus); make test installs it")
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h := newHarness(t, func(d *Deps) { d.Registry = reg })
	if err := h.store.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	h.do("GET", "/v1/whoami", auth.RoleAdmin, nil)
	h.do("GET", "/v1/tokens", auth.RoleAdmin, nil)
	h.do("GET", "/v1/seals/nope", auth.RolePublic, nil)
	serve(h, mustReq(t, "BREW", "/healthz"))
	rec := h.do("GET", "/metrics", auth.RolePublic, nil)
	body := rec.Body.String()
	v := version.Get()
	for _, want := range []string{
		"pledgeseal_http_requests_total{", `method="OTHER"`,
		"pledgeseal_redis_command_duration_seconds_bucket{", "pledgeseal_redis_pool_connections{",
		fmt.Sprintf(`pledgeseal_build_info{commit=%q,go=%q,version=%q} 1`, v.Commit, v.Go, v.Version),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(rec.Body.Bytes())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
}

func TestPromtoolRejectsBadMetrics(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed")
	}
	// The check above can fail: a counter without _total is a lint error.
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader("# HELP requests Requests.\n# TYPE requests counter\nrequests 1\n")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("promtool accepted a counter without _total:\n%s", out)
	}
}
