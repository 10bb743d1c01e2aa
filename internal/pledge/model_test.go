package pledge_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func TestBarActiveAt(t *testing.T) {
	key := pledge.EntryKey{Region: "110000", Matter: "M-0001", Certificate: "C-1"}
	base := pledge.Bar{ID: "B", Subject: "s", Reason: pledge.BarFalsePledge, ScopeKind: pledge.ScopeAll,
		Start: t0, End: t0.AddDate(3, 0, 0), EndRule: pledge.Text{Zh: "三年"}, Source: "x"}
	tests := []struct {
		name   string
		mutate func(*pledge.Bar)
		at     time.Time
		want   bool
	}{
		{"all scope, inside", func(*pledge.Bar) {}, t0.AddDate(1, 0, 0), true},
		{"before start", func(*pledge.Bar) {}, t0.Add(-time.Second), false},
		{"at end", func(*pledge.Bar) {}, t0.AddDate(3, 0, 0), false},
		{"repaired before", func(b *pledge.Bar) { b.Repaired, b.RepairedAt = true, t0.AddDate(0, 6, 0) }, t0.AddDate(1, 0, 0), false},
		{"repaired later", func(b *pledge.Bar) { b.Repaired, b.RepairedAt = true, t0.AddDate(2, 0, 0) }, t0.AddDate(1, 0, 0), true},
		{"same region", func(b *pledge.Bar) { b.ScopeKind, b.ScopeValue = pledge.ScopeRegion, "110000" }, t0.Add(time.Hour), true},
		{"other region", func(b *pledge.Bar) { b.ScopeKind, b.ScopeValue = pledge.ScopeRegion, "310000" }, t0.Add(time.Hour), false},
		{"same matter", func(b *pledge.Bar) { b.ScopeKind, b.ScopeValue = pledge.ScopeMatter, "M-0001" }, t0.Add(time.Hour), true},
		{"other exam", func(b *pledge.Bar) { b.ScopeKind, b.ScopeValue = pledge.ScopeExam, "EXAM-2025" }, t0.Add(time.Hour), false},
		{"unknown scope fails closed", func(b *pledge.Bar) { b.ScopeKind = "PLANET" }, t0.Add(time.Hour), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := base
			tc.mutate(&b)
			if got := b.ActiveAt(key, tc.at); got != tc.want {
				t.Fatalf("ActiveAt = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestStatusModel(t *testing.T) {
	if got := pledge.Sources(pledge.StatusWithdrawn); !slices.Equal(got, []pledge.Status{pledge.StatusSigned}) {
		t.Fatalf("withdrawable from %v", got)
	}
	for _, to := range []pledge.Status{pledge.StatusFalse, pledge.StatusNotFulfilled, pledge.StatusRevoked} {
		if pledge.CanMove(pledge.StatusSigned, to) || pledge.CanMove(pledge.StatusWithdrawn, to) {
			t.Fatalf("enforcement move to %s allowed before a decision", to)
		}
	}
	if pledge.CanMove(pledge.StatusWithdrawn, pledge.StatusSigned) || pledge.CanMove(pledge.StatusReturned, pledge.StatusAccepted) {
		t.Fatal("a closed pledge reopened")
	}
}

func TestNoticeValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*pledge.Notice)
		code   apperr.Code
	}{
		{"ok", func(*pledge.Notice) {}, ""},
		{"400/no liability", func(n *pledge.Notice) { n.Liability = pledge.Text{} }, "FIELD_REQUIRED"},
		{"400/english only", func(n *pledge.Notice) { n.Withdrawal = pledge.Text{En: "You may withdraw"} }, "FIELD_REQUIRED"},
		{"400/no conditions", func(n *pledge.Notice) { n.Conditions = nil }, "FIELD_REQUIRED"},
		{"400/no complaint channel", func(n *pledge.Notice) { n.Contacts = n.Contacts[:1] }, "CONTACTS_REQUIRED"},
		{"400/unknown contact kind", func(n *pledge.Notice) { n.Contacts[0].Kind = "FAX" }, "FIELD_INVALID"},
		{"400/published without scope", func(n *pledge.Notice) { n.Publication.Scope = pledge.Text{} }, "FIELD_REQUIRED"},
		{"ok/not published", func(n *pledge.Notice) { n.Publication = pledge.Publication{} }, ""},
		{"400/bad id", func(n *pledge.Notice) { n.ID = "N/1" }, "FIELD_INVALID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := sampleNotice()
			tc.mutate(&n)
			err := n.Validate()
			if tc.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, apperr.Malformed, tc.code)
		})
	}
}

// TestExpiredSeal: a seal past its validity window may not counter-seal,
// and an agency without a seal is refused too.
func TestExpiredSeal(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	r, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("exp-00001"))
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Set(e.seal.Info.Property.ValidEnd.Add(time.Hour))
	_, err = e.svc.Accept(ctx, pledge.Officer{Agency: agency, ID: "o"}, r.ID, "D-1", pledge.CivilDate(e.clk.Now()))
	wantErr(t, err, apperr.Conflict, "")
	if got, _ := e.svc.Get(ctx, applicant, r.ID); got.Status != pledge.StatusSigned {
		t.Fatalf("status after a refused acceptance: %s", got.Status)
	}
	// An agency with a catalogue entry but no seal cannot publish.
	ne := sampleEntry()
	ne.Owner, ne.Matter, ne.EffectiveFrom = "110000-NOSEAL", "M-NOSEAL", e.clk.Now()
	if _, err := e.catalogue.Record(ctx, pledge.Editor{Agency: "110000-NOSEAL"}, ne, 0); err != nil {
		t.Fatal(err)
	}
	n := sampleNotice()
	n.ID, n.Agency, n.Entry = "N-NOSEAL", "110000-NOSEAL", ne.EntryKey
	_, err = e.notices.Publish(ctx, "110000-NOSEAL", n)
	wantErr(t, err, apperr.Conflict, "NO_ACTIVE_SEAL")
	if _, err := e.notices.Get(ctx, "N-NOSEAL", 0); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("an unsealed notice was stored: %v", err)
	}
}
