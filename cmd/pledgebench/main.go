// Command pledgebench is the performance harness behind `make bench`. In
// one run it measures the raw gmsm SM2 sign and verify rates on all cores
// (the ceilings), signs, counter-seals and verifies pledges in process
// (ns/op, allocs/op and the SM2 operations each performs), loads its own
// pledged over HTTP (verification, signing, status: a concurrency sweep
// and a paced step at half of peak) and times the batch status lookup in
// Redis. It writes a JSON result under -out and prints a table with a
// PASS/MISS line per target (all ratios within the run).
//
// It needs a Redis it may write to (-redis; scripts/bench.sh starts a
// throwaway one) and the pledged and pledgectl binaries (-bin). It only
// touches keys under its own prefixes and stops the pledged it started.
//
//	go run ./cmd/pledgebench -redis 127.0.0.1:6399 -bin /tmp/bin
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/bench"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

// devPassphrase protects the throwaway dev material of a run (the public
// dev default: nothing secret is made here).
const devPassphrase = trust.DevPassphrase

type options struct {
	redis, bin, out string
	step, ceiling   time.Duration
	sweep           []int
	lookups         int
	packages        int
	redisPID        int
	gogc            string
	skipHTTP        bool
	profile         string
	genProfile      string
	ofdDir          string
	ofdTime         time.Duration
}

