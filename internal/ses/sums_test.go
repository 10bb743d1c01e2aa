package ses

import (
	"bytes"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// TestSumMemo: the memo always answers pki.Digest, is bounded, and leaves
// large inputs alone.
func TestSumMemo(t *testing.T) {
	m := newSumMemo(3)
	inputs := [][]byte{nil, {}, []byte("a"), []byte("b"), []byte("a"), bytes.Repeat([]byte("x"), sumMemoMax+1), []byte("c"), []byte("d"), []byte("a")}
	for i, in := range inputs {
		if got, want := m.sum(in), pki.Digest(in); got != want {
			t.Fatalf("input %d: %x, want %x", i, got, want)
		}
		if len(m.m) > 3 || len(m.order) != len(m.m) {
			t.Fatalf("input %d: memo holds %d (order %d), bound 3", i, len(m.m), len(m.order))
		}
	}
	if _, ok := m.m[string(inputs[5])]; ok {
		t.Fatal("a large input was remembered")
	}
	// The bytes held are bounded too.
	big := newSumMemo(1000)
	for i := range 100 {
		big.sum(bytes.Repeat([]byte{byte(i)}, sumMemoMax))
	}
	if big.size > sumMemoBytes || len(big.m) != big.size/sumMemoMax {
		t.Fatalf("memo holds %d bytes in %d keys, bound %d", big.size, len(big.m), sumMemoBytes)
	}
	var none *sumMemo
	if none.sum([]byte("z")) != pki.Digest([]byte("z")) {
		t.Fatal("nil memo")
	}
}

// TestVerifierDigest: the exported digest is the SM3 of the bytes, from
// the memo or not.
func TestVerifierDigest(t *testing.T) {
	v := NewVerifier(Options{})
	for _, in := range [][]byte{[]byte("seal"), []byte("seal"), bytes.Repeat([]byte("p"), sumMemoMax+1)} {
		if got, want := v.Digest(in), pki.Digest(in); got != want {
			t.Fatalf("%d bytes: %x, want %x", len(in), got, want)
		}
	}
}
