package store

import (
	"context"
	"encoding/json"
	"sort"

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
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	return mapErr(r.st.rdb.HSet(ctx, r.barsKey(b.Subject), b.ID, body).Err(), "bar not found")
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
