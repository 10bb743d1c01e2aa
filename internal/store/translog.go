package store

import (
	"context"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/transparency-dev/merkle/compact"
	"golang.org/x/mod/sumdb/note"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// The transparency log (docs/transparency.md). Every state-changing script
// appends its entry to the pending stream of its own slot (tlog_slots.go);
// Integrate moves pending entries into the one global log under {tlog} in
// a fixed order (slot ascending, then stream ID) and stores the tree's
// complete nodes; SignCheckpoint signs the current tree with the log key.
//
//	{tlog}:meta  HASH  size; c:<slot> = last stream ID integrated from the
//	                   slot; cps = size of the latest checkpoint; cpt = its
//	                   signing time (Unix ms)
//	{tlog}:e     HASH  index → entry (translog.Entry encoding)
//	{tlog}:n     HASH  node ID (level byte ‖ index uint64 BE) → SM3 hash,
//	                   every complete subtree (level 0 = leaf hashes)
//	{tlog}:lx    HASH  leaf hash → index
//	{tlog}:p     HASH  index → the entry's private record: salt ‖ the
//	                   change's full record (tlog_public.go)
//	{tlog}:px    HASH  "w:" / "r:" pledge ID → index of the latest workflow /
//	                   registry entry naming the pledge
//	{tlog}:cp    STRING the latest signed checkpoint (a signed note)
const tlogTag = "tlog"

// Integration bounds.
const (
	// MaxLogEntriesPerRead bounds one entries read (HTTP and audit).
	MaxLogEntriesPerRead = 1000
	// integrateBatch bounds the entries one integration step moves.
	integrateBatch = 2000
	// pendingPerSlot bounds the entries read from one slot per step.
	pendingPerSlot = 500
	// sweepChunk is how many slots one pipelined read covers.
	sweepChunk = 1024
)

func (s *Store) tlogKey(part string) string { return s.key(tlogTag, part) }

func nodeField(id compact.NodeID) string {
	var b [9]byte
	b[0] = byte(id.Level)
	binary.BigEndian.PutUint64(b[1:], id.Index)
	return string(b[:])
}

// integrateLua appends a batch of entries to the global log if the log is
// still at the size read and every slot's cursor is still the one read.
// KEYS meta, entries, nodes, leaf index, private records, pledge index.
// ARGV[1] expected size, ARGV[2] new size, ARGV[3] slot count, then per
// slot: field, expected cursor (” none), new cursor; then entry count and
// per entry: index, entry, leaf hash, private record, pledge count, pledge
// IDs; then node count and per node: field, hash. Returns 1, or 0
// when another integrator moved first (nothing written).
const integrateLua = `
local size = redis.call('HGET', KEYS[1], 'size') or '0'
if size ~= ARGV[1] then return 0 end
local ns = tonumber(ARGV[3])
local p = 4
local cur = {}
for i = 1, ns do
  local c = redis.call('HGET', KEYS[1], ARGV[p]) or ''
  if c ~= ARGV[p + 1] then return 0 end
  cur[#cur + 1] = ARGV[p]
  cur[#cur + 1] = ARGV[p + 2]
  p = p + 3
end
local ne = tonumber(ARGV[p]); p = p + 1
for i = 1, ne do
  redis.call('HSET', KEYS[2], ARGV[p], ARGV[p + 1])
  redis.call('HSET', KEYS[4], ARGV[p + 2], ARGV[p])
  redis.call('HSET', KEYS[5], ARGV[p], ARGV[p + 3])
  local np = tonumber(ARGV[p + 4])
  for j = 1, np do redis.call('HSET', KEYS[6], ARGV[p + 4 + j], ARGV[p]) end
  p = p + 5 + np
end
local nn = tonumber(ARGV[p]); p = p + 1
for i = 1, nn do
  redis.call('HSET', KEYS[3], ARGV[p], ARGV[p + 1])
  p = p + 2
end
redis.call('HSET', KEYS[1], 'size', ARGV[2], unpack(cur))
return 1
`

// storeCheckpointLua stores a signed checkpoint unless a larger one is
// stored or the log is smaller than it. KEYS meta, checkpoint; ARGV size,
// signed note, time (Unix ms). Returns 1 stored, 0 not.
const storeCheckpointLua = `
local size = tonumber(redis.call('HGET', KEYS[1], 'size') or '0')
local cps = tonumber(redis.call('HGET', KEYS[1], 'cps') or '-1')
local n = tonumber(ARGV[1])
if n > size or n < cps then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'cps', ARGV[1], 'cpt', ARGV[3])
return 1
`

// TransLog is the Redis side of the transparency log.
type TransLog struct {
	st        *Store
	integrate *redis.Script
	storeCP   *redis.Script
}

// NewTransLog returns the transparency log over s.
func NewTransLog(s *Store) *TransLog {
	return &TransLog{st: s, integrate: redis.NewScript(integrateLua), storeCP: redis.NewScript(storeCheckpointLua)}
}

// logMeta is the integrated size, the latest checkpoint's size and time,
// and (for the sequencer only) the slot cursors.
type logMeta struct {
	size    uint64
	cursors map[int]string
	cpSize  int64
	cpTime  time.Time
}

// meta reads the log's size and latest checkpoint (HMGET of three fields:
// the read paths need no cursors, and {tlog}:meta holds one per slot ever
// integrated from).
func (l *TransLog) meta(ctx context.Context) (logMeta, error) {
	vals, err := l.st.rdb.HMGet(ctx, l.st.tlogKey("meta"), "size", "cps", "cpt").Result()
	if err != nil {
		return logMeta{}, mapErr(err, "log")
	}
	fields := map[string]string{}
	for i, k := range []string{"size", "cps", "cpt"} {
		if v, ok := vals[i].(string); ok {
			fields[k] = v
		}
	}
	return parseMeta(fields)
}

// metaWithCursors reads the whole meta hash: size, checkpoint and the
// sequencer's slot cursors.
func (l *TransLog) metaWithCursors(ctx context.Context) (logMeta, error) {
	m, err := l.st.rdb.HGetAll(ctx, l.st.tlogKey("meta")).Result()
	if err != nil {
		return logMeta{}, mapErr(err, "log")
	}
	return parseMeta(m)
}

func parseMeta(m map[string]string) (logMeta, error) {
	out := logMeta{cursors: map[int]string{}, cpSize: -1}
	for k, v := range m {
		switch {
		case k == "size":
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return logMeta{}, apperr.New(apperr.Internal, "corrupt log size")
			}
			out.size = n
		case k == "cps":
			out.cpSize, _ = strconv.ParseInt(v, 10, 64)
		case k == "cpt":
			ms, _ := strconv.ParseInt(v, 10, 64)
			out.cpTime = time.UnixMilli(ms)
		case strings.HasPrefix(k, "c:"):
			slot, err := strconv.Atoi(k[2:])
			if err != nil || slot < 0 || slot >= clusterSlots {
				return logMeta{}, apperr.New(apperr.Internal, "corrupt log cursor %q", k)
			}
			out.cursors[slot] = v
		}
	}
	return out, nil
}

