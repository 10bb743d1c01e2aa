package tsa

import (
	"context"
	"crypto/ecdsa"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// PKIStatus values (RFC 3161 §2.4.2).
const (
	StatusGranted  = 0
	StatusRejected = 2
)

// PKIFailureInfo bits (RFC 3161 §2.4.2).
const (
	FailBadAlg              = 0
	FailBadRequest          = 2
	FailBadDataFormat       = 5
	FailTimeNotAvailable    = 14
	FailUnacceptedPolicy    = 15
	FailUnacceptedExtension = 16
	FailSystemFailure       = 25
)

// Serials hands out serial numbers that are unique and survive restarts
// (store.Store.NextTSASerial: one Redis INCR).
type Serials interface {
	NextTSASerial(ctx context.Context) (int64, error)
}

// Config is an Authority's key material and policy.
type Config struct {
	// Cert is the TSA certificate: SM2, with a critical extendedKeyUsage of
	// exactly timeStamping (checked by New).
	Cert   *smx509.Certificate
	Signer pki.Signer
	// Policy is the TSA policy OID every token names; a request naming
	// another policy is rejected (unacceptedPolicy).
	Policy asn1.ObjectIdentifier
	// Accuracy is the stated accuracy of genTime (0: none stated). genTime
	// carries milliseconds when Accuracy is below a second.
	Accuracy time.Duration
	Serials  Serials
	Clock    clock.Clock
}

// Authority answers time-stamp requests. It is safe for concurrent use.
type Authority struct {
	cfg Config
}

// New checks the configuration: the certificate's key purpose (RFC 3161
// §2.3), that the signer's key is the certificate's, and a policy.
func New(cfg Config) (*Authority, error) {
	if cfg.Cert == nil || cfg.Signer == nil || cfg.Serials == nil || cfg.Clock == nil {
		return nil, apperr.New(apperr.Internal, "tsa: certificate, signer, serials and clock are required")
	}
	if err := pki.CheckTimeStamping(cfg.Cert); err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "tsa: %v", err)
	}
	if pub, ok := cfg.Cert.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(cfg.Signer.Public()) {
		return nil, apperr.New(apperr.Internal, "tsa: the signer's key is not the TSA certificate's")
	}
	if len(cfg.Policy) < 2 {
		return nil, apperr.New(apperr.Internal, "tsa: a policy OID is required")
	}
	for _, arc := range cfg.Policy {
		if arc < 0 || arc >= 1<<31 {
			// Readers built on x/crypto/cryptobyte (VerifyToken among
			// them) refuse larger arcs: a token naming one would not verify.
			return nil, apperr.New(apperr.Internal, "tsa: each arc of the policy OID must be below 2^31")
		}
	}
	if cfg.Accuracy < 0 {
		return nil, apperr.New(apperr.Internal, "tsa: the accuracy must not be negative")
	}
	return &Authority{cfg: cfg}, nil
}

// Cert returns the TSA certificate.
func (a *Authority) Cert() *smx509.Certificate { return a.cfg.Cert }

// Respond answers one DER TimeStampReq with a DER TimeStampResp. Every
// request it cannot grant (malformed, a hash other than SM3, another
// policy, extensions) gets a rejection reply, not an error. The error is
// apperr.Unavailable only when no serial number can be had (Redis down) or
// the TSA certificate is not valid now: no token is issued then.
func (a *Authority) Respond(ctx context.Context, der []byte) ([]byte, error) {
	req, err := ParseRequest(der)
	if err != nil {
		return rejection(FailBadDataFormat, "the request is not a DER TimeStampReq")
	}
	switch {
	case !req.HashAlg.Equal(pki.OIDSM3()):
		return rejection(FailBadAlg, "unsupported hash algorithm "+req.HashAlg.String()+": this TSA accepts SM3 (1.2.156.10197.1.401)")
	case len(req.Imprint) != 32:
		return rejection(FailBadDataFormat, "an SM3 message imprint has 32 bytes")
	case req.Policy != nil && !req.Policy.Equal(a.cfg.Policy):
		return rejection(FailUnacceptedPolicy, "unaccepted policy "+req.Policy.String())
	case len(req.Extensions) > 0:
		// RFC 3161 §2.4.1: an extension the TSA does not recognise,
		// critical or not, is refused; this TSA recognises none.
		ids := make([]string, len(req.Extensions))
		for i, e := range req.Extensions {
			ids[i] = e.ID.String()
		}
		return rejection(FailUnacceptedExtension, "unaccepted request extension "+strings.Join(ids, ", ")+": this TSA accepts no request extensions")
	}
	tok, err := a.Token(ctx, req)
	if err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Int64(StatusGranted) })
		b.AddBytes(tok)
	})
	return b.Bytes()
}

