package httpapi

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/internal/version"
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

// newMetrics registers the HTTP metrics and pledgeseal_build_info on reg (a
// per-server registry: no global default registry is used).
func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pledgeseal_http_requests_total", Help: "HTTP requests by method (unknown methods as OTHER), route template and status code.",
		}, []string{"method", "route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pledgeseal_http_request_duration_seconds", Help: "HTTP request latency by method (unknown methods as OTHER) and route template.",
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
	reg.MustRegister(m.requests, m.duration, m.panics, m.rateLimited, m.rateLimitErrors, buildInfo(version.Get()))
	return m
}

// buildInfo is the gauge pledgeseal_build_info{version,commit,go}, always 1.
func buildInfo(v version.Info) prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "pledgeseal_build_info",
		Help:        "Build of the running pledged: version, VCS commit and Go toolchain (the value is always 1).",
		ConstLabels: prometheus.Labels{"version": v.Version, "commit": v.Commit, "go": v.Go},
	}, func() float64 { return 1 })
}

// methodLabel is the method label of a request: one of the methods of RFC
// 9110 (and PATCH), or OTHER, so that a client inventing methods cannot
// create new series.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return method
	}
	return "OTHER"
}
