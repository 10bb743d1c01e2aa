package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// obEvent is one pledge event found in the notification stream.
type obEvent struct {
	src, oid string
	ev       PledgeEvent
}

// streamPledgeEvents reads every pledge event of {ntf}:events, in stream order.
func streamPledgeEvents(t *testing.T, st *Store) []obEvent {
	t.Helper()
	n := NewNotifications(st)
	msgs, err := st.rdb.XRange(context.Background(), n.k("events"), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []obEvent
	for _, m := range msgs {
		src, _ := m.Values["src"].(string)
		if src == "" {
			continue
		}
		oid, _ := m.Values["oid"].(string)
		body, _ := m.Values["body"].(string)
		var ev PledgeEvent
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			t.Fatalf("stream body %q: %v", body, err)
		}
		if strings.Contains(body, plName) || strings.Contains(body, plID) || strings.Contains(body, "subject-index") {
			t.Fatalf("a pledge event carries personal data: %s", body)
		}
		out = append(out, obEvent{src, oid, ev})
	}
	return out
}

// makeWorkflow signs n pledges, accepts the even ones and withdraws every
// third odd one; it returns the events each pledge must produce, in order.
func makeWorkflow(t *testing.T, r *PledgeRepo, n int, prefix string) map[string][]string {
	t.Helper()
	ctx := context.Background()
	want := map[string][]string{}
	for i := range n {
		id := fmt.Sprintf("%s-%03d", prefix, i)
		if _, _, err := r.CreatePledge(ctx, plRecord(id)); err != nil {
			t.Fatal(err)
		}
		want[id] = []string{"pledge.signed"}
		at := plT0.Add(time.Duration(i+1) * time.Minute)
		switch {
		case i%2 == 0:
			if _, err := r.Transition(ctx, id, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
				Event:    pledge.Event{To: pledge.StatusAccepted, At: at, Actor: "agency"},
				Decision: &pledge.Decision{DocumentNo: "京许〔2026〕1号", Date: "2026-03-02", DecidedAt: at}}); err != nil {
				t.Fatal(err)
			}
			want[id] = append(want[id], "pledge.accepted")
		case i%3 == 0:
			if _, err := r.Transition(ctx, id, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
				Event: pledge.Event{To: pledge.StatusWithdrawn, At: at, Actor: "applicant", Reason: "改走一般程序 " + plName}}); err != nil {
				t.Fatal(err)
			}
			want[id] = append(want[id], "pledge.withdrawn")
		}
	}
	return want
}

// checkExactlyOnce compares the stream with the events each pledge made:
// each exactly once, a pledge's events in revision order.
func checkExactlyOnce(t *testing.T, got []obEvent, want map[string][]string) {
	t.Helper()
	seen := map[string]bool{}
	per := map[string][]string{}
	total := 0
	for _, e := range got {
		k := e.src + "/" + e.oid
		if seen[k] {
			t.Fatalf("outbox entry %s relayed twice", k)
		}
		seen[k] = true
		id := e.ev.Data["pledge"]
		if e.ev.Data["rev"] != fmt.Sprint(len(per[id])+1) {
			t.Fatalf("%s: event %s has rev %s after %v", id, e.ev.Action, e.ev.Data["rev"], per[id])
		}
		if e.src != pledgeShardTag(pledgeShard(id)) || e.ev.Data["agency"] != "AG-1" || e.ev.Source != "pledge" {
			t.Fatalf("event %+v from %s", e.ev, e.src)
		}
		per[id] = append(per[id], e.ev.Action)
	}
	for id, w := range want {
		total += len(w)
		if fmt.Sprint(per[id]) != fmt.Sprint(w) {
			t.Fatalf("%s: stream has %v, want %v", id, per[id], w)
		}
	}
	if len(got) != total {
		t.Fatalf("stream has %d pledge events, want %d", len(got), total)
	}
}

