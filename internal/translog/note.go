package translog

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"io"

	"github.com/emmansun/gmsm/sm2"
	"golang.org/x/mod/sumdb/note"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// SigTypeSM2 is the signed-note signature type of an SM2 log key. The C2SP
// signed-note spec reserves 0xff for types without an assigned byte; the
// encoded key that follows it names the algorithm, so it cannot be taken
// for any other 0xff type: 0xff ‖ "SM2-SM3" ‖ 0x00 ‖ the 65-byte
// uncompressed public point.
const SigTypeSM2 = 0xff

// sm2KeyTag follows SigTypeSM2 in an encoded key.
const sm2KeyTag = "SM2-SM3\x00"

// EncodePublicKey returns the signed-note encoding of an SM2 public key.
func EncodePublicKey(pub *ecdsa.PublicKey) ([]byte, error) {
	if pub == nil || !sm2.IsSM2PublicKey(pub) {
		return nil, apperr.New(apperr.Malformed, "the log key is not an SM2 key")
	}
	pt, err := sm2.PublicKeyToECDH(pub)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "the log key is not a valid SM2 point")
	}
	return append(append([]byte{SigTypeSM2}, sm2KeyTag...), pt.Bytes()...), nil
}

// KeyHash is the signed-note key ID: the first four bytes of
// SHA-256(name ‖ "\n" ‖ encoded key), big-endian (C2SP signed-note).
func KeyHash(name string, encodedKey []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte("\n"))
	h.Write(encodedKey)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// NoteSigner signs notes with an SM2 key: the signature is the DER SM2
// signature (SM3 with the GB/T 32918 ZA preprocessing, default user ID
// 1234567812345678) over the note text.
type NoteSigner struct {
	name string
	hash uint32
	key  *sm2.PrivateKey
	rand io.Reader
}

var _ note.Signer = (*NoteSigner)(nil)

// NewNoteSigner returns a signer for the key named name (the log origin).
func NewNoteSigner(name string, key *sm2.PrivateKey) (*NoteSigner, error) {
	if key == nil {
		return nil, apperr.New(apperr.Malformed, "no log key")
	}
	enc, err := EncodePublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	return &NoteSigner{name: name, hash: KeyHash(name, enc), key: key, rand: rand.Reader}, nil
}

// Name returns the key name (the log origin).
func (s *NoteSigner) Name() string { return s.name }

// KeyHash returns the key ID.
func (s *NoteSigner) KeyHash() uint32 { return s.hash }

// Sign signs msg (the note text).
func (s *NoteSigner) Sign(msg []byte) ([]byte, error) {
	return s.key.Sign(s.rand, msg, sm2.DefaultSM2SignerOpts)
}

// NoteVerifier verifies NoteSigner signatures.
type NoteVerifier struct {
	name string
	hash uint32
	pub  *ecdsa.PublicKey
}

var _ note.Verifier = (*NoteVerifier)(nil)

// NewNoteVerifier returns the verifier of the key pub named name.
func NewNoteVerifier(name string, pub *ecdsa.PublicKey) (*NoteVerifier, error) {
	enc, err := EncodePublicKey(pub)
	if err != nil {
		return nil, err
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	return &NoteVerifier{name: name, hash: KeyHash(name, enc), pub: pub}, nil
}

// Name returns the key name.
func (v *NoteVerifier) Name() string { return v.name }

// KeyHash returns the key ID.
func (v *NoteVerifier) KeyHash() uint32 { return v.hash }

// Verify reports whether sig is this key's signature over msg.
func (v *NoteVerifier) Verify(msg, sig []byte) bool {
	return pki.VerifyMessage(v.pub, msg, sig)
}

func checkName(name string) error {
	if !ValidName(name) {
		return apperr.New(apperr.Malformed, "the log origin must be 1 to 256 bytes without spaces, control characters or '+'")
	}
	return nil
}

// ValidName tells whether name may name a signed-note key (the log's
// origin, a status statement's issuer): 1 to 256 bytes, no spaces, control
// characters or '+'.
func ValidName(name string) bool {
	if name == "" || len(name) > 256 {
		return false
	}
	for _, r := range name {
		if r <= ' ' || r == '+' || r == 0x7f {
			return false
		}
	}
	return true
}

// DecodePublicKey is the inverse of EncodePublicKey.
func DecodePublicKey(enc []byte) (*ecdsa.PublicKey, error) {
	rest, ok := bytes.CutPrefix(enc, append([]byte{SigTypeSM2}, sm2KeyTag...))
	if !ok {
		return nil, apperr.New(apperr.Malformed, "not an SM2 signed-note key")
	}
	pub, err := sm2.NewPublicKey(rest)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "not an SM2 point")
	}
	return pub, nil
}

// ParseSM2CertificatePEM returns the SM2 key of the first certificate
// in a PEM file: a pinned signed-note key of the trust material (the log
// certificate, the status certificate).
func ParseSM2CertificatePEM(b []byte) (*ecdsa.PublicKey, error) {
	certs, err := pki.ParseCertificatesPEM(b)
	if err != nil || len(certs) == 0 {
		return nil, apperr.New(apperr.Malformed, "not a PEM certificate")
	}
	pub, ok := certs[0].PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return nil, apperr.New(apperr.Malformed, "not an SM2 certificate")
	}
	if _, err := EncodePublicKey(pub); err != nil {
		return nil, err
	}
	return pub, nil
}
