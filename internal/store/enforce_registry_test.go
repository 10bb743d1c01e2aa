package store

import (
	"context"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

func enfBar(subject, id string, start time.Time) *pledge.Bar {
	return &pledge.Bar{ID: id, Subject: subject, Reason: pledge.BarFalsePledge, ScopeKind: pledge.ScopeAll,
		Start: start, End: start.AddDate(5, 0, 0), Source: "pledgeseal-enforcement", DocumentNo: "京核〔2026〕1号",
		EndRule: pledge.Text{Zh: "至信用修复为止，最长5年", En: "until repaired, at most 5 years"}}
}

func consequence(sub status.Subject, eff time.Time, findingID, subject string) (registry.Change, registry.EnforcementWrite) {
	c := registry.Change{Action: "enforce.finding.false_confirmed", Actor: officer, To: status.False,
		From: []status.Code{status.Unknown, status.Active}, Reason: "FALSE_PLEDGE", DocumentNo: "京核〔2026〕1号",
		Effective: eff, Items: []status.Subject{sub}, Data: map[string]string{"finding": findingID}}
	w := registry.EnforcementWrite{FindingID: findingID, PledgeID: sub.ID, Finding: []byte(`{"id":"` + findingID + `"}`),
		Bar: enfBar(subject, "B"+findingID, eff)}
	return c, w
}

// enforcementSuite runs on one node and on the cluster: a consequence is
// one change (state, bar, finding, audit), a reversal lifts the bar by a
// new record, and a failure after validation writes nothing.
func enforcementSuite(t *testing.T, mk func(*testing.T) fixture) {
	ctx := context.Background()
	t.Run("consequence and reversal", func(t *testing.T) {
		f := mk(t)
		sub := status.Subject{Kind: status.KindPledge, ID: "PL-enf-1", Digest: digestOf("enf-1")}
		signedAt := t0
		f.clk.Advance(time.Hour)
		eff := f.clk.Now()
		c, w := consequence(sub, eff, "F001", "subj1")
		a, err := f.reg.ApplyEnforcement(ctx, c, w)
		if err != nil {
			t.Fatal(err)
		}
		ans, err := f.reg.Lookup(ctx, signedAt, []status.Subject{{Kind: status.KindPledge, ID: sub.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if got := ans.Results[0]; got.Now.Code != status.False || got.Now.Reason != "FALSE_PLEDGE" || got.At.Code != status.Unknown {
			t.Fatalf("after the consequence: now %+v at signing %+v", got.Now, got.At)
		}
		bars, err := f.reg.EnforcementBars(ctx, "subj1")
		if err != nil || len(bars) != 1 || bars[0].Repaired || !bars[0].ActiveAt(pledge.EntryKey{Region: "110105"}, eff.Add(time.Minute)) {
			t.Fatalf("bars %+v %v", bars, err)
		}
		if b, err := f.reg.GetFinding(ctx, "F001"); err != nil || string(b) != `{"id":"F001"}` {
			t.Fatalf("finding %q %v", b, err)
		}
		// the same consequence again: the state forbids it, nothing new is written
		c2, w2 := consequence(sub, eff.Add(time.Minute), "F002", "subj1")
		if _, err := f.reg.ApplyEnforcement(ctx, c2, w2); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("second consequence: %v", err)
		}
		if _, err := f.reg.GetFinding(ctx, "F002"); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("a refused change wrote its finding: %v", err)
		}
		f.clk.Advance(time.Hour)
		rev := registry.Change{Action: "enforce.reverse", Actor: officer, To: status.Active,
			From: []status.Code{status.False, status.NotFulfilled, status.Revoked}, Reason: "APPEAL_UPHELD",
			DocumentNo: "京复〔2026〕9号", Effective: f.clk.Now(), Items: []status.Subject{sub}}
		_, err = f.reg.ApplyEnforcement(ctx, rev, registry.EnforcementWrite{FindingID: "F003", PledgeID: sub.ID, Finding: []byte(`{}`),
			LiftSubject: "subj1", Lift: &registry.BarLift{BarID: "BF001", At: f.clk.Now(), Reason: "APPEAL_UPHELD"}})
		if err != nil {
			t.Fatal(err)
		}
		bars, err = f.reg.EnforcementBars(ctx, "subj1")
		if err != nil || len(bars) != 1 || !bars[0].Repaired || bars[0].ActiveAt(pledge.EntryKey{}, f.clk.Now()) {
			t.Fatalf("after reversal bars %+v %v", bars, err)
		}
		h, err := f.reg.History(ctx, sub)
		if err != nil || len(h) != 2 || h[0].Code != status.False || h[1].Code != status.Active {
			t.Fatalf("history %+v %v", h, err)
		}
		if ids, err := f.reg.FindingsOf(ctx, sub.ID); err != nil || len(ids) != 2 {
			t.Fatalf("findings %d %v", len(ids), err)
		}
		rep, err := f.reg.Store().VerifyAudit(ctx)
		if err != nil || !rep.Intact || rep.HeadSeq != a.Seq+1 {
			t.Fatalf("audit %+v %v", rep, err)
		}
		ix, err := f.reg.Store().VerifyIndex(ctx)
		if err != nil || !ix.Consistent {
			t.Fatalf("index %+v %v", ix, err)
		}
	})
	t.Run("audit-only draw", func(t *testing.T) {
		f := mk(t)
		c := registry.Change{Action: "enforce.draw", Actor: officer, Effective: f.clk.Now(), Data: map[string]string{"draw": "D1"}}
		if _, err := f.reg.ApplyEnforcement(ctx, c, registry.EnforcementWrite{DrawID: "D1", Draw: []byte(`{"id":"D1"}`)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.reg.ApplyEnforcement(ctx, c, registry.EnforcementWrite{DrawID: "D1", Draw: []byte(`{}`)}); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("a draw id was reused: %v", err)
		}
		ids, err := f.reg.DrawIDs(ctx, 10)
		if err != nil || len(ids) != 1 || ids[0] != "D1" {
			t.Fatalf("draws %v %v", ids, err)
		}
		ix, err := f.reg.Store().VerifyIndex(ctx)
		if err != nil || !ix.Consistent {
			t.Fatalf("index after an audit-only entry %+v %v", ix, err)
		}
	})
	t.Run("a failure after validation writes nothing", func(t *testing.T) {
		f := mk(t)
		sub := status.Subject{Kind: status.KindPledge, ID: "PL-enf-2"}
		// A foreign value where the bar goes: only the last op touches it,
		// after the state, the finding and the audit checks have passed.
		if err := f.reg.st.rdb.Set(ctx, f.reg.st.enfBarKey("subj2"), "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
		c, w := consequence(sub, f.clk.Now(), "F010", "subj2")
		if _, err := f.reg.ApplyEnforcement(ctx, c, w); apperr.KindOf(err) != apperr.Internal {
			t.Fatalf("want an internal error, got %v", err)
		}
		ans, err := f.reg.Lookup(ctx, f.clk.Now(), []status.Subject{sub})
		if err != nil || ans.Results[0].Now.Code != status.Unknown {
			t.Fatalf("state written: %+v %v", ans, err)
		}
		if _, err := f.reg.GetFinding(ctx, "F010"); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("finding written: %v", err)
		}
		if seq, err := f.reg.st.auditHead(ctx); err != nil || seq != 0 {
			t.Fatalf("audit head moved to %d (%v)", seq, err)
		}
	})
	t.Run("finding order is checked in the write script", func(t *testing.T) {
		f := mk(t)
		pl := "PL-enf-ord"
		finding := func(id, outcome string, after []string, latest string) error {
			c := registry.Change{Action: "enforce.finding." + outcome, Actor: officer, Effective: f.clk.Now(), Data: map[string]string{"finding": id}}
			_, err := f.reg.ApplyEnforcement(ctx, c, registry.EnforcementWrite{FindingID: id, PledgeID: pl,
				Finding: []byte(`{"id":"` + id + `","outcome":"` + outcome + `"}`),
				Order:   &registry.FindingOrder{After: after, Latest: latest, Outcome: outcome}})
			return err
		}
		cases := []struct {
			name, id, outcome string
			after             []string
			latest            string
			wantCode          apperr.Code
		}{
			{"first finding on none", "FO1", "VERIFIED_OK", []string{registry.NoFinding}, "", ""},
			// two officers both read "no finding yet": the second loses
			{"second on a stale none", "FO2", "RECTIFICATION_ORDERED", []string{registry.NoFinding}, "", "FINDING_ORDER"},
			{"follows the latest", "FO3", "RECTIFICATION_ORDERED", []string{registry.NoFinding, "VERIFIED_OK"}, "", ""},
			{"expects another latest", "FO4", "NOT_FULFILLED", []string{"RECTIFICATION_ORDERED"}, "FO1", "FINDING_ORDER"},
			{"expects this latest", "FO5", "NOT_FULFILLED", []string{"RECTIFICATION_ORDERED"}, "FO3", ""},
			{"nothing after a consequence", "FO6", "FULFILLED", []string{"RECTIFICATION_ORDERED"}, "", "FINDING_ORDER"},
		}
		for _, c := range cases {
			err := finding(c.id, c.outcome, c.after, c.latest)
			if c.wantCode == "" && err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if c.wantCode != "" {
				if e := apperr.As(err); e == nil || e.Kind != apperr.Conflict || e.Code != c.wantCode {
					t.Fatalf("%s: want %s, got %v", c.name, c.wantCode, err)
				}
				if _, err := f.reg.GetFinding(ctx, c.id); apperr.KindOf(err) != apperr.NotFound {
					t.Fatalf("%s: a refused finding was written (%v)", c.name, err)
				}
			}
		}
		if got, err := f.reg.st.rdb.HGetAll(ctx, f.reg.st.enfOrderKey(pl)).Result(); err != nil || got["last"] != "NOT_FULFILLED" || got["id"] != "FO5" {
			t.Fatalf("order record %v %v", got, err)
		}
		if seq, err := f.reg.st.auditHead(ctx); err != nil || seq != 3 {
			t.Fatalf("audit head %d (%v), want 3 entries", seq, err)
		}
		// A pledge whose findings predate the order record: the script
		// reads the latest finding's outcome from its body.
		if err := f.reg.st.rdb.Del(ctx, f.reg.st.enfOrderKey(pl)).Err(); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Second)
		if err := finding("FO7", "FULFILLED", []string{"RECTIFICATION_ORDERED"}, ""); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("legacy latest NOT_FULFILLED allowed FULFILLED: %v", err)
		}
		if err := finding("FO8", "APPEAL_REVERSED", []string{"NOT_FULFILLED"}, "FO5"); err != nil {
			t.Fatalf("legacy latest: %v", err)
		}
	})
	t.Run("a finding's state is changed only by its reversal (guard in the write script)", func(t *testing.T) {
		f := mk(t)
		sub := status.Subject{Kind: status.KindPledge, ID: "PL-enf-guard", Digest: digestOf("enf-guard")}
		f.clk.Advance(time.Hour)
		c, w := consequence(sub, f.clk.Now(), "FG1", "subjG")
		w.Order = &registry.FindingOrder{After: []string{registry.NoFinding}, Outcome: "FALSE_CONFIRMED"}
		if _, err := f.reg.ApplyEnforcement(ctx, c, w); err != nil {
			t.Fatal(err)
		}
		head, err := f.reg.st.auditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Minute)
		registryReversal := registry.Change{Action: "revocation.reverse", Actor: officer, To: status.Active,
			From: []status.Code{status.Revoked, status.False, status.NotFulfilled}, Reason: "CORRECTION", DocumentNo: "d",
			Effective: f.clk.Now(), Items: []status.Subject{{Kind: status.KindPledge, ID: sub.ID}}, Guards: []string{sub.ID}}
		_, err = f.reg.Apply(ctx, registryReversal)
		if e := apperr.As(err); e == nil || e.Kind != apperr.Conflict || e.Code != "FINDING_OWNED" {
			t.Fatalf("registry reversal of a finding's FALSE: %v", err)
		}
		if h, _ := f.reg.st.auditHead(ctx); h != head {
			t.Fatalf("a refused reversal moved the audit head %d → %d", head, h)
		}
		// The finding's reversal (which lifts the bar) moves the pledge on;
		// the guard then lets registry changes through again.
		rev := registry.Change{Action: "enforce.reverse", Actor: officer, To: status.Active,
			From: []status.Code{status.False}, Reason: "APPEAL_UPHELD", DocumentNo: "复〔2026〕1号", Effective: f.clk.Now(), Items: []status.Subject{sub}}
		if _, err := f.reg.ApplyEnforcement(ctx, rev, registry.EnforcementWrite{FindingID: "FG2", PledgeID: sub.ID, Finding: []byte(`{}`),
			LiftSubject: "subjG", Lift: &registry.BarLift{BarID: "BFG1", At: f.clk.Now(), Reason: "APPEAL_UPHELD"},
			Order: &registry.FindingOrder{After: []string{"FALSE_CONFIRMED"}, Latest: "FG1", Outcome: "APPEAL_REVERSED"}}); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Minute)
		revoke := registryReversal
		revoke.Action, revoke.To, revoke.From, revoke.Reason, revoke.Effective = "revocation.revoke", status.Revoked,
			[]status.Code{status.Unknown, status.Active}, "DECISION_REVOKED", f.clk.Now()
		if _, err := f.reg.Apply(ctx, revoke); err != nil {
			t.Fatalf("registry revocation after the finding's reversal: %v", err)
		}
		// A pledge whose findings predate the order record: the guard reads
		// the latest finding's outcome from its body.
		legacy := status.Subject{Kind: status.KindPledge, ID: "PL-enf-guard-legacy"}
		c, w = consequence(legacy, f.clk.Now(), "FG3", "subjL")
		w.Finding = []byte(`{"id":"FG3","outcome":"NOT_FULFILLED"}`)
		c.To = status.NotFulfilled
		if _, err := f.reg.ApplyEnforcement(ctx, c, w); err != nil {
			t.Fatal(err)
		}
		f.clk.Advance(time.Minute)
		lr := registryReversal
		lr.Items, lr.Guards, lr.Effective = []status.Subject{legacy}, []string{legacy.ID}, f.clk.Now()
		if _, err := f.reg.Apply(ctx, lr); apperr.As(err) == nil || apperr.As(err).Code != "FINDING_OWNED" {
			t.Fatalf("legacy finding: %v", err)
		}
		// Without the guard the same change passes (and would leave the bar
		// standing): the guard is what refuses it.
		lr.Guards = nil
		if _, err := f.reg.Apply(ctx, lr); err != nil {
			t.Fatalf("unguarded change: %v", err)
		}
	})
	t.Run("malformed writes are refused before Redis", func(t *testing.T) {
		f := mk(t)
		sub := status.Subject{Kind: status.KindPledge, ID: "PL-enf-3"}
		for name, mut := range map[string]func(*registry.EnforcementWrite){
			"no finding":    func(w *registry.EnforcementWrite) { w.FindingID = "" },
			"bad id":        func(w *registry.EnforcementWrite) { w.FindingID = "a:b" },
			"bar too long":  func(w *registry.EnforcementWrite) { w.Bar.End = w.Bar.Start.AddDate(6, 0, 0) },
			"lift no subj":  func(w *registry.EnforcementWrite) { w.Lift = &registry.BarLift{BarID: "B1"} },
			"bar bad scope": func(w *registry.EnforcementWrite) { w.Bar.ScopeKind = "GALAXY" },
			"order no prev": func(w *registry.EnforcementWrite) { w.Order = &registry.FindingOrder{Outcome: "FALSE_CONFIRMED"} },
			"order comma": func(w *registry.EnforcementWrite) {
				w.Order = &registry.FindingOrder{After: []string{"A,B"}, Outcome: "X"}
			},
		} {
			c, w := consequence(sub, f.clk.Now(), "F020", "subj3")
			mut(&w)
			if _, err := f.reg.ApplyEnforcement(ctx, c, w); apperr.KindOf(err) != apperr.Malformed {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
}

func TestEnforcementSingleNode(t *testing.T) { enforcementSuite(t, singleNode) }

func TestEnforcementCluster(t *testing.T) { enforcementSuite(t, cluster) }

// TestEnforcementKilledRedis kills Redis around consequences: each one is
// found whole (state, bar, finding, audit entry) or not at all.
func TestEnforcementKilledRedis(t *testing.T) {
	f, srv := private(t, 2*time.Second)
	ctx := context.Background()
	sub := func(i int) status.Subject {
		return status.Subject{Kind: status.KindPledge, ID: "PL-k-" + string(rune('a'+i))}
	}
	ids := []string{"K0", "K1", "K2", "K3"}
	acked := map[int]bool{}
	for i := range ids {
		if i == 2 {
			srv.Kill()
		}
		c, w := consequence(sub(i), f.clk.Now(), ids[i], "subjK"+ids[i])
		if _, err := f.reg.ApplyEnforcement(ctx, c, w); err == nil {
			acked[i] = true
		} else if apperr.KindOf(err) != apperr.Unavailable {
			t.Fatalf("%d: %v", i, err)
		}
		if i == 2 {
			srv.Restart(t)
		}
	}
	if !acked[0] || !acked[1] || acked[2] || !acked[3] {
		t.Fatalf("acknowledged %v", acked)
	}
	for i := range ids {
		ans, err := f.reg.Lookup(ctx, f.clk.Now(), []status.Subject{sub(i)})
		if err != nil {
			t.Fatal(err)
		}
		bars, err := f.reg.EnforcementBars(ctx, "subjK"+ids[i])
		if err != nil {
			t.Fatal(err)
		}
		_, ferr := f.reg.GetFinding(ctx, ids[i])
		whole := ans.Results[0].Now.Code == status.False && len(bars) == 1 && ferr == nil
		none := ans.Results[0].Now.Code == status.Unknown && len(bars) == 0 && apperr.KindOf(ferr) == apperr.NotFound
		if acked[i] && !whole || !acked[i] && !none {
			t.Fatalf("%d: state %s, %d bars, finding err %v (acked %v)", i, ans.Results[0].Now.Code, len(bars), ferr, acked[i])
		}
	}
	rep, err := f.reg.Store().VerifyAudit(ctx)
	if err != nil || !rep.Intact || rep.HeadSeq != 3 {
		t.Fatalf("audit %+v %v", rep, err)
	}
}
