package pledge_test

import (
	"context"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func TestEntryValidation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*pledge.Entry)
		code   apperr.Code
	}{
		{"ok", func(*pledge.Entry) {}, ""},
		{"400/bad matter code", func(e *pledge.Entry) { e.Matter = "M 1" }, "FIELD_INVALID"},
		{"400/no legal basis", func(e *pledge.Entry) { e.LegalBasis = nil }, "LEGAL_BASIS_REQUIRED"},
		{"400/no modes", func(e *pledge.Entry) { e.Modes = nil }, "MODES_REQUIRED"},
		{"400/unknown mode", func(e *pledge.Entry) { e.Modes = append(e.Modes, "BRIBE") }, "MODE_UNKNOWN"},
		{"400/repeated mode", func(e *pledge.Entry) { e.Modes = append(e.Modes, pledge.ModeDataSharing) }, "MODE_REPEATED"},
		{"400/eligible without pledge mode", func(e *pledge.Entry) { e.Modes = []pledge.Mode{pledge.ModeDataSharing} }, "PLEDGE_MODE_MISSING"},
		{"400/excluded with pledge mode", func(e *pledge.Entry) { e.PledgeEligible = false; e.Exclusion = pledge.ExclusionPublicSafety }, "PLEDGE_MODE_CONFLICT"},
		{"400/excluded without reason", func(e *pledge.Entry) {
			e.PledgeEligible = false
			e.Modes = []pledge.Mode{pledge.ModeDataSharing}
		}, "EXCLUSION_REQUIRED"},
		{"ok/excluded with reason", func(e *pledge.Entry) {
			e.PledgeEligible = false
			e.Modes = []pledge.Mode{pledge.ModeDataSharing}
			e.Exclusion = pledge.ExclusionHealthAndLife
		}, ""},
		{"400/no post-check", func(e *pledge.Entry) { e.PostCheck = pledge.PostCheckPolicy{} }, "POSTCHECK_INVALID"},
		{"ok/exempt", func(e *pledge.Entry) {
			e.PostCheck = pledge.PostCheckPolicy{Exempt: true, ExemptReason: pledge.Text{Zh: "数据共享即时核验"}}
		}, ""},
		{"400/sampling above 100%", func(e *pledge.Entry) { e.PostCheck.SamplingPermille = 1001 }, "POSTCHECK_INVALID"},
		{"400/disclosure over five years", func(e *pledge.Entry) { e.Disclosure.Days = 6 * 365 }, "DISCLOSURE_INVALID"},
		{"ok/withdrawal bar for an exam", func(e *pledge.Entry) { e.Withdrawal = pledge.WithdrawalPolicy{BarDays: 365, Scope: pledge.ScopeExam} }, ""},
		{"400/withdrawal bar over five years", func(e *pledge.Entry) { e.Withdrawal.BarDays = pledge.MaxWithdrawalBarDays + 1 }, "WITHDRAWAL_INVALID"},
		{"400/withdrawal bar scope ALL", func(e *pledge.Entry) { e.Withdrawal = pledge.WithdrawalPolicy{BarDays: 30, Scope: pledge.ScopeAll} }, "WITHDRAWAL_INVALID"},
		{"400/withdrawal scope without days", func(e *pledge.Entry) { e.Withdrawal.Scope = pledge.ScopeMatter }, "WITHDRAWAL_INVALID"},
		{"400/cancelled with other modes", func(e *pledge.Entry) {
			e.Modes = []pledge.Mode{pledge.ModeCancelled, pledge.ModeWrittenPledge}
		}, "MODE_CANCELLED_ALONE"},
		{"400/control character", func(e *pledge.Entry) { e.MatterName.Zh = "a\x00b" }, "FIELD_INVALID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := sampleEntry()
			tc.mutate(&e)
			err := e.Validate()
			if tc.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantErr(t, err, apperr.Malformed, tc.code)
		})
	}
}