// Token issues a time-stamp token for a granted request: the TSTInfo
// (policy, imprint, serial, genTime, accuracy, nonce, TSA name) signed as
// CMS SignedData. One serial (one Redis round trip), one SM2 signature.
func (a *Authority) Token(ctx context.Context, req *Request) ([]byte, error) {
	serial, err := a.cfg.Serials.NextTSASerial(ctx)
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "no time-stamp serial number can be had now; try later").WithCode(apperr.CodeTryLater)
	}
	now := a.cfg.Clock.Now().UTC()
	if now.Before(a.cfg.Cert.NotBefore) || now.After(a.cfg.Cert.NotAfter) {
		return nil, apperr.New(apperr.Unavailable, "the TSA certificate is not valid now").WithCode(apperr.CodeTryLater)
	}
	info, err := a.tstInfo(req, big.NewInt(serial), now)
	if err != nil {
		return nil, err
	}
	tok, err := pki.SignTimeStampToken(info, a.cfg.Cert, a.cfg.Signer, req.CertReq)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "tsa: sign")
	}
	return tok, nil
}

func (a *Authority) tstInfo(req *Request, serial *big.Int, now time.Time) ([]byte, error) {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1ObjectIdentifier(a.cfg.Policy)
		addImprint(b, req.HashAlg, req.Imprint)
		b.AddASN1BigInt(serial)
		b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte(genTime(now, a.cfg.Accuracy))) })
		if acc := a.cfg.Accuracy; acc > 0 {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				if s := int64(acc / time.Second); s > 0 {
					b.AddASN1Int64(s)
				}
				if ms := int64(acc % time.Second / time.Millisecond); ms > 0 {
					b.AddASN1Int64WithTag(ms, cbasn1.Tag(0).ContextSpecific())
				}
				if us := int64(acc % time.Millisecond / time.Microsecond); us > 0 {
					b.AddASN1Int64WithTag(us, cbasn1.Tag(1).ContextSpecific())
				}
			})
		}
		if req.Nonce != nil {
			b.AddASN1BigInt(req.Nonce)
		}
		// tsa [0] GeneralName: directoryName [4] of the TSA certificate's subject.
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddBytes(a.cfg.Cert.RawSubject)
			})
		})
	})
	return b.Bytes()
}

// genTime formats a GeneralizedTime in UTC: whole seconds, or with the
// milliseconds (no trailing zeros, RFC 3161 §2.4.2) when the accuracy is
// below a second.
func genTime(t time.Time, acc time.Duration) string {
	if acc == 0 || acc >= time.Second {
		return t.Truncate(time.Second).Format("20060102150405Z")
	}
	s := t.Truncate(time.Millisecond).Format("20060102150405.000")
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s + "Z"
}

// rejection is a TimeStampResp with status rejection, a status string and
// one failure bit.
func rejection(bit int, text string) ([]byte, error) {
	bits := make([]byte, bit/8+1)
	bits[bit/8] = 0x80 >> (bit % 8)
	unused := 7 - bit%8
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1Int64(StatusRejected)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1(cbasn1.UTF8String, func(b *cryptobyte.Builder) { b.AddBytes([]byte(text)) })
			})
			b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
				b.AddUint8(uint8(unused))
				b.AddBytes(bits)
			})
		})
	})
	out, err := b.Bytes()
	if err != nil {
		return nil, fmt.Errorf("tsa: rejection: %w", err)
	}
	return out, nil
}
