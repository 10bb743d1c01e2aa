package enforce

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

var t0 = time.Date(2026, 4, 1, 2, 0, 0, 0, time.UTC)

type env struct {
	svc   *Service
	clk   *clock.Fake
	reg   *store.Registry
	pl    *store.PledgeRepo
	bars  store.CombinedBars
	store *store.Store
}

func newEnv(t *testing.T, opts store.Options) env {
	t.Helper()
	clk := clock.NewFake(t0)
	opts.Prefix = testredis.Prefix(t)
	st, err := store.New(opts, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	enc, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	prot, err := pii.New(enc, bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	reg := store.NewRegistry(st)
	pl := store.NewPledgeRepo(st, prot)
	svc, err := New(Deps{Registry: reg, Pledges: pl, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return env{svc: svc, clk: clk, reg: reg, pl: pl, store: st,
		bars: store.CombinedBars{Base: store.NewBarRepo(st), Registry: reg}}
}

func single(t *testing.T) env { return newEnv(t, store.Options{Addrs: []string{testredis.Addr(t)}}) }

func clustered(t *testing.T) env {
	return newEnv(t, store.Options{Addrs: testredis.ClusterAddrs(t), Cluster: true})
}

// decided stores an accepted and decided pledge of applicant subject.
func (e env) decided(t *testing.T, id, subject, region string) pledge.Record {
	t.Helper()
	rec := pledge.Record{ID: id, Status: pledge.StatusAccepted, Document: []byte(`{"pledge":"` + id + `"}`),
		Digest: sm3.Sum([]byte(id)), Applicant: subject, Agency: "AG-110105-01",
		Entry: pledge.EntryKey{Region: region, Matter: "M-LICENCE-01", Certificate: "C-NO-RECORD"}, Way: pledge.WayEventCertificate,
		CreatedAt: e.clk.Now(), Events: []pledge.Event{{To: pledge.StatusSigned, At: e.clk.Now(), Actor: "applicant"},
			{To: pledge.StatusAccepted, At: e.clk.Now(), Actor: "agency"}},
		Decision: &pledge.Decision{DocumentNo: "京许〔2026〕1号", Date: "2026-04-01", Officer: "o1", DecidedAt: e.clk.Now()}}
	if _, _, err := e.pl.CreatePledge(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

var (
	officer   = auth.Principal{Role: auth.RoleEnforcement, Org: "110100", TokenID: "tok-e1"}
	outsider  = auth.Principal{Role: auth.RoleEnforcement, Org: "310000", TokenID: "tok-e2"}
	agency    = auth.Principal{Role: auth.RoleAgency, Org: "AG-110105-01", TokenID: "tok-a1"}
	otherAg   = auth.Principal{Role: auth.RoleAgency, Org: "AG-OTHER", TokenID: "tok-a2"}
	evidence1 = strings.Repeat("ab", 32)
)

func suite(t *testing.T, mk func(*testing.T) env) {
	ctx := context.Background()
	t.Run("false pledge: revoked, barred, reversed", func(t *testing.T) {
		e := mk(t)
		rec := e.decided(t, "PL-E2E-1", "subjA", "110105")
		signedAt := e.clk.Now()
		e.clk.Advance(48 * time.Hour)
		f, err := e.svc.RecordFinding(ctx, officer, FindingRequest{PledgeID: rec.ID, Outcome: FalseConfirmed,
			DocumentNo: "京核〔2026〕7号", Evidence: []string{evidence1}, Inspector: "INS-1"})
		if err != nil {
			t.Fatal(err)
		}
		if f.State != status.False || f.BarID == "" || f.Seq == 0 {
			t.Fatalf("finding %+v", f)
		}
		// The verifier's status source: FALSE now, untouched at signing time.
		ans, err := e.reg.Lookup(ctx, signedAt, []status.Subject{{Kind: status.KindPledge, ID: rec.ID}})
		if err != nil {
			t.Fatal(err)
		}
		r := ans.Results[0]
		if r.Now.Code != status.False || r.Now.Reason != "FALSE_PLEDGE" || r.Now.DocumentNo != "京核〔2026〕7号" || r.At.Code != status.Unknown {
			t.Fatalf("status now %+v, at signing %+v", r.Now, r.At)
		}
		// By digest too (the package carries the document digest).
		ans, err = e.reg.Lookup(ctx, signedAt, []status.Subject{{Kind: status.KindPledge, Digest: rec.Digest}})
		if err != nil || ans.Results[0].Now.Code != status.False {
			t.Fatalf("by digest %+v %v", ans, err)
		}
		// The bar the pledge service reads.
		bars, err := e.bars.BarsFor(ctx, "subjA")
		if err != nil || len(bars) != 1 {
			t.Fatalf("bars %+v %v", bars, err)
		}
		b := bars[0]
		if b.Reason != pledge.BarFalsePledge || b.ScopeKind != pledge.ScopeAll || !b.End.Equal(b.Start.AddDate(5, 0, 0)) ||
			!b.ActiveAt(pledge.EntryKey{Region: "440300", Matter: "ANY"}, e.clk.Now().Add(time.Hour)) {
			t.Fatalf("bar %+v", b)
		}
		if err := b.Validate(); err != nil {
			t.Fatal(err)
		}
		// A second consequence is refused; so is a finding after it.
		if _, err := e.svc.RecordFinding(ctx, officer, FindingRequest{PledgeID: rec.ID, Outcome: VerifiedOK,
			DocumentNo: "京核〔2026〕8号", Inspector: "INS-1"}); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("finding after a consequence: %v", err)
		}
		// Appeal.
		e.clk.Advance(24 * time.Hour)
		if _, err := e.svc.Reverse(ctx, outsider, ReverseRequest{FindingID: f.ID, Reason: "APPEAL_UPHELD", DocumentNo: "京复〔2026〕3号"}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("reversal outside the jurisdiction: %v", err)
		}
		rv, err := e.svc.Reverse(ctx, officer, ReverseRequest{FindingID: f.ID, Reason: "APPEAL_UPHELD", DocumentNo: "京复〔2026〕3号"})
		if err != nil {
			t.Fatal(err)
		}
		if rv.Outcome != AppealReversed || rv.Reverses != f.ID || rv.BarID != f.BarID {
			t.Fatalf("reversal %+v", rv)
		}
		ans, err = e.reg.Lookup(ctx, signedAt, []status.Subject{{Kind: status.KindPledge, ID: rec.ID}})
		if err != nil || ans.Results[0].Now.Code != status.Active || ans.Results[0].Now.Reason != "APPEAL_UPHELD" {
			t.Fatalf("after appeal %+v %v", ans, err)
		}
		bars, err = e.bars.BarsFor(ctx, "subjA")
		if err != nil || len(bars) != 1 || bars[0].ActiveAt(pledge.EntryKey{}, e.clk.Now()) {
			t.Fatalf("bar not lifted: %+v %v", bars, err)
		}
		fs, err := e.svc.FindingsFor(ctx, agency, rec.ID)
		if err != nil || len(fs) != 2 || fs[0].Outcome != FalseConfirmed || fs[1].Outcome != AppealReversed {
			t.Fatalf("findings %+v %v", fs, err)
		}
		if _, err := e.svc.FindingsFor(ctx, otherAg, rec.ID); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("another agency read findings: %v", err)
		}
		if _, err := e.svc.FindingsFor(ctx, auth.Public(), rec.ID); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("the public read findings: %v", err)
		}
		rep, err := e.store.VerifyAudit(ctx)
		if err != nil || !rep.Intact || rep.HeadSeq != 2 {
			t.Fatalf("audit %+v %v", rep, err)
		}
	})
	t.Run("rectification then not fulfilled", func(t *testing.T) {
		e := mk(t)
		rec := e.decided(t, "PL-E2E-2", "subjB", "110105")
		req := FindingRequest{PledgeID: rec.ID, Outcome: RectificationOrdered, DocumentNo: "京责改〔2026〕2号",
			Inspector: "INS-2", Deadline: "2026-04-10"}
		if _, err := e.svc.RecordFinding(ctx, officer, req); err != nil {
			t.Fatal(err)
		}
		nf := FindingRequest{PledgeID: rec.ID, Outcome: NotFulfilled, DocumentNo: "京核〔2026〕9号",
			Evidence: []string{evidence1}, Inspector: "INS-2"}
		if _, err := e.svc.RecordFinding(ctx, officer, nf); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("not fulfilled before the deadline: %v", err)
		}
		e.clk.Set(time.Date(2026, 4, 11, 1, 0, 0, 0, time.UTC))
		f, err := e.svc.RecordFinding(ctx, officer, nf)
		if err != nil {
			t.Fatal(err)
		}
		ans, err := e.reg.Lookup(ctx, e.clk.Now(), []status.Subject{{Kind: status.KindPledge, ID: rec.ID}})
		if err != nil || ans.Results[0].Now.Code != status.NotFulfilled {
			t.Fatalf("%+v %v", ans, err)
		}
		bars, err := e.bars.BarsFor(ctx, "subjB")
		if err != nil || len(bars) != 1 || bars[0].Reason != pledge.BarUnfulfilledPledge || bars[0].ID != f.BarID {
			t.Fatalf("bars %+v %v", bars, err)
		}
	})
	t.Run("authorization and validation", func(t *testing.T) {
		e := mk(t)
		rec := e.decided(t, "PL-E2E-3", "subjC", "110105")
		good := FindingRequest{PledgeID: rec.ID, Outcome: FalseConfirmed, DocumentNo: "京核〔2026〕1号",
			Evidence: []string{evidence1}, Inspector: "INS-1"}
		cases := []struct {
			name string
			p    auth.Principal
			mut  func(*FindingRequest)
			want apperr.Kind
		}{
			{"403/outside jurisdiction", outsider, nil, apperr.Forbidden},
			{"403/agency", agency, nil, apperr.Forbidden},
			{"403/admin", auth.Principal{Role: auth.RoleAdmin, TokenID: "x"}, nil, apperr.Forbidden},
			{"400/no document number", officer, func(r *FindingRequest) { r.DocumentNo = "" }, apperr.Malformed},
			{"400/no evidence", officer, func(r *FindingRequest) { r.Evidence = nil }, apperr.Malformed},
			{"400/bad evidence", officer, func(r *FindingRequest) { r.Evidence = []string{"zz"} }, apperr.Malformed},
			{"400/unknown outcome", officer, func(r *FindingRequest) { r.Outcome = "MAYBE" }, apperr.Malformed},
			{"400/deadline on false", officer, func(r *FindingRequest) { r.Deadline = "2026-05-01" }, apperr.Malformed},
			{"409/fulfilled first", officer, func(r *FindingRequest) { r.Outcome = Fulfilled }, apperr.Conflict},
			{"404/no pledge", officer, func(r *FindingRequest) { r.PledgeID = "PL-NONE" }, apperr.NotFound},
		}
		for _, c := range cases {
			r := good
			if c.mut != nil {
				c.mut(&r)
			}
			if _, err := e.svc.RecordFinding(ctx, c.p, r); apperr.KindOf(err) != c.want {
				t.Errorf("%s: got %v", c.name, err)
			}
		}
		// nothing of the refused requests reached the registry
		if rep, err := e.store.VerifyAudit(ctx); err != nil || rep.HeadSeq != 0 {
			t.Fatalf("audit %+v %v", rep, err)
		}
	})
	t.Run("draw stored, public and reproducible", func(t *testing.T) {
		e := mk(t)
		spec := testSpec(200)
		d, err := e.svc.RunDraw(ctx, officer, DrawRequest{Region: "110105", Matter: "M-LICENCE-01", Period: "2026-Q1", Spec: spec})
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.svc.GetDraw(ctx, d.ID)
		if err != nil || got.Result.PopulationDigest != d.Result.PopulationDigest || len(got.Result.Selection) != len(d.Result.Selection) {
			t.Fatalf("stored draw %+v %v", got.Result, err)
		}
		res, same, err := e.svc.Rerun(ctx, d.ID)
		if err != nil || !same || len(res.Selection) == 0 {
			t.Fatalf("rerun: same=%v %v", same, err)
		}
		if _, err := e.svc.RunDraw(ctx, outsider, DrawRequest{Region: "110105", Matter: "M", Spec: spec}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("draw outside the jurisdiction: %v", err)
		}
		if _, err := e.svc.GetDraw(ctx, "DNONE"); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("missing draw: %v", err)
		}
	})
}

func TestServiceSingleNode(t *testing.T) { suite(t, single) }

func TestServiceCluster(t *testing.T) { suite(t, clustered) }
