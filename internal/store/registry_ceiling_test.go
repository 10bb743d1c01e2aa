package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// BenchmarkRegistryWriteCeiling measures the single-slot registry's write
// ceiling on this machine (issue 20): registry changes (one revocation of
// a new subject each, with its audit entry — the registry's write script
// on {reg}) from 16 concurrent writers against a private redis-server
// with AOF, appendfsync always (as shipped) and everysec. Report writes/s
// (b.N / elapsed). Not run by make test (benchmarks are not); run:
//
//	go test -run '^$' -bench RegistryWriteCeiling -benchtime 3s ./internal/store/
func BenchmarkRegistryWriteCeiling(b *testing.B) {
	for _, fsync := range []string{"always", "everysec"} {
		b.Run("appendfsync="+fsync, func(b *testing.B) {
			srv := testredis.Start(b, "--appendfsync", fsync)
			st, err := New(Options{Addrs: []string{srv.Addr}, Prefix: "ceiling:", Timeout: 5 * time.Second}, clock.Real{})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			reg := NewRegistry(st)
			actor := Actor{ID: "enforcement:110000:bench", Role: "enforcement", Org: "110000"}
			var seq atomic.Int64
			b.SetParallelism(8) // 8 × GOMAXPROCS writers
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := fmt.Sprintf("PL-CEIL-%d", seq.Add(1))
					_, err := reg.Apply(context.Background(), Change{Action: "revocation.revoke", Actor: actor, To: status.False,
						From: []status.Code{status.Unknown}, Reason: "FALSE_PLEDGE", DocumentNo: "doc", Effective: time.Now(),
						Items: []status.Subject{{Kind: status.KindPledge, ID: id}}})
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "writes/s")
		})
	}
}
