package enforce

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

const testSeed = "5f1d0c9e2a7b4c3d8e6f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3"

func testSpec(n int) DrawSpec {
	tiers := []string{"A", "B", "B", "C", "D"}
	pop := make([]Candidate, n)
	for i := range pop {
		pop[i] = Candidate{PledgeID: fmt.Sprintf("P%04d", i), Tier: tiers[i%len(tiers)]}
	}
	return DrawSpec{Seed: testSeed, RatioPermille: 50, TierWeights: DefaultTierWeights(), Floor: 5,
		Inspectors: []string{"INS-1", "INS-2", "INS-3", "INS-4", "INS-5"}, InspectorsPerPledge: 2, Population: pop}
}

func TestComputeReproducible(t *testing.T) {
	spec := testSpec(1000)
	a, err := Compute(spec)
	if err != nil {
		t.Fatal(err)
	}
	// the same seed and population in another order select the same pledges
	shuffled := spec
	shuffled.Population = append([]Candidate(nil), spec.Population...)
	sort.Slice(shuffled.Population, func(i, j int) bool { return shuffled.Population[i].PledgeID > shuffled.Population[j].PledgeID })
	b, err := Compute(shuffled)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("a draw depends on the population's order")
	}
	// quotas: ceil(n × 50‰ × weight%)
	want := map[string]int{"A": 5, "B": 20, "C": 15, "D": 20}
	if !reflect.DeepEqual(a.TierQuotas, want) || len(a.Selection) != 60 {
		t.Fatalf("quotas %v, %d selected", a.TierQuotas, len(a.Selection))
	}
	for _, s := range a.Selection {
		if len(s.Inspectors) != 2 || s.Inspectors[0] == s.Inspectors[1] || s.Rank != Rank(testSeed, s.PledgeID) {
			t.Fatalf("selected %+v", s)
		}
	}
	// another seed selects differently
	other := spec
	other.Seed = strings.Repeat("0", 64)
	c, err := Compute(other)
	if err != nil {
		t.Fatal(err)
	}
	if reflect.DeepEqual(a.Selection, c.Selection) {
		t.Fatal("the seed does not matter")
	}
}

func TestComputeFloorAndQuotas(t *testing.T) {
	cases := []struct {
		name     string
		n, ratio int
		floor    int
		want     int
	}{
		{"floor tops up a tiny ratio", 100, 1, 10, 10},
		{"floor capped at the population", 3, 1, 10, 3},
		{"quota rounds up per tier", 5, 1, 0, 4}, // A,B(2),C,D each ceil(>0) → 1 per tier: 4 tiers
		{"full ratio is still weighted (tier A at 50%)", 40, 1000, 0, 36},
	}
	for _, c := range cases {
		s := testSpec(c.n)
		s.RatioPermille, s.Floor = c.ratio, c.floor
		r, err := Compute(s)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(r.Selection) != c.want {
			t.Errorf("%s: %d selected, want %d", c.name, len(r.Selection), c.want)
		}
	}
}

