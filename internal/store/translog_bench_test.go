package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// redisUsec returns the total usec Redis spent in the given commands
// since the last CONFIG RESETSTAT.
func redisUsec(b *testing.B, rdb redis.UniversalClient, cmds ...string) float64 {
	b.Helper()
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		for _, c := range cmds {
			if strings.HasPrefix(line, "cmdstat_"+c+":") {
				for _, kv := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "cmdstat_"+c+":")), ",") {
					if v, ok := strings.CutPrefix(kv, "usec="); ok {
						n, _ := strconv.ParseFloat(v, 64)
						total += n
					}
				}
			}
		}
	}
	return total
}

// BenchmarkLogAppendInScript compares a registry change with and without
// its log append (the same script minus the XADD and its type check):
// Redis µs per change and wall time per change.
func BenchmarkLogAppendInScript(b *testing.B) {
	for _, variant := range []string{"with-log", "without-log"} {
		b.Run(variant, func(b *testing.B) {
			st, err := New(Options{Addrs: []string{testredis.Addr(b)}, Prefix: testredis.Prefix(b)}, clock.NewFake(t0))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			reg := NewRegistry(st)
			if variant == "without-log" {
				src := strings.Replace(applyLua, "if not want(KEYS[#KEYS], 'stream') then return {'WRONGTYPE', 'tlog'} end\n", "", 1)
				src = strings.Replace(src, "redis.call('XADD', KEYS[#KEYS], '*', 'e', ARGV[5])\n", "", 1)
				if src == applyLua {
					b.Fatal("the variant did not remove the append")
				}
				reg.apply = script{s: redis.NewScript(src), calls: &reg.writeCalls}
			}
			ctx := context.Background()
			st.rdb.ConfigResetStat(ctx)
			b.ResetTimer()
			for i := range b.N {
				sub := status.Subject{Kind: status.KindCertificate, ID: fmt.Sprint(variant, i), Digest: digestOf(fmt.Sprint(variant, i))}
				if _, err := reg.Apply(ctx, revoke(sub, t0, "bench")); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(redisUsec(b, st.rdb, "evalsha", "eval")/float64(b.N), "redis-µs/change")
			// Commands a script runs are counted in commandstats too: the
			// append's own Redis time.
			b.ReportMetric(redisUsec(b, st.rdb, "xadd")/float64(b.N), "xadd-µs/change")
		})
	}
}

// BenchmarkLogIntegrate measures integrating pending entries (the
// sequencer's work per entry: leaf and node hashes in Go, the integration
// script, the XRANGE sweep and the trim in Redis), and an empty sweep.
func BenchmarkLogIntegrate(b *testing.B) {
	st, err := New(Options{Addrs: []string{testredis.Addr(b)}, Prefix: testredis.Prefix(b)}, clock.NewFake(t0))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	l := NewTransLog(st)
	body := strings.Repeat("x", 600) // about an audit entry's size
	b.Run("per-entry", func(b *testing.B) {
		st.rdb.ConfigResetStat(ctx)
		b.ResetTimer()
		for done := 0; done < b.N; {
			b.StopTimer()
			n := min(integrateBatch, b.N-done)
			_, err := st.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := range n {
					p.XAdd(ctx, &redis.XAddArgs{Stream: st.tlogPendingKeyOfSlot((done + i) % 17), Values: []any{"e", body}})
					st.logHints.mark((done + i) % 17)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			moved, err := l.Integrate(ctx)
			if err != nil || moved != n {
				b.Fatalf("moved %d of %d: %v", moved, n, err)
			}
			done += n
		}
		b.StopTimer()
		b.ReportMetric(redisUsec(b, st.rdb, "evalsha", "eval", "xrange", "xdel", "hmget", "hgetall")/float64(b.N), "redis-µs/entry")
	})
	b.Run("empty-sweep", func(b *testing.B) {
		st.rdb.ConfigResetStat(ctx)
		b.ResetTimer()
		for range b.N {
			if moved, err := l.Integrate(ctx); err != nil || moved != 0 {
				b.Fatal(moved, err)
			}
		}
		b.StopTimer()
		b.ReportMetric(redisUsec(b, st.rdb, "xrange", "hgetall")/float64(b.N), "redis-µs/sweep")
	})
}