// Size returns the number of integrated entries.
func (l *TransLog) Size(ctx context.Context) (uint64, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	m, err := l.meta(ctx)
	return m.size, err
}

// ReadNodes returns stored node hashes (a translog.NodeReader).
func (l *TransLog) ReadNodes(ctx context.Context) translog.NodeReader {
	return func(ids []compact.NodeID) ([][]byte, error) {
		out := make([][]byte, 0, len(ids))
		for start := 0; start < len(ids); start += 1000 {
			part := ids[start:min(start+1000, len(ids))]
			fields := make([]string, len(part))
			for i, id := range part {
				fields[i] = nodeField(id)
			}
			vals, err := l.st.rdb.HMGet(ctx, l.st.tlogKey("n"), fields...).Result()
			if err != nil {
				return nil, mapErr(err, "log")
			}
			for i, v := range vals {
				str, ok := v.(string)
				if !ok || len(str) != translog.HashSize {
					return nil, apperr.New(apperr.Internal, "log node %d/%d is missing or corrupt", part[i].Level, part[i].Index)
				}
				out = append(out, []byte(str))
			}
		}
		return out, nil
	}
}

// compactRange returns the compact range [0, size) from stored nodes.
func (l *TransLog) compactRange(ctx context.Context, size uint64) (*compact.Range, error) {
	if size == 0 {
		return translog.EmptyRange(), nil
	}
	hashes, err := l.ReadNodes(ctx)(compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, err
	}
	r, err := translog.NewRange(size, hashes)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "corrupt log range")
	}
	return r, nil
}

