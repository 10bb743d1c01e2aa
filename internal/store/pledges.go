package store

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// pledgeDraftLua stores a draft unless one exists and returns the stored
// value. KEYS[1] draft key; ARGV[1] value; ARGV[2] TTL in milliseconds.
const pledgeDraftLua = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end
return redis.call('GET', KEYS[1])
`

// pledgeCreateLua creates the pledge hash unless it exists and returns the
// stored {meta, doc}. KEYS[1] record hash; ARGV meta, sealed document, status.
const pledgeCreateLua = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'doc', ARGV[2], 'status', ARGV[3], 'rev', '1')
  return {1, ARGV[1], ARGV[2]}
end
return {0, redis.call('HGET', KEYS[1], 'meta'), redis.call('HGET', KEYS[1], 'doc')}
`

// pledgeMoveLua applies one status transition if the record is still at the
// revision read and its status is one of the allowed sources. KEYS[1]
// record hash; ARGV[1] revision read; ARGV[2] new meta; ARGV[3] new status;
// ARGV[4..] allowed source statuses. Returns 1 applied, 0 revision moved
// (retry), -1 status not allowed, -2 no record.
const pledgeMoveLua = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then return 0 end
local st = redis.call('HGET', KEYS[1], 'status')
local ok = false
for i = 4, #ARGV do if ARGV[i] == st then ok = true end end
if not ok then return -1 end
redis.call('HSET', KEYS[1], 'meta', ARGV[2], 'status', ARGV[3], 'rev', tostring(tonumber(ARGV[1]) + 1))
return 1
`

// pledgeMoveAttempts bounds optimistic retries of one transition.
const pledgeMoveAttempts = 8

// PledgeRepo implements pledge.PledgeRepo. Each pledge lives in its own
// slot ({pl:ID}): its draft and its record hash (meta, doc, status, rev).
// The document (name, ID number), and the record itself (an own
// certificate and the CMS carry the applicant's identity; facts and reasons
// may too), are sealed with SM4-GCM bound to the pledge id and field; only
// the status and the revision are in the clear. The applicant is known only
// by keyed-hash index.
type PledgeRepo struct {
	st                  *Store
	pii                 *pii.Protector
	draft, create, move *redis.Script
}

var (
	_ pledge.PledgeRepo = (*PledgeRepo)(nil)
	_ status.Source     = (*PledgeRepo)(nil)
)

// NewPledgeRepo returns the pledge repository over s, sealing personal data
// with p.
func NewPledgeRepo(s *Store, p *pii.Protector) *PledgeRepo {
	return &PledgeRepo{st: s, pii: p, draft: redis.NewScript(pledgeDraftLua),
		create: redis.NewScript(pledgeCreateLua), move: redis.NewScript(pledgeMoveLua)}
}

func (r *PledgeRepo) draftKey(id string) string  { return r.st.key("pl:"+id, "draft") }
func (r *PledgeRepo) recordKey(id string) string { return r.st.key("pl:"+id, "rec") }

// PII field names bound into the SM4-GCM associated data.
const (
	fieldDraftDocument  = "draft-document"
	fieldPledgeDocument = "document"
	fieldPledgeMeta     = "meta"
)

// sealMeta encodes and seals the record (without its document).
func (r *PledgeRepo) sealMeta(rec pledge.Record) ([]byte, error) {
	meta, err := json.Marshal(rec)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "cannot encode a pledge")
	}
	return r.pii.Seal(rec.ID, fieldPledgeMeta, meta)
}

// openMeta opens and decodes a sealed record into v.
func (r *PledgeRepo) openMeta(id, sealed string, v any) error {
	meta, err := r.pii.Open(id, fieldPledgeMeta, []byte(sealed))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(meta, v); err != nil {
		return apperr.Wrap(apperr.Internal, err, "a stored pledge does not decode")
	}
	return nil
}

type storedDraft struct {
	pledge.Draft
	Sealed []byte `json:"doc"`
}

// PutDraft implements pledge.PledgeRepo.
func (r *PledgeRepo) PutDraft(ctx context.Context, d pledge.Draft, ttl time.Duration) (pledge.Draft, error) {
	sealed, err := r.pii.Seal(d.ID, fieldDraftDocument, d.Document)
	if err != nil {
		return pledge.Draft{}, err
	}
	body, err := json.Marshal(storedDraft{Draft: d, Sealed: sealed})
	if err != nil {
		return pledge.Draft{}, apperr.Wrap(apperr.Internal, err, "cannot encode a draft")
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	got, err := r.draft.Run(ctx, r.st.rdb, []string{r.draftKey(d.ID)}, body, ttl.Milliseconds()).Text()
	if err != nil {
		return pledge.Draft{}, mapErr(err, "no such draft")
	}
	return r.decodeDraft(d.ID, got)
}

func (r *PledgeRepo) decodeDraft(id, body string) (pledge.Draft, error) {
	var sd storedDraft
	if err := json.Unmarshal([]byte(body), &sd); err != nil {
		return pledge.Draft{}, apperr.Wrap(apperr.Internal, err, "a stored draft does not decode")
	}
	doc, err := r.pii.Open(id, fieldDraftDocument, sd.Sealed)
	if err != nil {
		return pledge.Draft{}, err
	}
	d := sd.Draft
	d.Document = doc
	return d, nil
}

// GetDraft implements pledge.PledgeRepo.
func (r *PledgeRepo) GetDraft(ctx context.Context, id string) (pledge.Draft, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	body, err := r.st.rdb.Get(ctx, r.draftKey(id)).Result()
	if err != nil {
		return pledge.Draft{}, mapErr(err, "no such draft")
	}
	return r.decodeDraft(id, body)
}

func (r *PledgeRepo) decodeRecord(id, meta, doc string, status string) (pledge.Record, error) {
	var rec pledge.Record
	if err := r.openMeta(id, meta, &rec); err != nil {
		return pledge.Record{}, err
	}
	plain, err := r.pii.Open(id, fieldPledgeDocument, []byte(doc))
	if err != nil {
		return pledge.Record{}, err
	}
	rec.Document = plain
	if status != "" {
		rec.Status = pledge.Status(status)
	}
	return rec, nil
}

// CreatePledge implements pledge.PledgeRepo.
func (r *PledgeRepo) CreatePledge(ctx context.Context, rec pledge.Record) (pledge.Record, bool, error) {
	sealed, err := r.pii.Seal(rec.ID, fieldPledgeDocument, rec.Document)
	if err != nil {
		return pledge.Record{}, false, err
	}
	meta, err := r.sealMeta(rec)
	if err != nil {
		return pledge.Record{}, false, err
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	res, err := r.create.Run(ctx, r.st.rdb, []string{r.recordKey(rec.ID)}, meta, sealed, string(rec.Status)).Slice()
	if err != nil {
		return pledge.Record{}, false, mapErr(err, "no such pledge")
	}
	if len(res) != 3 {
		return pledge.Record{}, false, apperr.New(apperr.Internal, "unexpected reply from the pledge store")
	}
	created, _ := res[0].(int64)
	m, _ := res[1].(string)
	d, _ := res[2].(string)
	stored, err := r.decodeRecord(rec.ID, m, d, "")
	if err != nil {
		return pledge.Record{}, false, err
	}
	// Drafts are kept until they expire: a repeat after creation finds the
	// pledge first, so a leftover draft is harmless.
	return stored, created == 1, nil
}

// GetPledge implements pledge.PledgeRepo.
func (r *PledgeRepo) GetPledge(ctx context.Context, id string) (pledge.Record, error) {
	rec, _, err := r.get(ctx, id)
	return rec, err
}

func (r *PledgeRepo) get(ctx context.Context, id string) (pledge.Record, string, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	vals, err := r.st.rdb.HMGet(ctx, r.recordKey(id), "meta", "doc", "status", "rev").Result()
	if err != nil {
		return pledge.Record{}, "", mapErr(err, "no such pledge")
	}
	if vals[0] == nil {
		return pledge.Record{}, "", apperr.New(apperr.NotFound, "no such pledge").WithCode("PLEDGE_NOT_FOUND")
	}
	meta, _ := vals[0].(string)
	doc, _ := vals[1].(string)
	st, _ := vals[2].(string)
	rev, _ := vals[3].(string)
	rec, err := r.decodeRecord(id, meta, doc, st)
	return rec, rev, err
}

// Transition implements pledge.PledgeRepo with optimistic concurrency: read,
// build the new record, and apply it only if nothing moved in between.
func (r *PledgeRepo) Transition(ctx context.Context, id string, t pledge.Transition) (pledge.Record, error) {
	for range pledgeMoveAttempts {
		rec, rev, err := r.get(ctx, id)
		if err != nil {
			return pledge.Record{}, err
		}
		if !slices.Contains(t.From, rec.Status) {
			return pledge.Record{}, apperr.New(apperr.Conflict, "the pledge is %s", rec.Status).WithCode("STATUS_CONFLICT")
		}
		rec.Status = t.Event.To
		rec.Events = append(rec.Events, t.Event)
		if t.Decision != nil {
			rec.Decision = t.Decision
		}
		meta, err := r.sealMeta(rec)
		if err != nil {
			return pledge.Record{}, err
		}
		args := []any{rev, meta, string(t.Event.To)}
		for _, f := range t.From {
			args = append(args, string(f))
		}
		cctx, cancel := r.st.ctx(ctx)
		n, err := r.move.Run(cctx, r.st.rdb, []string{r.recordKey(id)}, args...).Int64()
		cancel()
		if err != nil {
			return pledge.Record{}, mapErr(err, "no such pledge")
		}
		switch n {
		case 1:
			return rec, nil
		case -1:
			return pledge.Record{}, apperr.New(apperr.Conflict, "the pledge changed status meanwhile").WithCode("STATUS_CONFLICT")
		case -2:
			return pledge.Record{}, apperr.New(apperr.NotFound, "no such pledge").WithCode("PLEDGE_NOT_FOUND")
		}
	}
	return pledge.Record{}, apperr.New(apperr.Unavailable, "the pledge is being changed by others; try again").WithCode("TRY_LATER")
}

// Pledge workflow codes that status.Code does not name.
const (
	PledgeCodeSigned   status.Code = "SIGNED"
	PledgeCodeReturned status.Code = "RETURNED"
)

// pledgeCode maps a workflow status to the status vocabulary: an accepted
// pledge is ACTIVE; SIGNED (awaiting the decision) and RETURNED keep their
// own names.
func pledgeCode(s pledge.Status) status.Code {
	switch s {
	case pledge.StatusSigned:
		return PledgeCodeSigned
	case pledge.StatusAccepted:
		return status.Active
	case pledge.StatusWithdrawn:
		return status.Withdrawn
	case pledge.StatusReturned:
		return PledgeCodeReturned
	case pledge.StatusFalse:
		return status.False
	case pledge.StatusNotFulfilled:
		return status.NotFulfilled
	case pledge.StatusRevoked:
		return status.Revoked
	}
	return status.Unknown
}

func pledgeStateAt(events []pledge.Event, at time.Time) status.State {
	st := status.State{Code: status.Unknown}
	for _, ev := range events {
		if ev.At.After(at) {
			continue
		}
		if st.Code == status.Unknown || !ev.At.Before(st.Since) {
			st = status.State{Code: pledgeCode(ev.To), Since: ev.At, Reason: ev.Reason, DocumentNo: ev.DocumentNo}
		}
	}
	return st
}

// Lookup implements status.Source for pledge workflow states (subjects of
// kind pledge, by ID; anything else is answered UNKNOWN): the state at time
// at and now, from each pledge's event list, read in one pipelined round
// trip. It fails (Unavailable) rather than guess when Redis cannot be read.
func (r *PledgeRepo) Lookup(ctx context.Context, at time.Time, subjects []status.Subject) (status.Answer, error) {
	if len(subjects) > MaxBatch {
		return status.Answer{}, apperr.New(apperr.Malformed, "at most %d subjects per lookup", MaxBatch)
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	now := r.st.clock.Now()
	cmds := make([]*redis.SliceCmd, len(subjects))
	pipe := r.st.rdb.Pipeline()
	n := 0
	for i, s := range subjects {
		if s.Kind == status.KindPledge && s.ID != "" {
			cmds[i] = pipe.HMGet(ctx, r.recordKey(s.ID), "meta")
			n++
		}
	}
	if n > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return status.Answer{}, mapErr(err, "no such pledge")
		}
	}
	ans := status.Answer{Results: make([]status.Result, len(subjects)), ReadAt: now}
	for i, s := range subjects {
		res := status.Result{Subject: s, At: status.State{Code: status.Unknown}, Now: status.State{Code: status.Unknown}}
		if cmds[i] != nil {
			if meta, ok := cmds[i].Val()[0].(string); ok {
				var m struct {
					Events []pledge.Event `json:"events"`
				}
				if err := r.openMeta(s.ID, meta, &m); err != nil {
					return status.Answer{}, err
				}
				res.At, res.Now = pledgeStateAt(m.Events, at), pledgeStateAt(m.Events, now)
			}
		}
		ans.Results[i] = res
	}
	return ans, nil
}
