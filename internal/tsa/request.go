package tsa

import (
	"encoding/asn1"
	"errors"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// MaxRequest is the largest TimeStampReq accepted, in bytes. A request
// holds an imprint, a policy, a nonce and a flag; 4 KiB is generous.
const MaxRequest = 4096

// maxNonceBits bounds the nonce (OpenSSL sends 64 bits).
const maxNonceBits = 256

// Request is a parsed TimeStampReq.
type Request struct {
	HashAlg asn1.ObjectIdentifier
	Imprint []byte
	// Policy is the requested policy (nil when absent).
	Policy asn1.ObjectIdentifier
	// Nonce is nil when absent.
	Nonce   *big.Int
	CertReq bool
	// Extensions are the request's extensions (nil when absent). This TSA
	// recognises none: it answers unacceptedExtension naming them.
	Extensions []Extension
}

// Extension is one X.509 Extension of a request or TSTInfo.
type Extension struct {
	ID       asn1.ObjectIdentifier
	Critical bool
	Value    []byte
}

// ErrBadRequest is a request that is not a DER TimeStampReq (the answer is
// a rejection with badDataFormat).
var ErrBadRequest = errors.New("tsa: not a DER TimeStampReq")

// ParseRequest reads a DER TimeStampReq (RFC 3161 §2.4.1). It is strict:
// definite minimal lengths (cryptobyte), minimal INTEGERs, no trailing
// bytes, version 1, certReq FALSE never encoded (DER omits defaults),
// algorithm parameters absent or NULL, a positive nonce of at most 256
// bits. It never panics (FuzzParseRequest).
func ParseRequest(der []byte) (*Request, error) {
	if len(der) > MaxRequest {
		return nil, ErrBadRequest
	}
	in := cryptobyte.String(der)
	var req, imprint, alg cryptobyte.String
	var version int64
	r := &Request{}
	if !in.ReadASN1(&req, cbasn1.SEQUENCE) || !in.Empty() ||
		!req.ReadASN1Integer(&version) || version != 1 ||
		!req.ReadASN1(&imprint, cbasn1.SEQUENCE) ||
		!imprint.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&r.HashAlg) {
		return nil, ErrBadRequest
	}
	if !alg.Empty() {
		var null cryptobyte.String
		if !alg.ReadASN1(&null, cbasn1.NULL) || len(null) != 0 || !alg.Empty() {
			return nil, ErrBadRequest
		}
	}
	var hashed cryptobyte.String
	if !imprint.ReadASN1(&hashed, cbasn1.OCTET_STRING) || !imprint.Empty() {
		return nil, ErrBadRequest
	}
	r.Imprint = append([]byte(nil), hashed...)
	if req.PeekASN1Tag(cbasn1.OBJECT_IDENTIFIER) {
		if !req.ReadASN1ObjectIdentifier(&r.Policy) {
			return nil, ErrBadRequest
		}
	}
	if req.PeekASN1Tag(cbasn1.INTEGER) {
		n := new(big.Int)
		if !req.ReadASN1Integer(n) || n.Sign() <= 0 || n.BitLen() > maxNonceBits {
			return nil, ErrBadRequest
		}
		r.Nonce = n
	}
	if req.PeekASN1Tag(cbasn1.BOOLEAN) {
		if !req.ReadASN1Boolean(&r.CertReq) || !r.CertReq {
			return nil, ErrBadRequest
		}
	}
	if req.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var ext cryptobyte.String
		if !req.ReadASN1(&ext, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, ErrBadRequest
		}
		list, err := parseExtensions(ext)
		if err != nil {
			return nil, ErrBadRequest
		}
		r.Extensions = list
	}
	if !req.Empty() {
		return nil, ErrBadRequest
	}
	return r, nil
}

// MarshalRequest encodes a TimeStampReq (for the CLI and tests).
func MarshalRequest(r *Request) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		addImprint(b, r.HashAlg, r.Imprint)
		if r.Policy != nil {
			b.AddASN1ObjectIdentifier(r.Policy)
		}
		if r.Nonce != nil {
			b.AddASN1BigInt(r.Nonce)
		}
		if r.CertReq {
			b.AddASN1Boolean(true)
		}
		if len(r.Extensions) > 0 {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				for _, e := range r.Extensions {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(e.ID)
						if e.Critical {
							b.AddASN1Boolean(true)
						}
						b.AddASN1OctetString(e.Value)
					})
				}
			})
		}
	})
	return b.Bytes()
}

// parseExtensions reads the contents of an Extensions SEQUENCE (or of its
// IMPLICIT tag) in DER: at least one Extension, critical TRUE only when
// encoded (DER omits the DEFAULT FALSE), each OID once, nothing else.
func parseExtensions(in cryptobyte.String) ([]Extension, error) {
	if in.Empty() {
		return nil, ErrBadRequest
	}
	var out []Extension
	seen := map[string]bool{}
	for !in.Empty() {
		var e cryptobyte.String
		var x Extension
		if !in.ReadASN1(&e, cbasn1.SEQUENCE) || !e.ReadASN1ObjectIdentifier(&x.ID) || seen[x.ID.String()] {
			return nil, ErrBadRequest
		}
		seen[x.ID.String()] = true
		if e.PeekASN1Tag(cbasn1.BOOLEAN) && (!e.ReadASN1Boolean(&x.Critical) || !x.Critical) {
			return nil, ErrBadRequest
		}
		var v cryptobyte.String
		if !e.ReadASN1(&v, cbasn1.OCTET_STRING) || !e.Empty() {
			return nil, ErrBadRequest
		}
		x.Value = append([]byte{}, v...)
		out = append(out, x)
	}
	return out, nil
}

func addImprint(b *cryptobyte.Builder, alg asn1.ObjectIdentifier, hashed []byte) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(alg)
			b.AddASN1NULL()
		})
		b.AddASN1OctetString(hashed)
	})
}
