package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"
	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// Limits on one change. They keep a script's argument list and an audit
// entry bounded.
const (
	// MaxItems is the most subjects one change may touch.
	MaxItems = 5000
	// MaxBatch is the most subjects one lookup may ask about.
	MaxBatch = 1000
	// maxInlineSubjects is how many subjects an audit entry lists by name;
	// larger changes are committed to by ItemsDigest only.
	maxInlineSubjects = 64
	maxIDLen          = 256
	maxTextLen        = 512
	// applyAttempts bounds retries when concurrent writers move the audit head.
	applyAttempts = 64
)

// Registry is the Redis side of the seal and revocation registry: a status
// index (subject → compact event history), seal records, and the audit
// chain, all in the registry slot. It is safe for concurrent use.
type Registry struct {
	st     *Store
	apply  script
	lookup script

	writeCalls  atomic.Int64
	lookupCalls atomic.Int64
	lookups     atomic.Int64
}

// NewRegistry returns the registry over s.
func NewRegistry(s *Store) *Registry {
	r := &Registry{st: s}
	r.apply = script{s: redis.NewScript(applyLua), calls: &r.writeCalls}
	r.lookup = script{s: redis.NewScript(lookupLua), calls: &r.lookupCalls}
	return r
}

// Store returns the underlying store.
func (r *Registry) Store() *Store { return r.st }

// Stats counts what the registry sent to Redis.
type Stats struct {
	// Lookups is the number of registry reads answered (batch lookups and
	// histories: each reads all its subjects in one script call).
	Lookups int64
	// LookupRoundTrips is the number of Redis calls those lookups made
	// (one each, plus one when Redis had to be sent a script it lost).
	LookupRoundTrips int64
	// WriteRoundTrips is the number of script calls sent for changes.
	WriteRoundTrips int64
}

// Stats returns the counters (monotonic; export them as Prometheus counters).
func (r *Registry) Stats() Stats {
	return Stats{Lookups: r.lookups.Load(), LookupRoundTrips: r.lookupCalls.Load(), WriteRoundTrips: r.writeCalls.Load()}
}

// Change is one atomic state change: the same event applied to every item,
// with its audit entry. From lists the states the items may be in
// (status.Unknown = no record yet); any other current state is a Conflict.
type Change struct {
	Action     string
	Actor      Actor
	To         status.Code
	From       []status.Code
	Reason     string
	DocumentNo string
	Effective  time.Time
	Note       string
	Items      []status.Subject
	// Data is extra audit detail (no personal data).
	Data map[string]string
	// Guards are pledge IDs whose latest enforcement finding must not be a
	// consequence (FALSE_CONFIRMED, NOT_FULFILLED): the state such a
	// finding set is changed only by its reversal (enforce.Service.Reverse),
	// which lifts the bar in the same script run. Checked inside the write
	// script; a guarded pledge is a Conflict FINDING_OWNED, nothing written.
	Guards []string
	// seal is set by CreateSeal: a record written with the change.
	seal *SealRecord
}

// Applied reports a committed change.
type Applied struct {
	Seq      uint64
	Hash     string
	Recorded time.Time
}

// indexEntry locates one index value: bucket key and field.
type indexEntry struct {
	bucket string
	field  string
	raw    []byte // kind byte, id/digest byte, 32-byte key: committed in ItemsDigest
}

func kindByte(k status.Kind) (byte, error) {
	switch k {
	case status.KindSeal:
		return 's', nil
	case status.KindCertificate:
		return 'c', nil
	case status.KindPledge:
		return 'p', nil
	}
	return 0, apperr.New(apperr.Malformed, "unknown subject kind %q (want seal, certificate or pledge)", k)
}

// idKey hashes a subject ID into the 32-byte index key space.
func idKey(kind status.Kind, id string) [32]byte {
	return sm3.Sum([]byte("PLEDGESEAL-ID-1\x00" + string(kind) + "\x00" + id))
}

