package enforce

import (
	"context"
	"fmt"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// BenchmarkCompute100k draws over 100,000 pledges (ranks, quotas, floor,
// two inspectors each from a roster of 50).
func BenchmarkCompute100k(b *testing.B) {
	s := testSpec(100000)
	for i := range 50 {
		s.Inspectors = append(s.Inspectors, fmt.Sprintf("INSP-%02d", i))
	}
	s.Inspectors = s.Inspectors[5:]
	for b.Loop() {
		if _, err := Compute(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConsequence records FALSE_CONFIRMED findings (registry state,
// bar, finding, audit entry in one script) against the test Redis.
func BenchmarkConsequence(b *testing.B) {
	e := newEnv(b, store.Options{Addrs: []string{testredis.Addr(b)}})
	ctx := context.Background()
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprintf("PL-B-%07d", i)
		e.decided(b, ids[i], fmt.Sprintf("subjB%07d", i), "110105")
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.svc.RecordFinding(ctx, officer, FindingRequest{PledgeID: ids[i], Outcome: FalseConfirmed,
			DocumentNo: "京核〔2026〕1号", Evidence: []string{evidence1}, Inspector: "INS-1"}); err != nil {
			b.Fatal(err)
		}
	}
}
