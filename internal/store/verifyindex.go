package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/emmansun/gmsm/sm3"
	"github.com/redis/go-redis/v9"
)

// IndexReport is the outcome of checking the status index against the audit entries.
type IndexReport struct {
	// Events is how many index events were read.
	Events int
	// Consistent is true when every index event is explained by its audit
	// entry and every entry's ItemsDigest matches the index.
	Consistent bool
	// Seq is the audit entry where the first inconsistency shows (0 if none).
	Seq     uint64
	Problem string
}

type indexedEvent struct {
	raw []byte // 34-byte raw index key
	ev  []byte // 11-byte event
}

// globEscape quotes the glob characters of a literal key prefix.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// scanKeys lists the keys matching pattern on every master.
func (s *Store) scanKeys(ctx context.Context, pattern string) ([]string, error) {
	var (
		mu   sync.Mutex
		keys []string
	)
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			keys = append(keys, it.Val())
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		// Only the master holding the registry slot returns keys, but
		// go-redis scans the masters concurrently: appends take the lock.
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, s.rdb)
	}
	if err != nil {
		return nil, mapErr(err, "scan")
	}
	sort.Strings(keys)
	return keys, nil
}

// readHashes reads the hashes at keys in pipelined chunks of 500 and
// hands each to each, in order, until it returns false.
func (s *Store) readHashes(ctx context.Context, keys []string, what string, each func(key string, fields map[string]string) bool) error {
	const chunk = 500
	for i := 0; i < len(keys); i += chunk {
		part := keys[i:min(i+chunk, len(keys))]
		cmds := make([]*redis.MapStringStringCmd, len(part))
		c, cancel := s.ctx(ctx)
		_, err := s.rdb.Pipelined(c, func(p redis.Pipeliner) error {
			for j, k := range part {
				cmds[j] = p.HGetAll(c, k)
			}
			return nil
		})
		cancel()
		if err != nil {
			return mapErr(err, what)
		}
		for j, k := range part {
			if !each(k, cmds[j].Val()) {
				return nil
			}
		}
	}
	return nil
}

// VerifyIndex checks the status index against the audit entries: every event
// stored under a subject must match the code, effective time and sequence
// number of its audit entry, and every entry's ItemsDigest must equal the
// digest recomputed from the events that carry its sequence number. It
// finds index values edited, deleted, added or moved directly in Redis. It
// reads the whole index (an offline check for operators, `log audit
// --deep`) and assumes the entries themselves were checked against the
// transparency log first.
func (s *Store) VerifyIndex(ctx context.Context) (IndexReport, error) {
	var rep IndexReport
	scanCtx, cancel := context.WithTimeout(ctx, 100*s.timeout)
	defer cancel()
	base := s.key(regTag, "ix")
	keys, err := s.scanKeys(scanCtx, globEscape(base)+":*")
	if err != nil {
		return rep, err
	}
	bySeq := map[uint64][]indexedEvent{}
	problem := ""
	err = s.readHashes(ctx, keys, "index", func(k string, fields map[string]string) bool {
		// key = base ":" kind type ":" hhhh
		kt, hx, ok := strings.Cut(strings.TrimPrefix(k, base+":"), ":")
		pfx, herr := hex.DecodeString(hx)
		if !ok || len(kt) != 2 || herr != nil || len(pfx) != 2 {
			problem = fmt.Sprintf("unexpected index key %q", k)
			return false
		}
		for field, val := range fields {
			raw := append(append([]byte(kt), pfx...), field...)
			if len(raw) != 34 {
				problem = fmt.Sprintf("index key %q has a field of the wrong length", k)
				return false
			}
			if len(val) == 0 || len(val)%eventSize != 0 {
				problem = fmt.Sprintf("index key %q holds a corrupt value", k)
				return false
			}
			for off := 0; off < len(val); off += eventSize {
				ev := []byte(val[off : off+eventSize])
				evs, err := decodeHistory(ev)
				if err != nil {
					problem = fmt.Sprintf("index key %q holds an unknown state", k)
					return false
				}
				bySeq[evs[0].Seq] = append(bySeq[evs[0].Seq], indexedEvent{raw: raw, ev: ev})
				rep.Events++
			}
		}
		return true
	})
	if err != nil {
		return rep, err
	}
	if problem != "" {
		return IndexReport{Problem: problem}, nil
	}
	headSeq, err := func() (uint64, error) {
		c, cancel := s.ctx(ctx)
		defer cancel()
		return s.auditHead(c)
	}()
	if err != nil {
		return rep, err
	}
	for seq := range bySeq {
		if seq == 0 || seq > headSeq {
			return IndexReport{Events: rep.Events, Seq: seq, Problem: fmt.Sprintf("index events name audit entry %d, which does not exist", seq)}, nil
		}
	}
	for from := uint64(1); from <= headSeq; from += 1000 {
		to := min(from+999, headSeq)
		bodies, err := s.AuditEntries(ctx, from, to)
		if err != nil {
			return rep, err
		}
		for i, body := range bodies {
			seq := from + uint64(i)
			e, err := DecodeAuditEntry(body)
			if err != nil {
				return IndexReport{Events: rep.Events, Seq: seq, Problem: fmt.Sprintf("audit entry %d does not decode", seq)}, nil
			}
			if p := checkEntryIndex(e, bySeq[seq]); p != "" {
				return IndexReport{Events: rep.Events, Seq: seq, Problem: p}, nil
			}
			if p, err := s.checkSealRecord(ctx, e); err != nil {
				return rep, err
			} else if p != "" {
				return IndexReport{Events: rep.Events, Seq: seq, Problem: p}, nil
			}
		}
	}
	if p, err := s.checkLinks(ctx, bySeq); err != nil {
		return rep, err
	} else if p != "" {
		return IndexReport{Events: rep.Events, Problem: p}, nil
	}
	rep.Consistent = true
	return rep, nil
}