// entriesOf returns the index entries of a subject: one for its ID, one for
// its digest (either may be absent, not both), the ID first. The scripts
// name buckets from the raw key with the same scheme (see indexLua), and
// the first change that names both links them for good.
func (r *Registry) entriesOf(sub status.Subject) ([]indexEntry, error) {
	kb, err := kindByte(sub.Kind)
	if err != nil {
		return nil, err
	}
	if len(sub.ID) > maxIDLen || !utf8.ValidString(sub.ID) {
		return nil, apperr.New(apperr.Malformed, "subject ID must be valid UTF-8 of at most %d bytes", maxIDLen)
	}
	var out []indexEntry
	add := func(tb byte, k [32]byte) {
		raw := append([]byte{kb, tb}, k[:]...)
		out = append(out, indexEntry{
			bucket: r.st.key(regTag, "ix", string([]byte{kb, tb}), hex.EncodeToString(k[:2])),
			field:  string(k[2:]),
			raw:    raw,
		})
	}
	if sub.ID != "" {
		add('i', idKey(sub.Kind, sub.ID))
	}
	if sub.Digest != ([32]byte{}) {
		add('d', sub.Digest)
	}
	if len(out) == 0 {
		return nil, apperr.New(apperr.Malformed, "a subject needs an ID or a digest")
	}
	return out, nil
}

func checkText(what, s string, max int) error {
	if len(s) > max || !utf8.ValidString(s) {
		return apperr.New(apperr.Malformed, "%s must be valid UTF-8 of at most %d bytes", what, max)
	}
	return nil
}

func (c *Change) validate() error {
	if c.Action == "" || c.Actor.ID == "" || c.Actor.Role == "" {
		return apperr.New(apperr.Malformed, "a change needs an action and an authenticated actor")
	}
	if len(c.Items) == 0 || len(c.Items) > MaxItems {
		return apperr.New(apperr.Malformed, "a change must touch 1 to %d subjects", MaxItems)
	}
	if len(c.From) == 0 {
		return apperr.New(apperr.Malformed, "a change must say which states it may leave")
	}
	for _, t := range []struct{ what, s string }{{"reason", c.Reason}, {"document number", c.DocumentNo},
		{"note", c.Note}, {"action", c.Action}, {"actor", c.Actor.ID + c.Actor.Role + c.Actor.Org}} {
		if err := checkText(t.what, t.s, maxTextLen); err != nil {
			return err
		}
	}
	ms := c.Effective.UnixMilli()
	if c.Effective.IsZero() || ms < 0 || ms >= 1<<48 {
		return apperr.New(apperr.Malformed, "effective time is required and must be after 1970")
	}
	return nil
}

// keyList assigns KEYS positions (1-based, as Lua sees them).
type keyList struct {
	keys []string
	pos  map[string]int
}

func (k *keyList) at(key string) int {
	if p, ok := k.pos[key]; ok {
		return p
	}
	k.keys = append(k.keys, key)
	k.pos[key] = len(k.keys)
	return len(k.keys)
}

// Apply commits a change and its audit entry atomically. A Conflict means
// nothing was written. An Unavailable error means the outcome is unknown
// (the change was applied whole or not at all): read before retrying.
func (r *Registry) Apply(ctx context.Context, c Change) (Applied, error) {
	if err := c.validate(); err != nil {
		return Applied{}, err
	}
	p, err := r.plan(c)
	if err != nil {
		return Applied{}, err
	}
	var opArgs []any
	nops := 0
	if c.seal != nil {
		nops, opArgs = r.sealOps(p.kl, c.seal)
	}
	for _, id := range c.Guards {
		if err := nonEmpty("guarded pledge id", id); err != nil {
			return Applied{}, err
		}
		opArgs = append(opArgs, "G", p.kl.at(r.st.enfOrderKey(id)), p.kl.at(r.st.enfFindingsKey(id)))
		nops++
	}
	return r.commit(ctx, p, nops, opArgs)
}

// plannedChange is a validated change turned into what the apply script
// needs: the target state byte, the allowed-from bytes, the keys, the
// per-item arguments and the audit entry (sequence and links not yet set).
type plannedChange struct {
	to       byte
	allowed  []byte
	kl       *keyList
	itemArgs []any
	all      []indexEntry
	nItems   int
	entry    AuditEntry
}

