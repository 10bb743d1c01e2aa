// Package bench holds the logic of the performance harness (cmd/pledgebench):
// closed-loop and paced load generation, latency summaries, the crypto
// ceilings and the targets computed from them as ratios of one run, the
// result JSON and the printed table. It owns no service code and must not
// touch Redis, HTTP handlers or keys itself: the command drives those and
// hands the numbers here.
package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Latency summarises a set of request latencies.
type Latency struct {
	Count int     `json:"count"`
	P50Ms float64 `json:"p50Ms"`
	P90Ms float64 `json:"p90Ms"`
	P99Ms float64 `json:"p99Ms"`
	MaxMs float64 `json:"maxMs"`
}

// Summarize returns the percentiles of ds (nearest rank). It sorts ds.
func Summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	ms := func(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }
	return Latency{Count: len(ds), P50Ms: ms(Percentile(ds, 50)), P90Ms: ms(Percentile(ds, 90)),
		P99Ms: ms(Percentile(ds, 99)), MaxMs: ms(ds[len(ds)-1])}
}

// Percentile returns the nearest-rank p-th percentile of sorted ds.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Ceilings are the raw gmsm SM2 rates on all cores.
type Ceilings struct {
	Goroutines   int     `json:"goroutines"`
	SignPerSec   float64 `json:"signPerSec"`
	VerifyPerSec float64 `json:"verifyPerSec"`
	// SignPerCPUSec and VerifyPerCPUSec are the same operations per
	// second of CPU time the process used: on a machine shared with other
	// work they do not depend on the CPU share the benchmark got.
	SignPerCPUSec   float64 `json:"signPerCpuSec"`
	VerifyPerCPUSec float64 `json:"verifyPerCpuSec"`
	// SM3BytesPerSec and SM3BytesPerCPUSec are gmsm SM3's hashing rates
	// (64 kB writes) on the same goroutines.
	SM3BytesPerSec    float64 `json:"sm3BytesPerSec,omitempty"`
	SM3BytesPerCPUSec float64 `json:"sm3BytesPerCpuSec,omitempty"`
}

// PerCPU returns the ceilings per CPU-second as plain rates.
func (c Ceilings) PerCPU() Ceilings {
	return Ceilings{Goroutines: c.Goroutines, SignPerSec: c.SignPerCPUSec, VerifyPerSec: c.VerifyPerCPUSec}
}

// Ops counts the SM2 work of one operation. Sign counts private-key
// operations (signatures and key generations, each one scalar
// multiplication of the base point); Verify counts signature verifications.
type Ops struct {
	Sign   float64 `json:"sign"`
	Verify float64 `json:"verify"`
	// How says where the numbers come from.
	How string `json:"how"`
}

// Ceiling is the operations per second that SM2 alone allows for an
// operation needing o, at the rates c: the time of each kind of SM2 work
// added up, inverted. Zero when o needs no SM2 or a rate is missing.
func (o Ops) Ceiling(c Ceilings) float64 {
	var sec float64
	if o.Sign > 0 {
		if c.SignPerSec <= 0 {
			return 0
		}
		sec += o.Sign / c.SignPerSec
	}
	if o.Verify > 0 {
		if c.VerifyPerSec <= 0 {
			return 0
		}
		sec += o.Verify / c.VerifyPerSec
	}
	if sec == 0 {
		return 0
	}
	return 1 / sec
}

// InProcess is one in-process benchmark.
type InProcess struct {
	Name        string `json:"name"`
	NsPerOp     int64  `json:"nsPerOp"`
	AllocsPerOp int64  `json:"allocsPerOp"`
	BytesPerOp  int64  `json:"bytesPerOp"`
	N           int    `json:"n"`
	// CPUNsPerOp is the CPU time of this process per operation (all
	// rounds of testing.Benchmark; Redis's own time is not in it).
	CPUNsPerOp int64 `json:"cpuNsPerOp"`
	SM2        Ops   `json:"sm2"`
}