func main() {
	var o options
	var sweep string
	flag.StringVar(&o.redis, "redis", "", "address of a Redis the benchmark may write to (required)")
	flag.StringVar(&o.bin, "bin", "bin", "directory holding pledged and pledgectl built from this tree")
	flag.StringVar(&o.out, "out", "var/bench", "directory for the JSON result")
	flag.DurationVar(&o.step, "step", 6*time.Second, "duration of each HTTP load step")
	flag.DurationVar(&o.ceiling, "ceiling", 3*time.Second, "duration of each SM2 ceiling measurement")
	flag.StringVar(&sweep, "concurrency", "1,2,4,8,16", "concurrency sweep of the HTTP steps")
	flag.IntVar(&o.lookups, "lookups", 2000, "batch status lookups timed")
	flag.IntVar(&o.redisPID, "redis-pid", 0, "process ID of the Redis server, to read how long it waited for a CPU in each step (0: not read)")
	flag.StringVar(&o.gogc, "gogc", "", "GOGC for pledged (the Go runtime's GC target percentage; empty: the runtime default, 100)")
	flag.IntVar(&o.packages, "packages", 48, "distinct accepted packages (one applicant each, one seal) the verification load rotates over")
	flag.BoolVar(&o.skipHTTP, "skip-http", false, "measure everything but the HTTP steps")
	flag.StringVar(&o.genProfile, "genprofile", "", "directory: a CPU profile of the load generator (this process) per HTTP endpoint, pledged running as its own process")
	flag.StringVar(&o.profile, "cpuprofile", "", "directory: serve the application in this process and write a CPU profile per HTTP endpoint (for pprof; the numbers of such a run include the load generator)")
	flag.StringVar(&o.ofdDir, "ofd-dir", "internal/ofd/testdata", "directory of the sealed OFD files verified in process (a synthetic multi-signature package is added)")
	flag.DurationVar(&o.ofdTime, "ofd-time", time.Second, "how long each sealed-OFD workload (file × warm/cold) is measured")
	flag.Parse()
	var err error
	if o.sweep, err = parseSweep(sweep); err != nil || o.redis == "" || o.packages < 2 || o.packages > 1000 {
		if err == nil && o.redis == "" {
			err = errors.New("-redis is required")
		} else if err == nil {
			err = errors.New("-packages must be 2 to 1000")
		}
		fmt.Fprintln(os.Stderr, "pledgebench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	r, err := run(ctx, clock.Real{}, o, newProgress(os.Stderr))
	if r != nil {
		r.PrintTable(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "pledgebench:", err)
		os.Exit(1)
	}
}

// parseSweep reads "1,2,4" into ascending positive concurrencies.
func parseSweep(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 || n > 1024 {
			return nil, fmt.Errorf("bad concurrency %q (want 1 to 1024)", f)
		}
		if len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("the concurrency sweep must ascend: %q", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// progress prints one line per step (no cursor tricks, so logs and pipes
// stay readable).
type progress struct {
	w     io.Writer
	start time.Time
	clk   clock.Clock
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, clk: clock.Real{}, start: clock.Real{}.Now()}
}

func (p *progress) step(format string, args ...any) {
	fmt.Fprintf(p.w, "[%6.1fs] %s\n", p.clk.Now().Sub(p.start).Seconds(), fmt.Sprintf(format, args...))
}

func loadAvg() []string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	return f[:min(3, len(f))]
}

func run(ctx context.Context, clk clock.Clock, o options, pr *progress) (*bench.Result, error) {
	r := &bench.Result{Started: clk.Now(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), LoadAvg: loadAvg()}
	finish := func(err error) (*bench.Result, error) {
		r.Finished = clk.Now()
		r.Evaluate()
		path, werr := r.WriteJSON(o.out)
		if werr != nil {
			return r, errors.Join(err, werr)
		}
		pr.step("result written to %s", path)
		return r, err
	}
	runID := r.Started.UTC().Format("150405")
	tmp, err := os.MkdirTemp("", "pledgebench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	pr.step("ceilings: raw gmsm SM2 sign and verify on %d goroutines, %s each", runtime.GOMAXPROCS(0), o.ceiling)
	if r.Ceilings, err = ceilings(clk, o.ceiling); err != nil {
		return finish(err)
	}
	pr.step("ceilings: sign %.0f/s, verify %.0f/s", r.Ceilings.SignPerSec, r.Ceilings.VerifyPerSec)

	keys := filepath.Join(tmp, "keys")
	pr.step("dev trust material into %s (pledgectl init --dev)", keys)
	if err := initKeys(ctx, filepath.Join(o.bin, "pledgectl"), keys); err != nil {
		return finish(err)
	}
	mat, err := trust.Load(keys, []byte(devPassphrase), clk.Now())
	if err != nil {
		return finish(err)
	}

	pr.step("in-process: building the pledge domain over Redis %s", o.redis)
	d, err := newDomain(ctx, clk, mat, o.redis, "pledgebench-ip-"+runID+":", runID)
	if err != nil {
		return finish(err)
	}
	defer d.Close()
	for _, b := range []struct {
		name string
		f    func(context.Context) (bench.InProcess, error)
	}{{bench.BenchSign, d.benchSign}, {"counter-seal", d.benchCounterSeal}, {bench.BenchVerify, d.benchVerify}} {
		pr.step("in-process: %s", b.name)
		res, err := b.f(ctx)
		if err != nil {
			return finish(err)
		}
		r.InProcess = append(r.InProcess, res)
		pr.step("in-process: %s %d ns/op, %d allocs/op, SM2 %.2f sign + %.2f verify", res.Name, res.NsPerOp, res.AllocsPerOp, res.SM2.Sign, res.SM2.Verify)
	}
	pr.step("batch status lookup: %d lookups", o.lookups)
	if r.Lookup, err = d.lookup(ctx, o.lookups); err != nil {
		return finish(err)
	}
	pr.step("batch status lookup: %.2f round trips each, p50 %.3f ms", r.Lookup.RoundTripsPerCall, r.Lookup.Latency.P50Ms)
	if err := ofdStep(ctx, clk, o, r, pr, d); err != nil {
		return finish(err)
	}

	if o.skipHTTP {
		r.HTTPNote = "skipped (-skip-http)"
		return finish(nil)
	}
	err = httpSteps(ctx, clk, o, r, pr, mat, keys, tmp, runID)
	if err != nil && r.HTTPNote == "" {
		r.HTTPNote = err.Error()
	}
	return finish(err)
}
