package store

import "testing"

func TestSlotTags(t *testing.T) {
	// Redis Cluster's documented example: "123456789" → CRC16 0x31C3.
	if got := crc16([]byte("123456789")); got != 0x31c3 {
		t.Fatalf("crc16 = %#x", got)
	}
	if keySlot("{user1000}.following") != keySlot("{user1000}.followers") || keySlot("foo{}{bar}") != int(crc16([]byte("foo{}{bar}"))%clusterSlots) {
		t.Fatal("hash tags")
	}
	s := &Store{prefix: "p:"}
	for slot := range clusterSlots {
		if got := keySlot(s.tlogPendingKeyOfSlot(slot)); got != slot {
			t.Fatalf("the pending key of slot %d is in slot %d", slot, got)
		}
	}
	for _, k := range []string{s.key(regTag, "audit", "e"), s.key("pls:03", "outbox"), s.key("cat:11:x", "cert", "y")} {
		if keySlot(s.tlogPendingKey(k)) != keySlot(k) {
			t.Fatalf("%s: pending key in another slot", k)
		}
	}
}
