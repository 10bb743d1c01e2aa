package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// The registry's audit entries live in the registry slot: every state
// change of seals and revocations writes its entry in the same Lua script
// (which also appends it to the transparency log), so all of it shares the
// hash tag regTag. They are the registry's own event list, read by lookups
// (event details), the webhook outbox and `log audit --deep`; history is
// proven by the transparency log, not by them (docs/store.md). Entries
// written before the log carried an unkeyed SM3 hash chain ("prev"); it is
// no longer written or checked.
const regTag = "reg"

// AuditVersion is the version of the audit entry encoding.
const AuditVersion = 1

// auditHeadKey holds "seq", the last audit sequence number: the registry's
// sequencer (writers retry when it moved under them).
func (s *Store) auditHeadKey() string    { return s.key(regTag, "audit", "head") }
func (s *Store) auditEntriesKey() string { return s.key(regTag, "audit", "e") }

// SubjectRef is a subject as written into an audit entry.
type SubjectRef struct {
	Kind   status.Kind `json:"kind"`
	ID     string      `json:"id,omitempty"`
	Digest string      `json:"digest,omitempty"`
}

// AuditEntry is one registry event. Its canonical encoding is the JSON
// produced by encoding/json for this struct (fixed field order, UTC times,
// sorted map keys).
type AuditEntry struct {
	V   int    `json:"v"`
	Seq uint64 `json:"seq"`
	// Prev is the old hash chain's link, only in entries written before
	// the transparency log replaced it; new entries leave it out.
	Prev     string         `json:"prev,omitempty"`
	Change   string         `json:"change"`
	Recorded time.Time      `json:"recorded"`
	Actor    registry.Actor `json:"actor"`
	Action   string         `json:"action"`
	// Code is the state the change sets on every item.
	Code       status.Code  `json:"code"`
	Reason     string       `json:"reason,omitempty"`
	DocumentNo string       `json:"documentNo,omitempty"`
	Effective  time.Time    `json:"effective"`
	Note       string       `json:"note,omitempty"`
	Subjects   []SubjectRef `json:"subjects,omitempty"`
	// Items is how many subjects the change touched; ItemsDigest commits to
	// the exact index entries written (see itemsDigest).
	Items       int               `json:"items"`
	ItemsDigest string            `json:"itemsDigest"`
	Data        map[string]string `json:"data,omitempty"`
}

// encode returns the canonical encoding of e.
func (e AuditEntry) encode() ([]byte, error) {
	e.Recorded = e.Recorded.UTC()
	e.Effective = e.Effective.UTC()
	return json.Marshal(e)
}

// entryHash is the SM3 of an entry's encoding: the hash a change's
// receipt carries (the entry is the private record its log entry commits
// to).
func entryHash(body []byte) string {
	return sm3Hex(body)
}

// auditHead reads the last sequence number (0 for an empty registry).
func (s *Store) auditHead(ctx context.Context) (uint64, error) {
	v, err := s.rdb.HGet(ctx, s.auditHeadKey(), "seq").Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, mapErr(err, "audit head")
	}
	seq, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, apperr.Wrap(apperr.Internal, err, "corrupt audit head")
	}
	return seq, nil
}

// AuditHead returns the last audit sequence number.
func (s *Store) AuditHead(ctx context.Context) (uint64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return s.auditHead(ctx)
}