type pendingEntry struct {
	slot int
	id   string
	body string
}

// Integrate moves pending entries into the log, at most integrateBatch
// per call, and reports how many it moved. Slots are visited in ascending
// order and each slot's entries in stream order, so the log order is fixed
// by (integration step, slot, stream ID). Several integrators may run at
// once: the script's size and cursor checks let exactly one win each step;
// the others move nothing. Integrated entries are then removed from their
// pending streams (a crash before that leaves them to be skipped by the
// cursor next time).
//
// Integrate reads the slots this process wrote to and the slots entries
// were integrated from before; IntegrateFull reads all 16,384 (the
// sequencer does so every FullSweepInterval, for entries of processes
// that died before integrating them, in slots new to the log).
func (l *TransLog) Integrate(ctx context.Context) (int, error) { return l.integrateStep(ctx, false) }

// IntegrateFull is Integrate over every slot.
func (l *TransLog) IntegrateFull(ctx context.Context) (int, error) { return l.integrateStep(ctx, true) }

// FullSweepInterval is how often the sequencer reads every slot.
const FullSweepInterval = time.Minute

func (l *TransLog) integrateStep(ctx context.Context, full bool) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 4*l.st.timeout)
	defer cancel()
	hints := l.st.logHints.snapshot()
	m, err := l.metaWithCursors(ctx)
	if err != nil {
		return 0, err
	}
	var slots []int
	if full {
		slots = make([]int, clusterSlots)
		for i := range slots {
			slots[i] = i
		}
	} else {
		seen := map[int]bool{}
		for s := range hints {
			seen[s] = true
		}
		for s := range m.cursors {
			seen[s] = true
		}
		for s := range seen {
			slots = append(slots, s)
		}
		slices.Sort(slots)
	}
	pend, complete, err := l.readPending(ctx, m.cursors, slots)
	if err != nil {
		return 0, err
	}
	if len(pend) == 0 {
		l.st.logHints.clear(doneHints(hints, complete))
		return 0, nil
	}
	pend = capBytes(pend, complete)
	rng, err := l.compactRange(ctx, m.size)
	if err != nil {
		return 0, err
	}
	nodes := map[string][]byte{}
	visit := func(id compact.NodeID, h []byte) { nodes[nodeField(id)] = h }
	args := []any{strconv.FormatUint(m.size, 10), strconv.FormatUint(m.size+uint64(len(pend)), 10)}
	var cursorArgs []any
	nslots := 0
	for i, e := range pend {
		if i == len(pend)-1 || pend[i+1].slot != e.slot {
			cursorArgs = append(cursorArgs, "c:"+strconv.Itoa(e.slot), m.cursors[e.slot], e.id)
			nslots++
		}
	}
	args = append(args, nslots)
	args = append(args, cursorArgs...)
	args = append(args, len(pend))
	for i, e := range pend {
		body, private, pledges, err := publicEntry([]byte(e.body))
		if err != nil {
			return 0, err
		}
		leaf := translog.Entry{Slot: uint16(e.slot), ID: e.id, Body: body}
		lh := leaf.LeafHash()
		if err := rng.Append(lh, visit); err != nil {
			return 0, apperr.Wrap(apperr.Internal, err, "log append")
		}
		args = append(args, strconv.FormatUint(m.size+uint64(i), 10), leaf.Marshal(), lh, private, len(pledges))
		for _, id := range pledges {
			args = append(args, id)
		}
	}
	args = append(args, len(nodes))
	for f, h := range nodes {
		args = append(args, f, h)
	}
	ok, err := l.integrate.Run(ctx, l.st.rdb, []string{l.st.tlogKey("meta"), l.st.tlogKey("e"), l.st.tlogKey("n"), l.st.tlogKey("lx"), l.st.tlogKey("p"), l.st.tlogKey("px")}, args...).Int()
	if err != nil {
		return 0, mapErr(err, "log")
	}
	if ok != 1 {
		return 0, nil
	}
	l.st.logHints.clear(doneHints(hints, complete))
	// Trim what was integrated; failures only leave entries the cursor skips.
	_, _ = l.st.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := 0; i < len(pend); {
			j := i
			var ids []string
			for ; j < len(pend) && pend[j].slot == pend[i].slot; j++ {
				ids = append(ids, pend[j].id)
			}
			p.XDel(ctx, l.st.tlogPendingKeyOfSlot(pend[i].slot), ids...)
			i = j
		}
		return nil
	})
	return len(pend), nil
}

