package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"sort"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// Limits of the Redis side of a change.
const (
	// maxInlineSubjects is how many subjects an audit entry lists by name;
	// larger changes are committed to by ItemsDigest only.
	maxInlineSubjects = 64
	// applyAttempts bounds retries when concurrent writers move the audit head.
	applyAttempts = 64
)

// Registry is the Redis side of the seal and revocation registry: a status
// index (subject → compact event history), seal records, and the audit
// entries (its event list), all in the registry slot. It is safe for concurrent use.
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

// Collectors export Stats' lookup counters, so that "one verification, one
// round trip" can be watched in production.
func (r *Registry) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pledgeseal_status_lookups_total",
			Help: "Registry reads answered (batch status lookups and histories; each reads all its subjects at once)."},
			func() float64 { return float64(r.lookups.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pledgeseal_status_lookup_round_trips_total",
			Help: "Redis calls made by those reads (one each, plus one after Redis lost its script cache)."},
			func() float64 { return float64(r.lookupCalls.Load()) }),
	}
}

// Stats returns the counters (monotonic; export them as Prometheus counters).
func (r *Registry) Stats() Stats {
	return Stats{Lookups: r.lookups.Load(), LookupRoundTrips: r.lookupCalls.Load(), WriteRoundTrips: r.writeCalls.Load()}
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
	if len(sub.ID) > registry.MaxIDLen || !utf8.ValidString(sub.ID) {
		return nil, apperr.New(apperr.Malformed, "subject ID must be valid UTF-8 of at most %d bytes", registry.MaxIDLen)
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
func (r *Registry) Apply(ctx context.Context, c registry.Change) (registry.Applied, error) {
	return r.apply1(ctx, c, nil)
}

// apply1 is Apply, also filing seal when it is not nil (CreateSeal).
func (r *Registry) apply1(ctx context.Context, c registry.Change, seal *registry.SealRecord) (registry.Applied, error) {
	if err := c.Validate(); err != nil {
		return registry.Applied{}, err
	}
	p, err := r.plan(c)
	if err != nil {
		return registry.Applied{}, err
	}
	var opArgs []any
	nops := 0
	if seal != nil {
		nops, opArgs = r.sealOps(p.kl, seal)
	}
	for _, id := range c.Guards {
		if err := registry.CheckCode("guarded pledge id", id); err != nil {
			return registry.Applied{}, err
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
func (r *Registry) plan(c registry.Change) (*plannedChange, error) {
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
func (r *Registry) commit(ctx context.Context, p *plannedChange, nops int, opArgs []any) (registry.Applied, error) {
	for attempt := 0; attempt < applyAttempts; attempt++ {
		a, retry, err := r.applyOnce(ctx, &p.entry, p.to, p.allowed, p.all, p.kl, p.nItems, p.itemArgs, nops, opArgs)
		if !retry {
			return a, err
		}
		if attempt > 4 {
			time.Sleep(time.Duration(attempt) * time.Millisecond)
		}
	}
	return registry.Applied{}, apperr.New(apperr.Unavailable, "the registry is busy; try again").WithCode(apperr.CodeTryLater)
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
	kl *keyList, nItems int, itemArgs []any, nops int, opArgs []any) (registry.Applied, bool, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	headSeq, err := r.st.auditHead(ctx)
	if err != nil {
		return registry.Applied{}, false, err
	}
	if headSeq >= maxSeq {
		return registry.Applied{}, false, apperr.New(apperr.Internal, "the audit sequence is exhausted")
	}
	entry.Seq = headSeq + 1
	entry.Recorded = r.st.clock.Now().UTC()
	ev := encodeEvent(to, entry.Effective, entry.Seq)
	entry.ItemsDigest = itemsDigest(all, ev)
	body, err := entry.encode()
	if err != nil {
		return registry.Applied{}, false, apperr.Wrap(apperr.Internal, err, "cannot encode the audit entry")
	}
	hash := entryHash(body)
	args := []any{r.st.prefix, strconv.FormatUint(headSeq, 10), strconv.FormatUint(entry.Seq, 10),
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
			return registry.Applied{Seq: entry.Seq, Hash: hash, Recorded: entry.Recorded}, false, nil
		}
		return registry.Applied{}, false, mapErr(err, "registry")
	}
	reply, _ := res.([]any)
	if len(reply) == 0 {
		return registry.Applied{}, false, apperr.New(apperr.Internal, "unexpected registry reply")
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
		return registry.Applied{Seq: entry.Seq, Hash: hash, Recorded: entry.Recorded}, false, nil
	case "STALE":
		// Another writer moved the head; a retried call of ours may be it.
		if ok, err := r.committed(ctx, entry); err == nil && ok {
			return registry.Applied{Seq: entry.Seq, Hash: hash, Recorded: entry.Recorded}, false, nil
		}
		return registry.Applied{}, true, nil
	case "CONFLICT":
		cur := status.Unknown
		if s := str(2); s != "" && s != string(noRecord) {
			cur = codeOf(s[0])
		}
		return registry.Applied{}, false, apperr.New(apperr.Conflict, "item %s is %s; %s is not allowed from that state", str(1), cur, entry.Action).WithCode(apperr.CodeStateConflict)
	case "EFFECTIVE":
		return registry.Applied{}, false, apperr.New(apperr.Conflict, "item %s already has a later event; effective times may not go backwards", str(1)).WithCode(apperr.CodeEffectiveTime)
	case "BINDING":
		return registry.Applied{}, false, apperr.New(apperr.Conflict, "item %s: this ID is already bound to a different digest (or the digest to a different ID)", str(1)).WithCode(apperr.CodeBindingConflict)
	case "DUPLICATE":
		return registry.Applied{}, false, apperr.New(apperr.Malformed, "item %s names a subject already in this change (by its other identifier)", str(1))
	case "EXISTS":
		return registry.Applied{}, false, apperr.New(apperr.Conflict, "the record already exists").WithCode(apperr.CodeExists)
	case "ORDER":
		return registry.Applied{}, false, registry.FindingOrderConflict(str(1))
	case "FINDING":
		return registry.Applied{}, false, apperr.New(apperr.Conflict, "item %s is %s by enforcement finding %s; only that finding's reversal (POST /v1/enforcement/findings/%s/reversal) changes it, together with the credit bar / 该状态由核查结论设定，只能通过撤销该结论变更",
			str(1), str(2), str(3), str(3)).WithCode(apperr.CodeFindingOwned)
	case "WRONGTYPE", "CORRUPT", "BADOP":
		return registry.Applied{}, false, apperr.New(apperr.Internal, "the registry holds unexpected data (%s); nothing was written", str(0))
	}
	return registry.Applied{}, false, apperr.New(apperr.Internal, "unexpected registry reply %q", str(0))
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
