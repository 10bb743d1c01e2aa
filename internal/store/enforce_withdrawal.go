package store

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// Withdrawal bars (pledge-domain.md "Withdrawal": "May create a scoped bar
// (exams)"). When the catalogue entry a pledge was signed under has
// Withdrawal.BarDays set, withdrawing the pledge bars the applicant's
// pledges for the matter (scope MATTER or EXAM) for that many days. The
// withdrawal is a transition in the record's shard slot, so the bar is
// written there by the same script (pledgeMoveLua, op 'B'):
//
//	{pls:NN}:wbar:<subject>  HASH  bar id ("W" + pledge id) → bar JSON
//
// and AllBars (pledge.CombinedBars) reads the 16 shards' hashes of a subject in one
// pipeline, next to the other bars.

// WithdrawalBarSource names the source of withdrawal bars.
const WithdrawalBarSource = "pledgeseal-withdrawal"

func (s *Store) withdrawalBarKey(shard int, subject string) string {
	return s.key(pledgeShardTag(shard), "wbar", subject)
}

// withdrawalOp returns the bar a withdrawal at at writes under policy p
// (none when p sets no bar).
func (r *PledgeRepo) withdrawalOp(rec pledge.Record, p pledge.WithdrawalPolicy, at time.Time, shard int) (moveOp, error) {
	if p.BarDays <= 0 {
		return moveOp{}, nil
	}
	scope := p.Scope
	if scope == "" {
		scope = pledge.ScopeMatter
	}
	days := min(p.BarDays, pledge.MaxWithdrawalBarDays)
	// The pledge service checks bars at whole seconds: the bar starts at
	// the start of the second of the withdrawal.
	start := at.UTC().Truncate(time.Second)
	b := pledge.Bar{ID: "W" + rec.ID, Subject: rec.Applicant, Reason: pledge.BarWithdrawnExam, ScopeKind: scope,
		ScopeValue: rec.Entry.Matter, Start: start, End: start.AddDate(0, 0, days), Source: WithdrawalBarSource,
		EndRule: pledge.Text{Zh: "撤回承诺后" + strconv.Itoa(days) + "日内不得以告知承诺方式办理本事项",
			En: "no pledge for this matter within " + strconv.Itoa(days) + " days of a withdrawal"}}
	if err := b.Validate(); err != nil {
		return moveOp{}, err
	}
	body, err := json.Marshal(b)
	if err != nil {
		return moveOp{}, apperr.Wrap(apperr.Internal, err, "cannot encode a bar")
	}
	return moveOp{kind: "B", key: r.st.withdrawalBarKey(shard, rec.Applicant), a: b.ID, b: string(body)}, nil
}

// WithdrawalBars returns the withdrawal bars of subject from every pledge
// shard (one pipeline), by ID.
func (s *Store) WithdrawalBars(ctx context.Context, subject string) ([]pledge.Bar, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, PledgeShards)
	for sh := range PledgeShards {
		cmds[sh] = pipe.HGetAll(ctx, s.withdrawalBarKey(sh, subject))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, mapErr(err, "bar not found")
	}
	var out []pledge.Bar
	for _, c := range cmds {
		for _, v := range c.Val() {
			var b pledge.Bar
			if err := json.Unmarshal([]byte(v), &b); err != nil {
				return nil, apperr.Wrap(apperr.Internal, err, "a stored bar does not decode")
			}
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
