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

// crc16 is CRC-16/XMODEM, the checksum Redis Cluster uses for slots.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
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
