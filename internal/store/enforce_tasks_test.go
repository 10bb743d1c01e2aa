package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// TestTasksDecidedIndexesOldTasks: tasks stored before the per-matter
// decision-date index existed (written here as the old script did: hash
// and due set only) are found by TasksDecided after its one-time index run,
// beside a task stored with the index; other matters and dates are not.
func TestTasksDecidedIndexesOldTasks(t *testing.T) {
	for name, opts := range map[string]Options{
		"single":  {Addrs: []string{testredis.Addr(t)}},
		"cluster": {Addrs: testredis.ClusterAddrs(t), Cluster: true},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			opts.Prefix = testredis.Prefix(t)
			st, err := New(opts, clock.NewFake(t0))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			r := NewTaskRepo(st)
			old := func(id, matter, decided string) {
				body := fmt.Sprintf(`{"pledgeId":%q,"matter":%q,"decided":%q}`, id, matter, decided)
				if err := st.rdb.HSet(ctx, st.key(taskTag, "tasks"), id, body).Err(); err != nil {
					t.Fatal(err)
				}
			}
			old("P-OLD-1", "M-A", "2026-03-01")
			old("P-OLD-2", "M-A", "2026-05-01")
			old("P-OLD-3", "M-B", "2026-03-01")
			body := []byte(`{"pledgeId":"P-NEW","matter":"M-A","decided":"2026-03-02"}`)
			if _, _, err := r.PutTask(ctx, registry.TaskKeys{PledgeID: "P-NEW", Matter: "M-A", Decided: 20260302, Due: 20260401}, body); err != nil {
				t.Fatal(err)
			}
			for range 2 { // the second read finds the index built
				got, err := r.TasksDecided(ctx, "M-A", 20260101, 20260331, 10)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 2 || string(got[0]) != `{"pledgeId":"P-OLD-1","matter":"M-A","decided":"2026-03-01"}` || string(got[1]) != string(body) {
					t.Fatalf("matter M-A in March: %q", got)
				}
			}
			if _, err := r.TasksDecided(ctx, "M:A", 0, 1, 1); err == nil {
				t.Fatal("a matter that is not a code was read")
			}
		})
	}
}
