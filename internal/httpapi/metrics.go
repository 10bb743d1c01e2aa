package httpapi

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	panics   prometheus.Counter
	// rateLimited counts refused requests by scope; rateLimitErrors the
	// takes the limiter could not answer (let through).
	rateLimited     *prometheus.CounterVec
	rateLimitErrors prometheus.Counter
}

// newMetrics registers the HTTP metrics on reg (a per-server registry: no
// global default registry is used).
func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pledgeseal_http_requests_total", Help: "HTTP requests by method, route template and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pledgeseal_http_request_duration_seconds", Help: "HTTP request latency by method and route template.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"method", "route"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pledgeseal_http_panics_total", Help: "Handler panics recovered.",
		}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pledgeseal_http_rate_limited_total", Help: "Requests refused with 429 by rate-limit scope.",
		}, []string{"scope"}),
		rateLimitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "pledgeseal_http_rate_limiter_errors_total", Help: "Rate-limit takes the store could not answer; the requests were let through.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.panics, m.rateLimited, m.rateLimitErrors)
	return m
}
