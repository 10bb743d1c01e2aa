package notify

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

func TestRevocationReachesOwningAgency(t *testing.T) {
	revocationRouting(t, store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t), Timeout: 2 * time.Second})
}

func TestRevocationReachesOwningAgencyCluster(t *testing.T) {
	revocationRouting(t, store.Options{Addrs: testredis.ClusterAddrs(t), Cluster: true, Prefix: testredis.Prefix(t), Timeout: 2 * time.Second})
}

// revocationRouting: an enforcement officer revokes a pledge through the
// registry; the audit entry names the pledge and the officer's
// jurisdiction, not the agency. The agency that owns the pledge must
// still hear of it, and no other agency.
func revocationRouting(t *testing.T, so store.Options) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	r := newRigOpts(t, so, clk, Options{})
	repo := store.NewPledgeRepo(r.st, r.prot, pledge.NewCatalogue(store.NewCatalogueRepo(r.st), r.clk))
	r.svc.o.Owners = repo // as the application wires it
	for _, rec := range []pledge.Record{peRecord("PL-RV-1", "AG-1"), peRecord("PL-RV-2", "AG-2")} {
		if _, _, err := repo.CreatePledge(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	mine, other := newReceiver(t, clk), newReceiver(t, clk)
	if _, err := r.svc.Register(ctx, agency, mine.srv.URL, secret); err != nil { // AG-1
		t.Fatal(err)
	}
	ag3 := agency
	ag3.Org = "AG-3"
	if _, err := r.svc.Register(ctx, ag3, other.srv.URL, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Step(ctx); err != nil { // the signing events
		t.Fatal(err)
	}
	before := len(mine.seqs())
	officer := registry.Actor{ID: "enforcement:110105:t", Role: "enforcement", Org: "110105"}
	a, err := r.reg.Apply(ctx, registry.Change{Action: "revocation.revoke", Actor: officer, To: status.False,
		From: []status.Code{status.Unknown, status.Active}, Reason: "FALSE_PLEDGE", DocumentNo: "京市监核〔2026〕9号", Effective: clk.Now(),
		Items: []status.Subject{{Kind: status.KindPledge, ID: "PL-RV-1"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Step(ctx); err != nil {
		t.Fatal(err)
	}
	got := mine.seqs()
	if len(got) != before+1 || !slices.Contains(got, a.Seq) {
		t.Fatalf("the owning agency got audit seqs %v, want the revocation (seq %d) among them", got, a.Seq)
	}
	if got := other.seqs(); len(got) != 0 {
		t.Fatalf("another agency got %v", got)
	}
}
