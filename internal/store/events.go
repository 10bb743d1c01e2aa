package store

import (
	"encoding/binary"
	"sort"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// eventSize is the length of one compact status event in the index:
// 1 byte state code, 6 bytes effective time (Unix milliseconds, big endian),
// 4 bytes audit sequence number (big endian).
const eventSize = 11

// maxSeq is the largest audit sequence number a compact event can refer to.
const maxSeq = 1<<32 - 1

// codeByte maps a state code to the one byte the index stores. The bytes are
// printable so that a hand inspection with redis-cli stays readable.
func codeByte(c status.Code) (byte, error) {
	switch c {
	case status.Active:
		return 'A', nil
	case status.Suspended:
		return 'S', nil
	case status.ReportedLost:
		return 'L', nil
	case status.Frozen:
		return 'F', nil
	case status.Cancelled:
		return 'C', nil
	case status.Revoked:
		return 'R', nil
	case status.Withdrawn:
		return 'W', nil
	case status.False:
		return 'X', nil
	case status.NotFulfilled:
		return 'N', nil
	case status.Unknown:
		return noRecord, nil
	}
	return 0, apperr.New(apperr.Malformed, "state %q cannot be recorded", c)
}

// codeOf is the inverse of codeByte; it returns Unknown for any other byte.
func codeOf(b byte) status.Code {
	for _, c := range []status.Code{status.Active, status.Suspended, status.ReportedLost, status.Frozen,
		status.Cancelled, status.Revoked, status.Withdrawn, status.False, status.NotFulfilled} {
		if x, _ := codeByte(c); x == b {
			return c
		}
	}
	return status.Unknown
}

// noRecord is the byte that names "the subject has no event yet" in an
// allowed-from list. It never appears in a stored event.
const noRecord = '0'

// compactEvent is one entry of a subject's history in the status index.
type compactEvent struct {
	Code      status.Code
	Effective time.Time
	Seq       uint64
}

func encodeEvent(code byte, effective time.Time, seq uint64) []byte {
	b := make([]byte, eventSize)
	b[0] = code
	ms := uint64(effective.UnixMilli())
	var t [8]byte
	binary.BigEndian.PutUint64(t[:], ms)
	copy(b[1:7], t[2:])
	binary.BigEndian.PutUint32(b[7:], uint32(seq))
	return b
}

// decodeHistory splits an index value into events. A value whose length is
// not a multiple of eventSize is corrupt: the caller must not read it as
// "no record".
func decodeHistory(v []byte) ([]compactEvent, error) {
	if len(v)%eventSize != 0 {
		return nil, apperr.New(apperr.Internal, "corrupt status index entry")
	}
	out := make([]compactEvent, 0, len(v)/eventSize)
	for i := 0; i < len(v); i += eventSize {
		e := v[i : i+eventSize]
		var t [8]byte
		copy(t[2:], e[1:7])
		c := codeOf(e[0])
		if c == status.Unknown {
			return nil, apperr.New(apperr.Internal, "corrupt status index entry")
		}
		out = append(out, compactEvent{
			Code:      c,
			Effective: time.UnixMilli(int64(binary.BigEndian.Uint64(t[:]))).UTC(),
			Seq:       uint64(binary.BigEndian.Uint32(e[7:])),
		})
	}
	return out, nil
}

// mergeHistories joins the histories read under a subject's ID and digest
// entries: one event per audit sequence number, in recording order.
func mergeHistories(hs ...[]compactEvent) []compactEvent {
	seen := map[uint64]bool{}
	var out []compactEvent
	for _, h := range hs {
		for _, e := range h {
			if !seen[e.Seq] {
				seen[e.Seq] = true
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out
}

// stateAt picks the event in force at t: the last recorded event whose
// effective time is not after t. Effective times never decrease along a
// history (the write script enforces it), so this is well defined.
// It returns -1 when no event is in force.
func stateAt(h []compactEvent, t time.Time) int {
	idx := -1
	for i, e := range h {
		if !e.Effective.After(t) {
			idx = i
		}
	}
	return idx
}
