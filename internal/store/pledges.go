package store

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// pledgeDraftLua stores a draft unless one exists and returns the stored
// value. KEYS[1] draft key; ARGV[1] value; ARGV[2] TTL in milliseconds.
const pledgeDraftLua = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return ARGV[1] end
return redis.call('GET', KEYS[1])
`

// pledgeTypesLua checks a key's type before a script writes anything:
// Redis does not roll back a script's earlier writes when a later command
// fails, so the record, its indexes and its outbox event must all be
// writable before the first write (a change without its event, or an event
// without its change, would break the outbox).
const pledgeTypesLua = `
local function want(k, t)
  local kt = redis.call('TYPE', k)['ok']
  return kt == 'none' or kt == t
end
`

// pledgeCreateLua creates the pledge hash unless it exists, indexes it for
// its applicant and for its agency under its status, appends the
// notification event to the shard's outbox, and returns the stored
// {created, meta, doc}. KEYS[1] record hash; KEYS[2] the applicant's index;
// KEYS[3] the agency's index for the status; KEYS[4] the shard's outbox
// stream; KEYS[5] the slot's transparency log pending stream (the event is
// the log entry too). ARGV meta, sealed document, status, applicant index member,
// agency index member, outbox event, status trail.
const pledgeCreateLua = pledgeTypesLua + `
if redis.call('EXISTS', KEYS[1]) == 0 then
  if not want(KEYS[2], 'zset') or not want(KEYS[3], 'zset') or not want(KEYS[4], 'stream') or not want(KEYS[5], 'stream') then return {-3, '', ''} end
  redis.call('HSET', KEYS[1], 'meta', ARGV[1], 'doc', ARGV[2], 'status', ARGV[3], 'rev', '1', 'ixa', ARGV[4], 'ixg', ARGV[5], 'sx', ARGV[7])
  redis.call('ZADD', KEYS[2], 0, ARGV[4])
  redis.call('ZADD', KEYS[3], 0, ARGV[5])
  redis.call('XADD', KEYS[4], '*', 'body', ARGV[6])
  redis.call('XADD', KEYS[5], '*', 'e', ARGV[6])
  return {1, ARGV[1], ARGV[2]}
