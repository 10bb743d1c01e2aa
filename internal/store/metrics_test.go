package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// histogramCount is the number of observations of the command's latency.
func histogramCount(t *testing.T, reg *prometheus.Registry, command string) uint64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "pledgeseal_redis_command_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "command" && l.GetValue() == command {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
	}
	return 0
}

func instrumented(t *testing.T, opts Options) (*Store, *prometheus.Registry) {
	t.Helper()
	st, err := New(opts, clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	reg := prometheus.NewRegistry()
	if err := st.RegisterMetrics(reg); err != nil {
		t.Fatal(err)
	}
	return st, reg
}

// TestRedisMetricsCountCommands: each command, pipeline and transaction
// is timed under its name; a missing key is no error, an error reply is
// one of kind reply; the pool reports its connections; the exposition
// passes the Prometheus linter.
func TestRedisMetricsCountCommands(t *testing.T) {
	st, reg := instrumented(t, Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t)})
	ctx := context.Background()
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if n := histogramCount(t, reg, "ping"); n != 2 {
		t.Fatalf("ping observed %d times, want 2", n)
	}
	if err := st.rdb.Get(ctx, st.key("metrics", "absent")).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of an absent key: %v", err)
	}
	if err := st.rdb.Do(ctx, "NOSUCHCOMMAND").Err(); err == nil {
		t.Fatal("an unknown command succeeded")
	}
	if _, err := st.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, st.key("metrics", "a"))
		p.Get(ctx, st.key("metrics", "b"))
		return nil
	}); !errors.Is(err, redis.Nil) {
		t.Fatalf("pipeline: %v", err)
	}
	if _, err := st.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, st.key("metrics", "c"), "1", time.Minute)
		return nil
	}); err != nil {
		t.Fatalf("transaction: %v", err)
	}
	if histogramCount(t, reg, "handshake") < 1 {
		t.Fatal("the connection handshakes were not observed")
	}
	if histogramCount(t, reg, "get") != 1 || histogramCount(t, reg, "pipeline") != 1 || histogramCount(t, reg, "multi") != 1 {
		t.Fatalf("get %d, pipeline %d, multi %d observations; want 1 each",
			histogramCount(t, reg, "get"), histogramCount(t, reg, "pipeline"), histogramCount(t, reg, "multi"))
	}
	if n := sumCounter(t, reg, "pledgeseal_redis_command_errors_total", nil); n != 1 {
		t.Fatalf("%v command errors counted, want 1 (the unknown command; a missing key is no error)", n)
	}
	if n := sumCounter(t, reg, "pledgeseal_redis_command_errors_total", func(l map[string]string) bool {
		return l["command"] == "nosuchcommand" && l["kind"] == "reply"
	}); n != 1 {
		t.Fatalf("the error reply was not counted as command nosuchcommand, kind reply")
	}
	idle, err := poolConnections(reg, "idle")
	if err != nil || idle < 1 {
		t.Fatalf("idle pool connections %v (%v), want at least 1", idle, err)
	}
	lint(t, reg)
}

func poolConnections(reg *prometheus.Registry, state string) (float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	for _, mf := range mfs {
		if mf.GetName() != "pledgeseal_redis_pool_connections" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == state {
				return m.GetGauge().GetValue(), nil
			}
		}
	}
	return 0, errors.New("no pool connection gauge")
}

// TestRedisMetricsCountFailures: with Redis unreachable every failed call
// is counted (dial errors and the command's network or timeout error), and
// the store still reports Unavailable.
func TestRedisMetricsCountFailures(t *testing.T) {
	srv := testredis.Start(t)
	st, reg := instrumented(t, Options{Addrs: []string{srv.Addr}, Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if err := st.Ping(ctx); err == nil {
		t.Fatal("ping succeeded with Redis down")
	}
	if n := sumCounter(t, reg, "pledgeseal_redis_dial_errors_total", nil); n < 1 {
		t.Fatalf("dial errors %v, want at least 1", n)
	}
	failed := sumCounter(t, reg, "pledgeseal_redis_command_errors_total", func(l map[string]string) bool {
		return l["command"] == "ping" && (l["kind"] == "network" || l["kind"] == "timeout")
	})
	if failed != 1 {
		t.Fatalf("failed pings counted %v, want 1", failed)
	}
}

// TestRedisMetricsOnCluster: the hook sees the cluster client's commands
// (one observation per call, whatever node serves it) and the pool sums
// the nodes.
func TestRedisMetricsOnCluster(t *testing.T) {
	st, reg := instrumented(t, Options{Addrs: testredis.ClusterAddrs(t), Cluster: true, Prefix: testredis.Prefix(t)})
	ctx := context.Background()
	for i := range 5 {
		if err := st.rdb.Set(ctx, st.key(string(rune('a'+i)), "k"), "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if n := histogramCount(t, reg, "set"); n != 5 {
		t.Fatalf("set observed %d times, want 5", n)
	}
	lint(t, reg)
}

// lint runs the Prometheus metric linter (the one behind promtool check
// metrics) over everything reg gathers.
func lint(t *testing.T, reg *prometheus.Registry) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if problems, err := promlint.NewWithMetricFamilies(mfs).Lint(); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", problems, err)
	}
}

// sumCounter adds up the counter name's series whose labels match (nil: all).
func sumCounter(t *testing.T, reg *prometheus.Registry, name string, match func(map[string]string) bool) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if match == nil || match(labels) {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

func TestErrorKind(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{context.DeadlineExceeded, "timeout"},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), "timeout"},
		{context.Canceled, "canceled"},
		{errors.New("connection reset by peer"), "network"},
		{redis.ErrClosed, "network"},
	}
	for _, tc := range cases {
		if got := errorKind(tc.err); got != tc.want {
			t.Errorf("errorKind(%v) = %s, want %s", tc.err, got, tc.want)
		}
	}
}
