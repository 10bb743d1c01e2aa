package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/bench"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

// Counters pledged exports that the cache and round-trip targets read.
const (
	mSM2Performed  = "pledgeseal_verification_sm2_performed_total"
	mSM2Skipped    = "pledgeseal_verification_sm2_skipped_total"
	mChainsSkipped = "pledgeseal_verification_chains_skipped_total"
	mStatusTrips   = "pledgeseal_verification_status_round_trips_total"
	mStatusLookups = "pledgeseal_verification_status_lookups_total"
)

// client is what the HTTP steps need of the running pledged.
type client struct {
	s         *server
	agencyTok string
	// appToks holds one token per applicant; requests rotate over them.
	appToks []string
	agency  string
	notice  pledge.NoticeRef
	runID   string
}

// appTok returns the applicant token of request i (rotating).
func (c *client) appTok(i int) string { return c.appToks[i%len(c.appToks)] }

func (c *client) sign(ctx context.Context, tok, key string) (string, error) {
	out, err := c.s.expect(ctx, http.StatusCreated, http.MethodPost, "/v1/pledges", tok, key,
		map[string]any{"notice": c.notice, "channel": "WEB", "way": "EVENT_CERTIFICATE"})
	if err != nil {
		return "", err
	}
	var made struct{ Pledge struct{ ID string } }
	if err := json.Unmarshal(out, &made); err != nil || made.Pledge.ID == "" {
		return "", fmt.Errorf("POST /v1/pledges: no pledge ID in %.200s", out)
	}
	return made.Pledge.ID, nil
}

// acceptedPackage signs (as the applicant of tok), accepts and downloads
// one package.
func (c *client) acceptedPackage(ctx context.Context, clk clock.Clock, tok, key string) ([]byte, error) {
	id, err := c.sign(ctx, tok, key)
	if err != nil {
		return nil, err
	}
	if _, err := c.s.expect(ctx, http.StatusOK, http.MethodPost, "/v1/pledges/"+id+"/accept", c.agencyTok, "",
		map[string]string{"documentNo": "BENCH-1", "date": clk.Now().Format(time.DateOnly)}); err != nil {
		return nil, err
	}
	return c.s.expect(ctx, http.StatusOK, http.MethodGet, "/v1/pledges/"+id+"/package", tok, "", nil)
}

