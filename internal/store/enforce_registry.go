package store

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// Enforcement records live in the registry slot ({reg}) so that a
// consequence — the pledge's revocation event, the credit bar, the finding
// and the audit entry — is one run of applyLua (see
// docs/decisions/enforce-consequence-slot.md). Keys:
//
//	{reg}:enf:bar:<subject>    HASH  bar id → bar JSON; "<bar id>#lift" → lift JSON
//	{reg}:enf:finding:<id>     HASH  body → finding JSON, pledge, seq
//	{reg}:enf:findings:<pledge> ZSET finding ids by recorded time (ms)
//	{reg}:enf:draw:<id>        HASH  body → draw JSON
//	{reg}:enf:draws            ZSET  draw ids by recorded time (ms)
//	{reg}:enf:disclosed        ZSET  publicly listed finding ids by effective time (ms)
//	{reg}:enf:order:<pledge>   HASH  last → outcome of the pledge's latest finding, id → its id
//
// The order hash is the one value here that changes: every finding
// overwrites it in the script that records the finding, after checking that
// the current value is one the new finding may follow (FindingOrder), so
// two concurrent findings cannot both pass the check.
//
// Records are written once (the script refuses an existing key or field)
// and never changed: a lift is a new field next to the bar it lifts.
func (s *Store) enfBarKey(subject string) string { return s.key(regTag, "enf", "bar", subject) }
func (s *Store) enfFindingKey(id string) string  { return s.key(regTag, "enf", "finding", id) }
func (s *Store) enfFindingsKey(pl string) string { return s.key(regTag, "enf", "findings", pl) }
func (s *Store) enfDrawKey(id string) string     { return s.key(regTag, "enf", "draw", id) }
func (s *Store) enfDrawsKey() string             { return s.key(regTag, "enf", "draws") }
func (s *Store) enfDisclosedKey() string         { return s.key(regTag, "enf", "disclosed") }
func (s *Store) enfOrderKey(pl string) string    { return s.key(regTag, "enf", "order", pl) }
func liftField(barID string) string              { return barID + "#lift" }
func isLiftField(f string) bool                  { return strings.HasSuffix(f, "#lift") }

// ops builds the script ops of w (see applyLua: 'N' new hash, 'F' new
// field, 'Z' sorted-set member).
func (r *Registry) enforcementOps(kl *keyList, w *registry.EnforcementWrite, recorded time.Time) (int, []any, error) {
	var args []any
	n := 0
	score := recorded.UnixMilli()
	if w.FindingID != "" {
		args = append(args, "N", kl.at(r.st.enfFindingKey(w.FindingID)), 2, "body", w.Finding, "pledge", w.PledgeID)
		args = append(args, "Z", kl.at(r.st.enfFindingsKey(w.PledgeID)), score, w.FindingID)
		n += 2
		if w.Disclose {
			args = append(args, "Z", kl.at(r.st.enfDisclosedKey()), score, w.FindingID)
			n++
		}
		if o := w.Order; o != nil {
			args = append(args, "O", kl.at(r.st.enfOrderKey(w.PledgeID)), kl.at(r.st.enfFindingsKey(w.PledgeID)),
				strings.Join(o.After, ","), o.Latest, o.Outcome, w.FindingID)
			n++
		}
	}
	if w.Bar != nil {
		b := *w.Bar
		b.Start, b.End = b.Start.UTC(), b.End.UTC()
		body, err := json.Marshal(b)
		if err != nil {
			return 0, nil, apperr.Wrap(apperr.Internal, err, "cannot encode a bar")
		}
		args = append(args, "F", kl.at(r.st.enfBarKey(b.Subject)), b.ID, body)
		n++
	}
	if w.Lift != nil {
		body, err := json.Marshal(w.Lift)
		if err != nil {
			return 0, nil, apperr.Wrap(apperr.Internal, err, "cannot encode a bar lift")
		}
		args = append(args, "F", kl.at(r.st.enfBarKey(w.LiftSubject)), liftField(w.Lift.BarID), body)
		n++
	}
	if w.DrawID != "" {
		args = append(args, "N", kl.at(r.st.enfDrawKey(w.DrawID)), 1, "body", w.Draw)
		args = append(args, "Z", kl.at(r.st.enfDrawsKey()), score, w.DrawID)
		n += 2
	}
	return n, args, nil
}

// ApplyEnforcement commits an enforcement change in one run of the
// registry's write script: the status event on c.Items (none for a finding
// without consequence or a draw), the finding, bar, lift or draw records of
// w, and the audit entry — all or nothing. Like Apply, a Conflict means
// nothing was written and an Unavailable error means applied whole or not at
// all (read before retrying).
func (r *Registry) ApplyEnforcement(ctx context.Context, c registry.Change, w registry.EnforcementWrite) (registry.Applied, error) {
	if err := w.Validate(); err != nil {
		return registry.Applied{}, err
	}
	if len(c.Items) == 0 {
		// An audit-only change: validate the rest with a placeholder item.
		if len(c.From) == 0 {
			c.From = []status.Code{status.Unknown}
		}
		probe := c
		probe.Items = []status.Subject{{Kind: status.KindPledge, ID: "-"}}
		if probe.To == "" {
			probe.To = status.Active
		}
		if err := probe.Validate(); err != nil {
			return registry.Applied{}, err
		}
		if c.To == "" {
			c.To = status.Active
		}
	} else if err := c.Validate(); err != nil {
		return registry.Applied{}, err
	}
	p, err := r.plan(c)
	if err != nil {
		return registry.Applied{}, err
	}
	// Listing scores use the change's effective time, so they do not depend
	// on the attempt that wins.
	nops, opArgs, err := r.enforcementOps(p.kl, &w, p.entry.Effective)
	if err != nil {
		return registry.Applied{}, err
	}
	return r.commit(ctx, p, nops, opArgs)
}