func outboxSuite(t *testing.T, mk func(*testing.T) plRepos) {
	ctx := context.Background()
	t.Run("every status change is relayed exactly once by concurrent relays", func(t *testing.T) {
		r := mk(t)
		want := makeWorkflow(t, r.pl, 40, "PL-OB")
		n := NewNotifications(r.st)
		if l, err := n.PledgeOutboxLen(ctx); err != nil || l != 40+20+7 {
			t.Fatalf("outbox holds %d (%v), want 67", l, err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					c, err := n.RelayPledgeEvents(ctx, 3)
					if err != nil {
						errs <- err
						return
					}
					if c == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		// one more pass: a relay that stopped early leaves nothing behind
		if _, err := n.RelayPledgeEvents(ctx, 1000); err != nil {
			t.Fatal(err)
		}
		checkExactlyOnce(t, streamPledgeEvents(t, r.st), want)
		if l, err := n.PledgeOutboxLen(ctx); err != nil || l > PledgeShards {
			t.Fatalf("relayed entries not trimmed: %d left (%v)", l, err)
		}
		// a later change is relayed after the trimmed ones
		if _, err := r.pl.Transition(ctx, "PL-OB-001", pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
			Event: pledge.Event{To: pledge.StatusReturned, At: plT0.Add(time.Hour), Actor: "agency"}}); err != nil {
			t.Fatal(err)
		}
		want["PL-OB-001"] = append(want["PL-OB-001"], "pledge.returned")
		if c, err := n.RelayPledgeEvents(ctx, 1000); err != nil || c != 1 {
			t.Fatalf("relayed %d (%v), want 1", c, err)
		}
		checkExactlyOnce(t, streamPledgeEvents(t, r.st), want)
	})
	t.Run("a change and its event are written together or not at all", func(t *testing.T) {
		r := mk(t)
		rec := plRecord("PL-OB-ATOM")
		if _, _, err := r.pl.CreatePledge(ctx, rec); err != nil {
			t.Fatal(err)
		}
		ob := r.st.pledgeOutboxKey(pledgeShard(rec.ID))
		if err := r.st.rdb.Del(ctx, ob).Err(); err != nil {
			t.Fatal(err)
		}
		if err := r.st.rdb.Set(ctx, ob, "foreign", 0).Err(); err != nil {
			t.Fatal(err)
		}
		_, err := r.pl.Transition(ctx, rec.ID, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
			Event: pledge.Event{To: pledge.StatusWithdrawn, At: plT0.Add(time.Minute), Actor: "applicant"}})
		if apperr.KindOf(err) != apperr.Internal {
			t.Fatalf("want an internal error, got %v", err)
		}
		got, err := r.pl.GetPledge(ctx, rec.ID)
		if err != nil || got.Status != pledge.StatusSigned || len(got.Events) != 1 {
			t.Fatalf("the change was written without its event: %s %v", got.Status, err)
		}
		// a new pledge in the same shard is refused whole too
		other := ""
		for i := 0; other == ""; i++ {
			if id := fmt.Sprintf("PL-OB-ATOM-%d", i); pledgeShard(id) == pledgeShard(rec.ID) {
				other = id
			}
		}
		if _, _, err := r.pl.CreatePledge(ctx, plRecord(other)); apperr.KindOf(err) != apperr.Internal {
			t.Fatalf("create with a foreign outbox: %v", err)
		}
		if _, err := r.pl.GetPledge(ctx, other); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("a pledge was created without its event: %v", err)
		}
	})
}

func TestOutboxSingleNode(t *testing.T) { outboxSuite(t, plSingle) }

func TestOutboxCluster(t *testing.T) { outboxSuite(t, plCluster) }

// TestOutboxRelayKilled kills redis-server (AOF, appendfsync always) while
// three relays copy events, restarts it and lets the relays finish: every
// event is in the stream exactly once.
func TestOutboxRelayKilled(t *testing.T) {
	srv := testredis.Start(t)
	r := newPlRepos(t, Options{Addrs: []string{srv.Addr}, Timeout: 2 * time.Second})
	ctx := context.Background()
	want := makeWorkflow(t, r.pl, 60, "PL-OK")
	total := 0
	for _, w := range want {
		total += len(w)
	}
	n := NewNotifications(r.st)
	stream := n.k("events")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := n.RelayPledgeEvents(ctx, 2); err != nil {
					time.Sleep(20 * time.Millisecond) // Redis is down: try again
				}
			}
		}()
	}
	// kill once some, not all, events are in the stream
	deadline := time.Now().Add(20 * time.Second)
	for {
		l, _ := r.st.rdb.XLen(ctx, stream).Result()
		if l >= 15 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the relays made no progress")
		}
		time.Sleep(time.Millisecond)
	}
	srv.Kill()
	time.Sleep(200 * time.Millisecond)
	srv.Restart(t)
	// let the relays run on the restarted server until the outbox is drained
	deadline = time.Now().Add(30 * time.Second)
	for {
		l, err := r.st.rdb.XLen(ctx, stream).Result()
		if err == nil && l >= int64(total) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("stream has %d entries after the restart (%v)", l, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	if c, err := n.RelayPledgeEvents(ctx, 1000); err != nil || c != 0 {
		t.Fatalf("left behind: %d (%v)", c, err)
	}
	checkExactlyOnce(t, streamPledgeEvents(t, r.st), want)
}
