package translog

import (
	"bytes"
	"strconv"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// entryMagic starts every log entry (the leaf data).
const entryMagic = "pledgeseal-log-entry/1\n"

// MaxEntrySize bounds one entry's body.
const MaxEntrySize = 1 << 20

// Entry is one leaf of the log: a state change recorded by the script that
// made it. Slot is the Redis Cluster hash slot (0..16383) whose pending
// stream held it, ID the stream entry ID there (per slot, strictly
// increasing: the per-slot order), Body the change's own record (a registry
// audit entry, a pledge workflow event, a catalogue entry, ...; JSON).
type Entry struct {
	Slot uint16
	ID   string
	Body []byte
}

// Marshal returns the leaf data: "pledgeseal-log-entry/1\n" slot "\n" id
// "\n" body.
func (e Entry) Marshal() []byte {
	var b bytes.Buffer
	b.Grow(len(entryMagic) + len(e.ID) + len(e.Body) + 8)
	b.WriteString(entryMagic)
	b.WriteString(strconv.FormatUint(uint64(e.Slot), 10))
	b.WriteByte('\n')
	b.WriteString(e.ID)
	b.WriteByte('\n')
	b.Write(e.Body)
	return b.Bytes()
}

// LeafHash returns the entry's RFC 9162 leaf hash.
func (e Entry) LeafHash() []byte { return Hasher{}.HashLeaf(e.Marshal()) }

// ParseEntry parses leaf data strictly (the inverse of Marshal).
func ParseEntry(data []byte) (Entry, error) {
	bad := func(why string) (Entry, error) {
		return Entry{}, apperr.New(apperr.Malformed, "log entry: %s", why).WithCode(apperr.CodeLogEntryInvalid)
	}
	rest, ok := bytes.CutPrefix(data, []byte(entryMagic))
	if !ok {
		return bad("unknown format")
	}
	slotStr, rest, ok := bytes.Cut(rest, []byte("\n"))
	if !ok || len(slotStr) == 0 || len(slotStr) > 5 || (len(slotStr) > 1 && slotStr[0] == '0') {
		return bad("bad slot")
	}
	slot, err := strconv.ParseUint(string(slotStr), 10, 16)
	if err != nil || slot >= 16384 {
		return bad("bad slot")
	}
	id, body, ok := bytes.Cut(rest, []byte("\n"))
	if !ok || !validStreamID(string(id)) {
		return bad("bad stream ID")
	}
	if len(body) > MaxEntrySize {
		return bad("body too large")
	}
	return Entry{Slot: uint16(slot), ID: string(id), Body: body}, nil
}

// StreamID is a Redis stream entry ID (milliseconds-sequence).
type StreamID struct{ Ms, Seq uint64 }

// ParseStreamID parses "ms-seq".
func ParseStreamID(s string) (StreamID, bool) {
	a, b, ok := bytes.Cut([]byte(s), []byte("-"))
	if !ok || !decimal(a) || !decimal(b) {
		return StreamID{}, false
	}
	ms, err1 := strconv.ParseUint(string(a), 10, 64)
	seq, err2 := strconv.ParseUint(string(b), 10, 64)
	if err1 != nil || err2 != nil {
		return StreamID{}, false
	}
	return StreamID{ms, seq}, true
}

// Less reports whether id sorts before o.
func (id StreamID) Less(o StreamID) bool {
	return id.Ms < o.Ms || (id.Ms == o.Ms && id.Seq < o.Seq)
}

func decimal(b []byte) bool {
	if len(b) == 0 || len(b) > 20 || (len(b) > 1 && b[0] == '0') {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func validStreamID(s string) bool { _, ok := ParseStreamID(s); return ok }
