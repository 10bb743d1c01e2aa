package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// Public disclosure of decided pledges (公示).
//
// When a pledge is decided under a catalogue entry (the version in force
// when it was signed) whose disclosure policy publishes pledges, the decision's script (pledgeMoveLua) also adds the
// pledge to its shard's public index of its region and matter and stores
// the end of the publication in the record:
//
//	{pls:NN}:pub:<region>:<matter>  ZSET  "TIME:ID" (decision time), score 0
//	{pls:NN}:rec:<id>  field pub     STRING end of publication (Unix ms)
//
// so publication is written atomically with the decision, in the record's
// own slot. Leaving the list is decided when reading (internal/enforce):
// the period has ended, or the registry state of the pledge is no longer
// ACTIVE or UNKNOWN (revoked, false, not fulfilled). Nothing is deleted,
// so a reversal on appeal puts a pledge back. A withdrawn or returned
// pledge was never decided and is never indexed.

// EntryPolicies finds the catalogue entry a pledge was signed under
// (*pledge.Catalogue implements it).
type EntryPolicies interface {
	EntryAt(ctx context.Context, key pledge.EntryKey, at time.Time) (pledge.Entry, error)
}

// MaxPublicationDays bounds a publication whatever the policy says: five
// years.
const MaxPublicationDays = 5 * 366

func (r *PledgeRepo) publicIndexKey(shard int, region, matter string) string {
	return r.st.key(pledgeShardTag(shard), "pub", region, matter)
}

// moveOp is the optional write of a transition (see pledgeMoveLua): kind
// "" (none), "P" (publish: a = until, Unix ms) or "B" (withdrawal bar: a =
// bar id, b = bar JSON), on key.
type moveOp struct{ kind, key, a, b string }

// transitionOp returns what a transition writes besides the record, its
// indexes and its event, from the policy of the catalogue entry the pledge
// was signed under: a decision may publish the pledge, a withdrawal may bar
// the applicant (enforce_withdrawal.go).
func (r *PledgeRepo) transitionOp(ctx context.Context, rec pledge.Record, t pledge.Transition, shard int) (moveOp, error) {
	if r.policies == nil || (t.Event.To != pledge.StatusAccepted && t.Event.To != pledge.StatusWithdrawn) {
		return moveOp{}, nil
	}
	e, err := r.policies.EntryAt(ctx, rec.Entry, rec.CreatedAt)
	if apperr.KindOf(err) == apperr.NotFound {
		return moveOp{}, nil // no entry in force, no policy
	}
	if err != nil {
		return moveOp{}, err
	}
	if t.Event.To == pledge.StatusWithdrawn {
		return r.withdrawalOp(rec, e.Withdrawal, t.Event.At, shard)
	}
	if !e.Disclosure.Publish || e.Disclosure.Days <= 0 {
		return moveOp{}, nil
	}
	days := min(e.Disclosure.Days, MaxPublicationDays)
	return moveOp{kind: "P", key: r.publicIndexKey(shard, rec.Entry.Region, rec.Entry.Matter),
		a: strconv.FormatInt(t.Event.At.AddDate(0, 0, days).UnixMilli(), 10)}, nil
}

// ListPublished reads one page of the public index of region and matter,
// newest decision first: limit+1 members of every shard (one pipeline),
// merged, then their records (one pipeline). Records that are no longer
// accepted are left out; expiry and registry state are the caller's to
// check.
func (r *PledgeRepo) ListPublished(ctx context.Context, region, matter, cursor string, limit int) (pledge.PublishedPage, error) {
	if limit < 1 || limit > pledge.MaxPublishedPage {
		return pledge.PublishedPage{}, apperr.New(apperr.Malformed, "limit must be 1 to %d", pledge.MaxPublishedPage).WithCode(apperr.CodeFieldInvalid)
	}
	for _, c := range []struct{ what, v string }{{"region", region}, {"matter", matter}} {
		if c.v == "" || len(c.v) > 64 || strings.ContainsAny(c.v, "{}: \t\r\n") {
			return pledge.PublishedPage{}, apperr.New(apperr.Malformed, "%s must be a catalogue code", c.what).WithCode(apperr.CodeFieldInvalid)
		}
	}
	ids, recs, next, err := r.newestAcrossShards(ctx, cursor, limit,
		func(sh int) string { return r.publicIndexKey(sh, region, matter) }, "meta", "doc", "status", "pub")
	if err != nil {
		return pledge.PublishedPage{}, err
	}
	page := pledge.PublishedPage{Entries: []pledge.Published{}, Next: next}
	for i, c := range recs {
		p, ok, err := r.published(ids[i], c.Val())
		if err != nil {
			return pledge.PublishedPage{}, err
		}
		if ok {
			page.Entries = append(page.Entries, p)
		}
	}
	return page, nil
}

// GetPublished returns a pledge if it was published on its decision
// (NotFound otherwise, as for a pledge that does not exist).
func (r *PledgeRepo) GetPublished(ctx context.Context, id string) (pledge.Published, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	vals, err := r.st.rdb.HMGet(ctx, r.recordKey(id), "meta", "doc", "status", "pub").Result()
	if err != nil {
		return pledge.Published{}, mapErr(err, "no such pledge")
	}
	p, ok, err := r.published(id, vals)
	if err != nil {
		return pledge.Published{}, err
	}
	if !ok {
		return pledge.Published{}, apperr.New(apperr.NotFound, "no published pledge %s / 未找到公示的承诺", id).WithCode(apperr.CodePledgeNotFound)
	}
	return p, nil
}

// published decodes HMGET meta, doc, status, pub; ok is false unless the
// record exists, is accepted and was published.
func (r *PledgeRepo) published(id string, vals []any) (pledge.Published, bool, error) {
	meta, _ := vals[0].(string)
	doc, _ := vals[1].(string)
	st, _ := vals[2].(string)
	pub, _ := vals[3].(string)
	if meta == "" || pub == "" || pledge.Status(st) != pledge.StatusAccepted {
		return pledge.Published{}, false, nil
	}
	ms, err := strconv.ParseInt(pub, 10, 64)
	if err != nil {
		return pledge.Published{}, false, apperr.New(apperr.Internal, "a stored publication end does not decode")
	}
	rec, err := r.decodeRecord(id, meta, doc, st)
	if err != nil {
		return pledge.Published{}, false, err
	}
	return pledge.Published{Record: rec, Until: time.UnixMilli(ms).UTC()}, true, nil
}
