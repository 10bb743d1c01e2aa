package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// twoInstances returns two limiters over two separate clients of the same
// Redis (two pledged instances sharing it).
func twoInstances(t *testing.T, opts Options) (*RateLimiter, *RateLimiter) {
	t.Helper()
	var out [2]*RateLimiter
	for i := range out {
		st, err := New(opts, clock.NewFake(t0))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		out[i] = NewRateLimiter(st)
	}
	return out[0], out[1]
}

func testRateLimiter(t *testing.T, opts Options) {
	ctx := context.Background()
	a, b := twoInstances(t, opts)
	type decision struct {
		Allowed    bool
		Remaining  int
		RetryAfter time.Duration
	}
	take := func(l *RateLimiter, scope, client string, cost int, now time.Time) (decision, error) {
		retry, rem, err := l.Take(ctx, scope, client, 2, 5, cost, now) // a token every 500 ms, 5 at most
		return decision{retry == 0, rem, retry}, err
	}
	now := t0
	// The burst is shared: three from one instance, two from the other.
	for i := range 5 {
		l := a
		if i%2 == 1 {
			l = b
		}
		d, err := take(l, "verify", "192.0.2.1", 1, now)
		if err != nil || !d.Allowed || d.Remaining != 4-i {
			t.Fatalf("take %d: %+v %v", i, d, err)
		}
	}
	d, err := take(b, "verify", "192.0.2.1", 1, now)
	if err != nil || d.Allowed || d.RetryAfter != 500*time.Millisecond {
		t.Fatalf("sixth take across instances: %+v %v (want refused, retry in 500ms)", d, err)
	}
	// Another client and another scope have their own buckets.
	if d, err := take(a, "verify", "192.0.2.2", 5, now); err != nil || !d.Allowed {
		t.Fatalf("other client: %+v %v", d, err)
	}
	if d, err := take(a, "public", "192.0.2.1", 1, now); err != nil || !d.Allowed {
		t.Fatalf("other scope: %+v %v", d, err)
	}
	// A batch costs each package: a cost of 2 waits for two tokens.
	now = now.Add(500 * time.Millisecond)
	if d, err := take(a, "verify", "192.0.2.1", 2, now); err != nil || d.Allowed || d.RetryAfter != 500*time.Millisecond {
		t.Fatalf("cost 2 with one token: %+v %v", d, err)
	}
	if d, err := take(a, "verify", "192.0.2.1", 1, now); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Fatalf("cost 1 with one token: %+v %v", d, err)
	}
	// Refusals take nothing: after a full refill the whole burst is back.
	now = now.Add(10 * time.Second)
	if d, err := take(b, "verify", "192.0.2.1", 5, now); err != nil || !d.Allowed || d.Remaining != 0 {
		t.Fatalf("after a refill: %+v %v", d, err)
	}
	// A cost above the burst is never allowed.
	if d, err := take(a, "verify", "192.0.2.9", 6, now); err != nil || d.Allowed || d.RetryAfter <= 0 {
		t.Fatalf("cost above burst: %+v %v", d, err)
	}
}

func TestRateLimiterSingleNode(t *testing.T) {
	testRateLimiter(t, Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t)})
}

func TestRateLimiterCluster(t *testing.T) {
	testRateLimiter(t, Options{Addrs: testredis.ClusterAddrs(t), Cluster: true, Prefix: testredis.Prefix(t)})
}

// TestRateLimiterBucketExpires: an idle bucket leaves no key behind once
// it is full again.
func TestRateLimiterBucketExpires(t *testing.T) {
	st, err := New(Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t)}, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	l := NewRateLimiter(st)
	ctx := context.Background()
	if _, _, err := l.Take(ctx, "public", "198.51.100.7", 10, 10, 1, time.Now()); err != nil {
		t.Fatal(err)
	}
	key := st.prefix + "{rl:public:198.51.100.7}"
	ttl, err := st.rdb.PTTL(ctx, key).Result()
	if err != nil || ttl <= 0 || ttl > 101*time.Millisecond {
		t.Fatalf("bucket TTL %v %v, want at most the 100 ms until it is full again", ttl, err)
	}
}

// TestRateLimiterRedisDown: a dead Redis is apperr.Unavailable, never a
// default answer.
func TestRateLimiterRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	st, err := New(Options{Addrs: []string{srv.Addr}, Prefix: testredis.Prefix(t), Timeout: 200 * time.Millisecond}, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	l := NewRateLimiter(st)
	srv.Kill()
	retry, _, err := l.Take(context.Background(), "verify", "192.0.2.1", 1, 1, 1, t0)
	if apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("dead Redis: %v %v", retry, err)
	}
}

// BenchmarkRateLimiterTake measures one take (one round trip).
func BenchmarkRateLimiterTake(b *testing.B) {
	st, err := New(Options{Addrs: []string{testredis.Addr(b)}, Prefix: testredis.Prefix(b)}, clock.NewFake(t0))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	l := NewRateLimiter(st)
	ctx := context.Background()
	for i := range b.N {
		if _, _, err := l.Take(ctx, "verify", fmt.Sprint("c", i%100), 1e6, 1000, 1, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
