package enforce

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
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
	bars  pledge.CombinedBars
	store *store.Store
}

func newEnv(t testing.TB, opts store.Options) env {
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
	pl := store.NewPledgeRepo(st, prot, pledge.NewCatalogue(store.NewCatalogueRepo(st), clk))
	svc, err := New(Deps{Registry: reg, Pledges: pl, Clock: clk, Tasks: store.NewTaskRepo(st)})
	if err != nil {
		t.Fatal(err)
	}
	return env{svc: svc, clk: clk, reg: reg, pl: pl, store: st,
		bars: store.AllBars(store.NewBarRepo(st), reg)}
}

func single(t *testing.T) env { return newEnv(t, store.Options{Addrs: []string{testredis.Addr(t)}}) }

func clustered(t *testing.T) env {
	return newEnv(t, store.Options{Addrs: testredis.ClusterAddrs(t), Cluster: true})
}

// decided stores an accepted and decided pledge of applicant subject.
func (e env) decided(t testing.TB, id, subject, region string) pledge.Record {
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

// published signs a pledge and accepts it through the repository's
// transition, so the decision publishes it when its matter's policy says so.
func (e env) published(t testing.TB, id, subject string) pledge.Record {
	t.Helper()
	rec := pledge.Record{ID: id, Status: pledge.StatusSigned, Document: []byte(`{"pledge":"` + id + `"}`),
		Digest: sm3.Sum([]byte(id)), Applicant: subject, Agency: "AG-110105-01",
		Entry: pledge.EntryKey{Region: "110105", Matter: "M-LICENCE-01", Certificate: "C-NO-RECORD"}, Way: pledge.WayEventCertificate,
		CreatedAt: e.clk.Now(), Events: []pledge.Event{{To: pledge.StatusSigned, At: e.clk.Now(), Actor: "applicant"}}}
	if _, _, err := e.pl.CreatePledge(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	out, err := e.pl.Transition(context.Background(), id, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
		Event:    pledge.Event{To: pledge.StatusAccepted, At: e.clk.Now(), Actor: "agency"},
		Decision: &pledge.Decision{DocumentNo: "京许〔2026〕2号", Date: e.clk.Now().Format(DateLayout), Officer: "o1", DecidedAt: e.clk.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	return out
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
		if list, err := e.svc.FalsePledges(ctx, 0); err != nil || len(list) != 0 {
			t.Fatalf("reversed finding listed: %+v %v", list, err)
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
		// not fulfilled is not on the list of false pledges
		if list, err := e.svc.FalsePledges(ctx, 0); err != nil || len(list) != 0 {
			t.Fatalf("public list %+v %v", list, err)
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
	t.Run("concurrent conflicting findings: exactly one wins", func(t *testing.T) {
		e := mk(t)
		const officers = 8
		cases := []struct {
			name  string
			setup []FindingRequest
			req   FindingRequest
		}{
			{"VERIFIED_OK twice", nil, FindingRequest{Outcome: VerifiedOK, DocumentNo: "京核〔2026〕20号", Inspector: "INS-1"}},
			{"RECTIFICATION_ORDERED twice", nil, FindingRequest{Outcome: RectificationOrdered, DocumentNo: "京责改〔2026〕21号", Inspector: "INS-1", Deadline: "2026-05-01"}},
			{"FULFILLED twice", []FindingRequest{{Outcome: RectificationOrdered, DocumentNo: "京责改〔2026〕22号", Inspector: "INS-1", Deadline: "2026-05-01"}},
				FindingRequest{Outcome: Fulfilled, DocumentNo: "京核〔2026〕23号", Inspector: "INS-1"}},
		}
		for i, c := range cases {
			rec := e.decided(t, fmt.Sprintf("PL-RACE-%d", i), fmt.Sprintf("subjR%d", i), "110105")
			for _, r := range c.setup {
				r.PledgeID = rec.ID
				if _, err := e.svc.RecordFinding(ctx, officer, r); err != nil {
					t.Fatalf("%s: setup: %v", c.name, err)
				}
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, officers)
			for k := range officers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r := c.req
					r.PledgeID = rec.ID
					<-start
					_, errs[k] = e.svc.RecordFinding(ctx, officer, r)
				}()
			}
			close(start)
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch e := apperr.As(err); {
				case err == nil:
					won++
				case e == nil || e.Kind != apperr.Conflict || e.Code != "FINDING_ORDER":
					t.Fatalf("%s: want a FINDING_ORDER conflict, got %v", c.name, err)
				}
			}
			fs, err := e.svc.Findings(ctx, rec.ID)
			if won != 1 || err != nil || len(fs) != len(c.setup)+1 {
				t.Fatalf("%s: %d of %d succeeded, %d findings stored (%v)", c.name, won, officers, len(fs), err)
			}
		}
	})
	t.Run("public listing follows decision, consequence, reversal and expiry", func(t *testing.T) {
		e := mk(t)
		entry := pledge.Entry{EntryKey: pledge.EntryKey{Region: "110105", Matter: "M-LICENCE-01", Certificate: "C-NO-RECORD"},
			EffectiveFrom: t0.Add(-time.Hour), Modes: []pledge.Mode{pledge.ModeWrittenPledge}, PledgeEligible: true, Owner: "AG-110105-01",
			Disclosure: pledge.DisclosurePolicy{Publish: true, Days: 10, Scope: pledge.Text{Zh: "信用中国"}}}
		if _, err := store.NewCatalogueRepo(e.store).AppendEntry(ctx, entry, 0); err != nil {
			t.Fatal(err)
		}
		a := e.published(t, "PL-PUB-A", "subjPA")
		e.clk.Advance(time.Minute)
		b := e.published(t, "PL-PUB-B", "subjPB")
		listed := func() []string {
			t.Helper()
			p, err := e.svc.PublicPledges(ctx, "110105", "M-LICENCE-01", "", 0)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, x := range p.Pledges {
				ids = append(ids, x.PledgeID)
				if x.DecisionNo == "" || !x.PublishedUntil.Equal(x.Decided.AddDate(0, 0, 10)) || x.Agency != "AG-110105-01" {
					t.Fatalf("entry %+v", x)
				}
			}
			return ids
		}
		if got := listed(); fmt.Sprint(got) != fmt.Sprint([]string{b.ID, a.ID}) {
			t.Fatalf("listed %v", got)
		}
		e.clk.Advance(time.Hour)
		f, err := e.svc.RecordFinding(ctx, officer, FindingRequest{PledgeID: a.ID, Outcome: FalseConfirmed,
			DocumentNo: "京核〔2026〕30号", Evidence: []string{evidence1}, Inspector: "INS-1"})
		if err != nil {
			t.Fatal(err)
		}
		if got := listed(); fmt.Sprint(got) != fmt.Sprint([]string{b.ID}) {
			t.Fatalf("after FALSE_CONFIRMED listed %v", got)
		}
		if _, err := e.svc.PublicPledge(ctx, a.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("a false pledge is still published: %v", err)
		}
		if fp, err := e.svc.FalsePledges(ctx, 0); err != nil || len(fp) != 1 || fp[0].PledgeID != a.ID {
			t.Fatalf("false pledges %+v %v", fp, err)
		}
		e.clk.Advance(time.Hour)
		if _, err := e.svc.Reverse(ctx, officer, ReverseRequest{FindingID: f.ID, Reason: "APPEAL_UPHELD", DocumentNo: "京复〔2026〕30号"}); err != nil {
			t.Fatal(err)
		}
		if got := listed(); fmt.Sprint(got) != fmt.Sprint([]string{b.ID, a.ID}) {
			t.Fatalf("after the reversal listed %v", got)
		}
		if got, err := e.svc.PublicPledge(ctx, b.ID); err != nil || got.PledgeID != b.ID {
			t.Fatalf("one by ID: %+v %v", got, err)
		}
		// the publication period ends ten days after each decision
		e.clk.Set(a.Decision.DecidedAt.AddDate(0, 0, 10))
		if got := listed(); fmt.Sprint(got) != fmt.Sprint([]string{b.ID}) {
			t.Fatalf("at the end of A's period listed %v", got)
		}
		e.clk.Advance(time.Minute)
		if got := listed(); len(got) != 0 {
			t.Fatalf("after both periods listed %v", got)
		}
		if _, err := e.svc.PublicPledge(ctx, b.ID); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("an expired publication is shown: %v", err)
		}
		for name, c := range map[string]struct {
			region, matter string
			limit          int
		}{"no region": {"", "M-LICENCE-01", 0}, "bad matter": {"110105", "M:1", 0}, "limit": {"110105", "M-LICENCE-01", MaxPublicLimit + 1}} {
			if _, err := e.svc.PublicPledges(ctx, c.region, c.matter, "", c.limit); apperr.KindOf(err) != apperr.Malformed {
				t.Errorf("%s: %v", name, err)
			}
		}
	})
	t.Run("draw stored, public and reproducible", func(t *testing.T) {
		e := mk(t)
		spec := testSpec(0)
		want := map[string]bool{}
		for i := range 40 {
			rec := e.decided(t, fmt.Sprintf("PL-DRAW-%02d", i), "subj", []string{"110105", "110108"}[i%2])
			if i%4 == 3 {
				rec.Entry.Matter = "M-OTHER" // another matter: not drawn
			}
			if _, err := e.svc.CreateTask(ctx, rec, pledge.PostCheckPolicy{TimeLimitDays: 30}); err != nil {
				t.Fatal(err)
			}
			if rec.Entry.Region == "110105" && rec.Entry.Matter == "M-LICENCE-01" {
				want[rec.ID] = true
			}
		}
		req := DrawRequest{Region: "110105", Matter: "M-LICENCE-01", Period: "2026-Q1", Spec: spec,
			Tiers: map[string]string{"PL-DRAW-00": "D"}}
		// A draw reads its matter's tasks only: 30 of the 40 are
		// M-LICENCE-01, and a scan bound of 30 must be enough.
		e.svc.taskScan = 30
		d, err := e.svc.RunDraw(ctx, officer, req)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Population) != len(want) {
			t.Fatalf("population %d, want %d: %+v", len(d.Population), len(want), d.Population)
		}
		for _, c := range d.Population {
			if !want[c.PledgeID] || (c.PledgeID == "PL-DRAW-00") != (c.Tier == "D") || (c.Tier != "D" && c.Tier != DefaultTier) {
				t.Fatalf("population member %+v", c)
			}
		}
		// The attack of issue 12: a caller-supplied population of IDs that
		// do not exist. The population is the service's; naming a pledge
		// that is not in it is refused, and so is an empty population.
		ghost := req
		ghost.Tiers = map[string]string{}
		for i := range 200 {
			ghost.Tiers[fmt.Sprintf("GHOST-%03d", i)] = "A"
		}
		if _, err := e.svc.RunDraw(ctx, officer, ghost); apperr.As(err) == nil || apperr.As(err).Code != "DRAW_INVALID" {
			t.Fatalf("nonexistent pledges in a draw: %v", err)
		}
		empty := req
		empty.Matter, empty.Tiers = "M-NONE", nil
		if _, err := e.svc.RunDraw(ctx, officer, empty); apperr.As(err) == nil || apperr.As(err).Code != "DRAW_EMPTY" {
			t.Fatalf("empty population: %v", err)
		}
		e.svc.taskScan = 29
		if _, err := e.svc.RunDraw(ctx, officer, req); apperr.As(err) == nil || apperr.As(err).Code != "DRAW_INVALID" {
			t.Fatalf("a matter with more tasks than a draw reads: %v", err)
		}
		e.svc.taskScan = maxTaskScan
		late := req
		late.Tiers, late.DecidedFrom = nil, "2026-04-02"
		if _, err := e.svc.RunDraw(ctx, officer, late); apperr.As(err) == nil || apperr.As(err).Code != "DRAW_EMPTY" {
			t.Fatalf("decided before the range: %v", err)
		}
		got, err := e.svc.GetDraw(ctx, d.ID)
		if err != nil || got.Result.PopulationDigest != d.Result.PopulationDigest || len(got.Result.Selection) != len(d.Result.Selection) {
			t.Fatalf("stored draw %+v %v", got.Result, err)
		}
		res, same, err := e.svc.Rerun(ctx, d.ID)
		if err != nil || !same || len(res.Selection) == 0 {
			t.Fatalf("rerun: same=%v %v", same, err)
		}
		if _, err := e.svc.RunDraw(ctx, outsider, DrawRequest{Region: "110105", Matter: "M-LICENCE-01", Spec: spec}); apperr.KindOf(err) != apperr.Forbidden {
			t.Fatalf("draw outside the jurisdiction: %v", err)
		}
		if _, err := e.svc.GetDraw(ctx, "DNONE"); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("missing draw: %v", err)
		}
	})
}