end
return {0, redis.call('HGET', KEYS[1], 'meta'), redis.call('HGET', KEYS[1], 'doc')}
`

// pledgeMoveLua applies one status transition if the record is still at the
// revision read and its status is one of the allowed sources, moves the
// pledge from the agency's index of the status read to the index of the new
// status, appends the notification event to the shard's outbox and makes
// one optional write the transition causes: on a decision of a matter whose
// policy publishes pledges, the public listing ('P'); on a withdrawal of a
// matter whose policy bars withdrawing applicants, the bar ('B').
// KEYS[1] record hash; KEYS[2] the agency's index of the status read (the
// revision check guarantees it is still the status); KEYS[3] the agency's
// index of the new status; KEYS[4] the shard's outbox stream; KEYS[5]
// (only with an optional write) the shard's public index of the pledge's
// region and matter ('P') or the shard's withdrawal bars of the applicant
// ('B'); KEYS[#KEYS] (last) the slot's transparency log pending stream.
// ARGV[1] revision read; ARGV[2] new meta; ARGV[3] new status;
// ARGV[4] new agency index member (also the public index member); ARGV[5]
// outbox event; ARGV[6] optional write (empty, 'P' or 'B'); ARGV[7], ARGV[8]
// its values ('P': published until, Unix ms; 'B': bar id, bar JSON);
// ARGV[9] new status trail; ARGV[10..] allowed source statuses. Returns 1 applied, 0 revision moved
// (retry), -1 status not allowed, -2 no record, -3 a key holds a foreign
// type (nothing written).
const pledgeMoveLua = pledgeTypesLua + `
if redis.call('EXISTS', KEYS[1]) == 0 then return -2 end
if redis.call('HGET', KEYS[1], 'rev') ~= ARGV[1] then return 0 end
local st = redis.call('HGET', KEYS[1], 'status')
local ok = false
for i = 10, #ARGV do if ARGV[i] == st then ok = true end end
if not ok then return -1 end
if not want(KEYS[2], 'zset') or not want(KEYS[3], 'zset') or not want(KEYS[4], 'stream') or
  (ARGV[6] == 'P' and not want(KEYS[5], 'zset')) or (ARGV[6] == 'B' and not want(KEYS[5], 'hash')) or
  not want(KEYS[#KEYS], 'stream') then return -3 end
local old = redis.call('HGET', KEYS[1], 'ixg')
if old then redis.call('ZREM', KEYS[2], old) end
redis.call('ZADD', KEYS[3], 0, ARGV[4])
redis.call('HSET', KEYS[1], 'meta', ARGV[2], 'status', ARGV[3], 'rev', tostring(tonumber(ARGV[1]) + 1), 'ixg', ARGV[4], 'sx', ARGV[9])
if ARGV[6] == 'P' then
  redis.call('ZADD', KEYS[5], 0, ARGV[4])
  redis.call('HSET', KEYS[1], 'pub', ARGV[7])
elseif ARGV[6] == 'B' then
  redis.call('HSET', KEYS[5], ARGV[7], ARGV[8])
end
redis.call('XADD', KEYS[4], '*', 'body', ARGV[5])
redis.call('XADD', KEYS[#KEYS], '*', 'e', ARGV[5])
return 1
`

// pledgeMoveAttempts bounds optimistic retries of one transition.
const pledgeMoveAttempts = 8

// PledgeRepo implements pledge.PledgeRepo. A pledge's draft lives in its
// own slot ({pl:ID}); its record hash (meta, doc, status, rev and its two
// index members) lives in one of PledgeShards shard slots ({pls:NN}, NN
// from the pledge ID) together with that shard's listing indexes, so a
// change and its index updates are one script on one slot (see
// "Listings" below).
// The document (name, ID number), and the record itself (an own
// certificate and the CMS carry the applicant's identity; facts and reasons
// may too), are sealed with SM4-GCM bound to the pledge id and field; only
// the status and the revision are in the clear. The applicant is known only
// by keyed-hash index.
type PledgeRepo struct {
	st                  *Store
	pii                 *pii.Protector
	draft, create, move *redis.Script
	// policies finds the catalogue entry a pledge was signed under: its
	// disclosure policy says whether a decision publishes the pledge
	// (disclosure.go), its withdrawal policy whether a withdrawal bars the
	// applicant (enforce_withdrawal.go).
	policies EntryPolicies
}

var (
	_ pledge.PledgeRepo = (*PledgeRepo)(nil)
	_ status.Source     = (*PledgeRepo)(nil)
)

// NewPledgeRepo returns the pledge repository over s, sealing personal data
// with p. Decisions publish pledges and withdrawals bar applicants as the
// policies of the catalogue entry that policies finds say (disclosure.go,
// enforce_withdrawal.go): the domain's catalogue (internal/app/domain);
// nil publishes nothing and writes no withdrawal bar.
func NewPledgeRepo(s *Store, p *pii.Protector, policies EntryPolicies) *PledgeRepo {
	return &PledgeRepo{st: s, pii: p, draft: redis.NewScript(pledgeDraftLua),
		create: redis.NewScript(pledgeCreateLua), move: redis.NewScript(pledgeMoveLua),
		policies: policies}
}

func (r *PledgeRepo) draftKey(id string) string { return r.st.key("pl:"+id, "draft") }
func (r *PledgeRepo) recordKey(id string) string {
	return r.st.key(pledgeShardTag(pledgeShard(id)), "rec", id)
}

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
	ev, err := outboxEvent(rec, "", rec.Status, 1, enteredAt(rec))
	if err != nil {
		return pledge.Record{}, false, err
	}
	trail, err := statusTrail(rec.Events)
	if err != nil {
		return pledge.Record{}, false, err
	}
	shard := pledgeShard(rec.ID)
	keys := []string{r.recordKey(rec.ID), r.applicantIndexKey(shard, rec.Applicant), r.agencyIndexKey(shard, rec.Agency, rec.Status),
		r.st.pledgeOutboxKey(shard), r.st.tlogPendingKey(r.recordKey(rec.ID))}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	res, err := r.create.Run(ctx, r.st.rdb, keys, meta, sealed, string(rec.Status),
		indexMember(rec.CreatedAt, rec.ID), indexMember(enteredAt(rec), rec.ID), ev, trail).Slice()
	r.st.markLog(r.recordKey(rec.ID))
	if err != nil {
		return pledge.Record{}, false, mapErr(err, "no such pledge")
	}
	if len(res) != 3 {
		return pledge.Record{}, false, apperr.New(apperr.Internal, "unexpected reply from the pledge store")
	}
	created, _ := res[0].(int64)
	if created == -3 {
		return pledge.Record{}, false, apperr.New(apperr.Internal, "the pledge store holds unexpected data; nothing was written")
	}
	if created == 1 {
		// What is stored is what was sent: no need to open it again. The
		// times are as decoding would give them (no monotonic reading).
		out := rec
		out.CreatedAt = rec.CreatedAt.Round(0)
		out.Events = make([]pledge.Event, len(rec.Events))
		for i, e := range rec.Events {
			e.At = e.At.Round(0)
			out.Events[i] = e
		}
		return out, true, nil
	}
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

// PledgeAgency names the agency that owns a pledge (notify routes events
// about the pledge to it); NotFound when there is no such pledge.
func (r *PledgeRepo) PledgeAgency(ctx context.Context, id string) (string, error) {
	rec, _, err := r.get(ctx, id)
	if err != nil {
		return "", err
	}
	return rec.Agency, nil
}

func (r *PledgeRepo) get(ctx context.Context, id string) (pledge.Record, string, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	vals, err := r.st.rdb.HMGet(ctx, r.recordKey(id), "meta", "doc", "status", "rev").Result()
	if err != nil {
		return pledge.Record{}, "", mapErr(err, "no such pledge")
	}
	if vals[0] == nil {
		return pledge.Record{}, "", apperr.New(apperr.NotFound, "no such pledge").WithCode(apperr.CodePledgeNotFound)
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
			return pledge.Record{}, apperr.New(apperr.Conflict, "the pledge is %s", rec.Status).WithCode(apperr.CodeStatusConflict)
		}
		from := rec.Status
		rec.Status = t.Event.To
		rec.Events = append(rec.Events, t.Event)
		if t.Decision != nil {
			rec.Decision = t.Decision
		}
		meta, err := r.sealMeta(rec)
		if err != nil {
			return pledge.Record{}, err
		}
		revN, _ := strconv.ParseUint(rev, 10, 32)
		ev, err := outboxEvent(rec, from, t.Event.To, revN+1, t.Event.At)
		if err != nil {
			return pledge.Record{}, err
		}
		shard := pledgeShard(id)
		op, err := r.transitionOp(ctx, rec, t, shard)
		if err != nil {
			return pledge.Record{}, err
		}
		trail, err := statusTrail(rec.Events)
		if err != nil {
			return pledge.Record{}, err
		}
		args := []any{rev, meta, string(t.Event.To), indexMember(t.Event.At, id), ev, op.kind, op.a, op.b, trail}
		for _, f := range t.From {
			args = append(args, string(f))
		}
		keys := []string{r.recordKey(id), r.agencyIndexKey(shard, rec.Agency, from), r.agencyIndexKey(shard, rec.Agency, t.Event.To),
			r.st.pledgeOutboxKey(shard)}
		if op.kind != "" {
			keys = append(keys, op.key)
		}
		keys = append(keys, r.st.tlogPendingKey(r.recordKey(id)))
		cctx, cancel := r.st.ctx(ctx)
		n, err := r.move.Run(cctx, r.st.rdb, keys, args...).Int64()
		r.st.markLog(r.recordKey(id))
		cancel()
		if err != nil {
			return pledge.Record{}, mapErr(err, "no such pledge")
		}
		switch n {
		case 1:
			return rec, nil
		case -1:
			return pledge.Record{}, apperr.New(apperr.Conflict, "the pledge changed status meanwhile").WithCode(apperr.CodeStatusConflict)
		case -2:
			return pledge.Record{}, apperr.New(apperr.NotFound, "no such pledge").WithCode(apperr.CodePledgeNotFound)
		case -3:
			return pledge.Record{}, apperr.New(apperr.Internal, "the pledge store holds unexpected data; nothing was written")
		}
	}
	return pledge.Record{}, apperr.New(apperr.Unavailable, "the pledge is being changed by others; try again").WithCode(apperr.CodeTryLater)
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

// The status trail ('sx' in the record hash) is the record's events as the
// status lookups need them — state, time, decision number — in the clear,
// so a verification reads a pledge's state without opening the sealed
// record (no SM4-GCM, no decoding of certificates and signatures). It
// holds no personal data: actors and free-text reasons stay sealed in
// meta. Written by the same scripts as meta; records written before the
// trail existed are read from meta.
type trailEvent struct {
	To         pledge.Status `json:"t"`
	At         time.Time     `json:"a"`
	DocumentNo string        `json:"d,omitempty"`
}

func statusTrail(events []pledge.Event) (string, error) {
	t := make([]trailEvent, len(events))
	for i, e := range events {
		t[i] = trailEvent{To: e.To, At: e.At, DocumentNo: e.DocumentNo}
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "status trail")
	}
	return string(b), nil
}

// statusFields are the record fields statusEvents reads.
var statusFields = []string{"sx", "meta"}

// statusEvents returns a pledge's events for status lookups from the values
// of statusFields: the trail, or the sealed meta of a record written before
// the trail existed. found is false when there is no record.
func (r *PledgeRepo) statusEvents(id string, vals []any) (events []pledge.Event, found bool, err error) {
	if sx, ok := vals[0].(string); ok {
		var t []trailEvent
		if err := json.Unmarshal([]byte(sx), &t); err != nil {
			return nil, false, apperr.Wrap(apperr.Internal, err, "pledge %s: unreadable status trail", id)
		}
		events = make([]pledge.Event, len(t))
		for i, e := range t {
			events[i] = pledge.Event{To: e.To, At: e.At, DocumentNo: e.DocumentNo}
		}
		return events, true, nil
	}
	meta, ok := vals[1].(string)
	if !ok {
		return nil, false, nil
	}
	var m struct {
		Events []pledge.Event `json:"events"`
	}
	if err := r.openMeta(id, meta, &m); err != nil {
		return nil, false, err
	}
	return m.Events, true, nil
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
	if len(subjects) > registry.MaxBatch {
		return status.Answer{}, apperr.New(apperr.Malformed, "at most %d subjects per lookup", registry.MaxBatch)
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	now := r.st.clock.Now()
	cmds := make([]*redis.SliceCmd, len(subjects))
	pipe := r.st.rdb.Pipeline()
	n := 0
	for i, s := range subjects {
		if s.Kind == status.KindPledge && s.ID != "" {
			cmds[i] = pipe.HMGet(ctx, r.recordKey(s.ID), statusFields...)
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
			events, found, err := r.statusEvents(s.ID, cmds[i].Val())
			if err != nil {
				return status.Answer{}, err
			}
			if found {
				res.At, res.Now = pledgeStateAt(events, at), pledgeStateAt(events, now)
			}
		}
		ans.Results[i] = res
	}
	return ans, nil
}

// Listings.
//
// A listing spans many pledges, and a pledge's change must update its
// indexes in the same script, so on a cluster the indexes must share the
// record's slot. One slot per applicant or per agency cannot hold the
// record too (a pledge belongs to both, and GET by ID must find it from the
// ID alone), so records and indexes are split into PledgeShards shards by
// the pledge ID: shard NN holds the records of its pledges and, for them,
// the per-applicant index {pls:NN}:by-applicant:INDEX and the per-agency,
// per-status index {pls:NN}:by-agency:AGENCY:STATUS. A listing reads the
// index of every shard in one pipeline (go-redis sends one batch per node,
// concurrently) and merges. Index members are "TIME:ID" (TIME the
// zero-padded Unix nanoseconds) with score 0, so ZRANGE BYLEX REV orders
// them newest first with the ID as tie-break, and the last member of a page
// is an exact cursor. The applicant is known only by keyed-hash index.

// PledgeShards is the number of shard slots records and listing indexes are
// spread over. Changing it moves every record: it is part of the key layout.
const PledgeShards = 16

// pledgeShard returns the shard of a pledge ID (FNV-1a, so any ID maps).
func pledgeShard(id string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % PledgeShards)
}

func pledgeShardTag(shard int) string { return fmt.Sprintf("pls:%02x", shard) }

func (r *PledgeRepo) applicantIndexKey(shard int, subject string) string {
	return r.st.key(pledgeShardTag(shard), "by-applicant", subject)
}

func (r *PledgeRepo) agencyIndexKey(shard int, agency string, st pledge.Status) string {
	return r.st.key(pledgeShardTag(shard), "by-agency", agency, string(st))
}

// memberTimeDigits is the width of the time part of an index member.
const memberTimeDigits = 20

// indexMember is the sortable index member of pledge id at time t.
func indexMember(t time.Time, id string) string {
	ns := max(t.UnixNano(), 0)
	return fmt.Sprintf("%0*d:%s", memberTimeDigits, ns, id)
}

// enteredAt is when rec entered its current status (its last event).
func enteredAt(rec pledge.Record) time.Time {
	if n := len(rec.Events); n > 0 {
		return rec.Events[n-1].At
	}
	return rec.CreatedAt
}

// encodeCursor makes a page's last index member an opaque cursor.
func encodeCursor(member string) string { return base64.RawURLEncoding.EncodeToString([]byte(member)) }

// decodeCursor checks and decodes a cursor from a client ("" is the start).
func decodeCursor(c string) (string, error) {
	if c == "" {
		return "", nil
	}
	bad := apperr.New(apperr.Malformed, "the cursor is not one this service issued").WithCode(apperr.CodeCursorInvalid)
	if len(c) > 200 {
		return "", bad
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(c)
	if err != nil {
		return "", bad
	}
	m := string(b)
	ts, id, ok := strings.Cut(m, ":")
	if !ok || len(ts) != memberTimeDigits || id == "" || len(id) > 64 {
		return "", bad
	}
	if _, err := strconv.ParseUint(ts, 10, 64); err != nil {
		return "", bad
	}
	for _, ch := range id {
		if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch == '-' || ch == '_') {
			return "", bad
		}
	}
	return m, nil
}

// ListByApplicant implements pledge.PledgeRepo: the pledges of the
// applicant with keyed-hash index subject, newest signature first.
func (r *PledgeRepo) ListByApplicant(ctx context.Context, subject, cursor string, limit int) (pledge.Page, error) {
	return r.list(ctx, cursor, limit, "", func(shard int) string { return r.applicantIndexKey(shard, subject) })
}

// ListByAgency implements pledge.PledgeRepo: the agency's pledges now in
// status st, the latest to enter it first. A pledge that moves between the
// index read and the record read is left out of the page.
func (r *PledgeRepo) ListByAgency(ctx context.Context, agency string, st pledge.Status, cursor string, limit int) (pledge.Page, error) {
	return r.list(ctx, cursor, limit, st, func(shard int) string { return r.agencyIndexKey(shard, agency, st) })
}

// list reads one page: limit+1 members from every shard's index (one
// pipeline), the newest limit of them merged, then their records (one
// pipeline). want, if set, drops records no longer in that status.
func (r *PledgeRepo) list(ctx context.Context, cursor string, limit int, want pledge.Status, key func(int) string) (pledge.Page, error) {
	if limit < 1 || limit > pledge.MaxPageSize {
		return pledge.Page{}, apperr.New(apperr.Malformed, "limit must be 1 to %d", pledge.MaxPageSize).WithCode(apperr.CodeFieldInvalid)
	}
	ids, recs, next, err := r.newestAcrossShards(ctx, cursor, limit, key, "meta", "doc", "status")
	if err != nil {
		return pledge.Page{}, err
	}
	page := pledge.Page{Records: []pledge.Record{}, Next: next}
	for i, c := range recs {
		vals := c.Val()
		meta, ok := vals[0].(string)
		if !ok {
			continue // an index entry without its record cannot be written by the scripts
		}
		doc, _ := vals[1].(string)
		st, _ := vals[2].(string)
		if want != "" && pledge.Status(st) != want {
			continue
		}
		rec, err := r.decodeRecord(ids[i], meta, doc, st)
		if err != nil {
			return pledge.Page{}, err
		}
		page.Records = append(page.Records, rec)
	}
	return page, nil
}

// newestAcrossShards reads one page of a listing split over the pledge
// shards: limit+1 members after cursor from every shard's index (key(shard),
// one pipeline), the newest limit of them merged, then the given fields of
// their records (one pipeline). next is the cursor of the following page
// ("" on the last).
func (r *PledgeRepo) newestAcrossShards(ctx context.Context, cursor string, limit int, key func(int) string, fields ...string) (ids []string, recs []*redis.SliceCmd, next string, err error) {
	after, err := decodeCursor(cursor)
	if err != nil {
		return nil, nil, "", err
	}
	start := "+"
	if after != "" {
		start = "(" + after
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	pipe := r.st.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, PledgeShards)
	for sh := range PledgeShards {
		cmds[sh] = pipe.ZRangeArgs(ctx, redis.ZRangeArgs{Key: key(sh), Start: start, Stop: "-", ByLex: true, Rev: true, Count: int64(limit) + 1})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, "", mapErr(err, "no such listing")
	}
	var members []string
	for _, c := range cmds {
		members = append(members, c.Val()...)
	}
	slices.SortFunc(members, func(a, b string) int { return cmp.Compare(b, a) })
	if len(members) > limit {
		members = members[:limit]
		next = encodeCursor(members[limit-1])
	}
	if len(members) == 0 {
		return nil, nil, next, nil
	}
	ids = make([]string, len(members))
	recs = make([]*redis.SliceCmd, len(members))
	pipe = r.st.rdb.Pipeline()
	for i, m := range members {
		_, ids[i], _ = strings.Cut(m, ":")
		recs[i] = pipe.HMGet(ctx, r.recordKey(ids[i]), fields...)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, "", mapErr(err, "no such pledge")
	}
	return ids, recs, next, nil
}
