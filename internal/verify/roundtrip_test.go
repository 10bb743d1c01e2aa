package verify_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// counter reads one counter from a registry (0 when absent).
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			var v float64
			for _, m := range mf.GetMetric() {
				v += m.GetCounter().GetValue()
			}
			return v
		}
	}
	return 0
}

const (
	mTrips   = "pledgeseal_verification_status_round_trips_total"
	mBatches = "pledgeseal_verification_status_node_batches_total"
	mLookups = "pledgeseal_verification_status_lookups_total"
)

// statusPackages makes packages whose status answers differ: two
// accepted, one accepted whose decision was then revoked, one signed and
// not yet accepted; and suspends the seal after all the sealing.
func statusPackages(t *testing.T, e *verifytest.Env) [][]byte {
	t.Helper()
	ctx := context.Background()
	var pkgs [][]byte
	for _, key := range []string{"rt-accepted-1", "rt-accepted-2"} {
		pkgs = append(pkgs, e.Package(t, e.Accepted(t, key)))
	}
	revoked := e.Accepted(t, "rt-revoked")
	pkgs = append(pkgs, e.Package(t, revoked))
	if _, err := e.Revoc.Revoke(ctx, auth.Principal{Role: auth.RoleEnforcement, Org: "110105", TokenID: "t"}, seal.RevokeRequest{
		Subjects: []status.Subject{verifytest.SubjectOfPledge(revoked.ID)}, Reason: seal.ReasonDecisionRevoked, DocumentNo: "朝市监撤〔2026〕8号",
	}); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	signed, _, err := e.Service.SignWithEventCertificate(ctx, verifytest.Applicant, e.Request("rt-signed"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs = append(pkgs, e.Package(t, signed))
	e.Clock.Advance(time.Minute)
	if _, err := e.Seals.ChangeStatus(ctx, verifytest.SealMaker, verifytest.ESID, seal.StatusChange{
		Action: seal.Suspend, Reason: "印章保管人变更", DocumentNo: "朝市监印停〔2026〕9号"}); err != nil {
		t.Fatal(err)
	}
	return pkgs
}

// separateSources answers as store.StatusBatch does, from two calls: the
// registry's subjects from reg, the pledge workflow states from pledges
// (which know them as subjects of kind pledge).
type separateSources struct{ reg, pledges status.Source }

func (s separateSources) Lookup(ctx context.Context, at time.Time, subs []status.Subject) (status.Answer, error) {
	var reg, pl []status.Subject
	for _, sub := range subs {
		if sub.Kind == status.KindPledgeState {
			pl = append(pl, status.Subject{Kind: status.KindPledge, ID: sub.ID})
		} else {
			reg = append(reg, sub)
		}
	}
	a, err := s.reg.Lookup(ctx, at, reg)
	if err != nil {
		return status.Answer{}, err
	}
	b, err := s.pledges.Lookup(ctx, at, pl)
	if err != nil {
		return status.Answer{}, err
	}
	out := status.Answer{ReadAt: a.ReadAt}
	out.Results = append(out.Results, a.Results...)
	for i, r := range b.Results {
		r.Subject = subs[len(reg)+i]
		out.Results = append(out.Results, r)
	}
	return out, nil
}

// TestOneRoundTripPerVerification: every verification asks all its status
// questions in one Redis round trip (the counter rises by exactly one per
// verification, and the store's own counters agree), and the reports are
// the ones the two separate sources give. Single node and cluster.
func TestOneRoundTripPerVerification(t *testing.T) {
	for name, addrs := range map[string]func(*testing.T) []string{
		"single node": func(t *testing.T) []string { return []string{testredis.Addr(t)} },
		"cluster":     func(t *testing.T) []string { return testredis.ClusterAddrs(t) },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, addrs(t)...)
			ctx := context.Background()
			pkgs := statusPackages(t, e)
			// The verifier as it was: the registry and the pledge
			// repository asked separately.
			separate, err := verify.New(verify.Options{SealTrust: e.SealTrust, ApplicantTrust: e.ApplicantTrust,
				Status: separateSources{reg: e.Registry, pledges: e.Pledges}, Clock: e.Clock, Registerer: prometheus.NewRegistry()})
			if err != nil {
				t.Fatal(err)
			}
			indications := map[outcome.Indication]int{}
			for i, pkg := range pkgs {
				trips, batches, lookups := counter(t, e.Metrics, mTrips), counter(t, e.Metrics, mBatches), counter(t, e.Metrics, mLookups)
				st, regSt := e.Status.Stats(), e.Registry.Stats()
				got := e.Verifier.Verify(ctx, pkg, verify.Public())
				if d := counter(t, e.Metrics, mTrips) - trips; d != 1 {
					t.Errorf("package %d: %v status round trips, want 1", i, d)
				}
				if d := counter(t, e.Metrics, mLookups) - lookups; d != 1 {
					t.Errorf("package %d: %v status lookups, want 1", i, d)
				}
				d := counter(t, e.Metrics, mBatches) - batches
				if name == "single node" && d != 1 || d < 1 || d > 3 {
					t.Errorf("package %d: %v node batches", i, d)
				}
				if s := e.Status.Stats(); s.RoundTrips-st.RoundTrips != 1 || s.Lookups-st.Lookups != 1 || float64(s.Batches-st.Batches) != d {
					t.Errorf("package %d: store counted %+v → %+v", i, st, s)
				}
				if s := e.Registry.Stats(); s.LookupRoundTrips-regSt.LookupRoundTrips != 1 {
					t.Errorf("package %d: registry round trips %+v → %+v", i, regSt, s)
				}
				want := separate.Verify(ctx, pkg, verify.Public())
				if !reflect.DeepEqual(got, want) {
					t.Errorf("package %d: the combined source's report differs:\n got %+v\nwant %+v", i, got, want)
				}
				indications[got.Indication]++
			}
			// The cases are not all alike: accepted packages pass (the seal
			// was suspended after their sealing), the revoked one fails, the
			// signed one awaits the decision.
			if indications[outcome.TotalPassed] != 2 || indications[outcome.TotalFailed] != 1 || len(indications) != 3 {
				t.Fatalf("indications %v", indications)
			}
		})
	}
}

