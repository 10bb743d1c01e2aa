package enforce

import (
	"encoding/hex"
	"regexp"
	"sort"
	"strings"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// Candidate is one member of a draw's population: a pledge and the credit
// tier of its applicant.
type Candidate struct {
	PledgeID string `json:"pledgeId"`
	Tier     string `json:"tier"`
}

// DefaultTierWeights weight the base ratio by credit tier, in percent:
// good credit is checked less, poor credit more (pledge-domain.md).
func DefaultTierWeights() map[string]int {
	return map[string]int{"A": 50, "B": 100, "C": 150, "D": 200}
}

// DrawSpec fixes a draw. Everything that decides the selection is in it,
// so anyone holding it (and the published population) can recompute the
// selection.
type DrawSpec struct {
	// Seed is published with the draw; lowercase hex, 32 to 128 characters.
	Seed string `json:"seed"`
	// RatioPermille is the base sampling ratio in ‰ (1..1000).
	RatioPermille int `json:"ratioPermille"`
	// TierWeights multiply the base ratio per tier, in percent.
	TierWeights map[string]int `json:"tierWeights"`
	// Floor is the minimum number of pledges selected (capped at the
	// population size).
	Floor int `json:"floor"`
	// Inspectors is the roster; InspectorsPerPledge are assigned to each
	// selected pledge.
	Inspectors          []string    `json:"inspectors,omitempty"`
	InspectorsPerPledge int         `json:"inspectorsPerPledge,omitempty"`
	Population          []Candidate `json:"-"`
}

// Selected is one drawn pledge.
type Selected struct {
	PledgeID   string   `json:"pledgeId"`
	Tier       string   `json:"tier"`
	Rank       string   `json:"rank"` // hex SM3(seed ‖ pledge id)
	Inspectors []string `json:"inspectors,omitempty"`
}

// DrawResult is the outcome of Compute.
type DrawResult struct {
	PopulationDigest string         `json:"populationDigest"`
	PopulationSize   int            `json:"populationSize"`
	TierCounts       map[string]int `json:"tierCounts"`
	TierQuotas       map[string]int `json:"tierQuotas"`
	Selection        []Selected     `json:"selection"`
}

// MaxPopulation bounds one draw.
const MaxPopulation = 100000

var (
	seedPattern = regexp.MustCompile(`^[0-9a-f]{32,128}$`)
	codePattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)
)

// Rank returns hex SM3(seed ‖ id): the seed as its hex text, then the id,
// with nothing between — exactly `printf '%s' "$SEED$ID" | openssl dgst -sm3`.
func Rank(seed, id string) string {
	h := sm3.Sum([]byte(seed + id))
	return hex.EncodeToString(h[:])
}

// PopulationDigest is hex SM3 over the population's lines "id<TAB>tier\n"
// sorted bytewise — exactly `LC_ALL=C sort population.tsv | openssl dgst -sm3`.
func PopulationDigest(pop []Candidate) string {
	lines := make([]string, len(pop))
	for i, c := range pop {
		lines[i] = c.PledgeID + "\t" + c.Tier + "\n"
	}
	sort.Strings(lines)
	h := sm3.Sum([]byte(strings.Join(lines, "")))
	return hex.EncodeToString(h[:])
}

