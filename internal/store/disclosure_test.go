package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func disclosureSuite(t *testing.T, mk func(*testing.T) plRepos) {
	ctx := context.Background()
	r := mk(t)
	pub := plEntry("C-1", plT0.Add(-time.Hour))
	pub.Matter = "M-PUB"
	pub.Disclosure = pledge.DisclosurePolicy{Publish: true, Days: 30, Scope: pledge.Text{Zh: "信用中国"}}
	quiet := plEntry("C-1", plT0.Add(-time.Hour))
	quiet.Matter = "M-QUIET"
	quiet.Disclosure = pledge.DisclosurePolicy{Days: 30} // days without publish: nothing is published
	for _, e := range []pledge.Entry{pub, quiet} {
		if _, err := r.cat.AppendEntry(ctx, e, 0); err != nil {
			t.Fatal(err)
		}
	}
	// A later version stops publishing: pledges signed before it still
	// follow the version they were signed under.
	later := pub
	later.EffectiveFrom = plT0.Add(time.Hour)
	later.Disclosure = pledge.DisclosurePolicy{}
	if _, err := r.cat.AppendEntry(ctx, later, 1); err != nil {
		t.Fatal(err)
	}
	mkPledge := func(id, matter string, to pledge.Status, at time.Time) {
		t.Helper()
		rec := plRecord(id)
		rec.Entry = pledge.EntryKey{Region: "110000", Matter: matter, Certificate: "C-1"}
		if _, _, err := r.pl.CreatePledge(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if to == pledge.StatusSigned {
			return
		}
		tr := pledge.Transition{From: []pledge.Status{pledge.StatusSigned}, Event: pledge.Event{To: to, At: at, Actor: "x"}}
		if to == pledge.StatusAccepted {
			tr.Decision = &pledge.Decision{DocumentNo: "京许〔2026〕5号", Date: "2026-03-02", DecidedAt: at}
		}
		if _, err := r.pl.Transition(ctx, id, tr); err != nil {
			t.Fatal(err)
		}
	}
	var want []string
	for i := range 5 {
		id := fmt.Sprintf("PL-PUB-%d", i)
		mkPledge(id, "M-PUB", pledge.StatusAccepted, plT0.Add(time.Duration(i+1)*time.Minute))
		want = append([]string{id}, want...) // newest decision first
	}
	mkPledge("PL-PUB-W", "M-PUB", pledge.StatusWithdrawn, plT0.Add(time.Minute))
	mkPledge("PL-PUB-R", "M-PUB", pledge.StatusReturned, plT0.Add(time.Minute))
	mkPledge("PL-PUB-S", "M-PUB", pledge.StatusSigned, plT0)
	mkPledge("PL-QUIET", "M-QUIET", pledge.StatusAccepted, plT0.Add(time.Minute))
	mkPledge("PL-NOCAT", "M-NONE", pledge.StatusAccepted, plT0.Add(time.Minute))

	t.Run("pages newest first, only decided pledges of a publishing matter", func(t *testing.T) {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 5 {
				t.Fatal("paging does not end")
			}
			p, err := r.pl.ListPublished(ctx, "110000", "M-PUB", cursor, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range p.Entries {
				got = append(got, e.Record.ID)
				if want := e.Record.Decision.DecidedAt.AddDate(0, 0, 30); !e.Until.Equal(want) {
					t.Fatalf("%s published until %v, want %v", e.Record.ID, e.Until, want)
				}
				if string(e.Record.Document) != string(plRecord(e.Record.ID).Document) {
					t.Fatalf("%s: document not opened", e.Record.ID)
				}
			}
			if p.Next == "" {
				break
			}
			cursor = p.Next
		}
		if !slices.Equal(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
		for _, m := range []string{"M-QUIET", "M-NONE"} {
			if p, err := r.pl.ListPublished(ctx, "110000", m, "", 10); err != nil || len(p.Entries) != 0 {
				t.Fatalf("%s listed %+v (%v)", m, p.Entries, err)
			}
		}
	})
	t.Run("one by ID", func(t *testing.T) {
		cases := []struct {
			id        string
			published bool
		}{
			{"PL-PUB-3", true},
			{"PL-PUB-W", false},
			{"PL-PUB-R", false},
			{"PL-PUB-S", false},
			{"PL-QUIET", false},
			{"PL-NOCAT", false},
			{"PL-NONE", false},
		}
		for _, c := range cases {
			p, err := r.pl.GetPublished(ctx, c.id)
			switch {
			case c.published && (err != nil || p.Record.ID != c.id):
				t.Fatalf("%s: got %s (%v)", c.id, p.Record.ID, err)
			case !c.published && apperr.KindOf(err) != apperr.NotFound:
				t.Fatalf("%s: want NotFound, got %v", c.id, err)
			}
		}
	})
	t.Run("a pledge signed under the later version is not published", func(t *testing.T) {
		rec := plRecord("PL-PUB-LATE")
		rec.CreatedAt = plT0.Add(2 * time.Hour)
		rec.Entry = pledge.EntryKey{Region: "110000", Matter: "M-PUB", Certificate: "C-1"}
		if _, _, err := r.pl.CreatePledge(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if _, err := r.pl.Transition(ctx, rec.ID, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
			Event: pledge.Event{To: pledge.StatusAccepted, At: plT0.Add(3 * time.Hour), Actor: "x"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.pl.GetPublished(ctx, rec.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("published under a version that does not publish: %v", err)
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		for name, c := range map[string]struct {
			region, matter, cursor string
			limit                  int
		}{
			"limit 0":      {"110000", "M-PUB", "", 0},
			"limit 101":    {"110000", "M-PUB", "", 101},
			"no region":    {"", "M-PUB", "", 10},
			"brace matter": {"110000", "M-{x}", "", 10},
			"bad cursor":   {"110000", "M-PUB", "!!", 10},
		} {
			if _, err := r.pl.ListPublished(ctx, c.region, c.matter, c.cursor, c.limit); apperr.KindOf(err) != apperr.Malformed {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestDisclosureSingleNode(t *testing.T) { disclosureSuite(t, plSingle) }

func TestDisclosureCluster(t *testing.T) { disclosureSuite(t, plCluster) }
