package translog

import (
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// NodeReader returns the hashes of complete subtree nodes (level, index),
// in the order asked; a missing node is an error.
type NodeReader func(ids []compact.NodeID) ([][]byte, error)

// RangeFactory makes compact ranges with the SM3 hasher.
var rangeFactory = &compact.RangeFactory{Hash: Hasher{}.HashChildren}

// NewRange returns a compact range [0, size) from the hashes of its nodes
// (compact.RangeNodes(0, size) order).
func NewRange(size uint64, hashes [][]byte) (*compact.Range, error) {
	return rangeFactory.NewRange(0, size, hashes)
}

// EmptyRange returns the compact range of an empty tree.
func EmptyRange() *compact.Range { return rangeFactory.NewEmptyRange(0) }

// RootOf returns the root hash of a compact range starting at 0.
func RootOf(r *compact.Range) ([]byte, error) {
	if r.End() == 0 {
		return Hasher{}.EmptyRoot(), nil
	}
	return r.GetRootHash(nil)
}

// InclusionProof returns the RFC 9162 inclusion proof of leaf index in a
// tree of size entries.
func InclusionProof(index, size uint64, read NodeReader) ([][]byte, error) {
	if index >= size {
		return nil, apperr.New(apperr.Malformed, "leaf %d is not in a tree of size %d / 该叶子不在此大小的树中", index, size)
	}
	n, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "no inclusion proof")
	}
	return fetch(n, read)
}

// ConsistencyProof returns the RFC 9162 consistency proof between tree
// sizes from and to (0 < from ≤ to).
func ConsistencyProof(from, to uint64, read NodeReader) ([][]byte, error) {
	if from == 0 || from > to {
		return nil, apperr.New(apperr.Malformed, "a consistency proof needs 0 < from ≤ to (from %d, to %d) / 一致性证明要求 0 < from ≤ to", from, to)
	}
	n, err := proof.Consistency(from, to)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "no consistency proof")
	}
	return fetch(n, read)
}

func fetch(n proof.Nodes, read NodeReader) ([][]byte, error) {
	if len(n.IDs) == 0 {
		return [][]byte{}, nil
	}
	hashes, err := read(n.IDs)
	if err != nil {
		return nil, err
	}
	return n.Rehash(hashes, Hasher{}.HashChildren)
}

// VerifyInclusion checks an inclusion proof against root.
func VerifyInclusion(index, size uint64, leafHash []byte, p [][]byte, root []byte) error {
	if err := proof.VerifyInclusion(Hasher{}, index, size, leafHash, p, root); err != nil {
		return apperr.Wrap(apperr.Malformed, err, "inclusion proof does not verify").WithCode(apperr.CodeProofInvalid)
	}
	return nil
}

// VerifyConsistency checks a consistency proof between two roots.
func VerifyConsistency(from, to uint64, p [][]byte, root1, root2 []byte) error {
	if err := proof.VerifyConsistency(Hasher{}, from, to, p, root1, root2); err != nil {
		return apperr.Wrap(apperr.Malformed, err, "consistency proof does not verify").WithCode(apperr.CodeProofInvalid)
	}
	return nil
}
