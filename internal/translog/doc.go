// Package translog holds the transparency log's formats and proofs, free of
// Redis and HTTP: RFC 9162 Merkle tree hashing with SM3 (Hasher), the C2SP
// tlog-checkpoint text (Checkpoint), its signed-note envelope with an SM2
// log key (NoteSigner, NoteVerifier), the leaf entry encoding (Entry), and
// verification of inclusion and consistency proofs through
// github.com/transparency-dev/merkle. The layout in Redis and the sequencer
// live in internal/store (translog.go); docs/transparency.md describes the
// whole design.
package translog
