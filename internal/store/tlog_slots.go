package store

import (
	"strconv"
	"strings"
	"sync"
)

// The transparency log's pending entries are kept per Redis Cluster hash
// slot (docs/transparency.md): a script that changes keys in slot s appends
// its log entry to the stream {<slot tag of s>}:tlog, a key in the same
// slot, so the change and its entry stay one atomic script on one node.
// The slot tags are the shortest names "tl<n>" that hash to each slot; the
// table is the same in every process.

const clusterSlots = 16384

// slotTagTable returns, for every slot, a hash tag that lands in it.
var slotTagTable = sync.OnceValue(func() []string {
	tags := make([]string, clusterSlots)
	left := clusterSlots
	for n := 0; left > 0; n++ {
		t := "tl" + strconv.Itoa(n)
		s := crc16([]byte(t)) % clusterSlots
		if tags[s] == "" {
			tags[s] = t
			left--
		}
	}
	return tags
})

// keySlot is Redis Cluster's slot of a key: CRC16 of its hash tag (the part
// between the first '{' and the next '}', when not empty), else of the key.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16([]byte(key)) % clusterSlots)
}

// crc16Table is the byte-wise table of CRC-16/XMODEM (polynomial 0x1021).
var crc16Table = func() (t [256]uint16) {
	for i := range 256 {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// crc16 is CRC-16/XMODEM, the checksum Redis Cluster uses for slots.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crc16Table[byte(crc>>8)^c]
	}
	return crc
}

// tlogPendingKeyOfSlot is the pending stream of slot s.
func (s *Store) tlogPendingKeyOfSlot(slot int) string {
	return s.key(slotTagTable()[slot], "tlog")
}

// tlogPendingKey is the pending stream in the slot of key k: a script
// that writes k appends its log entry there.
func (s *Store) tlogPendingKey(k string) string {
	return s.tlogPendingKeyOfSlot(keySlot(k))
}

// slotHints remembers which slots this process wrote log entries to, so
// the sequencer reads those (and the slots it integrated from before)
// instead of all 16,384 on every step; a full sweep now and then finds
// entries other processes wrote to new slots. Each mark has a generation,
// so a mark made while a step ran is not cleared by that step.
type slotHints struct {
	mu   sync.Mutex
	gen  uint64
	hint map[int]uint64
}

func newSlotHints() *slotHints { return &slotHints{hint: map[int]uint64{}} }

func (h *slotHints) mark(slot int) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.gen++
	h.hint[slot] = h.gen
	h.mu.Unlock()
}

// snapshot returns the hinted slots and their generations.
func (h *slotHints) snapshot() map[int]uint64 {
	out := map[int]uint64{}
	if h == nil {
		return out
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s, g := range h.hint {
		out[s] = g
	}
	return out
}

// clear drops the hints of slots read completely, unless marked again
// since the snapshot.
func (h *slotHints) clear(done map[int]uint64) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s, g := range done {
		if h.hint[s] == g {
			delete(h.hint, s)
		}
	}
}

// markLog records that a script wrote a log entry in the slot of key k.
func (s *Store) markLog(k string) { s.logHints.mark(keySlot(k)) }
