package notify

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// TestWorkersOfSeveralInstancesDeliverOnce: three workers (three pledged
// instances) run their rounds at the same time over one Redis; each
// delivery reaches the hook once. Before deliveries were claimed, every
// worker attempted every due delivery (the scale-out test saw each
// webhook two or three times).
func TestWorkersOfSeveralInstancesDeliverOnce(t *testing.T) {
	clk := clock.NewFake(t0)
	prefix := testredis.Prefix(t)
	var workers []rig
	for range 3 {
		workers = append(workers, newRig(t, testredis.Addr(t), prefix, clk, Options{}))
	}
	rc := newReceiver(t, clk)
	if _, err := workers[0].svc.Register(context.Background(), admin, rc.srv.URL, secret); err != nil {
		t.Fatal(err)
	}
	const changes = 30
	for i := range changes {
		workers[0].change(t, i, "AG-1")
	}
	for range 3 {
		var wg sync.WaitGroup
		for _, w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := w.svc.Step(context.Background()); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	got := rc.seqs()
	slices.Sort(got)
	if len(got) != changes || len(slices.Compact(slices.Clone(got))) != changes {
		t.Fatalf("%d deliveries for %d changes (distinct %d): %v", len(got), changes, len(slices.Compact(slices.Clone(got))), got)
	}
}

// TestClaimedDeliveryOfADeadWorkerIsRetried: a worker that claimed a
// delivery and died holds it only until its lease ends; then another
// worker delivers it.
func TestClaimedDeliveryOfADeadWorkerIsRetried(t *testing.T) {
	clk := clock.NewFake(t0)
	prefix := testredis.Prefix(t)
	live := newRig(t, testredis.Addr(t), prefix, clk, Options{})
	rc := newReceiver(t, clk)
	if _, err := live.svc.Register(context.Background(), admin, rc.srv.URL, secret); err != nil {
		t.Fatal(err)
	}
	live.change(t, 0, "AG-1")
	rc.fail.Store(true) // the first round fans out; its attempt fails and is due again in a minute
	if _, err := live.svc.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	rc.fail.Store(false)
	clk.Advance(2 * live.svc.Backoff(1))
	// The dead worker: claims the due delivery and never settles it.
	dead := store.NewNotifications(live.st)
	now := clk.Now()
	claimed, err := dead.Claim(context.Background(), now.UnixMilli(), now.Add(claimLease).UnixMilli(), 10)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claimed %d (%v)", len(claimed), err)
	}
	if n, err := live.svc.Step(context.Background()); err != nil || n != 0 || len(rc.seqs()) != 0 {
		t.Fatalf("a claimed delivery was attempted by another worker: %d attempts, %d delivered (%v)", n, len(rc.seqs()), err)
	}
	clk.Advance(claimLease)
	if n, err := live.svc.Step(context.Background()); err != nil || n != 1 || len(rc.seqs()) != 1 {
		t.Fatalf("after the lease: %d attempts, %d delivered (%v)", n, len(rc.seqs()), err)
	}
}
