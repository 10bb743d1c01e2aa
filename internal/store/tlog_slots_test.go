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

func TestCapBytes(t *testing.T) {
	big := string(make([]byte, integrateBytes/2+1))
	pend := []pendingEntry{{slot: 1, body: big}, {slot: 1, body: big}, {slot: 2, body: "x"}}
	complete := map[int]bool{1: true, 2: true}
	got := capBytes(pend, complete)
	if len(got) != 1 || complete[1] || complete[2] {
		t.Fatalf("cut to %d, complete %v", len(got), complete)
	}
	one := []pendingEntry{{slot: 3, body: string(make([]byte, integrateBytes+1))}}
	if len(capBytes(one, map[int]bool{})) != 1 {
		t.Fatal("a single large entry must still be integrated")
	}
}
