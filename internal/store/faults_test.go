package store

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// private starts a redis-server of the test's own; timeout bounds each call
// (short where the test waits for failures, generous where a loaded machine
// must not turn slowness into a false failure).
func private(t *testing.T, timeout time.Duration) (fixture, *testredis.Server) {
	t.Helper()
	srv := testredis.Start(t)
	f := newFixture(t, Options{Addrs: []string{srv.Addr}, Prefix: testredis.Prefix(t), Timeout: timeout})
	return f, srv
}

func pledgeN(i int) status.Subject {
	return status.Subject{Kind: status.KindPledge, ID: fmt.Sprintf("PL-%05d", i), Digest: digestOf(fmt.Sprint("pledge", i))}
}

// TestCrashSafety acknowledges N revocations, kills redis-server with
// SIGKILL, restarts it from its AOF and finds all N with their history.
func TestCrashSafety(t *testing.T) {
	f, srv := private(t, 5*time.Second)
	ctx := context.Background()
	const n = 200
	for i := 0; i < n; i++ {
		mustApply(t, f.reg, revoke(pledgeN(i), t0, fmt.Sprint("doc-", i)))
		if i%2 == 0 {
			f.clk.Advance(time.Minute)
			mustApply(t, f.reg, reverse(pledgeN(i), t0.Add(time.Hour), fmt.Sprint("appeal-", i)))
		}
	}
	srv.Kill()
	if _, err := f.reg.Lookup(ctx, t0, []status.Subject{pledgeN(0)}); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("lookup on a dead server: %v", err)
	}
	srv.Restart(t)
	for i := 0; i < n; i += 50 {
		var subs []status.Subject
		for j := i; j < i+50; j++ {
			subs = append(subs, status.Subject{Kind: status.KindPledge, Digest: pledgeN(j).Digest})
		}
		ans, err := f.reg.Lookup(ctx, t0.Add(30*time.Minute), subs)
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range ans.Results {
			j := i + k
			want := status.Active
			if j%2 == 1 {
				want = status.Revoked
			}
			if r.At.Code != status.Revoked || r.At.DocumentNo != fmt.Sprint("doc-", j) || r.Now.Code != want {
				t.Fatalf("pledge %d after crash: %+v", j, r)
			}
		}
	}
	h, err := f.reg.History(ctx, pledgeN(4))
	if err != nil || len(h) != 2 || h[1].DocumentNo != "appeal-4" {
		t.Fatalf("history after crash: %+v %v", h, err)
	}
	rep := mustVerify(t, f.reg.Store())
	if rep.HeadSeq != n+n/2 {
		t.Fatalf("head %d, want %d", rep.HeadSeq, n+n/2)
	}
}

// TestKilledMidStream kills the server while batches are in flight: every
// batch is found whole or not at all, every acknowledged one is found, and
// the chain verifies.
func TestKilledMidStream(t *testing.T) {
	f, srv := private(t, 5*time.Second)
	ctx := context.Background()
	const workers, size = 4, 20
	var acked sync.Map
	var done, failed atomic.Int64
	var stop atomic.Bool
	made := make([]int, workers)
	var wg sync.WaitGroup
	batchItems := func(w, b int) []status.Subject {
		out := make([]status.Subject, size)
		for i := range out {
			out[i] = pledgeN(((b*workers)+w)*size + i)
		}
		return out
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for b := 0; !stop.Load(); b++ {
				c := revoke(pledgeN(0), t0, fmt.Sprintf("batch-%d-%d", w, b))
				c.Items = batchItems(w, b)
				if _, err := f.reg.Apply(ctx, c); err == nil {
					acked.Store([2]int{w, b}, true)
				} else if k := apperr.KindOf(err); k != apperr.Unavailable {
					t.Errorf("batch %d/%d: %v", w, b, err)
				} else {
					failed.Add(1)
				}
				made[w] = b + 1
				done.Add(1)
			}
		}(w)
	}
	waitFor := func(n int64) {
		for done.Load() < n {
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(100)
	srv.Kill()
	// Long enough for the client's dial retries to give up.
	for failed.Load() < 4 {
		time.Sleep(10 * time.Millisecond)
	}
	srv.Restart(t)
	waitFor(done.Load() + 100)
	stop.Store(true)
	wg.Wait()
	whole, total := 0, 0
	for w := 0; w < workers; w++ {
		for b := 0; b < made[w]; b++ {
			total++
			ans, err := f.reg.Lookup(ctx, t0, batchItems(w, b))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, r := range ans.Results {
				if r.At.Code == status.Revoked {
					n++
				}
			}
			if n != 0 && n != size {
				t.Fatalf("batch %d/%d half applied: %d of %d", w, b, n, size)
			}
			if _, ok := acked.Load([2]int{w, b}); ok && n == 0 {
				t.Fatalf("acknowledged batch %d/%d lost", w, b)
			}
			if n == size {
				whole++
			}
		}
	}
	rep := mustVerify(t, f.reg.Store())
	if rep.HeadSeq != uint64(whole) {
		t.Fatalf("audit has %d entries for %d applied batches", rep.HeadSeq, whole)
	}
	t.Logf("%d of %d batches applied, all whole; %d calls failed during the outage", whole, total, failed.Load())
	if failed.Load() == 0 {
		t.Fatal("the server was killed but no call failed: the test did not test anything")
	}
}

// TestFailClosed stops Redis: every read and write is Unavailable, never a
// default answer.
func TestFailClosed(t *testing.T) {
	f, srv := private(t, 500*time.Millisecond)
	ctx := context.Background()
	sub := pledgeN(1)
	mustApply(t, f.reg, revoke(sub, t0, "d"))
	srv.Stop()
	checks := []struct {
		name string
		call func() error
	}{
		{"lookup", func() error { _, err := f.reg.Lookup(ctx, t0, []status.Subject{sub}); return err }},
		{"lookup unknown", func() error {
			_, err := f.reg.Lookup(ctx, t0, []status.Subject{{Kind: status.KindCertificate, ID: "x"}})
			return err
		}},
		{"history", func() error { _, err := f.reg.History(ctx, sub); return err }},
		{"apply", func() error { _, err := f.reg.Apply(ctx, reverse(sub, t0, "d")); return err }},
		{"verify audit", func() error { _, err := f.reg.Store().VerifyAudit(ctx); return err }},
		{"get seal", func() error { _, err := f.reg.GetSeal(ctx, "x"); return err }},
		{"list seals", func() error { _, err := f.reg.ListSeals(ctx, "", [32]byte{}, "", 10); return err }},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if apperr.KindOf(err) != apperr.Unavailable || apperr.As(err).Code != "TRY_LATER" {
				t.Fatalf("got %v, want unavailable/TRY_LATER", err)
			}
		})
	}
}