// plan prepares a validated change for commit. Callers add their own extra
// operations (seal records, enforcement writes) to p.kl before commit.
func (r *Registry) plan(c Change) (*plannedChange, error) {
	to, err := codeByte(c.To)
	if err != nil || to == noRecord {
		return nil, apperr.New(apperr.Malformed, "state %q cannot be recorded", c.To)
	}
	p := &plannedChange{to: to, kl: &keyList{pos: map[string]int{}}, nItems: len(c.Items)}
	for _, f := range c.From {
		b, err := codeByte(f)
		if err != nil {
			return nil, err
		}
		p.allowed = append(p.allowed, b)
	}
	p.kl.at(r.st.auditHeadKey())
	p.kl.at(r.st.auditEntriesKey())
	seen := map[string]bool{}
	subjects := make([]SubjectRef, 0, len(c.Items))
	for i, sub := range c.Items {
		ents, err := r.entriesOf(sub)
		if err != nil {
			return nil, apperr.Wrap(apperr.Malformed, err, "item %d: %s", i+1, apperr.As(err).Detail)
		}
		p.itemArgs = append(p.itemArgs, len(ents))
		for _, e := range ents {
			if seen[e.bucket+e.field] {
				return nil, apperr.New(apperr.Malformed, "item %d names a subject already in this change", i+1)
			}
			seen[e.bucket+e.field] = true
			p.kl.at(e.bucket)
			p.itemArgs = append(p.itemArgs, e.raw)
			p.all = append(p.all, e)
		}
		ref := SubjectRef{Kind: sub.Kind, ID: sub.ID}
		if sub.Digest != ([32]byte{}) {
			ref.Digest = hex.EncodeToString(sub.Digest[:])
		}
		subjects = append(subjects, ref)
	}
	changeID := make([]byte, 16)
	if _, err := rand.Read(changeID); err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "cannot make a change id")
	}
	p.entry = AuditEntry{
		V: AuditVersion, Change: hex.EncodeToString(changeID), Actor: c.Actor, Action: c.Action,
		Code: c.To, Reason: c.Reason, DocumentNo: c.DocumentNo, Effective: c.Effective.UTC().Truncate(time.Millisecond),
		Note: c.Note, Items: len(c.Items), Data: c.Data,
	}
	if len(subjects) <= maxInlineSubjects {
		p.entry.Subjects = subjects
	}
	return p, nil
}

// commit runs the apply script for p, retrying while the audit head moved
// under it (STALE).
func (r *Registry) commit(ctx context.Context, p *plannedChange, nops int, opArgs []any) (Applied, error) {
	for attempt := 0; attempt < applyAttempts; attempt++ {
		a, retry, err := r.applyOnce(ctx, &p.entry, p.to, p.allowed, p.all, p.kl, p.nItems, p.itemArgs, nops, opArgs)
		if !retry {
			return a, err
		}
		if attempt > 4 {
			time.Sleep(time.Duration(attempt) * time.Millisecond)
		}
	}
	return Applied{}, apperr.New(apperr.Unavailable, "the registry is busy; try again").WithCode(apperr.CodeTryLater)
}

