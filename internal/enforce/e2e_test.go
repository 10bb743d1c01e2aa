package enforce_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// TestEndToEndFalsePledge runs the whole flow with the real pledge service
// and the real verifier over real Redis: a signed, accepted pledge gets a
// task, is drawn, is found false; its verification report then says
// TOTAL_FAILED / PLEDGE_FALSE while "valid at signing time" still passes,
// the applicant's next pledge is refused with the bar's reason, and an
// appeal reversal restores the pledge and lifts the bar.
func TestEndToEndFalsePledge(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t), Timeout: 2 * time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	env := verifytest.New(t, st, clk)
	// The domain's pledge service reads the bars enforcement writes.
	psvc, esvc := env.Service, env.Domain.Enforce
	officer := auth.Principal{Role: auth.RoleEnforcement, Org: "110100", TokenID: "tok-e1"}
	env.Ready(t)
	policy := verifytest.Entry(clk.Now()).PostCheck

	// decided pledge
	rec, _, err := psvc.SignWithEventCertificate(ctx, verifytest.Applicant, env.Request("idem-key-0001"))
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Hour)
	rec, err = psvc.Accept(ctx, pledge.Officer{Agency: verifytest.Agency, ID: "officer-7"}, rec.ID, "朝市监许〔2026〕42号", "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	pkg := env.Package(t, rec)
	if r := env.Verifier.Verify(ctx, pkg, verify.Public()); r.Indication != outcome.TotalPassed {
		t.Fatalf("before the finding: %s/%s", r.Indication, r.SubIndication)
	}
	// → task (60 working days from 2026-03-02)
	task, err := esvc.CreateTask(ctx, rec, policy)
	if err != nil || task.Due != "2026-05-25" || task.Status != enforce.TaskOpen {
		t.Fatalf("task %+v %v", task, err)
	}
	// → draw (the pledge among others; 100‰ with a floor of 3)
	// (the population is the service's decided pledges: here this one)
	draw, err := esvc.RunDraw(ctx, officer, enforce.DrawRequest{Region: "110105", Matter: verifytest.Key.Matter, Period: "2026-03",
		Tiers: map[string]string{rec.ID: "C"},
		Spec:  enforce.DrawSpec{RatioPermille: 100, TierWeights: enforce.DefaultTierWeights(), Floor: 3, Inspectors: []string{"INS-1", "INS-2", "INS-3"}, InspectorsPerPledge: 2}})
	if err != nil {
		t.Fatal(err)
	}
	var inspector string
	for _, s := range draw.Result.Selection {
		if s.PledgeID == rec.ID {
			inspector = s.Inspectors[0]
		}
	}
	if inspector == "" {
		t.Fatalf("the C-tier pledge was not drawn: %+v", draw.Result)
	}
	// → FALSE_CONFIRMED
	clk.Advance(72 * time.Hour)
	f, err := esvc.RecordFinding(ctx, officer, enforce.FindingRequest{PledgeID: rec.ID, Outcome: enforce.FalseConfirmed,
		DocumentNo: "朝市监核〔2026〕7号", Evidence: []string{strings.Repeat("ab", 32)}, Inspector: inspector})
	if err != nil {
		t.Fatal(err)
	}
	if task, err = esvc.CreateTask(ctx, rec, policy); err != nil || task.Status != enforce.TaskDone {
		t.Fatalf("task after the finding %+v %v", task, err)
	}
	// → the verifier: TOTAL_FAILED / PLEDGE_FALSE, valid at signing time untouched
	r := env.Verifier.Verify(ctx, pkg, verify.Public())
	if r.Indication != outcome.TotalFailed || r.SubIndication != outcome.PledgeFalse ||
		r.ValidAtSigning.Indication != outcome.TotalPassed || r.StatusNow.Indication != outcome.TotalFailed ||
		r.StatusNow.State != status.False {
		t.Fatalf("after the finding: %s/%s, at signing %s/%s, now %s/%s (state %s)", r.Indication, r.SubIndication,
			r.ValidAtSigning.Indication, r.ValidAtSigning.SubIndication, r.StatusNow.Indication, r.StatusNow.SubIndication, r.StatusNow.State)
	}
	// The state-now check follows the registry: never "accepted and in
	// force" beside a finding of falsity.
	if c, ok := r.Find(verify.CheckPledgeState); !ok || c.Result != outcome.Failed || c.SubIndication != outcome.PledgeFalse ||
		strings.Contains(c.Detail, "in force") {
		t.Fatalf("state-now check after the finding: %+v", c)
	}
	// → the public list of false pledges, masked
	list, err := esvc.FalsePledges(ctx, 10)
	if err != nil || len(list) != 1 || list[0].PledgeID != rec.ID || list[0].ApplicantName != "张*丰" ||
		list[0].ApplicantID != "1101**********1234" || !list[0].Expires.Equal(f.Effective.AddDate(5, 0, 0)) {
		t.Fatalf("public list %+v %v", list, err)
	}
	// → the applicant's next pledge is refused with the bar's reason
	_, _, err = psvc.SignWithEventCertificate(ctx, verifytest.Applicant, env.Request("idem-key-0002"))
	if e := apperr.As(err); e == nil || e.Kind != apperr.Forbidden || e.Code != "APPLICANT_BARRED" || !strings.Contains(e.Detail, pledge.BarFalsePledge) {
		t.Fatalf("next pledge: %v", err)
	}
	// → appeal reversal lifts the bar and restores the pledge
	clk.Advance(24 * time.Hour)
	if _, err := esvc.Reverse(ctx, officer, enforce.ReverseRequest{FindingID: f.ID, Reason: "APPEAL_UPHELD", DocumentNo: "朝复〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := psvc.SignWithEventCertificate(ctx, verifytest.Applicant, env.Request("idem-key-0003")); err != nil {
		t.Fatalf("after the appeal: %v", err)
	}
	if r := env.Verifier.Verify(ctx, pkg, verify.Public()); r.Indication != outcome.TotalPassed || r.StatusNow.State != status.Active {
		t.Fatalf("after the appeal: %s/%s (%s)", r.Indication, r.SubIndication, r.StatusNow.State)
	}
	if list, err := esvc.FalsePledges(ctx, 10); err != nil || len(list) != 0 {
		t.Fatalf("a reversed finding is still listed: %+v %v", list, err)
	}
	// → the draw still recomputes to the same selection
	if _, same, err := esvc.Rerun(ctx, draw.ID); err != nil || !same {
		t.Fatalf("rerun same=%v %v", same, err)
	}
}
