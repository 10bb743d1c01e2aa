package enforce

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// DrawRequest asks for a draw over a population. An empty Seed makes the
// service pick 32 random bytes; a published seed (e.g. from a lottery or a
// public beacon, agreed beforehand) may be given instead.
type DrawRequest struct {
	Region  string
	Matter  string
	Period  string // free text, e.g. 2026-Q1
	Spec    DrawSpec
	Comment string
}

// Draw is a stored, audited, publicly viewable draw record. It names
// pledges by ID only (no personal data).
type Draw struct {
	ID            string         `json:"id"`
	Region        string         `json:"region"`
	Matter        string         `json:"matter"`
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

// RunDraw computes, stores and audits a draw in one change. Only
// enforcement officers whose jurisdiction covers the region may draw.
func (s *Service) RunDraw(ctx context.Context, p auth.Principal, req DrawRequest) (Draw, error) {
	if p.Role != auth.RoleEnforcement {
		return Draw{}, forbidden("only enforcement officers run draws")
	}
	if !codePattern.MatchString(req.Region) || !codePattern.MatchString(req.Matter) || len(req.Period) > 64 {
		return Draw{}, apperr.New(apperr.Malformed, "region and matter must be codes and period at most 64 bytes").WithCode("DRAW_INVALID")
	}
	if !Covers(p.Org, req.Region) {
		return Draw{}, forbidden("the region is outside your jurisdiction")
	}
	spec := req.Spec
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
	d := Draw{ID: id, Region: req.Region, Matter: req.Matter, Period: req.Period, Seed: spec.Seed,
		RatioPermille: spec.RatioPermille, TierWeights: spec.TierWeights, Floor: spec.Floor, Inspectors: spec.Inspectors,
		PerPledge: spec.InspectorsPerPledge, Population: spec.Population, Result: res, At: now, Actor: p.Actor()}
	if d.Inspectors == nil {
		d.Inspectors = []string{}
	}
	body, err := json.Marshal(d)
	if err != nil {
		return Draw{}, apperr.Wrap(apperr.Internal, err, "cannot encode a draw")
	}
	a, err := s.d.Registry.ApplyEnforcement(ctx, store.Change{Action: "enforce.draw", Actor: actorOf(p), Effective: now,
		Data: map[string]string{"draw": id, "seed": spec.Seed, "populationDigest": res.PopulationDigest,
			"population": strconv.Itoa(res.PopulationSize), "selected": strconv.Itoa(len(res.Selection)),
			"region": req.Region, "matter": req.Matter}},
		store.EnforcementWrite{DrawID: id, Draw: body})
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