// integrateBytes bounds the pending record bytes one integration step
// moves; the script carries each about twice (the private record and the
// much smaller public entry).
const integrateBytes = 2 << 20

// capBytes cuts pend after integrateBytes of bodies (keeping at least one
// entry); the slots from the cut on are no longer complete.
func capBytes(pend []pendingEntry, complete map[int]bool) []pendingEntry {
	total := 0
	for i, e := range pend {
		total += len(e.body)
		if total > integrateBytes && i > 0 {
			for _, rest := range pend[i:] {
				delete(complete, rest.slot)
			}
			return pend[:i]
		}
	}
	return pend
}

// doneHints keeps the hints of the slots read completely.
func doneHints(hints map[int]uint64, complete map[int]bool) map[int]uint64 {
	out := map[int]uint64{}
	for s, g := range hints {
		if complete[s] {
			out[s] = g
		}
	}
	return out
}

// readPending reads the given slots' pending entries after their cursors,
// in slot order, with one pipeline (split per node on a cluster). complete
// names the slots whose every pending entry is in the result.
func (l *TransLog) readPending(ctx context.Context, cursors map[int]string, slots []int) ([]pendingEntry, map[int]bool, error) {
	cmds := make([]*redis.XMessageSliceCmd, len(slots))
	// Pipelines of sweepChunk reads: a full sweep is 16 short round trips,
	// not one that could outlast the store's read timeout.
	for start := 0; start < len(slots); start += sweepChunk {
		_, err := l.st.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := start; i < min(start+sweepChunk, len(slots)); i++ {
				from := "-"
				if c := cursors[slots[i]]; c != "" {
					from = "(" + c
				}
				cmds[i] = p.XRangeN(ctx, l.st.tlogPendingKeyOfSlot(slots[i]), from, "+", pendingPerSlot)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, nil, mapErr(err, "log pending")
		}
	}
	var out []pendingEntry
	complete := map[int]bool{}
	for i, c := range cmds {
		msgs := c.Val()
		if len(out)+len(msgs) > integrateBatch {
			out = appendPending(out, slots[i], msgs[:integrateBatch-len(out)])
			return out, complete, nil
		}
		out = appendPending(out, slots[i], msgs)
		complete[slots[i]] = len(msgs) < pendingPerSlot
	}
	return out, complete, nil
}

func appendPending(out []pendingEntry, slot int, msgs []redis.XMessage) []pendingEntry {
	for _, msg := range msgs {
		body, _ := msg.Values["e"].(string)
		out = append(out, pendingEntry{slot: slot, id: msg.ID, body: body})
	}
	return out
}

