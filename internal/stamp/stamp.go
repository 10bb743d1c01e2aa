// Package stamp puts proof of existence into the signatures the service
// makes or accepts: an RFC 3161 time-stamp token over the signature value,
// from the built-in TSA or an external one (tsa.Source). An agency's SES
// v4 signature (counter-seal, notice seal) gets it in its timeStamp field
// (ses-format.md §4: the imprint is the hash of the signature value); an
// applicant's CMS gets it as the id-aa-timeStampToken unsigned attribute of
// its SignerInfo (RFC 3161 Appendix A), so the signed bytes are unchanged.
// With Required, no token means no signature (503 TRY_LATER); otherwise
// the signature goes on without one and the failure is logged.
package stamp

import (
	"context"
	"log/slog"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// Stamper adds tokens from one source under one policy. A nil *Stamper
// adds nothing.
type Stamper struct {
	src      tsa.Source
	required bool
	log      *slog.Logger
}

// New returns a Stamper. required: a signature without a token is refused.
func New(src tsa.Source, required bool, log *slog.Logger) *Stamper {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Stamper{src: src, required: required, log: log}
}

// Required reports the policy.
func (s *Stamper) Required() bool { return s != nil && s.required }

// token is a token over value, or nil when none can be had and none is
// required.
func (s *Stamper) token(ctx context.Context, what string, value []byte) ([]byte, error) {
	if s == nil || s.src == nil {
		if s.Required() {
			return nil, apperr.New(apperr.Unavailable, "a time-stamp is required but no TSA is configured").WithCode(apperr.CodeTryLater)
		}
		return nil, nil
	}
	tok, err := s.src.Stamp(ctx, value)
	if err == nil {
		return tok, nil
	}
	if s.required {
		return nil, apperr.Wrap(apperr.Unavailable, err, "a time-stamp is required and none can be had now; try later").WithCode(apperr.CodeTryLater)
	}
	s.log.WarnContext(ctx, "signature left without a time-stamp", "signature", what, "err", err)
	return nil, nil
}

// SES returns the DER SES_Signature v4 raw with a token over its
// signature value in its timeStamp field (raw itself when no token is had
// and none is required). The token's [0] EXPLICIT BIT STRING is appended
// inside the outer SEQUENCE; every other byte is raw's (nothing is
// re-encoded, so the signed TBS_Sign cannot change).
func (s *Stamper) SES(ctx context.Context, raw []byte) ([]byte, error) {
	in := cryptobyte.String(raw)
	var body, fields, bits cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, apperr.New(apperr.Internal, "stamp: not a DER SES_Signature")
	}
	fields = body
	if !fields.SkipASN1(cbasn1.SEQUENCE) || !fields.SkipASN1(cbasn1.OCTET_STRING) || !fields.SkipASN1(cbasn1.OBJECT_IDENTIFIER) ||
		!fields.ReadASN1(&bits, cbasn1.BIT_STRING) || !fields.Empty() || len(bits) < 2 || bits[0] != 0 {
		return nil, apperr.New(apperr.Internal, "stamp: not an SES_Signature v4 without a timeStamp")
	}
	tok, err := s.token(ctx, "ses", bits[1:])
	if err != nil || tok == nil {
		if err != nil {
			return nil, err
		}
		return raw, nil
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(body)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
				b.AddUint8(0)
				b.AddBytes(tok)
			})
		})
	})
	return b.Bytes()
}

// CMS returns the DER CMS der (one SignerInfo) with a token over its
// signature value as an id-aa-timeStampToken unsigned attribute (der
// itself when no token is had and none is required).
func (s *Stamper) CMS(ctx context.Context, der []byte) ([]byte, error) {
	sd, err := pki.ParseCMS(der)
	if err != nil || len(sd.Signers) != 1 {
		return nil, apperr.New(apperr.Internal, "stamp: the CMS must have exactly one signer")
	}
	tok, err := s.token(ctx, "cms", sd.Signers[0].Signature)
	if err != nil || tok == nil {
		if err != nil {
			return nil, err
		}
		return der, nil
	}
	out, err := pki.AddTimeStampToken(der, tok)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "stamp: add the token")
	}
	return out, nil
}

// DataSealer is pledge.Sealer (agency seals over data).
type DataSealer interface {
	SealData(ctx context.Context, agency string, data []byte, propertyInfo string) ([]byte, error)
}

// Sealer stamps every seal its inner sealer makes.
type Sealer struct {
	Inner   DataSealer
	Stamper *Stamper
}

// SealData implements pledge.Sealer.
func (s Sealer) SealData(ctx context.Context, agency string, data []byte, propertyInfo string) ([]byte, error) {
	raw, err := s.Inner.SealData(ctx, agency, data, propertyInfo)
	if err != nil {
		return nil, err
	}
	return s.Stamper.SES(ctx, raw)
}
