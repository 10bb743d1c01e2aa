package bench

import (
	"context"
	"sync"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
)

// Request performs one request; worker is the worker's index and seq the
// request's sequence number within the step (unique per step).
type Request func(ctx context.Context, worker, seq int) error

type recorder struct {
	mu    sync.Mutex
	lat   []time.Duration
	late  []time.Duration
	errs  int
	first string
}

// started records how late a paced request started after its scheduled
// time (the generator's own delay: its pacing loop, the in-flight bound, or
// a CPU it did not get).
func (r *recorder) started(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.late = append(r.late, d)
}

func (r *recorder) add(d time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.errs++
		if r.first == "" {
			r.first = err.Error()
		}
		return
	}
	r.lat = append(r.lat, d)
}

func (r *recorder) step(endpoint, mode string, elapsed time.Duration) Step {
	s := Step{Endpoint: endpoint, Mode: mode, DurationSec: round(elapsed.Seconds()), OK: len(r.lat), Errors: r.errs, FirstError: r.first}
	if elapsed > 0 {
		s.Throughput = round(float64(len(r.lat)) / elapsed.Seconds())
	}
	s.Latency = Summarize(r.lat)
	if len(r.late) > 0 {
		l := Summarize(r.late)
		s.StartLateness = &l
	}
	return s
}

// Closed runs conc workers, each sending its next request as soon as the
// previous one answered, for d, and returns the step.
func Closed(ctx context.Context, clk clock.Clock, endpoint string, conc int, d time.Duration, do Request) Step {
	rec := &recorder{}
	var seqMu sync.Mutex
	seq := 0
	next := func() int {
		seqMu.Lock()
		defer seqMu.Unlock()
		seq++
		return seq
	}
	start := clk.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && clk.Now().Before(deadline) {
				t := clk.Now()
				err := do(ctx, w, next())
				rec.add(clk.Now().Sub(t), err)
			}
		}()
	}
	wg.Wait()
	s := rec.step(endpoint, "closed", clk.Now().Sub(start))
	s.Concurrency = conc
	return s
}

// Paced offers rate requests per second for d (open loop: a request is
// started at its scheduled time whether or not earlier ones answered, up to
// maxInFlight at once) and measures each from its scheduled start, so
// queueing shows in the latency. It also records how late each request
// started (Step.StartLateness): the part of the latency the generator
// itself added before the request left.
func Paced(ctx context.Context, clk clock.Clock, endpoint string, rate float64, d time.Duration, maxInFlight int, do Request) Step {
	rec := &recorder{}
	if rate <= 0 {
		return rec.step(endpoint, "paced", 0)
	}
	interval := time.Duration(float64(time.Second) / rate)
	n := int(d.Seconds() * rate)
	sem := make(chan struct{}, max(maxInFlight, 1))
	saturated := 0
	var wg sync.WaitGroup
	start := clk.Now()
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if wait := at.Sub(clk.Now()); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
		if ctx.Err() != nil {
			break
		}
		select {
		case sem <- struct{}{}:
		default:
			// Every slot is taken: from here the step is no longer open
			// loop (the server sets the pace), so it is counted.
			saturated++
			sem <- struct{}{}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			rec.started(clk.Now().Sub(at))
			err := do(ctx, i%maxInFlight, i+1)
			rec.add(clk.Now().Sub(at), err)
		}()
	}
	wg.Wait()
	s := rec.step(endpoint, "paced", clk.Now().Sub(start))
	s.Saturated = saturated
	s.RatePerSec = round(rate)
	s.Concurrency = maxInFlight
	return s
}
