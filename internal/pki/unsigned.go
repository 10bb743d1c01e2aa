package pki

import (
	"encoding/asn1"
	"errors"
	"fmt"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDTimeStampToken is id-aa-timeStampToken (RFC 3161 Appendix A): an
// unsigned attribute of a SignerInfo holding a time-stamp token whose
// message imprint is the hash of that SignerInfo's signature value.
func OIDTimeStampToken() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}
}

// TimeStampTokens returns the DER tokens of the signer's
// id-aa-timeStampToken unsigned attributes (each value is one token).
func (s *CMSSignerInfo) TimeStampTokens() ([][]byte, error) {
	var out [][]byte
	in := cryptobyte.String(s.UnsignedAttrs)
	for !in.Empty() {
		var a, vals cryptobyte.String
		var typ asn1.ObjectIdentifier
		if !in.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&typ) || !a.ReadASN1(&vals, cbasn1.SET) || !a.Empty() {
			return nil, fmt.Errorf("%w: unsigned attribute", ErrCMSFormat)
		}
		if !typ.Equal(OIDTimeStampToken()) {
			continue
		}
		for !vals.Empty() {
			var tok cryptobyte.String
			if !vals.ReadASN1Element(&tok, cbasn1.SEQUENCE) {
				return nil, fmt.Errorf("%w: timeStampToken value", ErrCMSFormat)
			}
			out = append(out, append([]byte(nil), tok...))
		}
	}
	return out, nil
}

// AddTimeStampToken returns der (a DER ContentInfo holding a SignedData
// with exactly one SignerInfo) with token added as an id-aa-timeStampToken
// unsigned attribute of that SignerInfo. Every other byte is copied as it
// is: the signature, the signed attributes and the content are unchanged,
// so the signature still verifies (unsigned attributes are outside it).
func AddTimeStampToken(der, token []byte) ([]byte, error) {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrCMSFormat, what) }
	in := cryptobyte.String(der)
	var ci, oid, explicit, sd cryptobyte.String
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !in.Empty() || !ci.ReadASN1Element(&oid, cbasn1.OBJECT_IDENTIFIER) ||
		!ci.ReadASN1(&explicit, cbasn1.Tag(0).Constructed().ContextSpecific()) || !ci.Empty() ||
		!explicit.ReadASN1(&sd, cbasn1.SEQUENCE) || !explicit.Empty() {
		return nil, bad("not a DER ContentInfo")
	}
	var fields []cryptobyte.String
	for !sd.Empty() {
		var e cryptobyte.String
		var tag cbasn1.Tag
		if !sd.ReadAnyASN1Element(&e, &tag) {
			return nil, bad("SignedData")
		}
		fields = append(fields, e)
	}
	if len(fields) < 4 {
		return nil, bad("SignedData has too few fields")
	}
	last := fields[len(fields)-1]
	var set, si cryptobyte.String
	if !last.ReadASN1(&set, cbasn1.SET) || !set.ReadASN1(&si, cbasn1.SEQUENCE) || !set.Empty() {
		return nil, bad("the SignedData must have exactly one SignerInfo")
	}
	var siFields []cryptobyte.String
	var unsigned []byte
	for !si.Empty() {
		var e cryptobyte.String
		var tag cbasn1.Tag
		if !si.ReadAnyASN1Element(&e, &tag) {
			return nil, bad("SignerInfo")
		}
		if tag == cbasn1.Tag(1).Constructed().ContextSpecific() {
			var body cryptobyte.String
			if !e.ReadASN1(&body, tag) || !si.Empty() {
				return nil, bad("unsignedAttrs")
			}
			unsigned = body
			continue
		}
		siFields = append(siFields, e)
	}
	if len(siFields) < 5 || len(siFields[len(siFields)-1]) == 0 || siFields[len(siFields)-1][0] != 0x04 {
		return nil, bad("the SignerInfo does not end with its signature (OCTET STRING)")
	}
	if len(token) == 0 || token[0] != 0x30 {
		return nil, errors.New("pki: a time-stamp token is a DER ContentInfo")
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(oid)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				for _, f := range fields[:len(fields)-1] {
					b.AddBytes(f)
				}
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						for _, f := range siFields {
							b.AddBytes(f)
						}
						b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddBytes(unsigned)
							b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
								b.AddASN1ObjectIdentifier(OIDTimeStampToken())
								b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { b.AddBytes(token) })
							})
						})
					})
				})
			})
		})
	})
	return b.Bytes()
}