// SignCheckpoint signs the current tree unless the latest checkpoint is
// younger than minAge (force ignores minAge) or already covers it. It
// returns the signed checkpoint now stored.
func (l *TransLog) SignCheckpoint(ctx context.Context, signer note.Signer, minAge time.Duration, force bool) ([]byte, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	m, err := l.meta(ctx)
	if err != nil {
		return nil, err
	}
	now := l.st.clock.Now()
	if int64(m.size) == m.cpSize || (!force && m.cpSize >= 0 && now.Sub(m.cpTime) < minAge) {
		return l.checkpoint(ctx)
	}
	rng, err := l.compactRange(ctx, m.size)
	if err != nil {
		return nil, err
	}
	root, err := translog.RootOf(rng)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "log root")
	}
	signed, err := translog.SignCheckpoint(translog.Checkpoint{Origin: signer.Name(), Size: m.size, Root: root}, signer)
	if err != nil {
		return nil, err
	}
	if err := l.storeCP.Run(ctx, l.st.rdb, []string{l.st.tlogKey("meta"), l.st.tlogKey("cp")}, m.size, signed, now.UnixMilli()).Err(); err != nil {
		return nil, mapErr(err, "log")
	}
	return l.checkpoint(ctx)
}

// Checkpoint returns the latest signed checkpoint (NotFound before the
// first).
func (l *TransLog) Checkpoint(ctx context.Context) ([]byte, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	return l.checkpoint(ctx)
}

func (l *TransLog) checkpoint(ctx context.Context) ([]byte, error) {
	b, err := l.st.rdb.Get(ctx, l.st.tlogKey("cp")).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, apperr.New(apperr.NotFound, "the log has no checkpoint yet / 日志尚无签名检查点").WithCode(apperr.CodeNoCheckpoint)
	}
	if err != nil {
		return nil, mapErr(err, "log")
	}
	return b, nil
}

// Entries returns the entries [start, end) (at most MaxLogEntriesPerRead),
// all of which must be integrated.
func (l *TransLog) Entries(ctx context.Context, start, end uint64) ([][]byte, error) {
	if end <= start || end-start > MaxLogEntriesPerRead {
		return nil, apperr.New(apperr.Malformed, "ask for 1 to %d entries (start < end) / 条目范围无效", MaxLogEntriesPerRead).WithCode(apperr.CodeRangeInvalid)
	}
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	m, err := l.meta(ctx)
	if err != nil {
		return nil, err
	}
	if end > m.size {
		return nil, apperr.New(apperr.NotFound, "the log has %d entries / 超出日志长度", m.size).WithCode(apperr.CodeRangeInvalid)
	}
	out, err := l.readRange(ctx, "e", start, end)
	if err != nil {
		return nil, err
	}
	for i, e := range out {
		if e == nil {
			return nil, apperr.New(apperr.Internal, "log entry %d is missing", start+uint64(i))
		}
	}
	return out, nil
}

// readRange reads the fields start..end-1 of the {tlog} hash part; a
// missing field is nil.
func (l *TransLog) readRange(ctx context.Context, part string, start, end uint64) ([][]byte, error) {
	fields := make([]string, 0, end-start)
	for i := start; i < end; i++ {
		fields = append(fields, strconv.FormatUint(i, 10))
	}
	vals, err := l.st.rdb.HMGet(ctx, l.st.tlogKey(part), fields...).Result()
	if err != nil {
		return nil, mapErr(err, "log")
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if str, ok := v.(string); ok {
			out[i] = []byte(str)
		}
	}
	return out, nil
}

// LeafIndex returns the index of the entry with the given leaf hash.
func (l *TransLog) LeafIndex(ctx context.Context, leafHash []byte) (uint64, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	v, err := l.st.rdb.HGet(ctx, l.st.tlogKey("lx"), string(leafHash)).Result()
	if errors.Is(err, redis.Nil) {
		return 0, apperr.New(apperr.NotFound, "no log entry has this leaf hash / 日志中没有该叶子哈希").WithCode(apperr.CodeLeafNotFound)
	}
	if err != nil {
		return 0, mapErr(err, "log")
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, apperr.New(apperr.Internal, "corrupt leaf index")
	}
	return n, nil
}

// InclusionProof returns the proof of leaf index in the tree of size
// entries (size ≤ the integrated size).
func (l *TransLog) InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	if err := l.checkSize(ctx, size); err != nil {
		return nil, err
	}
	return translog.InclusionProof(index, size, l.ReadNodes(ctx))
}

// ConsistencyProof returns the proof between tree sizes from and to.
func (l *TransLog) ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	if err := l.checkSize(ctx, to); err != nil {
		return nil, err
	}
	return translog.ConsistencyProof(from, to, l.ReadNodes(ctx))
}