// Validate checks a spec without computing it.
func (s *DrawSpec) Validate() error {
	bad := func(f string, a ...any) error {
		return apperr.New(apperr.Malformed, f, a...).WithCode(apperr.CodeDrawInvalid)
	}
	if !seedPattern.MatchString(s.Seed) {
		return bad("the seed must be 32 to 128 lowercase hex characters")
	}
	if s.RatioPermille < 1 || s.RatioPermille > 1000 {
		return bad("ratioPermille must be 1 to 1000")
	}
	if len(s.Population) == 0 || len(s.Population) > MaxPopulation {
		return bad("the population must hold 1 to %d pledges", MaxPopulation)
	}
	if s.Floor < 0 {
		return bad("floor must not be negative")
	}
	for t, w := range s.TierWeights {
		if !codePattern.MatchString(t) || w < 0 || w > 1000 {
			return bad("tier weights must be 0 to 1000 percent for tier codes")
		}
	}
	seen := map[string]bool{}
	for _, c := range s.Population {
		if !codePattern.MatchString(c.PledgeID) || !codePattern.MatchString(c.Tier) {
			return bad("pledge ids and tiers must be 1 to 64 characters of A-Z a-z 0-9 . _ -")
		}
		if seen[c.PledgeID] {
			return bad("pledge %s appears twice in the population", c.PledgeID)
		}
		seen[c.PledgeID] = true
		if _, ok := s.TierWeights[c.Tier]; !ok {
			return bad("tier %q has no weight", c.Tier)
		}
	}
	if s.InspectorsPerPledge < 0 || s.InspectorsPerPledge > len(s.Inspectors) {
		return bad("inspectorsPerPledge must be 0 to the roster size")
	}
	rs := map[string]bool{}
	for _, in := range s.Inspectors {
		if !codePattern.MatchString(in) || rs[in] {
			return bad("inspector codes must be unique codes of A-Z a-z 0-9 . _ -")
		}
		rs[in] = true
	}
	return nil
}

type ranked struct {
	c    Candidate
	rank string
}

func sortRanked(rs []ranked) {
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].rank != rs[j].rank {
			return rs[i].rank < rs[j].rank
		}
		return rs[i].c.PledgeID < rs[j].c.PledgeID
	})
}

// Compute performs a draw. It is a pure function of the spec:
//  1. each pledge's rank is Rank(seed, id);
//  2. tier t with n pledges gets quota ceil(n × ratio‰ × weight% / 100000),
//     at most n, and its lowest-ranked pledges fill it;
//  3. if fewer than min(floor, population) were selected, the lowest-ranked
//     of the rest (all tiers together) are added until that many are;
//  4. each selected pledge gets the InspectorsPerPledge inspectors with the
//     lowest Rank(seed, pledge id + inspector).
//
// The selection is listed by rank.
func Compute(s DrawSpec) (DrawResult, error) {
	if err := s.Validate(); err != nil {
		return DrawResult{}, err
	}
	byTier := map[string][]ranked{}
	var all []ranked
	for _, c := range s.Population {
		r := ranked{c: c, rank: Rank(s.Seed, c.PledgeID)}
		byTier[c.Tier] = append(byTier[c.Tier], r)
		all = append(all, r)
	}
	res := DrawResult{PopulationDigest: PopulationDigest(s.Population), PopulationSize: len(s.Population),
		TierCounts: map[string]int{}, TierQuotas: map[string]int{}}
	chosen := map[string]bool{}
	var sel []ranked
	for t, rs := range byTier {
		sortRanked(rs)
		n := len(rs)
		num := n * s.RatioPermille * s.TierWeights[t]
		q := (num + 99999) / 100000
		if q > n {
			q = n
		}
		res.TierCounts[t], res.TierQuotas[t] = n, q
		for _, r := range rs[:q] {
			chosen[r.c.PledgeID] = true
			sel = append(sel, r)
		}
	}
	floor := min(s.Floor, len(all))
	if len(sel) < floor {
		sortRanked(all)
		for _, r := range all {
			if len(sel) >= floor {
				break
			}
			if !chosen[r.c.PledgeID] {
				chosen[r.c.PledgeID] = true
				sel = append(sel, r)
			}
		}
	}
	sortRanked(sel)
	res.Selection = make([]Selected, len(sel))
	for i, r := range sel {
		res.Selection[i] = Selected{PledgeID: r.c.PledgeID, Tier: r.c.Tier, Rank: r.rank,
			Inspectors: assignInspectors(s.Seed, r.c.PledgeID, s.Inspectors, s.InspectorsPerPledge)}
	}
	return res, nil
}

func assignInspectors(seed, pledgeID string, roster []string, k int) []string {
	if k == 0 {
		return nil
	}
	rs := make([]ranked, len(roster))
	for i, in := range roster {
		rs[i] = ranked{c: Candidate{PledgeID: in}, rank: Rank(seed, pledgeID+in)}
	}
	sortRanked(rs)
	out := make([]string, k)
	for i := range out {
		out[i] = rs[i].c.PledgeID
	}
	return out
}
