package store

import (
	"context"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func withdrawalSuite(t *testing.T, mk func(*testing.T) plRepos) {
	ctx := context.Background()
	r := mk(t)
	exam := plEntry("C-1", plT0.Add(-time.Hour))
	exam.Matter = "M-EXAM"
	exam.Withdrawal = pledge.WithdrawalPolicy{BarDays: 30, Scope: pledge.ScopeExam}
	plain := plEntry("C-1", plT0.Add(-time.Hour))
	plain.Matter = "M-PLAIN"
	for _, e := range []pledge.Entry{exam, plain} {
		if _, err := r.cat.AppendEntry(ctx, e, 0); err != nil {
			t.Fatal(err)
		}
	}
	bars := AllBars(r.bar, NewRegistry(r.st))
	withdraw := func(id, matter, subject string, at time.Time) error {
		rec := plRecord(id)
		rec.Applicant = subject
		rec.Entry = pledge.EntryKey{Region: "110000", Matter: matter, Certificate: "C-1"}
		if _, _, err := r.pl.CreatePledge(ctx, rec); err != nil {
			t.Fatal(err)
		}
		_, err := r.pl.Transition(ctx, id, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
			Event: pledge.Event{To: pledge.StatusWithdrawn, At: at, Actor: "applicant"}})
		return err
	}
	at := plT0.Add(90 * time.Minute).Add(300 * time.Millisecond)
	cases := []struct {
		name, id, matter, subject string
		wantBars                  int
	}{
		{"a matter that bars", "PL-W-1", "M-EXAM", "subj-w1", 1},
		{"a matter that does not", "PL-W-2", "M-PLAIN", "subj-w2", 0},
		{"a matter not in the catalogue", "PL-W-3", "M-NONE", "subj-w3", 0},
	}
	for _, c := range cases {
		if err := withdraw(c.id, c.matter, c.subject, at); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, err := bars.BarsFor(ctx, c.subject)
		if err != nil || len(got) != c.wantBars {
			t.Fatalf("%s: bars %+v (%v)", c.name, got, err)
		}
	}
	got, _ := bars.BarsFor(ctx, "subj-w1")
	b := got[0]
	start := at.Truncate(time.Second)
	if b.ID != "WPL-W-1" || b.Reason != pledge.BarWithdrawnExam || b.ScopeKind != pledge.ScopeExam || b.ScopeValue != "M-EXAM" ||
		!b.Start.Equal(start) || !b.End.Equal(start.AddDate(0, 0, 30)) || b.Source != WithdrawalBarSource {
		t.Fatalf("bar %+v", b)
	}
	if err := b.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		matter string
		at     time.Time
		want   bool
	}{
		{"M-EXAM", start, true},
		{"M-EXAM", start.AddDate(0, 0, 30).Add(-time.Second), true},
		{"M-EXAM", start.AddDate(0, 0, 30), false},
		{"M-PLAIN", start.Add(time.Hour), false},
	} {
		if got := b.ActiveAt(pledge.EntryKey{Region: "110000", Matter: c.matter}, c.at); got != c.want {
			t.Errorf("active for %s at %v: %v", c.matter, c.at, got)
		}
	}
	// the withdrawal and its bar are one script: a foreign value where the
	// bar goes refuses the withdrawal whole
	id := "PL-W-4"
	if err := r.st.rdb.Set(ctx, r.st.withdrawalBarKey(pledgeShard(id), "subj-w4"), "x", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := withdraw(id, "M-EXAM", "subj-w4", at); apperr.KindOf(err) != apperr.Internal {
		t.Fatalf("want an internal error, got %v", err)
	}
	if rec, err := r.pl.GetPledge(ctx, id); err != nil || rec.Status != pledge.StatusSigned {
		t.Fatalf("withdrawn without its bar: %s %v", rec.Status, err)
	}
}

func TestWithdrawalBarSingleNode(t *testing.T) { withdrawalSuite(t, plSingle) }

func TestWithdrawalBarCluster(t *testing.T) { withdrawalSuite(t, plCluster) }