func (l *TransLog) checkSize(ctx context.Context, size uint64) error {
	m, err := l.meta(ctx)
	if err != nil {
		return err
	}
	if size > m.size {
		return apperr.New(apperr.NotFound, "the log has %d entries, not %d / 超出日志长度", m.size, size).WithCode(apperr.CodeRangeInvalid)
	}
	return nil
}

// PendingCount returns how many entries wait in pending streams (tests and
// the audit).
func (l *TransLog) PendingCount(ctx context.Context) (int64, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	cmds := make([]*redis.IntCmd, clusterSlots)
	for start := 0; start < clusterSlots; start += sweepChunk {
		_, err := l.st.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
			for slot := start; slot < start+sweepChunk; slot++ {
				cmds[slot] = p.XLen(ctx, l.st.tlogPendingKeyOfSlot(slot))
			}
			return nil
		})
		if err != nil {
			return 0, mapErr(err, "log pending")
		}
	}
	var n int64
	for _, c := range cmds {
		n += c.Val()
	}
	return n, nil
}

// PendingIn returns how many entries wait in one slot's pending stream.
func (l *TransLog) PendingIn(ctx context.Context, slot int) (int64, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	n, err := l.st.rdb.XLen(ctx, l.st.tlogPendingKeyOfSlot(slot)).Result()
	if err != nil {
		return 0, mapErr(err, "log pending")
	}
	return n, nil
}

// IntegrateAll integrates until nothing is pending (at most 1000 steps).
func (l *TransLog) IntegrateAll(ctx context.Context) error {
	for range 1000 {
		n, err := l.IntegrateFull(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
	return apperr.New(apperr.Unavailable, "the log is still integrating; try again").WithCode(apperr.CodeTryLater)
}

// PrivateRecords returns the private records (salt ‖ the change's full
// record) of the entries [start, end), at most MaxLogEntriesPerRead; a
// missing record is nil (the audit names it).
func (l *TransLog) PrivateRecords(ctx context.Context, start, end uint64) ([][]byte, error) {
	if end <= start || end-start > MaxLogEntriesPerRead {
		return nil, apperr.New(apperr.Malformed, "ask for 1 to %d entries (start < end) / 条目范围无效", MaxLogEntriesPerRead).WithCode(apperr.CodeRangeInvalid)
	}
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	return l.readRange(ctx, "p", start, end)
}

// PledgeIndex returns the index of the latest integrated workflow entry of
// the pledge, or with registry its latest registry entry (ok=false when
// none is integrated yet).
func (l *TransLog) PledgeIndex(ctx context.Context, pledgeID string, registry bool) (uint64, bool, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	field := pledgeWorkflowField + pledgeID
	if registry {
		field = pledgeRegistryField + pledgeID
	}
	v, err := l.st.rdb.HGet(ctx, l.st.tlogKey("px"), field).Result()
	if errors.Is(err, redis.Nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, mapErr(err, "log")
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, false, apperr.New(apperr.Internal, "corrupt pledge log index")
	}
	return n, true, nil
}

// CheckpointCovering returns a signed checkpoint whose tree holds entry
// index: the latest, or a new one signed now when the latest does not
// hold it and is at least minAge old. ok=false when neither (the entry
// waits for the next checkpoint, at most minAge away).
func (l *TransLog) CheckpointCovering(ctx context.Context, index uint64, signer note.Signer, minAge time.Duration) ([]byte, bool, error) {
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	m, err := l.meta(ctx)
	if err != nil {
		return nil, false, err
	}
	if index >= m.size {
		return nil, false, nil
	}
	if m.cpSize > int64(index) {
		cp, err := l.checkpoint(ctx)
		return cp, err == nil, err
	}
	cp, err := l.SignCheckpoint(ctx, signer, minAge, false)
	if err != nil {
		return nil, false, err
	}
	// The stored checkpoint only grows: read its size after the one read.
	if m, err = l.meta(ctx); err != nil {
		return nil, false, err
	}
	return cp, m.cpSize > int64(index), nil
}