// TestRoundTripsAfterRestart: a restarted Redis has lost its scripts; the
// verification that reloads the script still answers (from the AOF) and
// counts the extra round trip; every later one is back to one.
func TestRoundTripsAfterRestart(t *testing.T) {
	srv := testredis.Start(t)
	e := newEnv(t, srv.Addr)
	ctx := context.Background()
	pkg := e.Package(t, e.Accepted(t, "rt-restart"))
	want(t, e.Verifier.Verify(ctx, pkg, verify.Public()), outcome.TotalPassed, outcome.None)
	srv.Stop()
	srv.Restart(t)
	for i, wantTrips := range []float64{2, 1, 1} {
		before := counter(t, e.Metrics, mTrips)
		r := e.Verifier.Verify(ctx, pkg, verify.Public())
		want(t, r, outcome.TotalPassed, outcome.None)
		if d := counter(t, e.Metrics, mTrips) - before; d != wantTrips {
			t.Errorf("verification %d after the restart: %v round trips, want %v", i, d, wantTrips)
		}
	}
}

// TestCombinedSourceFailsClosed: with Redis gone the combined source makes
// every status check INDETERMINATE / TRY_LATER, never PASSED, and the
// failed attempt is still counted as one round trip.
func TestCombinedSourceFailsClosed(t *testing.T) {
	srv := testredis.Start(t)
	e := newEnv(t, srv.Addr)
	ctx := context.Background()
	pkg := e.Package(t, e.Accepted(t, "rt-redis-down"))
	srv.Kill()
	before := counter(t, e.Metrics, mTrips)
	r := e.Verifier.Verify(ctx, pkg, verify.Public())
	want(t, r, outcome.IndeterminateResult, outcome.TryLater)
	if d := counter(t, e.Metrics, mTrips) - before; d != 1 {
		t.Errorf("a failed lookup counted %v round trips, want 1", d)
	}
	for _, name := range []string{verify.CheckSealStatus, verify.CheckMakerStatus, verify.CheckSealSignerStatus, verify.CheckApplicantStatus,
		verify.CheckPledgeState, verify.CheckFindings, verify.CheckSealNow} {
		c, ok := r.Find(name)
		if !ok || c.Result != outcome.Indeterminate || c.SubIndication != outcome.TryLater {
			t.Errorf("%s: %+v", name, c)
		}
	}
}
