package bench

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Work is the cryptographic work one operation cannot avoid: the SM2
// signatures and verifications it performs and the bytes the standard
// requires it to hash (SM3).
type Work struct {
	SM2Sign     float64 `json:"sm2Sign"`
	SM2Verify   float64 `json:"sm2Verify"`
	HashedBytes float64 `json:"hashedBytes"`
	// How says where the numbers come from.
	How string `json:"how,omitempty"`
}

// FloorNs is the CPU time of w at the per-CPU-second rates of c: SM2
// signatures × the time of one + SM2 verifications × the time of one +
// hashed bytes × the SM3 time per byte. Zero when a rate w needs is
// missing (no floor can be given).
func (w Work) FloorNs(c Ceilings) float64 {
	var ns float64
	for _, part := range []struct{ n, rate float64 }{
		{w.SM2Sign, c.SignPerCPUSec},
		{w.SM2Verify, c.VerifyPerCPUSec},
		{w.HashedBytes, c.SM3BytesPerCPUSec},
	} {
		if part.n == 0 {
			continue
		}
		if part.rate <= 0 {
			return 0
		}
		ns += part.n / part.rate * 1e9
	}
	return ns
}

// Workload is an operation measured in this run: its CPU time per
// operation and its work. The command adds the sealed-OFD verifications;
// Evaluate adds the pledge workloads from the in-process and HTTP steps.
type Workload struct {
	Name       string  `json:"name"`
	Kind       string  `json:"kind"` // e.g. WorkloadOFDWarm
	CPUNsPerOp float64 `json:"cpuNsPerOp"`
	Work       Work    `json:"work"`
}

// Floor is a workload set against its floor in the same run.
type Floor struct {
	Workload
	FloorNs float64 `json:"floorNs"`
	// Ratio is CPU per operation ÷ floor (1 = nothing but the
	// unavoidable cryptography).
	Ratio float64 `json:"ratio"`
}

// Workload kinds.
const (
	WorkloadOFDWarm  = "ofd-warm" // sealed OFD, ses.Verifier caches warm
	WorkloadOFDCold  = "ofd-cold" // sealed OFD, a new ses.Verifier per file
	WorkloadInProc   = "in-process"
	WorkloadHTTPPeak = "http-peak" // pledged's CPU per request at the peak closed-loop step
)

// floors computes r.Floors from r.Workloads, the in-process benchmarks and
// the HTTP peaks. A pledge package's hashed bytes are r.PackageBytes (its
// signed content and the certificates in it are hashed once each).
func (r *Result) floors() []Floor {
	loads := append([]Workload(nil), r.Workloads...)
	for _, b := range []struct{ bench, endpoint string }{{BenchVerify, EndpointVerify}, {BenchSign, EndpointSign}} {
		ip, ok := r.InProc(b.bench)
		if !ok {
			continue
		}
		w := Work{SM2Sign: ip.SM2.Sign, SM2Verify: ip.SM2.Verify, HashedBytes: r.PackageBytes,
			How: "SM2 as counted in process (" + b.bench + "); hashed bytes: the size of one accepted pledge package"}
		if ip.CPUNsPerOp > 0 {
			loads = append(loads, Workload{Name: b.bench, Kind: WorkloadInProc, CPUNsPerOp: float64(ip.CPUNsPerOp), Work: w})
		}
		if peak, ok := r.Peak(b.endpoint); ok && peak.PerServerCPUSec > 0 {
			loads = append(loads, Workload{Name: "HTTP " + b.endpoint, Kind: WorkloadHTTPPeak, CPUNsPerOp: 1e9 / peak.PerServerCPUSec, Work: w})
		}
	}
	out := make([]Floor, 0, len(loads))
	for _, l := range loads {
		f := Floor{Workload: l, FloorNs: math.Round(l.Work.FloorNs(r.Ceilings))}
		if f.FloorNs > 0 {
			f.Ratio = round(l.CPUNsPerOp / f.FloorNs)
		}
		out = append(out, f)
	}
	return out
}

// ofdTarget is the sealed-OFD target for one kind of workload: the worst
// file's ratio to its floor.
func (r *Result) ofdTarget(kind, what string, limit float64) Target {
	name := "sealed-OFD verification CPU / floor, worst file (" + what + ")"
	var worst *Floor
	var all []string
	for i, f := range r.Floors {
		if f.Kind != kind || f.Ratio == 0 {
			continue
		}
		all = append(all, fmt.Sprintf("%s %.2f", f.Name, f.Ratio))
		if worst == nil || f.Ratio > worst.Ratio {
			worst = &r.Floors[i]
		}
	}
	if worst == nil {
		return absent(name, "no "+kind+" workload measured")
	}
	slices.Sort(all)
	return atMost(name, worst.Ratio, limit, fmt.Sprintf("worst %s: %.0f CPU ns/op vs floor %.0f ns; all: %s", worst.Name, worst.CPUNsPerOp, worst.FloorNs, strings.Join(all, ", ")))
}
