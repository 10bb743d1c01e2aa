package enforce

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/registry"
)

// DrawRequest asks for a draw. The population is not the caller's: the
// service builds it from its own decided pledges (their post-check tasks)
// matching the filters. An empty Spec.Seed makes the service pick 32
// random bytes; a published seed (e.g. from a lottery or a public beacon,
// agreed beforehand) may be given instead. Spec.Population is ignored.
type DrawRequest struct {
	// Region (covered by the caller's jurisdiction; a city or province
	// code draws over its districts) and Matter select the pledges.
	Region string
	Matter string
	// DecidedFrom and DecidedTo (YYYY-MM-DD, inclusive, optional) bound
	// the decision dates.
	DecidedFrom string
	DecidedTo   string
	Period      string // free text, e.g. 2026-Q1
	// Tiers gives the credit tier of pledges of the population (from the
	// credit system); a pledge not named gets DefaultTier. Naming a pledge
	// that is not in the population is refused.
	Tiers   map[string]string
	Spec    DrawSpec
	Comment string
}

// DefaultTier is the credit tier of a drawn pledge the request does not rate.
const DefaultTier = "B"

// maxTaskScan bounds how many post-check tasks of its matter and period
// one draw reads (Service.taskScan, which tests lower).
const maxTaskScan = 4 * MaxPopulation

// population builds a draw's population: the decided, not exempt pledges
// (one post-check task each) of the region and matter, decided within the
// dates, sorted by pledge ID, each with its tier.
func (s *Service) population(ctx context.Context, req DrawRequest) ([]Candidate, error) {
	if s.d.Tasks == nil {
		return nil, apperr.New(apperr.Unavailable, "post-check tasks are not configured; draws need them")
	}
	bad := func(f string, a ...any) error {
		return apperr.New(apperr.Malformed, f, a...).WithCode(apperr.CodeDrawInvalid)
	}
	for _, d := range []string{req.DecidedFrom, req.DecidedTo} {
		if d != "" {
			if _, err := ParseDate(d); err != nil {
				return nil, bad("decidedFrom and decidedTo must be YYYY-MM-DD")
			}
		}
	}
	if req.DecidedFrom != "" && req.DecidedTo != "" && req.DecidedFrom > req.DecidedTo {
		return nil, bad("decidedFrom is after decidedTo")
	}
	from, to := int64(0), int64(99991231)
	if req.DecidedFrom != "" {
		from = dueScore(req.DecidedFrom)
	}
	if req.DecidedTo != "" {
		to = dueScore(req.DecidedTo)
	}
	raws, err := s.d.Tasks.TasksDecided(ctx, req.Matter, from, to, int64(s.taskScan)+1)
	if err != nil {
		return nil, err
	}
	if len(raws) > s.taskScan {
		return nil, bad("the matter has more than %d post-check tasks in the period; narrow the decision dates", s.taskScan)
	}
	var pop []Candidate
	in := map[string]bool{}
	for _, b := range raws {
		var t Task
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a stored task does not decode")
		}
		if t.Exempt || t.Matter != req.Matter || !Covers(req.Region, t.Region) ||
			(req.DecidedFrom != "" && t.Decided < req.DecidedFrom) || (req.DecidedTo != "" && t.Decided > req.DecidedTo) {
			continue
		}
		tier := DefaultTier
		if x, ok := req.Tiers[t.PledgeID]; ok {
			tier = x
		}
		pop = append(pop, Candidate{PledgeID: t.PledgeID, Tier: tier})
		in[t.PledgeID] = true
	}
	for id := range req.Tiers {
		if !in[id] {
			return nil, bad("tiers names %s, which is not a decided pledge of this region, matter and period", id)
		}
	}
	if len(pop) == 0 {
		return nil, apperr.New(apperr.Malformed, "no decided pledge matches the region, matter and decision dates / 无符合条件的已决定承诺").WithCode(apperr.CodeDrawEmpty)
	}
	if len(pop) > MaxPopulation {
		return nil, bad("the population would hold more than %d pledges; narrow the decision dates", MaxPopulation)
	}
	sort.Slice(pop, func(i, j int) bool { return pop[i].PledgeID < pop[j].PledgeID })
	return pop, nil
}

// Draw is a stored, audited, publicly viewable draw record. It names
// pledges by ID only (no personal data).
type Draw struct {
	ID            string         `json:"id"`
	Region        string         `json:"region"`
	Matter        string         `json:"matter"`
	DecidedFrom   string         `json:"decidedFrom,omitempty"`
	DecidedTo     string         `json:"decidedTo,omitempty"`
	Period        string         `json:"period"`
	Seed          string         `json:"seed"`
	RatioPermille int            `json:"ratioPermille"`
	TierWeights   map[string]int `json:"tierWeights"`
	Floor         int            `json:"floor"`
	Inspectors    []string       `json:"inspectors"`
	PerPledge     int            `json:"inspectorsPerPledge"`
	Population    []Candidate    `json:"population"`
	Result        DrawResult     `json:"result"`
	At            time.Time      `json:"at"`
	Actor         string         `json:"actor"`
	Seq           uint64         `json:"seq"`
}

