package verify_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// processCPU is the CPU time (user + system) of this process so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchVerify verifies pkg b.N times; cpu-ns/op is the process's CPU time
// per verification, which a busy machine moves far less than ns/op.
func benchVerify(b *testing.B, v *verify.Verifier, pkg []byte, ok func(verify.Report) bool) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := processCPU(b)
	for b.Loop() {
		if r := v.Verify(ctx, pkg, verify.Public()); !ok(r) {
			b.Fatal(r.Indication, r.SubIndication)
		}
	}
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
	st := v.Stats()
	b.ReportMetric(float64(st.SM2Skipped)/float64(b.N), "sm2-skipped/op")
	b.ReportMetric(float64(st.SM2Performed)/float64(b.N), "sm2-run/op")
}

// BenchmarkVerify measures one full verification (parse, applicant CMS and
// chain, notice and agency SES with the cache warm, status from Redis).
func BenchmarkVerify(b *testing.B) {
	e := newEnvB(b)
	pkg := e.Package(b, e.Accepted(b, "bench-key-0001"))
	benchVerify(b, e.Verifier, pkg, func(r verify.Report) bool { return r.Indication == "TOTAL_PASSED" })
}

// BenchmarkVerifyStamped is BenchmarkVerify for a package whose applicant
// CMS and counter-seal carry time-stamp tokens (a built-in TSA): the
// agency seal's token is verified once, by the SES verifier, whose result
// the report uses.
func BenchmarkVerifyStamped(b *testing.B) {
	e := newEnvB(b)
	pkg := e.Package(b, acceptedWith(b, e, stampedService(b, e, pki.TimeStampingExtension()), "bench-stamped-0001"))
	benchVerify(b, e.Verifier, pkg, func(r verify.Report) bool {
		s := r.ValidAtSigning
		return r.Indication == "TOTAL_PASSED" && s.SealedAtSource != nil && s.SealedAtSource.Source == verify.SourceTSA &&
			s.SignedAtSource != nil && s.SignedAtSource.Source == verify.SourceTSA
	})
}