// itemsDigest commits to the index entries a change writes, which are
// exactly the keys it names: SM3 over their sorted raw index keys (kind, ID
// or digest, 32-byte key), each followed by the event bytes. Store.VerifyIndex
// recomputes it from the index.
func itemsDigest(all []indexEntry, ev []byte) string {
	raws := make([][]byte, len(all))
	for i, e := range all {
		raws[i] = e.raw
	}
	sort.Slice(raws, func(i, j int) bool { return bytes.Compare(raws[i], raws[j]) < 0 })
	h := sm3.New()
	for _, raw := range raws {
		h.Write(raw)
		h.Write(ev)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func (r *Registry) applyOnce(ctx context.Context, entry *AuditEntry, to byte, allowed []byte, all []indexEntry,
	kl *keyList, nItems int, itemArgs []any, nops int, opArgs []any) (Applied, bool, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	headSeq, headHash, err := r.st.auditHead(ctx)
	if err != nil {
		return Applied{}, false, err
	}
	if headSeq >= maxSeq {
		return Applied{}, false, apperr.New(apperr.Internal, "the audit chain is full")
	}
	entry.Seq = headSeq + 1
	entry.Prev = hex.EncodeToString(headHash[:])
	entry.Recorded = r.st.clock.Now().UTC()
	ev := encodeEvent(to, entry.Effective, entry.Seq)
	entry.ItemsDigest = itemsDigest(all, ev)
	body, err := entry.encode()
	if err != nil {
		return Applied{}, false, apperr.Wrap(apperr.Internal, err, "cannot encode the audit entry")
	}
	hash := linkHash(headHash, body)
	args := []any{r.st.prefix, strconv.FormatUint(headSeq, 10), strconv.FormatUint(entry.Seq, 10), hex.EncodeToString(hash[:]),
		body, ev, allowed, nItems}
	args = append(args, itemArgs...)
	args = append(args, nops)
	args = append(args, opArgs...)
	res, err := r.apply.run(ctx, r.st.rdb, append(kl.keys[:len(kl.keys):len(kl.keys)], r.st.tlogPendingKey(r.st.auditEntriesKey())), args...)
	r.st.markLog(r.st.auditEntriesKey())
	if err != nil {
		// The reply was lost: the script ran whole or not at all. If our
		// entry is at the next sequence number, the change is committed.
		if ok, _ := r.committed(context.WithoutCancel(ctx), entry); ok {
			return Applied{Seq: entry.Seq, Hash: hex.EncodeToString(hash[:]), Recorded: entry.Recorded}, false, nil
		}
		return Applied{}, false, mapErr(err, "registry")
	}
	reply, _ := res.([]any)
	if len(reply) == 0 {
		return Applied{}, false, apperr.New(apperr.Internal, "unexpected registry reply")
	}
	str := func(i int) string {
		if i < len(reply) {
			s, _ := reply[i].(string)
			return s
		}
		return ""
	}
	switch str(0) {
	case "OK":
		return Applied{Seq: entry.Seq, Hash: hex.EncodeToString(hash[:]), Recorded: entry.Recorded}, false, nil
	case "STALE":
		// Another writer moved the head; a retried call of ours may be it.
		if ok, err := r.committed(ctx, entry); err == nil && ok {
			return Applied{Seq: entry.Seq, Hash: hex.EncodeToString(hash[:]), Recorded: entry.Recorded}, false, nil
		}
		return Applied{}, true, nil
	case "CONFLICT":
		cur := status.Unknown
		if s := str(2); s != "" && s != string(noRecord) {
			cur = codeOf(s[0])
		}
		return Applied{}, false, apperr.New(apperr.Conflict, "item %s is %s; %s is not allowed from that state", str(1), cur, entry.Action).WithCode(apperr.CodeStateConflict)
	case "EFFECTIVE":
		return Applied{}, false, apperr.New(apperr.Conflict, "item %s already has a later event; effective times may not go backwards", str(1)).WithCode(apperr.CodeEffectiveTime)
	case "BINDING":
		return Applied{}, false, apperr.New(apperr.Conflict, "item %s: this ID is already bound to a different digest (or the digest to a different ID)", str(1)).WithCode(apperr.CodeBindingConflict)
	case "DUPLICATE":
		return Applied{}, false, apperr.New(apperr.Malformed, "item %s names a subject already in this change (by its other identifier)", str(1))
	case "EXISTS":
		return Applied{}, false, apperr.New(apperr.Conflict, "the record already exists").WithCode(apperr.CodeExists)
	case "ORDER":
		return Applied{}, false, apperr.New(apperr.Conflict, "the pledge's latest finding is now %s; this finding may not follow it", orNoFinding(str(1))).WithCode(apperr.CodeFindingOrder)
	case "FINDING":
		return Applied{}, false, apperr.New(apperr.Conflict, "item %s is %s by enforcement finding %s; only that finding's reversal (POST /v1/enforcement/findings/%s/reversal) changes it, together with the credit bar / 该状态由核查结论设定，只能通过撤销该结论变更",
			str(1), str(2), str(3), str(3)).WithCode(apperr.CodeFindingOwned)
	case "WRONGTYPE", "CORRUPT", "BADOP":
		return Applied{}, false, apperr.New(apperr.Internal, "the registry holds unexpected data (%s); nothing was written", str(0))
	}
	return Applied{}, false, apperr.New(apperr.Internal, "unexpected registry reply %q", str(0))
}

// committed reports whether the entry with the change's sequence number is
// this change (a lost reply or a client retry of a script that ran).
func (r *Registry) committed(ctx context.Context, entry *AuditEntry) (bool, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	body, err := r.st.rdb.HGet(ctx, r.st.auditEntriesKey(), strconv.FormatUint(entry.Seq, 10)).Result()
	if err != nil {
		return false, err
	}
	got, err := DecodeAuditEntry([]byte(body))
	if err != nil {
		return false, err
	}
	return got.Change == entry.Change, nil
}

// String names a change for logs.
func (c Change) String() string {
	return fmt.Sprintf("%s → %s (%d subjects)", c.Action, c.To, len(c.Items))
}
