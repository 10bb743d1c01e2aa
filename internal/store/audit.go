package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// The audit chain lives in the registry slot (see docs/decisions/store-audit-chain.md):
// every state change of seals and revocations writes its entry in the same
// Lua script, so all of it shares the hash tag regTag.
const regTag = "reg"

// auditDomain separates audit hashes from every other SM3 use.
const auditDomain = "PLEDGESEAL-AUDIT-1\x00"

// AuditVersion is the version of the audit entry encoding.
const AuditVersion = 1

func (s *Store) auditHeadKey() string    { return s.key(regTag, "audit", "head") }
func (s *Store) auditEntriesKey() string { return s.key(regTag, "audit", "e") }

// SubjectRef is a subject as written into an audit entry.
type SubjectRef struct {
	Kind   status.Kind `json:"kind"`
	ID     string      `json:"id,omitempty"`
	Digest string      `json:"digest,omitempty"`
}

// AuditEntry is one link of the audit chain. Its canonical encoding is the
// JSON produced by encoding/json for this struct (fixed field order, UTC
// times, sorted map keys); the link hash is SM3(domain ‖ prev ‖ encoding).
type AuditEntry struct {
	V        int            `json:"v"`
	Seq      uint64         `json:"seq"`
	Prev     string         `json:"prev"`
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

// linkHash is the hash of an entry given its predecessor's hash.
func linkHash(prev [32]byte, body []byte) [32]byte {
	h := sm3.New()
	h.Write([]byte(auditDomain))
	h.Write(prev[:])
	h.Write(body)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// auditHead reads the chain head: the last sequence number and its hash.
// An empty chain has seq 0 and the all-zero hash.
func (s *Store) auditHead(ctx context.Context) (uint64, [32]byte, error) {
	var zero [32]byte
	vals, err := s.rdb.HMGet(ctx, s.auditHeadKey(), "seq", "hash").Result()
	if err != nil {
		return 0, zero, mapErr(err, "audit head")
	}
	if vals[0] == nil {
		return 0, zero, nil
	}
	seqStr, _ := vals[0].(string)
	hashStr, _ := vals[1].(string)
	seq, err := strconv.ParseUint(seqStr, 10, 64)
	if err != nil {
		return 0, zero, apperr.Wrap(apperr.Internal, err, "corrupt audit head")
	}
	var h [32]byte
	b, err := hex.DecodeString(hashStr)
	if err != nil || len(b) != 32 {
		return 0, zero, apperr.New(apperr.Internal, "corrupt audit head")
	}
	copy(h[:], b)
	return seq, h, nil
}

// AuditHead returns the current chain head, for operators to record as an
// external checkpoint (a truncated chain can only be told from a checkpoint).
func (s *Store) AuditHead(ctx context.Context) (uint64, string, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	seq, h, err := s.auditHead(ctx)
	if err != nil {
		return 0, "", err
	}
	return seq, hex.EncodeToString(h[:]), nil
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

// AuditReport is the outcome of walking the chain.
type AuditReport struct {
	// HeadSeq and HeadHash are what the head record claims.
	HeadSeq  uint64
	HeadHash string
	// Checked is how many entries were read and verified before the walk stopped.
	Checked uint64
	// Intact is true when every link from 1 to the head verifies.
	Intact bool
	// FirstBad is the sequence number of the first broken or missing link (0 if intact).
	FirstBad uint64
	// Problem says what is wrong with FirstBad.
	Problem string
}

// Checkpoint is a chain position recorded outside Redis (e.g. printed by
// `pledgectl audit verify` and kept by the operator). Only a checkpoint can
// reveal a chain cut back at its end together with its head.
type Checkpoint struct {
	Seq  uint64
	Hash string
}

// VerifyAudit walks the whole chain from entry 1 to the head and names the
// first broken or missing link; each checkpoint must lie on the chain. It
// reads in chunks; a Redis failure is an error, never a verdict.
func (s *Store) VerifyAudit(ctx context.Context, checkpoints ...Checkpoint) (AuditReport, error) {
	var rep AuditReport
	headSeq, headHash, err := func() (uint64, [32]byte, error) {
		c, cancel := s.ctx(ctx)
		defer cancel()
		return s.auditHead(c)
	}()
	if err != nil {
		return rep, err
	}
	rep.HeadSeq, rep.HeadHash = headSeq, hex.EncodeToString(headHash[:])
	want := map[uint64]string{}
	for _, cp := range checkpoints {
		if cp.Seq > headSeq {
			rep.FirstBad = headSeq + 1
			rep.Problem = fmt.Sprintf("the chain ends at entry %d but checkpoint %d was recorded: entries were cut off", headSeq, cp.Seq)
			return rep, nil
		}
		want[cp.Seq] = cp.Hash
	}
	var prev [32]byte
	const chunk = 1000
	for from := uint64(1); from <= headSeq; from += chunk {
		to := min(from+chunk-1, headSeq)
		bodies, err := s.AuditEntries(ctx, from, to)
		if err != nil {
			return rep, err
		}
		for i, body := range bodies {
			seq := from + uint64(i)
			if problem := checkLink(seq, prev, body); problem != "" {
				rep.FirstBad, rep.Problem = seq, problem
				return rep, nil
			}
			prev = linkHash(prev, body)
			if h, ok := want[seq]; ok && h != hex.EncodeToString(prev[:]) {
				rep.FirstBad, rep.Problem = seq, fmt.Sprintf("entry %d does not match the recorded checkpoint", seq)
				return rep, nil
			}
			rep.Checked++
		}
	}
	if prev != headHash {
		// The last entry was altered (or the head was): the head no longer
		// matches the hash of the entry it names.
		rep.FirstBad = max(headSeq, 1)
		rep.Problem = fmt.Sprintf("head hash does not match entry %d (the last entry or the head was altered)", headSeq)
		return rep, nil
	}
	// Entries past the head: compare the log's size with the head as of
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
		rep.Problem = fmt.Sprintf("the log holds %d entries but the head names %d (entries beyond the head were added, or entries were removed)", n, nowSeq)
		return rep, nil
	}
	rep.Intact = true
	return rep, nil
}

// checkLink verifies one entry against its expected sequence number and
// predecessor hash; it returns "" when the link holds.
func checkLink(seq uint64, prev [32]byte, body []byte) string {
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
	if e.Prev != hex.EncodeToString(prev[:]) {
		return fmt.Sprintf("entry %d does not link to entry %d (entry %d was altered, or this one was)", seq, seq-1, seq-1)
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
