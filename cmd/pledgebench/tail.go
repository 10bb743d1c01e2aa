package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"runtime/metrics"
	"runtime/trace"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/bench"
)

// Go runtime metric names the tail evidence reads.
const (
	mGCCount = "go_gc_duration_seconds_count"
	mGCSum   = "go_gc_duration_seconds_sum"
	rtSched  = "/sched/latencies:seconds"
)

// tailProbe reads, before and after one load step, what the step's latency
// tail is read against: this process's CPU time (the generator), the
// server's garbage collections from its /metrics, and, when the server runs
// in this process, the runtime's scheduling-latency histogram.
type tailProbe struct {
	s                 *server
	inProcess         bool
	cpu0              time.Duration
	gcN, gcS          float64
	sched             *metrics.Float64Histogram
	serverPID         int
	redisPID          int
	serverRQ, redisRQ time.Duration
}

func startTail(ctx context.Context, s *server, inProcess bool, redisPID int) *tailProbe {
	p := &tailProbe{s: s, inProcess: inProcess, cpu0: selfCPU(), redisPID: redisPID, serverPID: os.Getpid()}
	if s.cmd != nil && s.cmd.Process != nil {
		p.serverPID = s.cmd.Process.Pid
	}
	p.serverRQ, _ = runQueueWait(p.serverPID)
	if redisPID > 0 {
		p.redisRQ, _ = runQueueWait(redisPID)
	}
	p.gcN, p.gcS = p.gc(ctx)
	if inProcess {
		p.sched = schedHist()
	}
	return p
}

func (p *tailProbe) gc(ctx context.Context) (n, sum float64) {
	n, _ = p.s.metric(ctx, mGCCount)
	sum, _ = p.s.metric(ctx, mGCSum)
	return n, sum
}

// finish returns the evidence of the step since startTail.
func (p *tailProbe) finish(ctx context.Context) *bench.Tail {
	t := &bench.Tail{GeneratorCPUSec: roundMs((selfCPU() - p.cpu0).Seconds())}
	n, sum := p.gc(ctx)
	t.GCCycles, t.GCPauseMs = n-p.gcN, roundMs((sum-p.gcS)*1000)
	if rq, err := runQueueWait(p.serverPID); err == nil && p.serverRQ > 0 {
		t.ServerRunQueueMs = roundMs(float64(rq-p.serverRQ) / 1e6)
	}
	if rq, err := runQueueWait(p.redisPID); err == nil && p.redisPID > 0 {
		t.RedisRunQueueMs = roundMs(float64(rq-p.redisRQ) / 1e6)
	}
	if p.sched != nil {
		d := histDelta(p.sched, schedHist())
		t.SchedP50Ms, t.SchedP99Ms = roundMs(histQuantile(d, 0.50)*1000), roundMs(histQuantile(d, 0.99)*1000)
	}
	if la := loadAvg(); len(la) > 0 {
		t.LoadAvg = la[0]
	}
	return t
}

func roundMs(v float64) float64 { return math.Round(v*1000) / 1000 }

// schedHist reads the scheduling-latency histogram of this process.
func schedHist() *metrics.Float64Histogram {
	s := []metrics.Sample{{Name: rtSched}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	h := s[0].Value.Float64Histogram()
	return &metrics.Float64Histogram{Counts: append([]uint64(nil), h.Counts...), Buckets: append([]float64(nil), h.Buckets...)}
}

// histDelta returns b − a for two readings of the same histogram (nil if
// their shapes differ).
func histDelta(a, b *metrics.Float64Histogram) *metrics.Float64Histogram {
	if a == nil || b == nil || len(a.Counts) != len(b.Counts) {
		return nil
	}
	d := &metrics.Float64Histogram{Counts: make([]uint64, len(b.Counts)), Buckets: b.Buckets}
	for i := range b.Counts {
		if b.Counts[i] >= a.Counts[i] {
			d.Counts[i] = b.Counts[i] - a.Counts[i]
		}
	}
	return d
}

// histQuantile returns the upper bound of the bucket holding quantile q (a
// conservative reading; the last finite bound for the overflow bucket; 0
// when empty).
func histQuantile(h *metrics.Float64Histogram, q float64) float64 {
	if h == nil {
		return 0
	}
	var total uint64
	for _, c := range h.Counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(total)))
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			hi := h.Buckets[i+1]
			if math.IsInf(hi, 1) {
				hi = h.Buckets[i]
			}
			return hi
		}
	}
	return 0
}

// startTrace writes an execution trace (go tool trace) into
// dir/trace-NAME.out when dir is set, and returns the function that ends it.
func startTrace(dir, name string) (func() error, error) {
	if dir == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(filepath.Join(dir, "trace-"+name+".out"))
	if err != nil {
		return nil, err
	}
	if err := trace.Start(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		trace.Stop()
		return f.Close()
	}, nil
}