func TestComputeRefusesBadSpecs(t *testing.T) {
	cases := map[string]func(*DrawSpec){
		"short seed":        func(s *DrawSpec) { s.Seed = "abcd" },
		"upper-case seed":   func(s *DrawSpec) { s.Seed = strings.ToUpper(testSeed) },
		"ratio 0":           func(s *DrawSpec) { s.RatioPermille = 0 },
		"ratio 1001":        func(s *DrawSpec) { s.RatioPermille = 1001 },
		"empty population":  func(s *DrawSpec) { s.Population = nil },
		"duplicate pledge":  func(s *DrawSpec) { s.Population[1].PledgeID = s.Population[0].PledgeID },
		"unweighted tier":   func(s *DrawSpec) { s.Population[0].Tier = "Z" },
		"id with tab":       func(s *DrawSpec) { s.Population[0].PledgeID = "a\tb" },
		"too many per item": func(s *DrawSpec) { s.InspectorsPerPledge = 9 },
		"negative floor":    func(s *DrawSpec) { s.Floor = -1 },
	}
	for name, mut := range cases {
		s := testSpec(10)
		mut(&s)
		if _, err := Compute(s); apperr.KindOf(err) != apperr.Malformed {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestDrawWithOpenSSL recomputes a draw exactly as docs/enforcement.md
// tells the public to: openssl dgst -sm3 for every rank and the population
// digest, sort for the order.
func TestDrawWithOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	spec := testSpec(40)
	spec.Floor, spec.RatioPermille = 0, 100
	res, err := Compute(spec)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var tsv strings.Builder
	for _, c := range spec.Population {
		tsv.WriteString(c.PledgeID + "\t" + c.Tier + "\n")
	}
	if err := os.WriteFile(filepath.Join(dir, "population.tsv"), []byte(tsv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	script, err := os.ReadFile(filepath.Join("testdata", "recompute.sh"))
	if err != nil {
		t.Fatal(err)
	}
	quotas := ""
	for _, tier := range []string{"A", "B", "C", "D"} {
		quotas += fmt.Sprintf("%s=%d ", tier, res.TierQuotas[tier])
	}
	cmd := exec.Command("bash", "-c", string(script), "recompute", testSeed, filepath.Join(dir, "population.tsv"), strings.TrimSpace(quotas))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("recompute.sh: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 1 || lines[0] != "population "+res.PopulationDigest {
		t.Fatalf("population digest: openssl says %q, service %s", lines[0], res.PopulationDigest)
	}
	got := lines[1:]
	var want []string
	for _, s := range res.Selection {
		want = append(want, s.Rank+" "+s.PledgeID)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("openssl selection\n%v\nservice\n%v", got, want)
	}
}

func TestDueDate(t *testing.T) {
	cal := Calendar{Holidays: map[string]bool{"2026-10-01": true, "2026-10-02": true, "2026-10-05": true},
		ExtraWorkdays: map[string]bool{"2026-10-10": true}}
	days := func(n int, working bool) pledge.PostCheckPolicy {
		return pledge.PostCheckPolicy{Methods: []string{pledge.CheckOnSite}, TimeLimitDays: n, WorkingDays: working}
	}
	cases := []struct {
		name, decided string
		p             pledge.PostCheckPolicy
		want          string
		err           bool
	}{
		{"calendar days", "2026-03-01", days(30, false), "2026-03-31", false},
		{"calendar days over a year end", "2026-12-15", days(90, false), "2027-03-15", false},
		{"working days skip the weekend", "2026-09-25", days(2, true), "2026-09-29", false},
		{"working days skip holidays and weekends", "2026-09-30", days(3, true), "2026-10-08", false},
		{"working days count a makeup Saturday", "2026-10-08", days(2, true), "2026-10-10", false},
		{"exempt", "2026-03-01", pledge.PostCheckPolicy{Exempt: true}, "", false},
		{"bad date", "2026-3-1", days(3, false), "", true},
		{"zero limit", "2026-03-01", days(0, true), "", true},
		{"too long", "2026-03-01", days(MaxTimeLimitDays+1, false), "", true},
	}
	for _, c := range cases {
		got, err := DueDate(c.decided, c.p, cal)
		if (err != nil) != c.err || got != c.want {
			t.Errorf("%s: got %q, %v", c.name, got, err)
		}
	}
}

func TestCovers(t *testing.T) {
	cases := []struct {
		j, r string
		want bool
	}{
		{"110000", "110105", true}, {"110100", "110105", true}, {"110105", "110105", true},
		{"110105", "110106", false}, {"310000", "110105", false}, {"", "110105", false},
		{"110000", "", false}, {"X1", "X1", true}, {"100000", "110105", false},
	}
	for _, c := range cases {
		if got := Covers(c.j, c.r); got != c.want {
			t.Errorf("Covers(%q, %q) = %v", c.j, c.r, got)
		}
	}
}

// FuzzCompute feeds arbitrary populations and parameters: Compute never
// panics, and a valid spec gives a selection within bounds, twice the same.
func FuzzCompute(f *testing.F) {
	f.Add("P1:A,P2:B,P3:C", 100, 1, testSeed)
	f.Add("P1:A,P1:A", 1000, 0, testSeed)
	f.Add("", 5, 3, "zz")
	f.Add("x\t:B,y:Q", 5, 3, testSeed)
	f.Fuzz(func(t *testing.T, pop string, ratio, floor int, seed string) {
		s := DrawSpec{Seed: seed, RatioPermille: ratio, Floor: floor, TierWeights: DefaultTierWeights()}
		for _, item := range strings.Split(pop, ",") {
			id, tier, _ := strings.Cut(item, ":")
			s.Population = append(s.Population, Candidate{PledgeID: id, Tier: tier})
		}
		a, err := Compute(s)
		if err != nil {
			if apperr.KindOf(err) != apperr.Malformed {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(a.Selection) > len(s.Population) || len(a.Selection) < min(floor, len(s.Population)) {
			t.Fatalf("%d selected of %d (floor %d)", len(a.Selection), len(s.Population), floor)
		}
		b, _ := Compute(s)
		if !reflect.DeepEqual(a, b) {
			t.Fatal("not deterministic")
		}
	})
}
