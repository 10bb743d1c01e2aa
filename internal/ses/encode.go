package ses

import (
	"fmt"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Encoding writes v4 only, as canonical DER: minimal lengths and INTEGERs,
// GeneralizedTime in UTC with whole seconds, BOOLEAN critical only when TRUE,
// optional fields only when present. Verification never uses these
// functions: it hashes the raw bytes as found.

func addIA5(b *cryptobyte.Builder, s string) {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			b.SetError(fmt.Errorf("%q is not IA5 (ASCII) text", s))
			return
		}
	}
	b.AddASN1(cbasn1.IA5String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
}

func addString(b *cryptobyte.Builder, tag cbasn1.Tag, s string) {
	b.AddASN1(tag, func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
}

func addOctets(b *cryptobyte.Builder, v []byte) {
	b.AddASN1OctetString(v)
}

func addBits(b *cryptobyte.Builder, v []byte) {
	b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
		b.AddUint8(0)
		b.AddBytes(v)
	})
}

// canonicalTime is t as DER GeneralizedTime holds it: UTC, whole seconds.
func canonicalTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }

func addTime(b *cryptobyte.Builder, t time.Time) {
	b.AddASN1GeneralizedTime(canonicalTime(t))
}

func addExtDatas(b *cryptobyte.Builder, ext []ExtData) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, e := range ext {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(e.ID)
				if e.Critical {
					b.AddASN1Boolean(true)
				}
				addOctets(b, e.Value)
			})
		}
	})
}

// EncodeSealInfo returns the canonical DER of a v4 SES_SealInfo.
func EncodeSealInfo(in *SealInfo) ([]byte, error) {
	var b cryptobyte.Builder
	p := &in.Property
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addIA5(b, in.Header.ID)
			b.AddASN1Int64(in.Header.Version)
			addIA5(b, in.Header.VID)
		})
		addIA5(b, in.ESID)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(p.Type)
			addString(b, cbasn1.UTF8String, p.Name)
			b.AddASN1Int64(p.CertListType)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				switch p.CertListType {
				case CertListCerts:
					for _, c := range p.Certs {
						addOctets(b, c)
					}
				case CertListDigests:
					for _, d := range p.CertDigests {
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							addString(b, cbasn1.PrintableString, d.Type)
							addOctets(b, d.Value)
						})
					}
				default:
					b.SetError(fmt.Errorf("certListType %d is neither 1 nor 2", p.CertListType))
				}
			})
			addTime(b, p.CreateDate)
			addTime(b, p.ValidStart)
			addTime(b, p.ValidEnd)
		})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			addIA5(b, in.Picture.Type)
			addOctets(b, in.Picture.Data)
			b.AddASN1Int64(in.Picture.Width)
			b.AddASN1Int64(in.Picture.Height)
		})
		if in.HasExtDatas || len(in.ExtDatas) > 0 {
			addExtDatas(b, in.ExtDatas)
		}
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "cannot encode SES_SealInfo: %v", err)
	}
	return der, nil
}

// Encode returns the canonical DER of a v4 seal from its fields (the Raw
// fields are ignored).
func (s *Seal) Encode() ([]byte, error) {
	if s.Version != V4 {
		return nil, apperr.New(apperr.Unsupported, "only v4 seals are encoded, not %s", s.Version)
	}
	info, err := EncodeSealInfo(&s.Info)
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(info)
		addOctets(b, s.MakerCert)
		b.AddASN1ObjectIdentifier(s.SignAlgID)
		addBits(b, s.SignedValue)
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "cannot encode SESeal: %v", err)
	}
	return der, nil
}

// EncodeTBS returns the canonical DER of a v4 TBS_Sign. The embedded seal is
// written as its Raw bytes when it has them (a seal is never re-encoded), or
// encoded from its fields otherwise.
func EncodeTBS(tb *TBSSign) ([]byte, error) {
	if tb.Seal == nil {
		return nil, apperr.New(apperr.Malformed, "TBS_Sign without a seal")
	}
	seal := tb.Seal.Raw
	if seal == nil {
		var err error
		if seal, err = tb.Seal.Encode(); err != nil {
			return nil, err
		}
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(tb.Version)
		b.AddBytes(seal)
		addTime(b, tb.TimeInfo)
		addBits(b, tb.DataHash)
		addIA5(b, tb.PropertyInfo)
		if tb.HasExtDatas || len(tb.ExtDatas) > 0 {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				addExtDatas(b, tb.ExtDatas)
			})
		}
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "cannot encode TBS_Sign: %v", err)
	}
	return der, nil
}

// Encode returns the canonical DER of a v4 signature from its fields (the
// Raw fields are ignored, except the embedded seal's, see EncodeTBS).
func (s *Signature) Encode() ([]byte, error) {
	if s.Version != V4 {
		return nil, apperr.New(apperr.Unsupported, "only v4 signatures are encoded, not %s", s.Version)
	}
	tbs, err := EncodeTBS(&s.TBS)
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		addOctets(b, s.Cert)
		b.AddASN1ObjectIdentifier(s.SignatureAlgID)
		addBits(b, s.Value)
		if len(s.TimeStamp) > 0 {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				addBits(b, s.TimeStamp)
			})
		}
	})
	der, err := b.Bytes()
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "cannot encode SES_Signature: %v", err)
	}
	return der, nil
}
