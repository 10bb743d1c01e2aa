package bench

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = ms(i + 1)
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", []time.Duration{ms(3)}, 99, ms(3)},
		{"p50 of 100", hundred, 50, ms(50)},
		{"p90 of 100", hundred, 90, ms(90)},
		{"p99 of 100", hundred, 99, ms(99)},
		{"p100 of 100", hundred, 100, ms(100)},
		{"p0 is the smallest", hundred, 0, ms(1)},
		{"p50 of 3", []time.Duration{ms(1), ms(2), ms(3)}, 50, ms(2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.in, tc.p); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSummarizeSorts(t *testing.T) {
	l := Summarize([]time.Duration{ms(9), ms(1), ms(5), ms(3), ms(7)})
	if l.Count != 5 || l.P50Ms != 5 || l.MaxMs != 9 || l.P99Ms != 9 {
		t.Fatalf("%+v", l)
	}
}

func TestCeiling(t *testing.T) {
	c := Ceilings{SignPerSec: 1000, VerifyPerSec: 500}
	for _, tc := range []struct {
		name string
		ops  Ops
		c    Ceilings
		want float64
	}{
		{"verify only", Ops{Verify: 5}, c, 100},
		{"sign only", Ops{Sign: 2}, c, 500},
		{"mixed", Ops{Sign: 3, Verify: 4}, c, 1 / (3.0/1000 + 4.0/500)},
		{"no SM2", Ops{}, c, 0},
		{"rate missing", Ops{Verify: 1}, Ceilings{SignPerSec: 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ops.Ceiling(tc.c); math.Abs(got-tc.want) > 1e-9 {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// sample is a run in which verification reaches 80% of its ceiling
// (verify 1000/s, 5 per package: 200/s), signing 50% of its own, status
// latency at half of peak has p99 = 6 × p50, the second package needed no
// extra seal verification and the status lookups took two round trips.
func sample() *Result {
	return &Result{
		Started:  time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC),
		Ceilings: Ceilings{Goroutines: 2, SignPerSec: 2000, VerifyPerSec: 1000, SignPerCPUSec: 1000, VerifyPerCPUSec: 500},
		InProcess: []InProcess{
			{Name: BenchVerify, SM2: Ops{Verify: 5}},
			{Name: BenchSign, SM2: Ops{Sign: 2, Verify: 2}}, // ceiling 1/(0.001+0.002) = 333.3/s
		},
		HTTP: []Step{
			{Endpoint: EndpointVerify, Mode: "closed", Concurrency: 1, OK: 10, Throughput: 120},
			{Endpoint: EndpointVerify, Mode: "closed", Concurrency: 4, OK: 10, Throughput: 160, PerServerCPUSec: 30},
			{Endpoint: EndpointVerify, Mode: "closed", Concurrency: 8, OK: 10, Throughput: 150},
			{Endpoint: EndpointVerify, Mode: "paced", RatePerSec: 80, Throughput: 79, OK: 10, Latency: Latency{P50Ms: 5, P99Ms: 20}},
			{Endpoint: EndpointSign, Mode: "closed", Concurrency: 2, OK: 10, Throughput: 333.333 / 2},
			{Endpoint: EndpointStatus, Mode: "closed", Concurrency: 2, OK: 10, Throughput: 1000},
			{Endpoint: EndpointStatus, Mode: "paced", RatePerSec: 500, Throughput: 500, OK: 10, Latency: Latency{P50Ms: 1, P99Ms: 6}},
		},
		Cache:  &Cache{SealSM2Delta: 2, SignerSigs: 2, StatusTripsDelta: 2, StatusLookupsDelta: 1},
		Lookup: &Lookup{Subjects: 5, Lookups: 10, RoundTrips: 10, RoundTripsPerCall: 1},
	}
}

func TestEvaluate(t *testing.T) {
	r := sample()
	r.Evaluate()
	want := map[string]string{
		"HTTP verification throughput / crypto ceiling":                              "PASS",
		"HTTP signing throughput / crypto ceiling":                                   "MISS",
		"HTTP verification per server CPU-second / crypto ceiling per CPU-second":    "MISS",
		"HTTP signing per server CPU-second / crypto ceiling per CPU-second":         "N/A",
		"p99 / p50 at half of peak (verify)":                                         "PASS",
		"p99 / p50 at half of peak (sign)":                                           "N/A",
		"p99 / p50 at half of peak (status)":                                         "MISS",
		"extra seal/chain SM2 verifications for a 2nd package (same seal and chain)": "PASS",
		"Redis round trips for the status lookups of one verification":               "MISS",
		"Redis round trips per batch status lookup (store)":                          "PASS",
		"sealed-OFD verification CPU / floor, worst file (warm Verifier)":            "N/A",
		"sealed-OFD verification CPU / floor, worst file (cold Verifier)":            "N/A",
	}
	if len(r.Targets) != len(want) {
		t.Fatalf("%d targets, want %d: %+v", len(r.Targets), len(want), r.Targets)
	}
	for _, tg := range r.Targets {
		got := "MISS"
		switch {
		case tg.Absent:
			got = "N/A"
		case tg.Pass:
			got = "PASS"
		}
		if want[tg.Name] != got {
			t.Errorf("%s: %s, want %s (%+v)", tg.Name, got, want[tg.Name], tg)
		}
	}
	if v := r.Targets[0].Value; v != 0.8 {
		t.Errorf("verification ratio %v, want 0.8 (peak 160/s over 200/s)", v)
	}
	if r.Passed() {
		t.Error("Passed with misses")
	}
}

func TestEvaluateWithoutHTTP(t *testing.T) {
	r := sample()
	r.HTTP, r.Cache = nil, nil
	r.Evaluate()
	for _, tg := range r.Targets[:7] {
		if !tg.Absent {
			t.Errorf("%s: want not available, got %+v", tg.Name, tg)
		}
	}
	if !r.Passed() {
		t.Error("absent targets must not count as misses")
	}
}

func TestCacheMiss(t *testing.T) {
	r := sample()
	r.Cache.SealSM2Delta = 3 // the maker signature was verified again
	r.Evaluate()
	for _, tg := range r.Targets {
		if strings.HasPrefix(tg.Name, "extra seal") && (tg.Pass || tg.Value != 1) {
			t.Fatalf("%+v", tg)
		}
	}
}

func TestPacedOverloadMisses(t *testing.T) {
	r := sample()
	for i := range r.HTTP {
		if r.HTTP[i].Mode == "paced" && r.HTTP[i].Endpoint == EndpointStatus {
			// Both percentiles huge, ratio small: the server fell behind.
			r.HTTP[i].Throughput, r.HTTP[i].Latency = 300, Latency{P50Ms: 1000, P99Ms: 2000}
		}
	}
	r.Evaluate()
	for _, tg := range r.Targets {
		if tg.Name == "p99 / p50 at half of peak (status)" {
			if tg.Pass || !strings.Contains(tg.Note, "did not keep up") {
				t.Fatalf("%+v", tg)
			}
			return
		}
	}
	t.Fatal("no status latency target")
}

// TestPacedSaturatedMisses: a paced step that served nearly its rate but
// only because the in-flight slots were full (everything queued, so p50 and
// p99 are both queueing and their ratio is small) is a MISS; a few
// saturated requests are not.
func TestPacedSaturatedMisses(t *testing.T) {
	for _, tc := range []struct {
		saturated int
		pass      bool
	}{{0, true}, {5, true}, {200, false}} {
		r := sample()
		for i := range r.HTTP {
			if r.HTTP[i].Mode == "paced" && r.HTTP[i].Endpoint == EndpointVerify {
				r.HTTP[i].Saturated = tc.saturated
				r.HTTP[i].OK = 1000
			}
		}
		r.Evaluate()
		for _, tg := range r.Targets {
			if tg.Name == "p99 / p50 at half of peak (verify)" && (tg.Pass != tc.pass || !tc.pass && !strings.Contains(tg.Note, "in-flight slots taken")) {
				t.Errorf("%d saturated: %+v", tc.saturated, tg)
			}
		}
	}
}

func TestJSONRoundTripAndTable(t *testing.T) {
	r := sample()
	r.Evaluate()
	dir := t.TempDir()
	p, err := r.WriteJSON(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != "bench-20261126T010203Z.json" {
		t.Fatalf("name %s", p)
	}
	back, err := ReadJSON(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Targets) != len(r.Targets) || back.Targets[0] != r.Targets[0] || back.Ceilings != r.Ceilings || *back.Cache != *r.Cache {
		t.Fatalf("round trip lost data: %+v", back)
	}
	var sb strings.Builder
	back.PrintTable(&sb)
	for _, s := range []string{"PASS  HTTP verification", "MISS  HTTP signing", "N/A   p99 / p50 at half of peak (sign)", "verify   closed"} {
		if !strings.Contains(sb.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, sb.String())
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadJSON(filepath.Join(dir, "bad.json")); err == nil {
		t.Fatal("truncated JSON read")
	}
}

func TestParseMetric(t *testing.T) {
	body, err := os.ReadFile("testdata/metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		want  float64
		found bool
	}{
		{"pledgeseal_verification_sm2_performed_total", 42, true},
		{"pledgeseal_verifications_total", 9, true},
		{"pledgeseal_verification_status_round_trips_total", 15, true},
		{"go_memstats_alloc_bytes", 3, true},
		{"pledgeseal_verification", 0, false},
		{"absent_total", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseMetric(string(body), tc.name)
			if got != tc.want || ok != tc.found {
				t.Fatalf("got %v %v, want %v %v", got, ok, tc.want, tc.found)
			}
		})
	}
}

func FuzzParseMetric(f *testing.F) {
	body, err := os.ReadFile("testdata/metrics.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(body), "pledgeseal_verifications_total")
	f.Add("x{ 1\nx} 2\nx{}} 3\nx", "x")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, body, name string) {
		v, ok := ParseMetric(body, name)
		if !ok && v != 0 {
			t.Fatalf("not found but %v", v)
		}
	})
}

func TestClosed(t *testing.T) {
	var calls atomic.Int64
	fail := errors.New("boom")
	st := Closed(context.Background(), clock.Real{}, "x", 3, 150*time.Millisecond, func(_ context.Context, w, seq int) error {
		if w < 0 || w >= 3 || seq <= 0 {
			t.Errorf("worker %d seq %d", w, seq)
		}
		time.Sleep(5 * time.Millisecond)
		if calls.Add(1)%5 == 0 {
			return fail
		}
		return nil
	})
	if st.Concurrency != 3 || st.OK == 0 || st.Errors == 0 || st.FirstError != "boom" || int64(st.OK+st.Errors) != calls.Load() {
		t.Fatalf("%+v (calls %d)", st, calls.Load())
	}
	if st.Latency.P50Ms < 5 || st.Throughput <= 0 {
		t.Fatalf("latency or throughput not measured: %+v", st)
	}
}

func TestPaced(t *testing.T) {
	var calls atomic.Int64
	st := Paced(context.Background(), clock.Real{}, "x", 100, 200*time.Millisecond, 4, func(context.Context, int, int) error {
		calls.Add(1)
		return nil
	})
	if calls.Load() != 20 || st.OK != 20 || st.Mode != "paced" || st.RatePerSec != 100 {
		t.Fatalf("%+v (calls %d)", st, calls.Load())
	}
	if st.StartLateness == nil || st.StartLateness.Count != 20 {
		t.Fatalf("start lateness not recorded: %+v", st.StartLateness)
	}
	// One request in flight, each taking 20 ms, offered every 10 ms: the
	// generator cannot start them on time, and says so.
	slow := Paced(context.Background(), clock.Real{}, "x", 100, 200*time.Millisecond, 1, func(context.Context, int, int) error {
		time.Sleep(20 * time.Millisecond)
		return nil
	})
	if slow.Saturated == 0 {
		t.Fatal("requests that found the only slot taken were not counted")
	}
	if slow.StartLateness == nil || slow.StartLateness.MaxMs < 50 || slow.Latency.MaxMs < slow.StartLateness.MaxMs {
		t.Fatalf("queued starts not seen: lateness %+v latency %+v", slow.StartLateness, slow.Latency)
	}
	if st := Paced(context.Background(), clock.Real{}, "x", 0, time.Second, 4, nil); st.OK != 0 {
		t.Fatalf("rate 0 ran requests: %+v", st)
	}
}

// TestTailNote: a paced target's note carries the step's tail evidence per
// request, and nothing when none was gathered.
func TestTailNote(t *testing.T) {
	s := Step{OK: 200, ServerCPUSec: 0.5, Tail: &Tail{ServerRunQueueMs: 1000, GCCycles: 12, GCPauseMs: 30.5},
		StartLateness: &Latency{P99Ms: 7.25}}
	want := "; per request the server computed 2.50 ms and waited 5.00 ms for a CPU; 12 GCs (30.5 ms paused); requests started up to 7.25 ms late (p99)"
	if got := s.tailNote(); got != want {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	for _, s := range []Step{{OK: 10}, {Tail: &Tail{}}} {
		if got := s.tailNote(); got != "" {
			t.Fatalf("%+v: note %q without evidence", s, got)
		}
	}
}
