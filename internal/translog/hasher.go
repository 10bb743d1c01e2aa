package translog

import (
	"github.com/emmansun/gmsm/sm3"
	"github.com/transparency-dev/merkle"
)

// HashSize is the size of every tree hash (SM3).
const HashSize = sm3.Size

// RFC 9162 §2.1.1 domain separation prefixes.
const (
	leafPrefix = 0x00
	nodePrefix = 0x01
)

// Hasher is the RFC 9162 tree hasher with SM3 in place of SHA-256:
// leaf = SM3(0x00 ‖ entry), node = SM3(0x01 ‖ left ‖ right), the empty
// tree's root = SM3("").
type Hasher struct{}

var _ merkle.LogHasher = Hasher{}

// EmptyRoot returns SM3 of the empty string.
func (Hasher) EmptyRoot() []byte {
	s := sm3.Sum(nil)
	return s[:]
}

// HashLeaf returns SM3(0x00 ‖ leaf).
func (Hasher) HashLeaf(leaf []byte) []byte {
	h := sm3.New()
	h.Write([]byte{leafPrefix})
	h.Write(leaf)
	return h.Sum(nil)
}

// HashChildren returns SM3(0x01 ‖ l ‖ r).
func (Hasher) HashChildren(l, r []byte) []byte {
	h := sm3.New()
	h.Write([]byte{nodePrefix})
	h.Write(l)
	h.Write(r)
	return h.Sum(nil)
}

// Size returns HashSize.
func (Hasher) Size() int { return HashSize }
