package store

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/pledge/pledgesample"
)

// catalogueOwnerSuite: two agencies creating one new matter at the same
// moment — the append script lets exactly one own it; an admin append
// (AppendEntry) is not checked.
func catalogueOwnerSuite(t *testing.T, mk func(*testing.T) fixture) {
	f := mk(t)
	repo := NewCatalogueRepo(f.reg.st)
	ctx := context.Background()
	key := pledge.EntryKey{Region: "110105", Matter: "M-RACE", Certificate: "C-1"}
	agencies := []string{"110105-A", "110105-B", "110105-C", "110105-D"}
	errs := make([]error, len(agencies))
	var wg sync.WaitGroup
	for i, ag := range agencies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := key
			k.Certificate = "C-" + ag
			_, errs[i] = repo.AppendOwnedEntry(ctx, pledgesample.Entry(k, ag, "机关", time.Now()), 0)
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch e := apperr.As(err); {
		case err == nil:
			won++
		case e == nil || e.Kind != apperr.Forbidden || e.Code != "OUT_OF_SCOPE":
			t.Fatalf("unexpected error %v", err)
		}
	}
	entries, err := repo.MatterEntries(ctx, key.Region, key.Matter)
	if err != nil || won != 1 || len(entries) != 1 {
		t.Fatalf("%d winners, %d entries (%v): one agency must own the matter", won, len(entries), err)
	}
	owner := entries[0].Owner
	k := key
	k.Certificate = "C-MORE"
	if _, err := repo.AppendOwnedEntry(ctx, pledgesample.Entry(k, owner, "机关", time.Now()), 0); err != nil {
		t.Fatalf("the owner extends its matter: %v", err)
	}
	k.Certificate = "C-ADMIN"
	if _, err := repo.AppendEntry(ctx, pledgesample.Entry(k, "110105-Z", "机关", time.Now()), 0); err != nil {
		t.Fatalf("an admin append: %v", err)
	}
}

func TestCatalogueOwnerSingleNode(t *testing.T) { catalogueOwnerSuite(t, singleNode) }

func TestCatalogueOwnerCluster(t *testing.T) { catalogueOwnerSuite(t, cluster) }
