package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// cpuNS is the CPU time of the process (user + system), in ns: on a shared
// machine it moves less with the other load than the wall clock.
func cpuNS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkVerifyRequestEnvelope measures what the envelope cut of POST
// /v1/verifications saves: the body {"package": PACKAGE} of a real
// accepted package read by the cut (singlePackage + checkPackageNames) or
// by the decoder (decodeJSONFrom), alone and followed by the verification
// the request asks for (verifytest's domain, real Redis). CPU ns per
// operation are reported beside the wall clock.
func BenchmarkVerifyRequestEnvelope(b *testing.B) {
	clk := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(b)}, Prefix: testredis.Prefix(b), Timeout: time.Second}, clk)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	e := verifytest.New(b, st, clk)
	e.Ready(b)
	pkg := e.Package(b, e.Accepted(b, "bench-key-0001"))
	body, _ := json.Marshal(map[string]json.RawMessage{"package": pkg})
	ctx := context.Background()
	for _, v := range []struct {
		name string
		read func() []byte
	}{
		{"cut", func() []byte {
			p, ok := singlePackage(body)
			if !ok || checkPackageNames(p) != nil {
				b.Fatal("not taken")
			}
			return p
		}},
		{"decoder", func() []byte {
			var req verifyRequest
			if err := decodeJSONFrom(bytes.NewReader(body), &req); err != nil {
				b.Fatal(err)
			}
			return req.Package
		}},
	} {
		b.Run("envelope-only/"+v.name, func(b *testing.B) {
			b.ReportAllocs()
			c0 := cpuNS()
			for b.Loop() {
				v.read()
			}
			b.ReportMetric(float64(cpuNS()-c0)/float64(b.N), "cpu-ns/op")
		})
		b.Run("envelope+verify/"+v.name, func(b *testing.B) {
			b.ReportAllocs()
			c0 := cpuNS()
			for b.Loop() {
				if r := e.Verifier.Verify(ctx, v.read(), verify.Public()); r.Indication != "TOTAL_PASSED" {
					b.Fatal(r.Indication)
				}
			}
			b.ReportMetric(float64(cpuNS()-c0)/float64(b.N), "cpu-ns/op")
		})
	}
}
