package store

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// RegisterMetrics instruments the store's Redis client and registers its
// metrics on reg (the service's own registry; nothing global):
//
//   - pledgeseal_redis_command_duration_seconds{command}: latency of every
//     command as the client sees it (queueing for a connection, the round
//     trip, cluster redirections); a pipeline is one observation labelled
//     pipeline, multi (a MULTI/EXEC transaction) or handshake (what
//     go-redis sends on each new connection);
//   - pledgeseal_redis_command_errors_total{command,kind}: failed commands,
//     kind timeout, canceled, network or reply (an error reply such as
//     NOSCRIPT or OOM); a missing key (redis.Nil) is no error;
//   - pledgeseal_redis_dial_errors_total: failed connection attempts;
//   - pledgeseal_redis_pool_*: the connection pool (summed over the nodes
//     of a cluster).
//
// Command labels are the command names the store itself sends, so their
// number is bounded by this package's code. Call it once per Store.
func (s *Store) RegisterMetrics(reg prometheus.Registerer) error {
	h := &metricsHook{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pledgeseal_redis_command_duration_seconds",
			Help:    "Redis command latency seen by the client, by command (pipeline, multi or handshake for batches).",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"command"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pledgeseal_redis_command_errors_total",
			Help: "Failed Redis commands by command and kind (timeout, canceled, network, reply).",
		}, []string{"command", "kind"}),
		dialErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pledgeseal_redis_dial_errors_total",
			Help: "Failed attempts to open a connection to Redis.",
		}),
	}
	for _, c := range []prometheus.Collector{h.duration, h.errors, h.dialErrors, newPoolCollector(s.rdb.PoolStats)} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	s.rdb.AddHook(h)
	return nil
}

// metricsHook is the go-redis hook behind RegisterMetrics.
type metricsHook struct {
	duration   *prometheus.HistogramVec
	errors     *prometheus.CounterVec
	dialErrors prometheus.Counter
}

func (h *metricsHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := next(ctx, network, addr)
		if err != nil {
			h.dialErrors.Inc()
		}
		return conn, err
	}
}

func (h *metricsHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		start := time.Now()
		err := next(ctx, cmd)
		name := commandLabel(cmd.Name())
		h.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
		var re redis.Error
		if name == "client" && errors.As(err, &re) {
			// The store sends no CLIENT command; go-redis probes optional
			// features with it on each new connection and ignores the
			// refusal of servers that lack them.
			return err
		}
		h.countError(name, err)
		return err
	}
}

func (h *metricsHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 {
			return next(ctx, cmds)
		}
		start := time.Now()
		err := next(ctx, cmds)
		batch := batchLabel(cmds[0].Name())
		h.duration.WithLabelValues(batch).Observe(time.Since(start).Seconds())
		if batch == "handshake" {
			// go-redis ignores these replies (CLIENT SETINFO is unknown
			// before Redis 7.2); a failed login shows as HELLO or AUTH.
			return err
		}
		counted := false
		for _, c := range cmds {
			if cerr := c.Err(); cerr != nil && !errors.Is(cerr, redis.Nil) {
				h.countError(commandLabel(c.Name()), cerr)
				counted = true
			}
		}
		if !counted {
			h.countError(batch, err)
		}
		return err
	}
}

func (h *metricsHook) countError(command string, err error) {
	if err == nil || errors.Is(err, redis.Nil) {
		return
	}
	h.errors.WithLabelValues(command, errorKind(err)).Inc()
}

// batchLabel names a pipeline by its first command: multi for a MULTI/EXEC
// transaction, handshake for the commands go-redis sends on each new
// connection (CLIENT SETINFO, HELLO, AUTH, SELECT, READONLY), pipeline for
// the rest.
func batchLabel(first string) string {
	switch strings.ToLower(first) {
	case "multi":
		return "multi"
	case "client", "hello", "auth", "select", "readonly":
		return "handshake"
	}
	return "pipeline"
}

// commandLabel is the lower-case command name ("unknown" if empty).
func commandLabel(name string) string {
	if name == "" {
		return "unknown"
	}
	return strings.ToLower(name)
}

// errorKind sorts a failed command: the caller's deadline or a network
// timeout, the caller giving up, an error reply from Redis, or any other
// network or connection failure.
func errorKind(err error) string {
	var ne net.Error
	var re redis.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.As(err, &re):
		return "reply"
	default:
		return "network"
	}
}

// poolCollector reads the client's pool statistics at each scrape.
type poolCollector struct {
	stats                                      func() *redis.PoolStats
	hits, misses, timeouts, waits, waitSeconds *prometheus.Desc
	stale, conns, pending                      *prometheus.Desc
}

func newPoolCollector(stats func() *redis.PoolStats) *poolCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("pledgeseal_redis_pool_"+name, help, labels, nil)
	}
	return &poolCollector{
		stats:       stats,
		hits:        d("hits_total", "Times a free connection was found in the pool."),
		misses:      d("misses_total", "Times no free connection was in the pool (a new one was dialled)."),
		timeouts:    d("timeouts_total", "Times waiting for a pool connection timed out."),
		waits:       d("waits_total", "Times a caller waited for a pool connection."),
		waitSeconds: d("wait_seconds_total", "Total time callers waited for a pool connection."),
		stale:       d("stale_connections_total", "Stale connections removed from the pool."),
		conns:       d("connections", "Open pool connections by state (idle, in_use).", "state"),
		pending:     d("pending_requests", "Callers waiting for a pool connection now."),
	}
}

func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p.hits, p.misses, p.timeouts, p.waits, p.waitSeconds, p.stale, p.conns, p.pending} {
		ch <- d
	}
}

func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	st := p.stats()
	if st == nil {
		return
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	counter(p.hits, float64(st.Hits))
	counter(p.misses, float64(st.Misses))
	counter(p.timeouts, float64(st.Timeouts))
	counter(p.waits, float64(st.WaitCount))
	counter(p.waitSeconds, time.Duration(st.WaitDurationNs).Seconds())
	counter(p.stale, float64(st.StaleConns))
	idle := float64(st.IdleConns)
	inUse := float64(st.TotalConns) - idle
	if inUse < 0 {
		inUse = 0
	}
	ch <- prometheus.MustNewConstMetric(p.conns, prometheus.GaugeValue, idle, "idle")
	ch <- prometheus.MustNewConstMetric(p.conns, prometheus.GaugeValue, inUse, "in_use")
	ch <- prometheus.MustNewConstMetric(p.pending, prometheus.GaugeValue, float64(st.PendingRequests))
}