// Step is one fixed-duration load step.
type Step struct {
	Endpoint    string  `json:"endpoint"`
	Mode        string  `json:"mode"` // "closed" (N workers) or "paced" (fixed rate)
	Concurrency int     `json:"concurrency,omitempty"`
	RatePerSec  float64 `json:"ratePerSec,omitempty"`
	DurationSec float64 `json:"durationSec"`
	OK          int     `json:"ok"`
	Errors      int     `json:"errors"`
	FirstError  string  `json:"firstError,omitempty"`
	Throughput  float64 `json:"throughput"`
	Latency     Latency `json:"latency"`
	// ServerCPUSec is the CPU time the server used during the step and
	// PerServerCPUSec the successful requests per second of it.
	ServerCPUSec    float64 `json:"serverCpuSec,omitempty"`
	PerServerCPUSec float64 `json:"perServerCpuSec,omitempty"`
	// Saturated (paced steps) counts the requests that found every one of
	// the in-flight slots taken at their scheduled time: the server had
	// fallen behind, and the generator could only follow its pace.
	Saturated int `json:"saturated,omitempty"`
	// StartLateness (paced steps) is how late requests started after their
	// scheduled time: the generator's share of Latency.
	StartLateness *Latency `json:"startLateness,omitempty"`
	// Packages is how many distinct request bodies the step rotated over
	// (accepted packages for verification, applicants for signing).
	Packages int `json:"packages,omitempty"`
	// Tail holds what the step's latency tail is read against.
	Tail *Tail `json:"tail,omitempty"`
}

// Tail is the evidence gathered around one step for its latency tail: who
// else used the CPU, the server's garbage collections, and (when the
// server runs in process) how long runnable goroutines waited for a CPU.
type Tail struct {
	// GeneratorCPUSec is the CPU time of the benchmark process during the
	// step (the load generator; the server too when it runs in process).
	GeneratorCPUSec float64 `json:"generatorCpuSec"`
	// GCCycles and GCPauseMs are the server's garbage collections during
	// the step and their summed stop-the-world pauses
	// (go_gc_duration_seconds).
	GCCycles  float64 `json:"gcCycles"`
	GCPauseMs float64 `json:"gcPauseMs"`
	// SchedP50Ms and SchedP99Ms are percentiles of the scheduling latency
	// of goroutines (runtime/metrics /sched/latencies:seconds) during the
	// step; only when the server runs in process.
	SchedP50Ms float64 `json:"schedP50Ms,omitempty"`
	SchedP99Ms float64 `json:"schedP99Ms,omitempty"`
	// ServerRunQueueMs and RedisRunQueueMs are how long the threads of the
	// server and of redis-server waited, runnable, for a CPU during the
	// step (/proc/PID/task/*/schedstat; absent when not readable). Divided
	// by the requests served, they are the CPU queueing each request met.
	ServerRunQueueMs float64 `json:"serverRunQueueMs,omitempty"`
	RedisRunQueueMs  float64 `json:"redisRunQueueMs,omitempty"`
	// LoadAvg is the machine's one-minute load average after the step.
	LoadAvg string `json:"loadAvg,omitempty"`
}

// tailNote summarises the step's tail evidence per request: how long the
// server waited for a CPU against how long it computed, its GC, and the
// generator's start lateness ("" when nothing was gathered).
func (s Step) tailNote() string {
	t := s.Tail
	if t == nil || s.OK == 0 {
		return ""
	}
	n := float64(s.OK)
	note := fmt.Sprintf("; per request the server computed %.2f ms and waited %.2f ms for a CPU; %.0f GCs (%.1f ms paused)",
		s.ServerCPUSec*1000/n, t.ServerRunQueueMs/n, t.GCCycles, t.GCPauseMs)
	if s.StartLateness != nil {
		note += fmt.Sprintf("; requests started up to %.2f ms late (p99)", s.StartLateness.P99Ms)
	}
	return note
}

// SetServerCPU records the server's CPU time of the step.
func (s *Step) SetServerCPU(d time.Duration) {
	if d <= 0 {
		return
	}
	s.ServerCPUSec = round(d.Seconds())
	s.PerServerCPUSec = round(float64(s.OK) / d.Seconds())
}

// Lookup is the batch status lookup measurement.
type Lookup struct {
	Subjects          int     `json:"subjects"`
	Lookups           int     `json:"lookups"`
	RoundTrips        int64   `json:"roundTrips"`
	RoundTripsPerCall float64 `json:"roundTripsPerLookup"`
	Latency           Latency `json:"latency"`
}

