package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// BenchmarkDecision measures one decision (Transition SIGNED → ACCEPTED:
// record, indexes and outbox event in one script) with the disclosure
// policy looked up in the catalogue and the pledge published, and without
// a policy source; then the relay of the events and one page of the public
// listing. Run with PLEDGESEAL_TEST_REDIS_ADDR set:
// go test -run - -bench Decision ./internal/store/
func BenchmarkDecision(b *testing.B) {
	st, err := New(Options{Addrs: []string{testredis.Addr(b)}, Prefix: testredis.Prefix(b), Timeout: 2 * time.Second}, clock.NewFake(plT0))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	enc, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	p, err := pii.New(enc, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	e := plEntry("C-1", plT0.Add(-time.Hour))
	e.Disclosure = pledge.DisclosurePolicy{Publish: true, Days: 365}
	if _, err := NewCatalogueRepo(st).AppendEntry(ctx, e, 0); err != nil {
		b.Fatal(err)
	}
	n := 0
	decide := func(b *testing.B, repo *PledgeRepo) {
		rec := plRecord(fmt.Sprintf("PD%07d", n))
		rec.Entry = e.EntryKey
		n++
		if _, _, err := repo.CreatePledge(ctx, rec); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := repo.Transition(ctx, rec.ID, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
			Event: pledge.Event{To: pledge.StatusAccepted, At: plT0.Add(time.Duration(n) * time.Millisecond), Actor: "agency"}}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
	}
	b.Run("published", func(b *testing.B) {
		repo := testPledgeRepo(st, p)
		b.StopTimer()
		for range b.N {
			decide(b, repo)
		}
	})
	b.Run("no-policy-source", func(b *testing.B) {
		repo := NewPledgeRepo(st, p, nil)
		b.StopTimer()
		for range b.N {
			decide(b, repo)
		}
	})
	b.Run("relay-per-event", func(b *testing.B) {
		nt := NewNotifications(st)
		b.StopTimer()
		for range b.N {
			rec := plRecord(fmt.Sprintf("PR%07d", n))
			n++
			if _, _, err := testPledgeRepo(st, p).CreatePledge(ctx, rec); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if c, err := nt.RelayPledgeEvents(ctx, 1000); err != nil || c == 0 {
				b.Fatal(c, err)
			}
			b.StopTimer()
		}
	})
	b.Run("public-page-20", func(b *testing.B) {
		repo := testPledgeRepo(st, p)
		for b.Loop() {
			if pg, err := repo.ListPublished(ctx, e.Region, e.Matter, "", 20); err != nil || len(pg.Entries) != 20 {
				b.Fatal(err, len(pg.Entries))
			}
		}
	})
}
