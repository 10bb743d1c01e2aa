package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func TestMatterIndexSingleNode(t *testing.T) { matterIndexConformance(t, plSingle) }

func TestMatterIndexCluster(t *testing.T) { matterIndexConformance(t, plCluster) }

// matterIndexConformance: appended entries are indexed by region and
// matter, listed in code order a page at a time, their versions read per
// matter; an index lost (or predating the entries) is rebuilt by Reindex
// on the next listing.
func matterIndexConformance(t *testing.T, mk func(*testing.T) plRepos) {
	r := mk(t)
	ctx := context.Background()
	add := func(region, matter, cert string, expect int) {
		t.Helper()
		e := plEntry(cert, plT0)
		e.Region, e.Matter = region, matter
		if region == "110105" && matter == "M-3" {
			e.RegionName = pledge.Text{Zh: "北京市朝阳区", En: "Chaoyang District, Beijing"}
		}
		if _, err := r.cat.AppendEntry(ctx, e, expect); err != nil {
			t.Fatalf("append %s/%s/%s: %v", region, matter, cert, err)
		}
	}
	add("110105", "M-2", "C-1", 0)
	add("110105", "M-1", "C-1", 0)
	add("110105", "M-1", "C-2", 0)
	add("110105", "M-1", "C-2", 1)
	add("110105", "M-3", "C-1", 0)
	add("310101", "M-9", "C-1", 0)
	// A conflicting append still indexes (harmless: the matter exists).
	if _, err := r.cat.AppendEntry(ctx, plEntry("C-1", plT0), 7); err == nil {
		t.Fatal("a stale expected version was accepted")
	}

	pages := func(t *testing.T, list func(after string, n int) ([]string, error), n int) []string {
		t.Helper()
		var all []string
		after := ""
		for i := 0; i < 10; i++ {
			got, err := list(after, n)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > n {
				t.Fatalf("page of %d, limit %d", len(got), n)
			}
			all = append(all, got...)
			if len(got) < n {
				return all
			}
			after = got[len(got)-1]
		}
		t.Fatal("the listing does not end")
		return nil
	}
	check := func(t *testing.T, wantRegions []string) {
		t.Helper()
		regions := func(after string, n int) ([]string, error) { return r.cat.Regions(ctx, after, n) }
		matters := func(region string) func(string, int) ([]string, error) {
			return func(after string, n int) ([]string, error) { return r.cat.RegionMatters(ctx, region, after, n) }
		}
		tests := []struct {
			name string
			list func(string, int) ([]string, error)
			want []string
		}{
			{"regions", regions, wantRegions},
			{"matters of 110105", matters("110105"), []string{"M-1", "M-2", "M-3"}},
			{"matters of 310101", matters("310101"), []string{"M-9"}},
			{"matters of an unknown region", matters("999999"), nil},
		}
		for _, tc := range tests {
			for _, n := range []int{1, 2, 50} {
				if got := pages(t, tc.list, n); !slices.Equal(got, tc.want) {
					t.Errorf("%s (pages of %d): %v, want %v", tc.name, n, got, tc.want)
				}
			}
		}
		all, err := r.cat.MattersEntries(ctx, "110105", []string{"M-3", "M-1", "M-404"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, vs := range all {
			var s []string
			for _, e := range vs {
				s = append(s, e.Matter+"/"+e.Certificate+"/v"+strconv.Itoa(e.Version))
			}
			got = append(got, strings.Join(s, " "))
		}
		if want := []string{"M-3/C-1/v1", "M-1/C-1/v1 M-1/C-2/v1 M-1/C-2/v2", ""}; !slices.Equal(got, want) {
			t.Errorf("entries per matter: %q, want %q", got, want)
		}
	}
	// The region name given by an entry is kept; others have none.
	names, err := r.cat.RegionNames(ctx, []string{"110105", "310101", "999999"})
	if err != nil || len(names) != 1 || names["110105"].Zh != "北京市朝阳区" || names["110105"].En == "" {
		t.Fatalf("region names %v (%v)", names, err)
	}
	// The conflicting append indexed 110000 (the index is written first).
	check(t, []string{"110000", "110105", "310101"})

	// Lose the index (as a store whose catalogue predates it): the next
	// listing rebuilds it from the entries.
	if err := r.st.rdb.Del(ctx, r.cat.regionsKey(), r.cat.indexBuiltKey()).Err(); err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{"110000", "110105", "310101"} {
		if err := r.st.rdb.Del(ctx, r.cat.regionMattersKey(region)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// This repository saw the index built; a fresh one (a restarted
	// service) reads the marker, finds none and rebuilds from the
	// entries: 110000 has none.
	r.cat = NewCatalogueRepo(r.st)
	check(t, []string{"110105", "310101"})
	if n, err := r.cat.Reindex(ctx); err != nil || n != 4 {
		t.Fatalf("reindex found %d matters (%v), want 4", n, err)
	}
	// Each index key has its own slot; a region's matters share one.
	if a, b := hashTag(r.cat.regionMattersKey("110105")), hashTag(r.cat.regionsKey()); a == b || a != "{catidx:110105}" {
		t.Fatalf("index slots %s %s", a, b)
	}
}

var _ pledge.MatterIndex = (*CatalogueRepo)(nil)
