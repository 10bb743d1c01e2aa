package store

import (
	"context"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/notify/queue"
)

func TestWebhookLogEntriesSingleNode(t *testing.T) { webhookLogEntries(t, singleNode) }
func TestWebhookLogEntriesCluster(t *testing.T)    { webhookLogEntries(t, cluster) }

// webhookLogEntries: a hook registration and deletion each append their
// log entry in the script that makes the change, on the hooks' own slot;
// when the entry cannot be appended, the hook is neither stored nor
// removed (no change without its entry).
func webhookLogEntries(t *testing.T, mk func(*testing.T) fixture) {
	ctx := context.Background()
	h := queue.HookRef{ID: "Hfeed", Agency: "AG-1", URL: "https://hooks.example.test/x"}
	t.Run("one entry per change", func(t *testing.T) {
		st := mk(t).reg.Store()
		n, l := NewNotifications(st), NewTransLog(st)
		if err := n.PutHook(ctx, h, []byte(`{"id":"Hfeed"}`)); err != nil {
			t.Fatal(err)
		}
		if gone, err := n.DeleteHook(ctx, h.ID); err != nil || !gone {
			t.Fatalf("delete: %v %v", gone, err)
		}
		if gone, err := n.DeleteHook(ctx, h.ID); err != nil || gone {
			t.Fatalf("repeat delete: %v %v", gone, err)
		}
		if p, err := l.PendingIn(ctx, keySlot(n.k("hooks"))); err != nil || p != 2 {
			t.Fatalf("pending in the hooks' slot: %d %v, want 2", p, err)
		}
	})
	t.Run("a foreign-typed pending key writes nothing", func(t *testing.T) {
		st := mk(t).reg.Store()
		n := NewNotifications(st)
		if err := n.PutHook(ctx, h, []byte(`{"id":"Hfeed"}`)); err != nil {
			t.Fatal(err)
		}
		if err := st.rdb.Set(ctx, st.tlogPendingKey(n.k("hooks")), "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
		other := queue.HookRef{ID: "Hother", URL: h.URL}
		if err := n.PutHook(ctx, other, []byte(`{"id":"Hother"}`)); err == nil {
			t.Fatal("a hook was registered without its log entry")
		}
		if _, err := n.Hook(ctx, other.ID); err == nil {
			t.Fatal("the hook was stored")
		}
		if _, err := n.DeleteHook(ctx, h.ID); err == nil {
			t.Fatal("a hook was deleted without its log entry")
		}
		if _, err := n.Hook(ctx, h.ID); err != nil {
			t.Fatalf("the hook was removed: %v", err)
		}
	})
}