// EnforcementBars reads the credit bars that enforcement consequences wrote
// into the registry slot, each with its lift applied (Repaired set).
func (r *Registry) EnforcementBars(ctx context.Context, subject string) ([]pledge.Bar, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	vals, err := r.st.rdb.HGetAll(ctx, r.st.enfBarKey(subject)).Result()
	if err != nil {
		return nil, mapErr(err, "bar not found")
	}
	lifts := map[string]registry.BarLift{}
	var out []pledge.Bar
	for f, v := range vals {
		if isLiftField(f) {
			var l registry.BarLift
			if err := json.Unmarshal([]byte(v), &l); err != nil {
				return nil, apperr.Wrap(apperr.Internal, err, "a stored bar lift does not decode")
			}
			lifts[l.BarID] = l
			continue
		}
		var b pledge.Bar
		if err := json.Unmarshal([]byte(v), &b); err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a stored bar does not decode")
		}
		out = append(out, b)
	}
	for i := range out {
		if l, ok := lifts[out[i].ID]; ok {
			out[i].Repaired = true
			out[i].RepairedAt = l.At
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// GetFinding returns a finding's stored JSON and the pledge it concerns.
func (r *Registry) GetFinding(ctx context.Context, id string) ([]byte, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	b, err := r.st.rdb.HGet(ctx, r.st.enfFindingKey(id), "body").Bytes()
	if err != nil {
		return nil, mapErr(err, "no such finding / 未找到核查结论")
	}
	return b, nil
}

// FindingsOf returns the stored JSON of every finding on a pledge, oldest first.
func (r *Registry) FindingsOf(ctx context.Context, pledgeID string) ([][]byte, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	ids, err := r.st.rdb.ZRange(ctx, r.st.enfFindingsKey(pledgeID), 0, -1).Result()
	if err != nil {
		return nil, mapErr(err, "no findings")
	}
	return r.findingBodies(ctx, ids)
}

// DisclosedFindings returns the stored JSON of publicly listed findings
// whose effective time lies in [fromMs, toMs], newest first, at most limit.
func (r *Registry) DisclosedFindings(ctx context.Context, fromMs, toMs, limit int64) ([][]byte, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	ids, err := r.st.rdb.ZRevRangeByScore(ctx, r.st.enfDisclosedKey(), &redis.ZRangeBy{
		Min: strconv.FormatInt(fromMs, 10), Max: strconv.FormatInt(toMs, 10), Count: limit}).Result()
	if err != nil {
		return nil, mapErr(err, "no findings")
	}
	return r.findingBodies(ctx, ids)
}

// findingBodies reads the stored JSON of the listed findings in one
// pipelined round trip (all in the registry's slot), in the order given.
func (r *Registry) findingBodies(ctx context.Context, ids []string) ([][]byte, error) {
	if len(ids) == 0 {
		return [][]byte{}, nil
	}
	pipe := r.st.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, r.st.enfFindingKey(id), "body")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, mapErr(err, "a listed finding is missing")
	}
	out := make([][]byte, len(ids))
	for i, c := range cmds {
		b, err := c.Bytes()
		if err != nil {
			return nil, mapErr(err, "a listed finding is missing")
		}
		out[i] = b
	}
	return out, nil
}

// GetDraw returns a draw's stored JSON.
func (r *Registry) GetDraw(ctx context.Context, id string) ([]byte, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	b, err := r.st.rdb.HGet(ctx, r.st.enfDrawKey(id), "body").Bytes()
	if err != nil {
		return nil, mapErr(err, "no such draw / 未找到抽查记录")
	}
	return b, nil
}

// DrawIDs lists draw IDs, newest first, at most limit.
func (r *Registry) DrawIDs(ctx context.Context, limit int64) ([]string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	ids, err := r.st.rdb.ZRevRange(ctx, r.st.enfDrawsKey(), 0, limit-1).Result()
	if err != nil {
		return nil, mapErr(err, "no draws")
	}
	return ids, nil
}

// AllBars is the pledge.CombinedBars over this store: the bars put in base,
// the bars enforcement consequences wrote into the registry slot and the
// withdrawal bars in the pledge shards.
func AllBars(base pledge.BarRepo, reg *Registry) pledge.CombinedBars {
	return pledge.CombinedBars{Base: base, Also: []pledge.BarReader{reg.EnforcementBars, reg.st.WithdrawalBars}}
}