// Cache is what the exported counters showed around verifying a second
// package with the same seal and chain.
type Cache struct {
	Source string `json:"source"`
	// SealSM2Delta is the rise of the seal SM2 verifications counter
	// (maker and signer signatures) for the second package.
	SealSM2Delta float64 `json:"sealSm2Delta"`
	// SignerSigs is the number of SES signer signatures the package
	// carries; each must be verified, so SealSM2Delta == SignerSigs means
	// no seal (maker) signature was verified again.
	SignerSigs float64 `json:"signerSignatures"`
	// SkippedDelta and ChainsSkippedDelta are the cache hits it made.
	SkippedDelta       float64 `json:"sm2SkippedDelta"`
	ChainsSkippedDelta float64 `json:"chainsSkippedDelta"`
	// StatusTripsDelta and StatusLookupsDelta are the status round trips
	// and status lookups of that one verification.
	StatusTripsDelta   float64 `json:"statusRoundTripsDelta"`
	StatusLookupsDelta float64 `json:"statusLookupsDelta"`
}

// Target is one pass/miss line.
type Target struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Limit  float64 `json:"limit"`
	Want   string  `json:"want"` // ">=" or "<="
	Pass   bool    `json:"pass"`
	Note   string  `json:"note,omitempty"`
	Absent bool    `json:"notAvailable,omitempty"`
}

// Result is the whole run.
type Result struct {
	Started   time.Time   `json:"started"`
	Finished  time.Time   `json:"finished"`
	GoVersion string      `json:"goVersion"`
	CPUs      int         `json:"cpus"`
	LoadAvg   []string    `json:"loadAvg,omitempty"`
	Ceilings  Ceilings    `json:"ceilings"`
	InProcess []InProcess `json:"inProcess"`
	HTTP      []Step      `json:"http"`
	HTTPNote  string      `json:"httpNote,omitempty"`
	Lookup    *Lookup     `json:"lookup,omitempty"`
	Cache     *Cache      `json:"cache,omitempty"`
	Targets   []Target    `json:"targets"`
	// Workloads are operations measured by the command beside the pledge
	// ones (sealed-OFD verification); Floors sets every workload against
	// its cryptographic floor (see Work.FloorNs).
	Workloads []Workload `json:"workloads,omitempty"`
	Floors    []Floor    `json:"floors,omitempty"`
	// PackageBytes is the size of one accepted pledge package: the bytes a
	// verification or a signing hashes, in the pledge workloads' floors.
	PackageBytes float64 `json:"packageBytes,omitempty"`
	// ServerCPUNote says whose CPU time ServerCPUSec counts.
	ServerCPUNote string `json:"serverCpuNote,omitempty"`
	// ServerGOGC is the GOGC the server ran with (empty: the default).
	ServerGOGC string `json:"serverGogc,omitempty"`
}

// Peak returns the closed-loop step of endpoint with the highest
// throughput.
func (r *Result) Peak(endpoint string) (Step, bool) {
	var best Step
	found := false
	for _, s := range r.HTTP {
		if s.Endpoint == endpoint && s.Mode == "closed" && s.OK > 0 && (!found || s.Throughput > best.Throughput) {
			best, found = s, true
		}
	}
	return best, found
}

// Paced returns the paced step of endpoint.
func (r *Result) Paced(endpoint string) (Step, bool) {
	for _, s := range r.HTTP {
		if s.Endpoint == endpoint && s.Mode == "paced" {
			return s, true
		}
	}
	return Step{}, false
}

// InProc returns the in-process benchmark called name.
func (r *Result) InProc(name string) (InProcess, bool) {
	for _, b := range r.InProcess {
		if b.Name == name {
			return b, true
		}
	}
	return InProcess{}, false
}

// Endpoint names used by the command and the targets.
const (
	EndpointVerify = "verify"
	EndpointSign   = "sign"
	EndpointStatus = "status"
	BenchVerify    = "verify-package"
	BenchSign      = "sign-pledge"
)