// Spec returns the spec the draw was computed from, to recompute it.
func (d Draw) Spec() DrawSpec {
	return DrawSpec{Seed: d.Seed, RatioPermille: d.RatioPermille, TierWeights: d.TierWeights, Floor: d.Floor,
		Inspectors: d.Inspectors, InspectorsPerPledge: d.PerPledge, Population: d.Population}
}

// RunDraw builds the population from the service's decided pledges,
// computes, stores and audits a draw in one change. Only enforcement
// officers whose jurisdiction covers the region may draw.
func (s *Service) RunDraw(ctx context.Context, p auth.Principal, req DrawRequest) (Draw, error) {
	if p.Role != auth.RoleEnforcement {
		return Draw{}, forbidden("only enforcement officers run draws")
	}
	if !codePattern.MatchString(req.Region) || !codePattern.MatchString(req.Matter) || len(req.Period) > 64 {
		return Draw{}, apperr.New(apperr.Malformed, "region and matter must be codes and period at most 64 bytes").WithCode(apperr.CodeDrawInvalid)
	}
	if !Covers(p.Org, req.Region) {
		return Draw{}, apperr.New(apperr.Forbidden, "the region is outside your jurisdiction / 超出管辖范围").WithCode(apperr.CodeOutOfScope)
	}
	pop, err := s.population(ctx, req)
	if err != nil {
		return Draw{}, err
	}
	spec := req.Spec
	spec.Population = pop
	if spec.Seed == "" {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return Draw{}, apperr.Wrap(apperr.Internal, err, "cannot make a seed")
		}
		spec.Seed = hex.EncodeToString(b)
	}
	if spec.TierWeights == nil {
		spec.TierWeights = DefaultTierWeights()
	}
	res, err := Compute(spec)
	if err != nil {
		return Draw{}, err
	}
	id, err := newID("D")
	if err != nil {
		return Draw{}, err
	}
	now := s.d.Clock.Now().UTC().Truncate(time.Millisecond)
	d := Draw{ID: id, Region: req.Region, Matter: req.Matter, DecidedFrom: req.DecidedFrom, DecidedTo: req.DecidedTo, Period: req.Period, Seed: spec.Seed,
		RatioPermille: spec.RatioPermille, TierWeights: spec.TierWeights, Floor: spec.Floor, Inspectors: spec.Inspectors,
		PerPledge: spec.InspectorsPerPledge, Population: spec.Population, Result: res, At: now, Actor: p.Actor()}
	if d.Inspectors == nil {
		d.Inspectors = []string{}
	}
	body, err := json.Marshal(d)
	if err != nil {
		return Draw{}, apperr.Wrap(apperr.Internal, err, "cannot encode a draw")
	}
	a, err := s.d.Registry.ApplyEnforcement(ctx, registry.Change{Action: "enforce.draw", Actor: actorOf(p), Effective: now,
		Data: map[string]string{"draw": id, "seed": spec.Seed, "populationDigest": res.PopulationDigest,
			"population": strconv.Itoa(res.PopulationSize), "selected": strconv.Itoa(len(res.Selection)),
			"region": req.Region, "matter": req.Matter, "decidedFrom": req.DecidedFrom, "decidedTo": req.DecidedTo}},
		registry.EnforcementWrite{DrawID: id, Draw: body})
	if err != nil {
		return Draw{}, err
	}
	d.Seq = a.Seq
	return d, nil
}

// GetDraw returns a stored draw (public).
func (s *Service) GetDraw(ctx context.Context, id string) (Draw, error) {
	if !codePattern.MatchString(id) {
		return Draw{}, apperr.New(apperr.Malformed, "a draw ID is a code")
	}
	b, err := s.d.Registry.GetDraw(ctx, id)
	if err != nil {
		return Draw{}, err
	}
	var d Draw
	if err := json.Unmarshal(b, &d); err != nil {
		return Draw{}, apperr.Wrap(apperr.Internal, err, "a stored draw does not decode")
	}
	return d, nil
}

// Rerun recomputes a stored draw from its seed and population and reports
// whether the selection is the one recorded.
func (s *Service) Rerun(ctx context.Context, id string) (DrawResult, bool, error) {
	d, err := s.GetDraw(ctx, id)
	if err != nil {
		return DrawResult{}, false, err
	}
	res, err := Compute(d.Spec())
	if err != nil {
		return DrawResult{}, false, err
	}
	b1, _ := json.Marshal(res)
	b2, _ := json.Marshal(d.Result)
	return res, string(b1) == string(b2), nil
}