func TestCatalogueVersionsAndQuery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ed := pledge.Editor{Agency: agency, Actor: "officer-1"}

	// Nothing recorded: the public answer is "may not be demanded".
	ans, err := e.catalogue.ForMatter(ctx, entryKey.Region, entryKey.Matter, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Message == nil || ans.Message.Zh != "不在清单内，不得索要" || len(ans.Demands) != 0 {
		t.Fatalf("empty matter answered %+v", ans)
	}

	v1, err := e.catalogue.Record(ctx, ed, sampleEntry(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.RecordedBy != "officer-1" {
		t.Fatalf("v1 = %+v", v1)
	}
	// A second writer with a stale view conflicts.
	_, err = e.catalogue.Record(ctx, ed, sampleEntry(), 0)
	wantErr(t, err, apperr.Conflict, "VERSION_CONFLICT")
	// Another agency may not touch it.
	other := sampleEntry()
	other.Owner = "AG-OTHER"
	_, err = e.catalogue.Record(ctx, ed, other, 1)
	wantErr(t, err, apperr.Forbidden, "OUT_OF_SCOPE")
	_, err = e.catalogue.Record(ctx, pledge.Editor{Agency: "AG-OTHER"}, sampleEntry(), 1)
	wantErr(t, err, apperr.Forbidden, "OUT_OF_SCOPE")
	// Issue 12: an agency adds entries only in its own region and under
	// matters it owns (a new certificate under another agency's matter, a
	// new entry in another region, or by an agency without a region).
	for name, c := range map[string]struct {
		agency string
		mut    func(*pledge.Entry)
	}{
		"another agency's matter":  {"110000-GAJ", func(x *pledge.Entry) { x.Certificate = "C-GRAFTED" }},
		"another region":           {agency, func(x *pledge.Entry) { x.Region, x.Matter = "310000", "M-SH-1" }},
		"a district of its region": {agency, func(x *pledge.Entry) { x.Region, x.Matter = "110105", "M-CY-1" }},
		"an agency without region": {"AG-NOREGION", func(x *pledge.Entry) { x.Matter = "M-NEW-1" }},
	} {
		x := sampleEntry()
		x.Owner = c.agency
		c.mut(&x)
		_, err = e.catalogue.Record(ctx, pledge.Editor{Agency: c.agency}, x, 0)
		if apperr.As(err) == nil || apperr.As(err).Kind != apperr.Forbidden || apperr.As(err).Code != "OUT_OF_SCOPE" {
			t.Fatalf("%s: %v", name, err)
		}
		if vs, _ := e.catalogue.Versions(ctx, x.EntryKey); len(vs) != 0 {
			t.Fatalf("%s: recorded %+v", name, vs)
		}
	}
	// A new matter of its own region is the agency's; an admin may record anywhere.
	own := sampleEntry()
	own.Matter = "M-OWN-NEW"
	if _, err := e.catalogue.Record(ctx, ed, own, 0); err != nil {
		t.Fatalf("own new matter: %v", err)
	}
	anywhere := sampleEntry()
	anywhere.Region, anywhere.Matter, anywhere.Owner = "310000", "M-SH-ADMIN", "310000-SCJGJ"
	if _, err := e.catalogue.Record(ctx, pledge.Editor{Admin: true, Actor: "admin"}, anywhere, 0); err != nil {
		t.Fatalf("admin: %v", err)
	}
	// An entry an admin recorded for the agency in another region does not
	// let the agency publish a notice there.
	away := sampleEntry()
	away.Region, away.Matter = "310000", "M-SH-AWAY"
	if _, err := e.catalogue.Record(ctx, pledge.Editor{Admin: true, Actor: "admin"}, away, 0); err != nil {
		t.Fatal(err)
	}
	n := sampleNotice()
	n.ID, n.Entry = "N-AWAY", away.EntryKey
	_, err = e.notices.Publish(ctx, agency, n)
	wantErr(t, err, apperr.Forbidden, "OUT_OF_SCOPE")
	// No back-dating.
	past := sampleEntry()
	past.EffectiveFrom = t0.Add(-time.Hour)
	_, err = e.catalogue.Record(ctx, ed, past, 1)
	wantErr(t, err, apperr.Malformed, "EFFECTIVE_IN_PAST")

	// Version 2 from t0+30d: data sharing preferred; version 3 from t0+60d retires it.
	v2e := sampleEntry()
	v2e.EffectiveFrom = t0.AddDate(0, 0, 30)
	v2e.Modes = []pledge.Mode{pledge.ModeDataSharing, pledge.ModeWrittenPledge}
	if _, err := e.catalogue.Record(ctx, ed, v2e, 1); err != nil {
		t.Fatal(err)
	}
	v3e := sampleEntry()
	v3e.EffectiveFrom = t0.AddDate(0, 0, 60)
	v3e.Retired = true
	if _, err := e.catalogue.Record(ctx, pledge.Editor{Admin: true, Actor: "admin"}, v3e, 2); err != nil {
		t.Fatal(err)
	}
	// A second certificate of the same matter, excluded from pledging.
	health := sampleEntry()
	health.Certificate = "C-HEALTH"
	health.Modes = []pledge.Mode{pledge.ModeIDOrVoucher}
	health.PledgeEligible = false
	health.Exclusion = pledge.ExclusionHealthAndLife
	health.PostCheck = pledge.PostCheckPolicy{}
	if _, err := e.catalogue.Record(ctx, ed, health, 0); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		at    time.Time
		certs map[string][]pledge.Mode
	}{
		{"before anything", t0.Add(-time.Hour), nil},
		{"v1 in force", t0.Add(time.Hour), map[string][]pledge.Mode{
			"C-HEALTH": {pledge.ModeIDOrVoucher}, "C-NO-CRIME": {pledge.ModeWrittenPledge, pledge.ModeDataSharing}}},
		{"v2 in force", t0.AddDate(0, 0, 45), map[string][]pledge.Mode{
			"C-HEALTH": {pledge.ModeIDOrVoucher}, "C-NO-CRIME": {pledge.ModeDataSharing, pledge.ModeWrittenPledge}}},
		{"retired", t0.AddDate(0, 0, 61), map[string][]pledge.Mode{"C-HEALTH": {pledge.ModeIDOrVoucher}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ans, err := e.catalogue.ForMatter(ctx, entryKey.Region, entryKey.Matter, tc.at)
			if err != nil {
				t.Fatal(err)
			}
			if len(ans.Demands) != len(tc.certs) {
				t.Fatalf("%d demands, want %d: %+v", len(ans.Demands), len(tc.certs), ans.Demands)
			}
			if len(tc.certs) == 0 && ans.Message == nil {
				t.Fatal("no 'not in the catalogue' message")
			}
			for _, d := range ans.Demands {
				want := tc.certs[d.Entry.Certificate]
				if len(want) == 0 || len(d.Modes) != len(want) {
					t.Fatalf("%s: modes %v want %v", d.Entry.Certificate, d.Modes, want)
				}
				for i := range want {
					if d.Modes[i] != want[i] {
						t.Fatalf("%s: modes %v want %v", d.Entry.Certificate, d.Modes, want)
					}
				}
			}
		})
	}

	if vs, err := e.catalogue.Versions(ctx, entryKey); err != nil || len(vs) != 3 || !vs[2].Retired {
		t.Fatalf("history: %v %d", err, len(vs))
	}
	_, err = e.catalogue.Versions(ctx, pledge.EntryKey{Region: "110000", Matter: "M 1", Certificate: "C"})
	wantErr(t, err, apperr.Malformed, "FIELD_INVALID")

	// Pledgeability.
	_, err = e.catalogue.PledgeableAt(ctx, pledge.EntryKey{Region: "110000", Matter: "M-0001", Certificate: "C-HEALTH"}, t0.Add(time.Hour))
	wantErr(t, err, apperr.Conflict, "NOT_PLEDGE_ELIGIBLE")
	_, err = e.catalogue.PledgeableAt(ctx, entryKey, t0.AddDate(0, 0, 61))
	wantErr(t, err, apperr.Conflict, "MATTER_NOT_IN_FORCE")
	_, err = e.catalogue.EntryAt(ctx, pledge.EntryKey{Region: "110000", Matter: "M-0001", Certificate: "C-ANYTHING"}, t0)
	wantErr(t, err, apperr.NotFound, "NOT_IN_CATALOGUE")
}
