package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

func TestTransLogKindsSingleNode(t *testing.T) { transLogKinds(t, plSingle) }
func TestTransLogKindsCluster(t *testing.T)    { transLogKinds(t, plCluster) }

// transLogKinds checks that catalogue entries, notice publications and
// pledge workflow transitions each leave exactly one log entry, written by
// the script that made the change (no entry for a refused change), and that
// entries carry no personal data.
func transLogKinds(t *testing.T, mk func(*testing.T) plRepos) {
	ctx := context.Background()
	r := mk(t)
	r.st.prefix = "tlk" + strings.ReplaceAll(t.Name(), "/", "") + ":" + r.st.prefix
	if _, err := r.cat.AppendEntry(ctx, plEntry("C-1", plT0), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := r.cat.AppendEntry(ctx, plEntry("C-1", plT0), 0); err == nil {
		t.Fatal("a stale append was accepted")
	}
	n := pledge.Notice{Format: pledge.NoticeFormat, ID: "N-1", Version: 1, Agency: "AG-1", Liability: pledge.Text{Zh: "x"}}
	c, err := n.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.not.PutNotice(ctx, pledge.PublishedNotice{Notice: n, Canonical: c, Seal: []byte("seal")}); err != nil {
		t.Fatal(err)
	}
	rec := plRecord("P-LOG-1")
	rec.Entry = pledge.EntryKey{Region: "110000", Matter: "M-1", Certificate: "C-1"}
	if _, _, err := r.pl.CreatePledge(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := r.pl.Transition(ctx, rec.ID, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
		Event: pledge.Event{To: pledge.StatusWithdrawn, At: plT0.Add(time.Hour), Actor: "applicant"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.pl.Transition(ctx, rec.ID, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
		Event: pledge.Event{To: pledge.StatusAccepted, At: plT0.Add(2 * time.Hour), Actor: "x"}}); err == nil {
		t.Fatal("a transition from the wrong status was accepted")
	}
	if err := r.bar.PutBar(ctx, pledge.Bar{ID: "B-LOG", Subject: "subject-index", Reason: pledge.BarFalsePledge, ScopeKind: pledge.ScopeAll,
		Start: plT0, End: plT0.AddDate(3, 0, 0), EndRule: pledge.Text{Zh: "三年"}, Source: "x"}); err != nil {
		t.Fatal(err)
	}
	l := NewTransLog(r.st)
	if err := l.IntegrateAll(ctx); err != nil {
		t.Fatal(err)
	}
	size, err := l.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if size != 5 {
		t.Fatalf("log has %d entries, want 5 (catalogue entry, notice, pledge signed, pledge withdrawn, bar)", size)
	}
	ents, err := l.Entries(ctx, 0, size)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, raw := range ents {
		if strings.Contains(string(raw), plName) || strings.Contains(string(raw), plID) || strings.Contains(string(raw), "subject-index") {
			t.Fatalf("a log entry carries personal data: %s", raw)
		}
		e, err := translog.ParseEntry(raw)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Action string }
		if err := json.Unmarshal(e.Body, &body); err != nil {
			t.Fatal(err)
		}
		actions[body.Action] = true
	}
	for _, a := range []string{"catalogue.entry", "notice.published", "pledge.signed", "pledge.withdrawn", "bar.put"} {
		if !actions[a] {
			t.Errorf("no %s entry in %v", a, actions)
		}
	}
	// The pledge's last logged state is the record's.
	var last LoggedPledge
	for _, raw := range ents {
		e, _ := translog.ParseEntry(raw)
		if id, lp, ok := PledgeFromLogBody(e.Body); ok && id == rec.ID {
			last = lp
		}
	}
	states, err := r.st.PledgeStates(ctx, []string{rec.ID})
	if err != nil || !states[0].Found || states[0].Status != last.Status || states[0].Rev != "2" || last.Rev != 2 {
		t.Fatalf("record %+v, last logged %+v: %v", states, last, err)
	}
}
