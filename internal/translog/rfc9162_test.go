package translog

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/emmansun/gmsm/sm3"
	"github.com/transparency-dev/merkle/compact"
)

// This file checks the library's trees and proofs against an independent
// implementation written from RFC 9162 §2.1 (with SM3 for SHA-256): MTH,
// and the verification algorithms of §2.1.3.2 and §2.1.4.2. It uses sm3
// directly, not Hasher.

func h(parts ...[]byte) []byte {
	d := sm3.New()
	for _, p := range parts {
		d.Write(p)
	}
	return d.Sum(nil)
}

// mth is MTH(D[n]) of RFC 9162 §2.1.1.
func mth(d [][]byte) []byte {
	switch len(d) {
	case 0:
		return h()
	case 1:
		return h([]byte{0}, d[0])
	}
	k := 1
	for k*2 < len(d) {
		k *= 2
	}
	return h([]byte{1}, mth(d[:k]), mth(d[k:]))
}

// rfcVerifyInclusion is RFC 9162 §2.1.3.2.
func rfcVerifyInclusion(leafIndex, treeSize uint64, leafHash []byte, path [][]byte, root []byte) bool {
	if leafIndex >= treeSize {
		return false
	}
	fn, sn := leafIndex, treeSize-1
	r := leafHash
	for _, p := range path {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = h([]byte{1}, p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = h([]byte{1}, r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && bytes.Equal(r, root)
}

// rfcVerifyConsistency is RFC 9162 §2.1.4.2.
func rfcVerifyConsistency(first, second uint64, firstHash, secondHash []byte, path [][]byte) bool {
	if first == second {
		return len(path) == 0 && bytes.Equal(firstHash, secondHash)
	}
	if first == 0 || first > second || len(path) == 0 {
		return false
	}
	if first&(first-1) == 0 {
		path = append([][]byte{firstHash}, path...)
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			fr = h([]byte{1}, c, fr)
			sr = h([]byte{1}, c, sr)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			sr = h([]byte{1}, sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	return bytes.Equal(fr, firstHash) && bytes.Equal(sr, secondHash) && sn == 0
}

// memTree is a tree built the way the store builds it: compact ranges
// whose visitor keeps every complete node.
type memTree struct {
	nodes map[compact.NodeID][]byte
	rng   *compact.Range
}

func newMemTree() *memTree { return &memTree{nodes: map[compact.NodeID][]byte{}, rng: EmptyRange()} }

func (t *memTree) append(leafHash []byte) error {
	return t.rng.Append(leafHash, func(id compact.NodeID, hash []byte) { t.nodes[id] = hash })
}

func (t *memTree) read(ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	for i, id := range ids {
		hh, ok := t.nodes[id]
		if !ok {
			return nil, fmt.Errorf("node %v missing", id)
		}
		out[i] = hh
	}
	return out, nil
}

func TestProofsAgainstRFC9162(t *testing.T) {
	const maxSize = 300
	var data [][]byte
	tree := newMemTree()
	roots := [][]byte{h()}
	for n := 1; n <= maxSize; n++ {
		e := Entry{Slot: uint16(n % 16384), ID: fmt.Sprintf("%d-0", n), Body: []byte(fmt.Sprintf(`{"n":%d}`, n))}
		data = append(data, e.Marshal())
		if err := tree.append(e.LeafHash()); err != nil {
			t.Fatal(err)
		}
		root, err := RootOf(tree.rng)
		if err != nil {
			t.Fatal(err)
		}
		if want := mth(data); !bytes.Equal(root, want) {
			t.Fatalf("size %d: root %x, RFC 9162 MTH %x", n, root, want)
		}
		// Rebuilding the range from stored nodes gives the same root.
		hashes, err := tree.read(compact.RangeNodes(0, uint64(n), nil))
		if err != nil {
			t.Fatal(err)
		}
		r2, err := NewRange(uint64(n), hashes)
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := RootOf(r2); !bytes.Equal(got, root) {
			t.Fatalf("size %d: rebuilt range root differs", n)
		}
		roots = append(roots, root)
	}
	// Every size 1..300; every index and every older size up to 100,
	// beyond that the edges, the middle and every 13th (the race detector
	// makes all 90,000 proofs slow).
	picked := func(m, n uint64) bool {
		return n <= 100 || m < 3 || m+3 > n || m == n/2 || m%13 == 0
	}
	for n := uint64(1); n <= maxSize; n++ {
		for m := uint64(0); m < n; m++ {
			if !picked(m, n) {
				continue
			}
			p, err := InclusionProof(m, n, tree.read)
			if err != nil {
				t.Fatalf("inclusion %d/%d: %v", m, n, err)
			}
			leaf := h([]byte{0}, data[m])
			if !rfcVerifyInclusion(m, n, leaf, p, roots[n]) {
				t.Fatalf("inclusion proof of %d in %d fails the RFC 9162 verifier", m, n)
			}
			if VerifyInclusion(m, n, leaf, p, roots[n]) != nil {
				t.Fatalf("inclusion proof of %d in %d fails VerifyInclusion", m, n)
			}
			// A wrong leaf or a flipped proof byte fails.
			if rfcVerifyInclusion(m, n, h([]byte{0}, []byte("x")), p, roots[n]) {
				t.Fatalf("a foreign leaf verifies at %d/%d", m, n)
			}
			if len(p) > 0 {
				bad := bytes.Clone(p[len(p)-1])
				bad[0] ^= 1
				q := append(append([][]byte{}, p[:len(p)-1]...), bad)
				if rfcVerifyInclusion(m, n, leaf, q, roots[n]) || VerifyInclusion(m, n, leaf, q, roots[n]) == nil {
					t.Fatalf("a flipped proof verifies at %d/%d", m, n)
				}
			}
		}
		for m := uint64(1); m <= n; m++ {
			if !picked(m, n) {
				continue
			}
			p, err := ConsistencyProof(m, n, tree.read)
			if err != nil {
				t.Fatalf("consistency %d→%d: %v", m, n, err)
			}
			if !rfcVerifyConsistency(m, n, roots[m], roots[n], p) {
				t.Fatalf("consistency proof %d→%d fails the RFC 9162 verifier", m, n)
			}
			if VerifyConsistency(m, n, p, roots[m], roots[n]) != nil {
				t.Fatalf("consistency proof %d→%d fails VerifyConsistency", m, n)
			}
			if m < n && m > 1 && rfcVerifyConsistency(m, n, roots[m-1], roots[n], p) {
				t.Fatalf("consistency %d→%d verifies against a foreign old root", m, n)
			}
		}
	}
}

func TestEmptyRootIsSM3OfNothing(t *testing.T) {
	if !bytes.Equal(Hasher{}.EmptyRoot(), h()) {
		t.Fatal("empty root is not SM3(\"\")")
	}
	if !bytes.Equal(Hasher{}.HashLeaf([]byte("a")), h([]byte{0}, []byte("a"))) {
		t.Fatal("leaf hash")
	}
	if !bytes.Equal(Hasher{}.HashChildren([]byte("l"), []byte("r")), h([]byte{1}, []byte("l"), []byte("r"))) {
		t.Fatal("node hash")
	}
}