func atLeast(name string, v, limit float64, note string) Target {
	return Target{Name: name, Value: round(v), Limit: limit, Want: ">=", Pass: v >= limit, Note: note}
}

func atMost(name string, v, limit float64, note string) Target {
	return Target{Name: name, Value: round(v), Limit: limit, Want: "<=", Pass: v <= limit, Note: note}
}

func absent(name, why string) Target { return Target{Name: name, Absent: true, Note: why} }

func round(v float64) float64 { return math.Round(v*1000) / 1000 }

// Evaluate computes the targets of the issue from r, as ratios within
// this run, and stores them in r.Targets.
func (r *Result) Evaluate() {
	r.Targets = nil
	r.Floors = r.floors()
	ratio := func(name, endpoint, bench string, limit float64) {
		b, ok := r.InProc(bench)
		peak, okp := r.Peak(endpoint)
		switch {
		case !okp:
			r.Targets = append(r.Targets, absent(name, "HTTP "+endpoint+" step not available"))
		case !ok || b.SM2.Ceiling(r.Ceilings) == 0:
			r.Targets = append(r.Targets, absent(name, "no SM2 count for "+bench))
		default:
			c := b.SM2.Ceiling(r.Ceilings)
			r.Targets = append(r.Targets, atLeast(name, peak.Throughput/c, limit,
				fmt.Sprintf("%.1f/s at c=%d vs ceiling %.1f/s (%.2f sign + %.2f verify SM2 per op)", peak.Throughput, peak.Concurrency, c, b.SM2.Sign, b.SM2.Verify)))
		}
	}
	ratio("HTTP verification throughput / crypto ceiling", EndpointVerify, BenchVerify, 0.70)
	ratio("HTTP signing throughput / crypto ceiling", EndpointSign, BenchSign, 0.60)
	perCPU := func(name, endpoint, bench string, limit float64) {
		b, ok := r.InProc(bench)
		peak, okp := r.Peak(endpoint)
		c := b.SM2.Ceiling(r.Ceilings.PerCPU())
		if !ok || !okp || c == 0 || peak.PerServerCPUSec == 0 {
			r.Targets = append(r.Targets, absent(name, "no CPU accounting for "+endpoint))
			return
		}
		r.Targets = append(r.Targets, atLeast(name, peak.PerServerCPUSec/c, limit,
			fmt.Sprintf("%.1f requests per server CPU-second vs %.1f per CPU-second of SM2 alone", peak.PerServerCPUSec, c)))
	}
	// Issue 20: per CPU-second, so a busy machine moves both sides.
	perCPU("HTTP verification per server CPU-second / crypto ceiling per CPU-second", EndpointVerify, BenchVerify, 0.40)
	perCPU("HTTP signing per server CPU-second / crypto ceiling per CPU-second", EndpointSign, BenchSign, 0.35)
	const p99Limit = 4 // issue 20 (issue 8 had 5)
	for _, ep := range []string{EndpointVerify, EndpointSign, EndpointStatus} {
		name := "p99 / p50 at half of peak (" + ep + ")"
		s, ok := r.Paced(ep)
		switch {
		case ok && s.Latency.P50Ms > 0 && (s.Throughput < 0.9*s.RatePerSec || s.Saturated*100 > s.OK+s.Errors):
			t := atMost(name, s.Latency.P99Ms/s.Latency.P50Ms, p99Limit,
				fmt.Sprintf("the server did not keep up with %.1f/s offered (%.1f/s served, %d requests found all %d in-flight slots taken): p50 %.2f ms, p99 %.2f ms",
					s.RatePerSec, s.Throughput, s.Saturated, s.Concurrency, s.Latency.P50Ms, s.Latency.P99Ms)+s.tailNote())
			t.Pass = false
			r.Targets = append(r.Targets, t)
		case ok && s.Latency.P50Ms > 0:
			r.Targets = append(r.Targets, atMost(name, s.Latency.P99Ms/s.Latency.P50Ms, p99Limit,
				fmt.Sprintf("%.1f/s offered: p50 %.2f ms, p99 %.2f ms", s.RatePerSec, s.Latency.P50Ms, s.Latency.P99Ms)+s.tailNote()))
		default:
			r.Targets = append(r.Targets, absent(name, "paced "+ep+" step not available"))
		}
	}
	if c := r.Cache; c != nil {
		extra := c.SealSM2Delta - c.SignerSigs
		r.Targets = append(r.Targets, atMost("extra seal/chain SM2 verifications for a 2nd package (same seal and chain)", extra, 0,
			fmt.Sprintf("%s: +%.0f seal SM2 for %.0f signer signatures, +%.0f maker checks and +%.0f chains from cache", c.Source, c.SealSM2Delta, c.SignerSigs, c.SkippedDelta, c.ChainsSkippedDelta)))
		if c.StatusLookupsDelta > 0 {
			r.Targets = append(r.Targets, atMost("Redis round trips for the status lookups of one verification", c.StatusTripsDelta/c.StatusLookupsDelta, 1,
				fmt.Sprintf("%s: %.0f status round trips for %.0f verification", c.Source, c.StatusTripsDelta, c.StatusLookupsDelta)))
		}
	} else {
		r.Targets = append(r.Targets, absent("extra seal/chain SM2 verifications for a 2nd package (same seal and chain)", "counters not read"))
	}
	if l := r.Lookup; l != nil && l.Lookups > 0 {
		r.Targets = append(r.Targets, atMost("Redis round trips per batch status lookup (store)", l.RoundTripsPerCall, 1,
			fmt.Sprintf("%d subjects per lookup, %d lookups, %d round trips", l.Subjects, l.Lookups, l.RoundTrips)))
	}
	r.Targets = append(r.Targets,
		r.ofdTarget(WorkloadOFDWarm, "warm Verifier", 4),
		r.ofdTarget(WorkloadOFDCold, "cold Verifier", 4))
}

