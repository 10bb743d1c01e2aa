package translog

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// MaxCheckpointSize bounds a signed checkpoint read from the network.
const MaxCheckpointSize = 8 << 10

// Checkpoint is a C2SP tlog-checkpoint body: the log's origin, its size
// and the RFC 9162 root hash of its first Size entries.
type Checkpoint struct {
	Origin string
	Size   uint64
	Root   []byte
}

// Marshal returns the checkpoint text: origin, decimal size and base64 root,
// each followed by a newline.
func (c Checkpoint) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(c.Origin)
	b.WriteByte('\n')
	b.WriteString(strconv.FormatUint(c.Size, 10))
	b.WriteByte('\n')
	b.WriteString(base64.StdEncoding.EncodeToString(c.Root))
	b.WriteByte('\n')
	return b.Bytes()
}

// ParseCheckpoint parses a checkpoint text strictly: exactly three lines
// (extension lines are refused: this log writes none), a decimal size
// without leading zeros and a base64 root of HashSize bytes.
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	bad := func(why string) (Checkpoint, error) {
		return Checkpoint{}, apperr.New(apperr.Malformed, "checkpoint: %s", why).WithCode(apperr.CodeCheckpointInvalid)
	}
	s := string(text)
	if !strings.HasSuffix(s, "\n") {
		return bad("does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != 3 {
		return bad("want origin, size and root hash lines")
	}
	if err := checkName(lines[0]); err != nil {
		return bad("bad origin line")
	}
	if lines[1] == "" || (len(lines[1]) > 1 && lines[1][0] == '0') || len(lines[1]) > 20 {
		return bad("bad size line")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil {
		return bad("bad size line")
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != HashSize {
		return bad("bad root hash line")
	}
	return Checkpoint{Origin: lines[0], Size: size, Root: root}, nil
}

// SignCheckpoint returns c as a signed note.
func SignCheckpoint(c Checkpoint, s note.Signer) ([]byte, error) {
	if c.Origin != s.Name() {
		return nil, apperr.New(apperr.Internal, "checkpoint origin %q is not the log key's name %q", c.Origin, s.Name())
	}
	out, err := note.Sign(&note.Note{Text: string(c.Marshal())}, s)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "cannot sign the checkpoint")
	}
	return out, nil
}

// OpenCheckpoint verifies a signed checkpoint with v and parses it. The
// origin must be v's name. A note without a valid signature by v is an
// error with code CHECKPOINT_SIGNATURE.
func OpenCheckpoint(signed []byte, v note.Verifier) (Checkpoint, error) {
	if len(signed) > MaxCheckpointSize {
		return Checkpoint{}, apperr.New(apperr.Malformed, "checkpoint larger than %d bytes", MaxCheckpointSize).WithCode(apperr.CodeCheckpointInvalid)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Checkpoint{}, apperr.Wrap(apperr.Malformed, err, "checkpoint signature does not verify with the log key").WithCode(apperr.CodeCheckpointSignature)
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != v.Name() {
		return Checkpoint{}, apperr.New(apperr.Malformed, "checkpoint origin %q is not the log's %q", c.Origin, v.Name()).WithCode(apperr.CodeCheckpointSignature)
	}
	return c, nil
}

// OpenCheckpointWithKey verifies a signed checkpoint with the SM2 key pub,
// taking the key name from the checkpoint's own origin line (a pinned key
// certificate does not carry the origin; the caller pins the origin it saw
// first).
func OpenCheckpointWithKey(signed []byte, pub *ecdsa.PublicKey) (Checkpoint, error) {
	origin, _, ok := bytes.Cut(signed, []byte("\n"))
	if !ok || len(signed) > MaxCheckpointSize {
		return Checkpoint{}, apperr.New(apperr.Malformed, "checkpoint: not a signed note").WithCode(apperr.CodeCheckpointInvalid)
	}
	v, err := NewNoteVerifier(string(origin), pub)
	if err != nil {
		return Checkpoint{}, apperr.Wrap(apperr.Malformed, err, "checkpoint: bad origin line").WithCode(apperr.CodeCheckpointInvalid)
	}
	return OpenCheckpoint(signed, v)
}
