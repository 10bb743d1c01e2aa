// Package pii owns the protection of personal data (PIPL): SM4-GCM
// encryption at rest with associated data binding each value to its record
// and field, HMAC-SM3 keyed-hash indexes for lookups without plaintext, and
// masking for public views. Keys are passed in (internal/trust loads them);
// this package never reads files, never logs, and must not import anything
// of the project but apperr.
package pii

import (
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// Sizes of the sealed format.
const (
	// EncKeyLen is the SM4 key length.
	EncKeyLen = 16
	// MinIndexKeyLen is the shortest HMAC-SM3 index key accepted.
	MinIndexKeyLen = 32
	// MaxPlaintext bounds one protected value: a name or an ID number, up to
	// a whole pledge document or record (which may carry certificates and
	// an SES with its seal picture).
	MaxPlaintext = 1 << 20

	formatV1  = 0x01
	nonceLen  = 12
	tagLen    = 16
	headerLen = 1 + nonceLen
)

// adPrefix separates this use of the key from any other.
const adPrefix = "pledgeseal/pii/v1"

// Protector encrypts, decrypts and indexes personal data. It is immutable and
// safe for concurrent use.
type Protector struct {
	aead     cipher.AEAD
	indexKey []byte
}

// New returns a Protector from a 16-byte SM4 key and an HMAC-SM3 index key of
// at least 32 bytes. The keys are copied.
func New(encKey, indexKey []byte) (*Protector, error) {
	if len(encKey) != EncKeyLen {
		return nil, errors.New("pii: the SM4 data key must be 16 bytes")
	}
	if len(indexKey) < MinIndexKeyLen {
		return nil, errors.New("pii: the HMAC-SM3 index key must be at least 32 bytes")
	}
	if hmac.Equal(encKey, indexKey[:EncKeyLen]) {
		return nil, errors.New("pii: the data key and the index key must differ")
	}
	block, err := sm4.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Protector{aead: aead, indexKey: append([]byte(nil), indexKey...)}, nil
}

// associatedData binds a sealed value to its record and field, so a
// ciphertext copied to another record or field fails to open.
func associatedData(recordID, field string) []byte {
	ad := make([]byte, 0, len(adPrefix)+8+len(recordID)+len(field))
	ad = append(ad, adPrefix...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(recordID)))
	ad = append(ad, recordID...)
	ad = binary.BigEndian.AppendUint32(ad, uint32(len(field)))
	ad = append(ad, field...)
	return ad
}

// Seal encrypts plaintext for field of record recordID with a fresh random
// nonce. The result is 0x01 ‖ nonce(12) ‖ ciphertext ‖ tag(16).
func (p *Protector) Seal(recordID, field string, plaintext []byte) ([]byte, error) {
	if recordID == "" || field == "" {
		return nil, apperr.New(apperr.Internal, "personal data must be sealed to a record and a field")
	}
	if len(plaintext) > MaxPlaintext {
		return nil, apperr.New(apperr.TooLarge, "a personal data value is longer than %d bytes", MaxPlaintext)
	}
	out := make([]byte, headerLen, headerLen+len(plaintext)+tagLen)
	out[0] = formatV1
	if _, err := rand.Read(out[1:headerLen]); err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "no randomness for encryption")
	}
	return p.aead.Seal(out, out[1:headerLen], plaintext, associatedData(recordID, field)), nil
}

// Open decrypts a value made by Seal for the same record and field. Any
// tampering, truncation, or a value moved from another record or field is
// refused with apperr.Internal (stored data is not client input).
func (p *Protector) Open(recordID, field string, sealed []byte) ([]byte, error) {
	if len(sealed) < headerLen+tagLen || sealed[0] != formatV1 {
		return nil, apperr.New(apperr.Internal, "stored personal data has an unknown format")
	}
	pt, err := p.aead.Open(nil, sealed[1:headerLen], sealed[headerLen:], associatedData(recordID, field))
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "stored personal data failed its integrity check")
	}
	return pt, nil
}

// Index returns the keyed hash (hex HMAC-SM3) of a normalised value in the
// namespace kind (e.g. "id-number"), for lookups and uniqueness without
// storing the value. The same value in two namespaces gives unrelated hashes.
func (p *Protector) Index(kind, value string) string {
	m := hmac.New(sm3.New, p.indexKey)
	m.Write([]byte(adPrefix + "/index"))
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(kind)))
	m.Write(n[:])
	m.Write([]byte(kind))
	m.Write([]byte(Normalize(value)))
	return hex.EncodeToString(m.Sum(nil))
}

// Normalize prepares an identifier for indexing: surrounding and inner
// white space removed, ASCII letters upper-cased (an ID number's check
// character x and X are the same).
func Normalize(value string) string {
	var b strings.Builder
	for _, r := range value {
		if unicode.IsSpace(r) {
			continue
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// MaskName masks a personal name for public view: one character → "*",
// two → first + "*" (张*), three or more → first + "*"×(n−2) + last (张*三).
// Invalid UTF-8 is masked entirely.
func MaskName(name string) string {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) {
		return "*"
	}
	rs := []rune(name)
	switch len(rs) {
	case 0:
		return ""
	case 1:
		return "*"
	case 2:
		return string(rs[0]) + "*"
	default:
		return string(rs[0]) + strings.Repeat("*", len(rs)-2) + string(rs[len(rs)-1])
	}
}

// MaskID masks an identity document number for public view, keeping the first
// four and last four characters of a long number (1101**********1234) and
// the first and last of a short one; six characters or fewer are masked
// entirely.
func MaskID(id string) string {
	if !utf8.ValidString(id) {
		return "*"
	}
	id = Normalize(id)
	rs := []rune(id)
	switch n := len(rs); {
	case n == 0:
		return ""
	case n <= 6:
		return strings.Repeat("*", n)
	case n < 12:
		return string(rs[0]) + strings.Repeat("*", n-2) + string(rs[n-1])
	default:
		return string(rs[:4]) + strings.Repeat("*", n-8) + string(rs[n-4:])
	}
}
