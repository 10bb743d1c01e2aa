package pki

import (
	"errors"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrMalformedSignature reports signature bytes that are neither DER
// SEQUENCE{r, s} (possibly with non-minimal INTEGERs) nor 64 raw bytes r‖s.
var ErrMalformedSignature = errors.New("pki: malformed SM2 signature")

// SignatureForm tells how a signature was encoded on the wire.
type SignatureForm int

// Signature encodings met in real files (ses-format.md fact 4).
const (
	SigDER        SignatureForm = iota // canonical DER SEQUENCE{INTEGER r, INTEGER s}
	SigNonMinimal                      // DER-shaped, INTEGERs not minimal (stray 0x00 or missing sign pad)
	SigRaw                             // 64 bytes r‖s
)

func (f SignatureForm) String() string {
	switch f {
	case SigDER:
		return "DER"
	case SigNonMinimal:
		return "non-canonical DER"
	case SigRaw:
		return "raw r||s"
	}
	return "unknown"
}

// DecodeSignature reads r and s from any of the encodings real files use:
// INTEGER contents are read as unsigned big-endian; failing DER, exactly 64
// bytes are read as r‖s.
func DecodeSignature(sig []byte) (r, s *big.Int, form SignatureForm, err error) {
	in := cryptobyte.String(sig)
	var seq, rb, sb cryptobyte.String
	if in.ReadASN1(&seq, cbasn1.SEQUENCE) && in.Empty() &&
		seq.ReadASN1(&rb, cbasn1.INTEGER) && seq.ReadASN1(&sb, cbasn1.INTEGER) && seq.Empty() &&
		len(rb) > 0 && len(sb) > 0 && len(rb) <= 33 && len(sb) <= 33 {
		r = new(big.Int).SetBytes(rb)
		s = new(big.Int).SetBytes(sb)
		if r.BitLen() > 256 || s.BitLen() > 256 {
			return nil, nil, 0, ErrMalformedSignature
		}
		form = SigDER
		if !minimalUnsigned(rb) || !minimalUnsigned(sb) {
			form = SigNonMinimal
		}
		if r.Sign() == 0 || s.Sign() == 0 {
			return nil, nil, 0, ErrMalformedSignature
		}
		return r, s, form, nil
	}
	if len(sig) == 64 {
		r = new(big.Int).SetBytes(sig[:32])
		s = new(big.Int).SetBytes(sig[32:])
		if r.Sign() == 0 || s.Sign() == 0 {
			return nil, nil, 0, ErrMalformedSignature
		}
		return r, s, SigRaw, nil
	}
	return nil, nil, 0, ErrMalformedSignature
}

// minimalUnsigned reports whether b is the minimal DER encoding of a positive INTEGER.
func minimalUnsigned(b []byte) bool {
	if b[0]&0x80 != 0 {
		return false // would be negative
	}
	if len(b) > 1 && b[0] == 0 && b[1]&0x80 == 0 {
		return false // superfluous leading zero
	}
	return true
}

// EncodeSignature returns the canonical DER SEQUENCE{INTEGER r, INTEGER s}.
// r and s must be positive.
func EncodeSignature(r, s *big.Int) ([]byte, error) {
	if r == nil || s == nil || r.Sign() <= 0 || s.Sign() <= 0 {
		return nil, ErrMalformedSignature
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.Bytes()
}

// NormalizeSignature returns sig as canonical DER, whatever form it came in.
func NormalizeSignature(sig []byte) ([]byte, error) {
	r, s, _, err := DecodeSignature(sig)
	if err != nil {
		return nil, err
	}
	return EncodeSignature(r, s)
}