// AuditEntries returns the entries with sequence numbers from..to (inclusive)
// in order; a missing entry is returned as nil with ok=false at its place.
func (s *Store) AuditEntries(ctx context.Context, from, to uint64) ([][]byte, error) {
	if to < from {
		return nil, nil
	}
	if to-from >= 10000 {
		return nil, apperr.New(apperr.Malformed, "at most 10000 audit entries per read")
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	fields := make([]string, 0, to-from+1)
	for q := from; q <= to; q++ {
		fields = append(fields, strconv.FormatUint(q, 10))
	}
	vals, err := s.rdb.HMGet(ctx, s.auditEntriesKey(), fields...).Result()
	if err != nil {
		return nil, mapErr(err, "audit entries")
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if str, ok := v.(string); ok {
			out[i] = []byte(str)
		}
	}
	return out, nil
}

// AuditReport is the outcome of reading the audit entries.
type AuditReport struct {
	// HeadSeq is what the head record claims.
	HeadSeq uint64
	// Checked is how many entries were read and found well-formed before
	// the walk stopped.
	Checked uint64
	// Intact is true when entries 1 to the head are all there, each in
	// canonical form under its own sequence number, and none lies beyond.
	Intact bool
	// FirstBad is the sequence number of the first bad or missing entry (0 if intact).
	FirstBad uint64
	// Problem says what is wrong with FirstBad.
	Problem string
}

// VerifyAudit reads every entry from 1 to the head and names the first
// missing, misplaced or non-canonical one, or an entry beyond the head. It
// checks that the event list lookups and --deep read is complete; whether
// it is the history that happened is `pledgectl log audit`'s question (the
// entries are checked against the signed log there). A Redis failure is an
// error, never a verdict.
func (s *Store) VerifyAudit(ctx context.Context) (AuditReport, error) {
	var rep AuditReport
	headSeq, err := func() (uint64, error) {
		c, cancel := s.ctx(ctx)
		defer cancel()
		return s.auditHead(c)
	}()
	if err != nil {
		return rep, err
	}
	rep.HeadSeq = headSeq
	const chunk = 1000
	for from := uint64(1); from <= headSeq; from += chunk {
		to := min(from+chunk-1, headSeq)
		bodies, err := s.AuditEntries(ctx, from, to)
		if err != nil {
			return rep, err
		}
		for i, body := range bodies {
			seq := from + uint64(i)
			if problem := checkEntry(seq, body); problem != "" {
				rep.FirstBad, rep.Problem = seq, problem
				return rep, nil
			}
			rep.Checked++
		}
	}
	// Entries past the head: compare the list's size with the head as of
	// now, read together, so that writers appending meanwhile are not
	// mistaken for tampering.
	n, nowSeq, err := func() (int64, uint64, error) {
		c, cancel := s.ctx(ctx)
		defer cancel()
		var hlen *redis.IntCmd
		var seq *redis.StringCmd
		_, err := s.rdb.TxPipelined(c, func(p redis.Pipeliner) error {
			hlen = p.HLen(c, s.auditEntriesKey())
			seq = p.HGet(c, s.auditHeadKey(), "seq")
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return 0, 0, mapErr(err, "audit entries")
		}
		cur, _ := strconv.ParseUint(seq.Val(), 10, 64)
		return hlen.Val(), cur, nil
	}()
	if err != nil {
		return rep, err
	}
	if uint64(n) != nowSeq {
		rep.FirstBad = max(nowSeq, headSeq) + 1
		rep.Problem = fmt.Sprintf("the registry holds %d audit entries but the head names %d (entries beyond the head were added, or entries were removed)", n, nowSeq)
		return rep, nil
	}
	rep.Intact = true
	return rep, nil
}

// checkEntry checks one entry against its sequence number; it returns ""
// when it is in place.
func checkEntry(seq uint64, body []byte) string {
	if body == nil {
		return fmt.Sprintf("entry %d is missing", seq)
	}
	var e AuditEntry
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return fmt.Sprintf("entry %d does not decode", seq)
	}
	if e.Seq != seq {
		return fmt.Sprintf("entry %d claims sequence number %d", seq, e.Seq)
	}
	canon, err := e.encode()
	if err != nil || !bytes.Equal(canon, body) {
		return fmt.Sprintf("entry %d is not in canonical form (it was edited)", seq)
	}
	return ""
}

// DecodeAuditEntry parses a stored entry body.
func DecodeAuditEntry(body []byte) (AuditEntry, error) {
	var e AuditEntry
	if err := json.Unmarshal(body, &e); err != nil {
		return e, apperr.Wrap(apperr.Malformed, err, "audit entry does not decode")
	}
	return e, nil
}
