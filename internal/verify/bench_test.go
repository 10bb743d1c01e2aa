package verify_test

import (
	"context"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// BenchmarkVerify measures one full verification (parse, applicant CMS and
// chain, notice and agency SES with the cache warm, status from Redis).
func BenchmarkVerify(b *testing.B) {
	e := newEnvB(b)
	pkg := e.Package(b, e.Accepted(b, "bench-key-0001"))
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if r := e.Verifier.Verify(ctx, pkg, verify.Public()); r.Indication != "TOTAL_PASSED" {
			b.Fatal(r.Indication, r.SubIndication)
		}
	}
	st := e.Verifier.Stats()
	b.ReportMetric(float64(st.SM2Skipped)/float64(b.N), "sm2-skipped/op")
	b.ReportMetric(float64(st.SM2Performed)/float64(b.N), "sm2-run/op")
}