func TestServiceSingleNode(t *testing.T) { suite(t, single) }

func TestServiceCluster(t *testing.T) { suite(t, clustered) }

func TestTasks(t *testing.T) {
	ctx := context.Background()
	e := single(t)
	svc, err := New(Deps{Registry: e.reg, Pledges: e.pl, Clock: e.clk, Tasks: store.NewTaskRepo(e.store),
		Calendar: Calendar{Holidays: map[string]bool{"2026-04-06": true}}})
	if err != nil {
		t.Fatal(err)
	}
	pol := pledge.PostCheckPolicy{Methods: []string{pledge.CheckWritten}, TimeLimitDays: 5, WorkingDays: true}
	r1 := e.decided(t, "PL-T1", "s1", "110105")
	r2 := e.decided(t, "PL-T2", "s2", "310101")
	r3 := e.decided(t, "PL-T3", "s3", "110105")
	t1, err := svc.CreateTask(ctx, r1, pol) // 2026-04-01 + 5 working days, 04-06 a holiday
	if err != nil || t1.Due != "2026-04-09" {
		t.Fatalf("%+v %v", t1, err)
	}
	if _, err := svc.CreateTask(ctx, r2, pledge.PostCheckPolicy{TimeLimitDays: 90}); err != nil {
		t.Fatal(err)
	}
	if t3, err := svc.CreateTask(ctx, r3, pledge.PostCheckPolicy{Exempt: true}); err != nil || t3.Status != TaskExempt {
		t.Fatalf("%+v %v", t3, err)
	}
	// a repeat keeps the first task
	if again, err := svc.CreateTask(ctx, r1, pledge.PostCheckPolicy{TimeLimitDays: 300}); err != nil || again.Due != "2026-04-09" {
		t.Fatalf("%+v %v", again, err)
	}
	e.clk.Set(time.Date(2026, 4, 10, 1, 0, 0, 0, time.UTC))
	cases := []struct {
		name string
		p    auth.Principal
		f    TaskFilter
		want []string
		err  apperr.Kind
	}{
		{"enforcement sees its jurisdiction", officer, TaskFilter{}, []string{"PL-T3", "PL-T1"}, 0},
		{"overdue only", officer, TaskFilter{OverdueOnly: true}, []string{"PL-T1"}, 0},
		{"exempt only", officer, TaskFilter{Status: TaskExempt}, []string{"PL-T3"}, 0},
		{"due range", auth.Principal{Role: auth.RoleAdmin, TokenID: "a"}, TaskFilter{DueFrom: "2026-05-01"}, []string{"PL-T2"}, 0},
		{"other jurisdiction", outsider, TaskFilter{}, []string{"PL-T2"}, 0},
		{"agency sees its own", agency, TaskFilter{Matter: "M-LICENCE-01"}, []string{"PL-T3", "PL-T1", "PL-T2"}, 0},
		{"another agency sees none", otherAg, TaskFilter{}, []string{}, 0},
		{"public refused", auth.Public(), TaskFilter{}, nil, apperr.Forbidden},
		{"bad status", officer, TaskFilter{Status: "SOON"}, nil, apperr.Malformed},
		{"bad date", officer, TaskFilter{DueTo: "tomorrow"}, nil, apperr.Malformed},
	}
	for _, c := range cases {
		got, err := svc.ListTasks(ctx, c.p, c.f)
		if c.err != 0 {
			if apperr.KindOf(err) != c.err {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		ids := []string{}
		for _, tk := range got {
			ids = append(ids, tk.PledgeID)
			if tk.PledgeID == "PL-T1" && !tk.Overdue {
				t.Errorf("%s: PL-T1 not marked overdue", c.name)
			}
		}
		if strings.Join(ids, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: got %v, want %v", c.name, ids, c.want)
		}
	}
}

// TestFalsePledgesExpire: a false pledge is listed for five years, then not.
func TestFalsePledgesExpire(t *testing.T) {
	ctx := context.Background()
	e := single(t)
	rec := e.decided(t, "PL-X-1", "subjX", "110105")
	if _, err := e.svc.RecordFinding(ctx, officer, FindingRequest{PledgeID: rec.ID, Outcome: FalseConfirmed,
		DocumentNo: "京核〔2026〕5号", Evidence: []string{evidence1}, Inspector: "INS-1"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		after time.Duration
		want  int
	}{{0, 1}, {5*365*24*time.Hour - time.Hour, 1}, {5*366*24*time.Hour + time.Hour, 0}} {
		e.clk.Set(t0.Add(c.after))
		list, err := e.svc.FalsePledges(ctx, 0)
		if err != nil || len(list) != c.want {
			t.Fatalf("after %s: %+v %v", c.after, list, err)
		}
		if c.want == 1 && (list[0].ApplicantName != "" || list[0].Matter != "M-LICENCE-01") {
			t.Fatalf("entry %+v", list[0])
		}
	}
}