// packages makes n accepted packages, the i-th signed by applicant i (all
// counter-sealed with the agency's one seal), four at a time.
func (c *client) packages(ctx context.Context, clk clock.Clock, n int) ([][]byte, error) {
	out := make([][]byte, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(4, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = c.acceptedPackage(ctx, clk, c.appTok(i), fmt.Sprintf("hb-%s-pkg-%03d", c.runID, i))
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(errs...)
}

func verifyBody(pkg []byte) []byte {
	return append(append([]byte(`{"package":`), pkg...), '}')
}

// passed marks a report whose overall indication is TOTAL_PASSED.
const passed = `"indication":"TOTAL_PASSED"`

func (c *client) verify(ctx context.Context, body []byte) error {
	out, err := c.s.expect(ctx, http.StatusOK, http.MethodPost, "/v1/verifications", "", "", body)
	if err != nil {
		return err
	}
	if !bytes.Contains(out, []byte(passed)) {
		return fmt.Errorf("verification is not TOTAL_PASSED: %.300s", out)
	}
	return nil
}

type counters map[string]float64

func (c *client) counters(ctx context.Context) (counters, error) {
	out := counters{}
	for _, m := range []string{mSM2Performed, mSM2Skipped, mChainsSkipped, mStatusTrips, mStatusLookups} {
		v, err := c.s.metric(ctx, m)
		if err != nil {
			return nil, err
		}
		out[m] = v
	}
	return out, nil
}

// sesSignatures counts the SES signatures a package carries (the notice
// seal and, once accepted, the agency counter-seal): each signer signature
// must be verified on every verification.
func sesSignatures(pkg []byte) (float64, error) {
	p, err := pledge.ParsePackage(pkg)
	if err != nil {
		return 0, err
	}
	n := 0
	if len(p.NoticeSES) > 0 {
		n++
	}
	if len(p.AgencySES) > 0 {
		n++
	}
	return float64(n), nil
}

// httpSteps starts pledged, prepares a notice and two packages sealed by
// the same seal and chain, reads the cache counters around verifying the
// second, then runs the load steps.
func httpSteps(ctx context.Context, clk clock.Clock, o options, r *bench.Result, pr *progress, mat *trust.Material, keys, tmp, runID string) error {
	listen, err := freePort()
	if err != nil {
		return err
	}
	maxConc := o.sweep[len(o.sweep)-1]
	env := serverEnv(listen, o.redis, keys, "pledgebench-"+runID+":")
	if o.genProfile != "" {
		if err := os.MkdirAll(o.genProfile, 0o755); err != nil {
			return err
		}
	}
	if o.gogc != "" {
		// The Go runtime of pledged reads GOGC itself; in process it is set
		// here for the whole benchmark process.
		env = append(env, "GOGC="+o.gogc)
		if o.profile != "" {
			n, err := strconv.Atoi(o.gogc)
			if err != nil {
				return fmt.Errorf("-gogc %q: %w", o.gogc, err)
			}
			debug.SetGCPercent(n)
		}
		r.ServerGOGC = o.gogc
	}
	var s *server
	if o.profile != "" {
		pr.step("HTTP: serving the application in process on %s (CPU profiles into %s)", listen, o.profile)
		if err := os.MkdirAll(o.profile, 0o755); err != nil {
			return err
		}
		s, err = startInProcess(ctx, clk, env, listen, 4*maxConc)
	} else {
		pr.step("HTTP: starting pledged on %s", listen)
		s, err = startServer(ctx, clk, filepath.Join(o.bin, "pledged"), env, listen, tmp, 4*maxConc)
	}
	if err != nil {
		return err
	}
	defer s.stop()
	r.ServerCPUNote = "requests per CPU-second of the pledged process (/proc/PID/stat)"
	if o.profile != "" {
		r.ServerCPUNote = "requests per CPU-second of the benchmark process, which served in process (load generator included)"
	}
	c := &client{s: s, agency: mat.Agencies[0].Code, runID: runID}
	if c.agencyTok, c.appToks, err = tokens(ctx, clk, env, c.agency, benchApplicants(o.packages)); err != nil {
		return fmt.Errorf("tokens: %w", err)
	}
	if _, err := s.expect(ctx, http.StatusCreated, http.MethodPost, "/v1/catalogue/entries", c.agencyTok, "",
		map[string]any{"entry": benchEntry(c.agency, clk.Now().Add(-30*time.Second))}); err != nil {
		return err
	}
	out, err := s.expect(ctx, http.StatusCreated, http.MethodPost, "/v1/notices", c.agencyTok, "", benchNotice(c.agency))
	if err != nil {
		return err
	}
	var pub struct {
		Notice pledge.Notice
		Digest string
	}
	if err := json.Unmarshal(out, &pub); err != nil {
		return fmt.Errorf("POST /v1/notices: %w", err)
	}
	c.notice = pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.Digest}

	pr.step("HTTP: %d accepted packages of %d applicants, sealed with the same seal", o.packages, len(c.appToks))
	pkgs, err := c.packages(ctx, clk, o.packages)
	if err != nil {
		return err
	}
	bodies := make([][]byte, len(pkgs))
	for i, p := range pkgs {
		bodies[i] = verifyBody(p)
	}
	pr.step("HTTP: counters around verifying a second package with the same seal and chain")
	pkg1, pkg2 := pkgs[0], pkgs[1%len(pkgs)]
	if err := c.verify(ctx, verifyBody(pkg1)); err != nil {
		return err
	}
	before, err := c.counters(ctx)
	if err != nil {
		return err
	}
	if err := c.verify(ctx, verifyBody(pkg2)); err != nil {
		return err
	}
	after, err := c.counters(ctx)
	if err != nil {
		return err
	}
	sigs, err := sesSignatures(pkg2)
	if err != nil {
		return err
	}
	delta := func(m string) float64 { return after[m] - before[m] }
	r.Cache = &bench.Cache{Source: "pledged GET /metrics", SealSM2Delta: delta(mSM2Performed), SignerSigs: sigs,
		SkippedDelta: delta(mSM2Skipped), ChainsSkippedDelta: delta(mChainsSkipped),
		StatusTripsDelta: delta(mStatusTrips), StatusLookupsDelta: delta(mStatusLookups)}
	pr.step("HTTP: 2nd package: +%.0f seal SM2 (%.0f signer signatures), +%.0f from cache; %.0f status round trips",
		r.Cache.SealSM2Delta, sigs, r.Cache.SkippedDelta, r.Cache.StatusTripsDelta)

	sealPath := "/v1/seals/DEV-" + c.agency + "/status"
	rotated := func(endpoint string) int {
		switch endpoint {
		case bench.EndpointVerify:
			return len(bodies)
		case bench.EndpointSign:
			return len(c.appToks)
		}
		return 0
	}
	endpoints := []struct {
		name string
		do   bench.Request
	}{
		// Each verification takes the next of the distinct packages, so no
		// per-package cache could flatter the numbers.
		{bench.EndpointVerify, func(ctx context.Context, _, seq int) error { return c.verify(ctx, bodies[seq%len(bodies)]) }},
		{bench.EndpointSign, nil},
		{bench.EndpointStatus, func(ctx context.Context, _, _ int) error {
			_, err := s.expect(ctx, http.StatusOK, http.MethodGet, sealPath, "", "", nil)
			return err
		}},
	}
	for i, ep := range endpoints {
		do := ep.do
		// In process the profile holds server and generator; with -genprofile
		// and pledged as its own process, the generator alone.
		stopProfile, err := startProfile(cmp.Or(o.profile, o.genProfile), ep.name)
		if err != nil {
			return err
		}
		for _, conc := range o.sweep {
			if ep.name == bench.EndpointSign {
				do = c.signer(fmt.Sprintf("hb-%s-c%d", runID, conc))
			}
			probe := startTail(ctx, s, o.profile != "", o.redisPID)
			cpu0 := s.cpu()
			st := bench.Closed(ctx, clk, ep.name, conc, o.step, do)
			st.SetServerCPU(s.cpu() - cpu0)
			st.Tail, st.Packages = probe.finish(ctx), rotated(ep.name)
			r.HTTP = append(r.HTTP, st)
			pr.step("HTTP %-6s c=%-3d %8.1f req/s  p50 %7.2f ms  p99 %7.2f ms  errors %d %s", ep.name, conc, st.Throughput, st.Latency.P50Ms, st.Latency.P99Ms, st.Errors, st.FirstError)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
		if err := stopProfile(); err != nil {
			return err
		}
		peak, ok := r.Peak(ep.name)
		if !ok {
			continue
		}
		if ep.name == bench.EndpointSign {
			do = c.signer("hb-" + runID + "-paced")
		}
		if err := s.warm(ctx, 4*maxConc); err != nil {
			return fmt.Errorf("warming the connections: %w", err)
		}
		stopTrace, err := startTrace(o.profile, ep.name+"-paced")
		if err != nil {
			return err
		}
		probe := startTail(ctx, s, o.profile != "", o.redisPID)
		cpu0 := s.cpu()
		st := bench.Paced(ctx, clk, ep.name, peak.Throughput/2, o.step, 4*maxConc, do)
		st.SetServerCPU(s.cpu() - cpu0)
		st.Tail, st.Packages = probe.finish(ctx), rotated(ep.name)
		if err := stopTrace(); err != nil {
			return err
		}
		r.HTTP = append(r.HTTP, st)
		pr.step("HTTP %-6s paced %.1f/s (half of peak) p50 %7.2f ms  p99 %7.2f ms  errors %d %s; server GC %v cycles %.1f ms, run queue: server %.0f ms, redis %.0f ms; generator CPU %.2f s, start late p99 %.2f ms, %d found all slots taken; load %s",
			ep.name, st.RatePerSec, st.Latency.P50Ms, st.Latency.P99Ms, st.Errors, st.FirstError, st.Tail.GCCycles, st.Tail.GCPauseMs, st.Tail.ServerRunQueueMs, st.Tail.RedisRunQueueMs, st.Tail.GeneratorCPUSec, lateP99(st), st.Saturated, st.Tail.LoadAvg)
		endpoints[i].do = do
	}
	return nil
}

func lateP99(st bench.Step) float64 {
	if st.StartLateness == nil {
		return 0
	}
	return st.StartLateness.P99Ms
}

// startProfile starts a CPU profile into dir/cpu-NAME.pprof when dir is
// set and returns the function that ends it.
func startProfile(dir, name string) (func() error, error) {
	if dir == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(filepath.Join(dir, "cpu-"+name+".pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

// signer returns a Request that signs a new pledge per call (unique
// idempotency keys under prefix), rotating over the applicants.
func (c *client) signer(prefix string) bench.Request {
	return func(ctx context.Context, _, seq int) error {
		_, err := c.sign(ctx, c.appTok(seq), fmt.Sprintf("%s-%08d", prefix, seq))
		return err
	}
}