// Passed reports whether every available target passed.
func (r *Result) Passed() bool {
	for _, t := range r.Targets {
		if !t.Absent && !t.Pass {
			return false
		}
	}
	return true
}

// WriteJSON writes r under dir as bench-<UTC timestamp>.json and returns
// the path.
func (r *Result) WriteJSON(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "bench-"+r.Started.UTC().Format("20060102T150405Z")+".json")
	return p, os.WriteFile(p, append(b, '\n'), 0o644)
}

// ReadJSON reads a result written by WriteJSON.
func ReadJSON(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

// PrintTable writes the human-readable summary.
func (r *Result) PrintTable(w io.Writer) {
	fmt.Fprintf(w, "\nPledgeSeal benchmark %s (%s, %d CPUs, load average %s)\n", r.Started.UTC().Format(time.RFC3339), r.GoVersion, r.CPUs, strings.Join(r.LoadAvg, " "))
	fmt.Fprintf(w, "\nCeilings (gmsm SM2, %d goroutines): sign %.0f/s, verify %.0f/s; per CPU-second: sign %.0f, verify %.0f\n", r.Ceilings.Goroutines,
		r.Ceilings.SignPerSec, r.Ceilings.VerifyPerSec, r.Ceilings.SignPerCPUSec, r.Ceilings.VerifyPerCPUSec)
	fmt.Fprintf(w, "\n%-16s %11s %11s %9s %10s %7s %7s %10s %10s\n", "in-process", "ns/op", "CPU ns/op", "allocs/op", "B/op", "SM2 sig", "SM2 ver", "ceiling/s", "per CPU-s")
	for _, b := range r.InProcess {
		fmt.Fprintf(w, "%-16s %11d %11d %9d %10d %7.2f %7.2f %10.1f %10.1f\n", b.Name, b.NsPerOp, b.CPUNsPerOp, b.AllocsPerOp, b.BytesPerOp, b.SM2.Sign, b.SM2.Verify,
			b.SM2.Ceiling(r.Ceilings), b.SM2.Ceiling(r.Ceilings.PerCPU()))
	}
	fmt.Fprintf(w, "\n%-8s %-6s %5s %8s %8s %7s %9s %9s %9s %9s %10s\n", "HTTP", "mode", "conc", "rate", "ok", "errors", "req/s", "p50 ms", "p90 ms", "p99 ms", "req/CPU-s")
	if len(r.HTTP) == 0 {
		fmt.Fprintf(w, "not available: %s\n", r.HTTPNote)
	}
	for _, s := range r.HTTP {
		rate := "-"
		if s.RatePerSec > 0 {
			rate = strconv.FormatFloat(s.RatePerSec, 'f', 1, 64)
		}
		fmt.Fprintf(w, "%-8s %-6s %5d %8s %8d %7d %9.1f %9.2f %9.2f %9.2f %10.1f\n", s.Endpoint, s.Mode, s.Concurrency, rate, s.OK, s.Errors, s.Throughput, s.Latency.P50Ms, s.Latency.P90Ms, s.Latency.P99Ms, s.PerServerCPUSec)
	}
	if r.ServerCPUNote != "" {
		fmt.Fprintf(w, "req/CPU-s: %s\n", r.ServerCPUNote)
	}
	if r.ServerGOGC != "" {
		fmt.Fprintf(w, "the server ran with GOGC=%s\n", r.ServerGOGC)
	}
	tailHeader := false
	for _, s := range r.HTTP {
		t := s.Tail
		if t == nil || s.Mode != "paced" {
			continue
		}
		if !tailHeader {
			fmt.Fprintf(w, "\n%-8s %-6s %9s %9s %12s %12s %10s %10s %10s %6s\n", "tail", "mode", "GC count", "GC ms", "run-q ms/req", "redis rq ms", "gen CPU s", "late p99", "sched p99", "load")
			tailHeader = true
		}
		perReq := 0.0
		if s.OK > 0 {
			perReq = t.ServerRunQueueMs / float64(s.OK)
		}
		late := 0.0
		if s.StartLateness != nil {
			late = s.StartLateness.P99Ms
		}
		fmt.Fprintf(w, "%-8s %-6s %9.0f %9.1f %12.2f %12.0f %10.2f %10.2f %10.2f %6s\n", s.Endpoint, s.Mode, t.GCCycles, t.GCPauseMs, perReq, t.RedisRunQueueMs, t.GeneratorCPUSec, late, t.SchedP99Ms, t.LoadAvg)
	}
	if l := r.Lookup; l != nil {
		fmt.Fprintf(w, "\nbatch status lookup: %d subjects, %d lookups, %.2f round trips each, p50 %.3f ms, p99 %.3f ms\n",
			l.Subjects, l.Lookups, l.RoundTripsPerCall, l.Latency.P50Ms, l.Latency.P99Ms)
	}
	if len(r.Floors) > 0 {
		fmt.Fprintf(w, "\nCPU per operation against its floor (SM2 × measured SM2 time + hashed bytes × measured SM3 time per byte; SM3 %.0f MB per CPU-s)\n", r.Ceilings.SM3BytesPerCPUSec/1e6)
		fmt.Fprintf(w, "%-44s %-10s %12s %8s %8s %10s %12s %7s\n", "workload", "kind", "CPU ns/op", "SM2 sig", "SM2 ver", "hashed B", "floor ns", "ratio")
		for _, f := range r.Floors {
			fmt.Fprintf(w, "%-44s %-10s %12.0f %8.2f %8.2f %10.0f %12.0f %7.2f\n", f.Name, f.Kind, f.CPUNsPerOp, f.Work.SM2Sign, f.Work.SM2Verify, f.Work.HashedBytes, f.FloorNs, f.Ratio)
		}
	}
	fmt.Fprintf(w, "\nTargets\n")
	for _, t := range r.Targets {
		switch {
		case t.Absent:
			fmt.Fprintf(w, "  N/A   %s: %s\n", t.Name, t.Note)
		default:
			verdict := "MISS"
			if t.Pass {
				verdict = "PASS"
			}
			fmt.Fprintf(w, "  %-5s %s: %g (want %s %g) — %s\n", verdict, t.Name, t.Value, t.Want, t.Limit, t.Note)
		}
	}
}

// ParseMetric returns the sum of every sample of the Prometheus text
// exposition body whose metric name is name (all label sets).
func ParseMetric(body, name string) (float64, bool) {
	var sum float64
	found := false
	for _, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' || !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		if rest[0] == '{' {
			end := strings.LastIndexByte(rest, '}')
			if end < 0 {
				continue
			}
			rest = rest[end+1:]
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}