// checkLinks verifies the ID ↔ digest links: each must be mirrored by its
// partner and must have been made by a change that named both keys (so
// both carry an event with that change's sequence number). A forged link
// could otherwise merge another subject's later events into a lookup.
func (s *Store) checkLinks(ctx context.Context, bySeq map[uint64][]indexedEvent) (string, error) {
	seqsOf := map[string]map[uint64]bool{}
	for seq, evs := range bySeq {
		for _, e := range evs {
			k := string(e.raw)
			if seqsOf[k] == nil {
				seqsOf[k] = map[uint64]bool{}
			}
			seqsOf[k][seq] = true
		}
	}
	scanCtx, cancel := context.WithTimeout(ctx, 100*s.timeout)
	defer cancel()
	base := s.key(regTag, "ln")
	keys, err := s.scanKeys(scanCtx, globEscape(base)+":*")
	if err != nil {
		return "", err
	}
	links := map[string]string{}
	problem := ""
	err = s.readHashes(ctx, keys, "links", func(k string, fields map[string]string) bool {
		kt, hx, ok := strings.Cut(strings.TrimPrefix(k, base+":"), ":")
		pfx, herr := hex.DecodeString(hx)
		if !ok || len(kt) != 2 || herr != nil || len(pfx) != 2 {
			problem = fmt.Sprintf("unexpected link key %q", k)
			return false
		}
		for field, val := range fields {
			links[kt+string(pfx)+field] = val
		}
		return true
	})
	if err != nil {
		return "", err
	}
	if problem != "" {
		return problem, nil
	}
	for a, b := range links {
		if len(a) != 34 || len(b) != 34 || links[b] != a {
			return "an ID ↔ digest link is not mirrored by its partner (links were edited)", nil
		}
		shared := false
		for seq := range seqsOf[a] {
			if seqsOf[b][seq] {
				shared = true
				break
			}
		}
		if !shared {
			return "an ID ↔ digest link joins two keys that no change named together (a forged link)", nil
		}
	}
	return "", nil
}

// checkEntryIndex compares one audit entry with the index events carrying
// its sequence number.
func checkEntryIndex(e AuditEntry, got []indexedEvent) string {
	code, err := codeByte(e.Code)
	if err != nil {
		return fmt.Sprintf("audit entry %d has an unknown state %q", e.Seq, e.Code)
	}
	want := encodeEvent(code, e.Effective, e.Seq)
	for _, g := range got {
		if !bytes.Equal(g.ev, want) {
			return fmt.Sprintf("an index event differs from audit entry %d (state or effective time edited)", e.Seq)
		}
	}
	raws := make([][]byte, len(got))
	for i, g := range got {
		raws[i] = g.raw
	}
	sort.Slice(raws, func(i, j int) bool { return bytes.Compare(raws[i], raws[j]) < 0 })
	h := sm3.New()
	for _, r := range raws {
		h.Write(r)
		h.Write(want)
	}
	if hex.EncodeToString(h.Sum(nil)) != e.ItemsDigest {
		return fmt.Sprintf("the index entries of audit entry %d do not match its items digest (%d found; entries deleted, added or moved)", e.Seq, len(got))
	}
	return ""
}

// checkSealRecord compares the seal record a filing entry committed to with
// the record stored now.
func (s *Store) checkSealRecord(ctx context.Context, e AuditEntry) (string, error) {
	esID, want := e.Data[dataSealRecord], e.Data[dataSealRecordDigest]
	if esID == "" {
		return "", nil
	}
	c, cancel := s.ctx(ctx)
	defer cancel()
	m, err := s.rdb.HGetAll(c, s.sealKey(esID)).Result()
	if err != nil {
		return "", mapErr(err, "seal")
	}
	if len(m) == 0 {
		return fmt.Sprintf("the seal record %q filed by audit entry %d is missing", esID, e.Seq), nil
	}
	if sealRecordDigest(m) != want {
		return fmt.Sprintf("the seal record %q differs from what audit entry %d filed", esID, e.Seq), nil
	}
	return "", nil
}
