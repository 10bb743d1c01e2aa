package store

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// ReadForSigning implements pledge.PledgeRepo: the pledge and the draft
// of pledgeID and the latest published version of notice noticeID, queued
// on one pipeline: one round trip on a single node (on a cluster, one per
// node, sent concurrently). Each part is decoded exactly as GetPledge,
// GetDraft and NoticeRepo.LatestNoticeVersion decode it.
func (r *PledgeRepo) ReadForSigning(ctx context.Context, pledgeID, noticeID string) (pledge.SigningState, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	pipe := r.st.rdb.Pipeline()
	rec := pipe.HMGet(ctx, r.recordKey(pledgeID), "meta", "doc", "status")
	draft := pipe.Get(ctx, r.draftKey(pledgeID))
	latest := pipe.HLen(ctx, (&NoticeRepo{st: r.st}).versionsKey(noticeID))
	_, _ = pipe.Exec(ctx) // each command's error is read below; a missing draft is redis.Nil
	var out pledge.SigningState
	vals, err := rec.Result()
	if err != nil {
		return out, mapErr(err, "no such pledge")
	}
	if len(vals) == 3 && vals[0] != nil {
		meta, _ := vals[0].(string)
		doc, _ := vals[1].(string)
		status, _ := vals[2].(string)
		rr, err := r.decodeRecord(pledgeID, meta, doc, status)
		if err != nil {
			return out, err
		}
		out.Pledge = &rr
	}
	body, err := draft.Result()
	switch {
	case err == nil:
		d, err := r.decodeDraft(pledgeID, body)
		if err != nil {
			return out, err
		}
		out.Draft = &d
	case !errors.Is(err, redis.Nil):
		return out, mapErr(err, "no such draft")
	}
	n, err := latest.Result()
	if err != nil {
		return out, mapErr(err, "no such notice")
	}
	out.LatestNotice = int(n)
	return out, nil
}
