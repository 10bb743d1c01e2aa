package bench

import (
	"math"
	"strings"
	"testing"
)

func TestWorkFloorNs(t *testing.T) {
	// 1000 signs, 500 verifies and 100 MB of SM3 per CPU-second.
	c := Ceilings{SignPerCPUSec: 1000, VerifyPerCPUSec: 500, SM3BytesPerCPUSec: 100e6}
	for _, tc := range []struct {
		name string
		w    Work
		c    Ceilings
		want float64
	}{
		{"verify only", Work{SM2Verify: 2}, c, 4e6},
		{"sign only", Work{SM2Sign: 1}, c, 1e6},
		{"hash only", Work{HashedBytes: 1e6}, c, 10e6},
		{"all three", Work{SM2Sign: 1, SM2Verify: 1, HashedBytes: 50_000}, c, 1e6 + 2e6 + 0.5e6},
		{"nothing", Work{}, c, 0},
		{"SM3 rate missing", Work{SM2Verify: 1, HashedBytes: 10}, Ceilings{VerifyPerCPUSec: 500}, 0},
		{"verify rate missing", Work{SM2Verify: 1}, Ceilings{SignPerCPUSec: 1}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.w.FloorNs(tc.c); math.Abs(got-tc.want) > 1e-6 {
				t.Fatalf("got %v ns, want %v", got, tc.want)
			}
		})
	}
}

// TestFloors: every workload (the command's OFD ones, the in-process and
// HTTP pledge ones) is set against its floor, and the OFD targets take the
// worst file of each kind.
func TestFloors(t *testing.T) {
	r := sample()
	r.Ceilings.SM3BytesPerCPUSec = 100e6
	r.PackageBytes = 10_000 // 0.1 ms of SM3
	r.InProcess[0].CPUNsPerOp = 25e6
	r.Workloads = []Workload{
		// 1 SM2 verify (2 ms) + 1 MB (10 ms) = 12 ms floor.
		{Name: "a.ofd", Kind: WorkloadOFDWarm, CPUNsPerOp: 36e6, Work: Work{SM2Verify: 1, HashedBytes: 1e6}},
		{Name: "b.ofd", Kind: WorkloadOFDWarm, CPUNsPerOp: 4e6, Work: Work{SM2Verify: 1}},
		{Name: "a.ofd", Kind: WorkloadOFDCold, CPUNsPerOp: 42e6, Work: Work{SM2Verify: 2, HashedBytes: 1e6}},
	}
	r.Evaluate()
	got := map[string]Floor{}
	for _, f := range r.Floors {
		got[f.Kind+" "+f.Name] = f
	}
	for key, want := range map[string]float64{
		"ofd-warm a.ofd": 3, "ofd-warm b.ofd": 2, "ofd-cold a.ofd": 3,
		// verify-package: 5 verifies (10 ms) + 0.1 ms; in process 25 ms; HTTP 30/CPU-s = 33.3 ms.
		"in-process verify-package": 25 / 10.1, "http-peak HTTP verify": (1e3 / 30) / 10.1,
	} {
		if f, ok := got[key]; !ok || math.Abs(f.Ratio-want) > 0.001 {
			t.Errorf("%s: ratio %v (%+v), want %.3f", key, f.Ratio, f, want)
		}
	}
	if _, ok := got["in-process sign-pledge"]; ok {
		t.Error("a workload without CPU time got a floor ratio")
	}
	for _, tg := range r.Targets {
		switch {
		case strings.Contains(tg.Name, "warm Verifier"):
			if tg.Value != 3 || tg.Pass != true || !strings.Contains(tg.Note, "worst a.ofd") {
				t.Errorf("warm target %+v", tg)
			}
		case strings.Contains(tg.Name, "cold Verifier"):
			if tg.Value != 3 || !tg.Pass {
				t.Errorf("cold target %+v", tg)
			}
		}
	}
	// Over the limit: a miss.
	r.Workloads[1].CPUNsPerOp = 20e6 // 10 × its 2 ms floor
	r.Evaluate()
	for _, tg := range r.Targets {
		if strings.Contains(tg.Name, "warm Verifier") && (tg.Pass || tg.Value != 10) {
			t.Errorf("over the limit: %+v", tg)
		}
	}
}
