package main

import (
	"math"
	"os"
	"runtime/metrics"
	"slices"
	"testing"
	"time"
)

func TestParseSweep(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "1,2,4,8,16", want: []int{1, 2, 4, 8, 16}},
		{in: " 3 ", want: []int{3}},
		{in: "", bad: true},
		{in: "0", bad: true},
		{in: "4,2", bad: true},
		{in: "2,2", bad: true},
		{in: "1,x", bad: true},
		{in: "2000", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSweep(tc.in)
			if (err != nil) != tc.bad || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

// TestSESSignatures counts the SES signatures of the pledge package
// fixtures (the cache target compares the seal SM2 counter with it).
func TestSESSignatures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want float64
	}{
		{"../../internal/pledge/testdata/packages/valid-accepted.json", 2},
		{"../../internal/pledge/testdata/packages/valid-signed-own.json", 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			pkg, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sesSignatures(pkg)
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := sesSignatures([]byte("{")); err == nil {
		t.Fatal("a broken package was counted")
	}
}

func TestVerifyBody(t *testing.T) {
	if got := string(verifyBody([]byte(`{"a":1}`))); got != `{"package":{"a":1}}` {
		t.Fatal(got)
	}
}

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       time.Duration
		bad        bool
	}{
		{name: "plain", line: "1234 (pledged) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 0 0", want: 3 * time.Second},
		{name: "name with spaces and parens", line: "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", want: 30 * time.Millisecond},
		{name: "no name", line: "1234 S 1", bad: true},
		{name: "short", line: "1 (x) S 1 2 3", bad: true},
		{name: "not numbers", line: "1 (x) S 1 1 1 0 -1 0 0 0 0 0 a b 0", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU(tc.line)
			if (err != nil) != tc.bad || got != tc.want {
				t.Fatalf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
	if d, err := procCPU(os.Getpid()); err != nil || d < 0 {
		t.Fatalf("own /proc stat: %s, %v", d, err)
	}
}

func FuzzParseStatCPU(f *testing.F) {
	f.Add("1234 (pledged) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 0 0")
	f.Add("1 ()) S")
	f.Fuzz(func(t *testing.T, line string) {
		if d, err := parseStatCPU(line); err == nil && d < 0 {
			t.Fatalf("negative CPU time %s", d)
		}
	})
}

// TestBenchApplicants: distinct applicants whose numbers carry the right
// GB 11643 check character (the first is the standard's own example).
func TestBenchApplicants(t *testing.T) {
	as := benchApplicants(64)
	if as[0].IDNumber != "11010519491231002X" {
		t.Fatalf("first applicant %s, want the standard's example 11010519491231002X", as[0].IDNumber)
	}
	seen := map[string]bool{}
	for _, a := range as {
		if len(a.IDNumber) != 18 || seen[a.IDNumber] || seen[a.Name] {
			t.Fatalf("applicant %+v is not distinct or not 18 characters", a)
		}
		seen[a.IDNumber], seen[a.Name] = true, true
	}
	for _, tc := range []struct{ in, want string }{
		{"11010519491231002", "11010519491231002X"},
		{"44052418800101001", "440524188001010014"}, // the other commonly cited example number
	} {
		if got := residentID(tc.in); got != tc.want {
			t.Errorf("residentID(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// TestHistQuantile: percentiles of a runtime/metrics histogram delta are
// the upper bounds of the buckets that hold them.
func TestHistQuantile(t *testing.T) {
	inf := math.Inf(1)
	before := &metrics.Float64Histogram{Buckets: []float64{0, 0.001, 0.01, 0.1, inf}, Counts: []uint64{5, 0, 0, 0}}
	after := &metrics.Float64Histogram{Buckets: before.Buckets, Counts: []uint64{95, 9, 0, 1}}
	d := histDelta(before, after)
	for _, tc := range []struct {
		q, want float64
	}{{0.5, 0.001}, {0.9, 0.001}, {0.95, 0.01}, {0.99, 0.01}, {1, 0.1}} {
		if got := histQuantile(d, tc.q); got != tc.want {
			t.Errorf("q%.2f = %v, want %v", tc.q, got, tc.want)
		}
	}
	if histQuantile(histDelta(before, before), 0.5) != 0 || histQuantile(nil, 0.5) != 0 {
		t.Error("an empty histogram has a percentile")
	}
	if histDelta(before, &metrics.Float64Histogram{Counts: []uint64{1}}) != nil {
		t.Error("histograms of different shapes were subtracted")
	}
	if h := schedHist(); h == nil || len(h.Counts) == 0 {
		t.Fatal("the runtime exports no scheduling-latency histogram")
	}
}

func TestParseSchedstat(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "8312436753 37521415216 78484\n", want: 37521415216},
		{in: "0 0 0", want: 0},
		{in: "1 2", bad: true},
		{in: "1 x 3", bad: true},
		{in: "1 -2 3", bad: true},
		{in: "", bad: true},
	} {
		got, err := parseSchedstat(tc.in)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("%q: got %v, %v", tc.in, got, err)
		}
	}
	if _, err := runQueueWait(os.Getpid()); err != nil {
		t.Skipf("no schedstat on this kernel: %v", err)
	}
}
