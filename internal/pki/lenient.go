package pki

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// LenientCert is a certificate read as far as real files allow
// (ses-format.md fact 10). Cert is set when strict parsing succeeded;
// otherwise StrictErr says why it failed and only the fields read by the
// lenient walk (public key, validity, raw subject) are known.
type LenientCert struct {
	Raw       []byte
	Cert      *smx509.Certificate // nil when strict parsing failed
	StrictErr error               // the strict-parse failure, reported as a warning
	PublicKey *ecdsa.PublicKey
	NotBefore time.Time
	NotAfter  time.Time
	// RawSubject is the DER of the subject Name.
	RawSubject []byte
}

// Strict reports whether the certificate parsed strictly.
func (c *LenientCert) Strict() bool { return c.Cert != nil }

// ParseCertificateLenient parses der strictly and, when that fails, walks the
// TBSCertificate to read the validity and SubjectPublicKeyInfo. It fails only
// when not even an SM2/EC public key can be read.
func ParseCertificateLenient(der []byte) (*LenientCert, error) {
	out := &LenientCert{Raw: der}
	if c, err := ParseCertificate(der); err == nil {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("pki: certificate key is %T, not SM2", c.PublicKey)
		}
		out.Cert, out.PublicKey = c, pub
		out.NotBefore, out.NotAfter, out.RawSubject = c.NotBefore, c.NotAfter, c.RawSubject
		return out, nil
	} else {
		out.StrictErr = err
	}
	if err := out.walk(der); err != nil {
		return nil, fmt.Errorf("pki: certificate unreadable even leniently (%v): %w", out.StrictErr, err)
	}
	return out, nil
}

var errLenientShape = errors.New("not a certificate structure")

func (c *LenientCert) walk(der []byte) error {
	in := cryptobyte.String(der)
	var cert, tbs cryptobyte.String
	if !in.ReadASN1(&cert, cbasn1.SEQUENCE) || !cert.ReadASN1(&tbs, cbasn1.SEQUENCE) {
		return errLenientShape
	}
	// [0] EXPLICIT version is optional.
	if tbs.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		if !tbs.SkipASN1(cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return errLenientShape
		}
	}
	var validity, subject, spki cryptobyte.String
	if !tbs.SkipASN1(cbasn1.INTEGER) || // serial
		!tbs.SkipASN1(cbasn1.SEQUENCE) || // signature algorithm
		!tbs.SkipASN1(cbasn1.SEQUENCE) || // issuer
		!tbs.ReadASN1(&validity, cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&subject, cbasn1.SEQUENCE) ||
		!tbs.ReadASN1Element(&spki, cbasn1.SEQUENCE) {
		return errLenientShape
	}
	c.RawSubject = []byte(subject)
	c.NotBefore, _ = readCertTime(&validity)
	c.NotAfter, _ = readCertTime(&validity)
	key, err := smx509.ParsePKIXPublicKey(spki)
	if err != nil {
		return fmt.Errorf("subject public key: %w", err)
	}
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return fmt.Errorf("subject public key is %T, not SM2", key)
	}
	c.PublicKey = pub
	return nil
}

func readCertTime(s *cryptobyte.String) (time.Time, bool) {
	var t time.Time
	switch {
	case s.PeekASN1Tag(cbasn1.UTCTime):
		if !s.ReadASN1UTCTime(&t) {
			return time.Time{}, false
		}
	case s.PeekASN1Tag(cbasn1.GeneralizedTime):
		if !s.ReadASN1GeneralizedTime(&t) {
			return time.Time{}, false
		}
	default:
		return time.Time{}, false
	}
	return t, true
}
