package store

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// BarRepo implements pledge.BarRepo: one hash per subject (its keyed-hash
// index, never the identity), bar id → JSON. Bars are replaced, never
// deleted: a repair is a new version of the record with Repaired set.
type BarRepo struct{ st *Store }

var _ pledge.BarRepo = (*BarRepo)(nil)

// NewBarRepo returns the bar repository over s.
func NewBarRepo(s *Store) *BarRepo { return &BarRepo{st: s} }

func (r *BarRepo) barsKey(subject string) string { return r.st.key("bar:"+subject, "bars") }

// PutBar implements pledge.BarRepo.
func (r *BarRepo) PutBar(ctx context.Context, b pledge.Bar) error {
	if err := b.Validate(); err != nil {
		return err
	}
	body, err := json.Marshal(b)
	if err != nil {
		return apperr.Wrap(apperr.Internal, err, "cannot encode a bar")
	}
	// The log entry names the bar, not its subject (an applicant's keyed
	// index): the SM3 of the stored bar commits to it.
	logBody, err := r.st.logEvent("bar", "bar.put", map[string]string{"bar": b.ID, "reason": b.Reason, "sm3": sm3Hex(body)})
	if err != nil {
		return err
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	k := r.barsKey(b.Subject)
	_, err = r.st.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, b.ID, body)
		p.XAdd(ctx, &redis.XAddArgs{Stream: r.st.tlogPendingKey(k), Values: []any{"e", logBody}})
		return nil
	})
	r.st.markLog(k)
	return mapErr(err, "bar not found")
}

// BarsFor implements pledge.BarRepo.
func (r *BarRepo) BarsFor(ctx context.Context, subject string) ([]pledge.Bar, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	vals, err := r.st.rdb.HVals(ctx, r.barsKey(subject)).Result()
	if err != nil {
		return nil, mapErr(err, "bar not found")
	}
	out := make([]pledge.Bar, 0, len(vals))
	for _, v := range vals {
		var b pledge.Bar
		if err := json.Unmarshal([]byte(v), &b); err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a stored bar does not decode")
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
