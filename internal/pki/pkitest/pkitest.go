// Package pkitest makes SM2 trust material for tests: certificate
// authorities, leaf certificates with their keys, and time-stamping
// authorities, each failing the test on error. It is imported only by
// _test.go files and other test helper packages, never by production code.
// (The pki package's own tests cannot import it: it imports pki.)
package pkitest

import (
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// Cert is an SM2 key and the certificate issued for it, in DER and parsed.
type Cert struct {
	Key  *sm2.PrivateKey
	DER  []byte
	Cert *smx509.Certificate
}

// Signer signs with the certificate's key.
func (c *Cert) Signer() pki.Signer { return pki.NewKeySigner(c.Key) }

// Issuer is the certificate and key as a pki.Issuer, to issue under c.
func (c *Cert) Issuer() *pki.Issuer { return &pki.Issuer{Cert: c.Cert, Key: c.Key} }

// Issue issues the certificate req describes under the CA c (self-signed
// when c is nil). A nil req.PublicKey gets a fresh key.
func (c *Cert) Issue(t testing.TB, req pki.CertRequest) *Cert {
	t.Helper()
	if req.PublicKey == nil {
		k, err := pki.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		req.PublicKey = k
	}
	var iss *pki.Issuer
	if c != nil {
		iss = c.Issuer()
	}
	der, err := pki.Issue(req, iss)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Cert{Key: req.PublicKey, DER: der, Cert: cert}
}

// NewCA makes a self-signed CA named cn, valid from notBefore to notAfter.
// maxPathLen is its path length constraint: 0 lets it issue only leaves,
// -1 means unlimited.
func NewCA(t testing.TB, cn string, notBefore, notAfter time.Time, maxPathLen int) *Cert {
	t.Helper()
	var none *Cert
	return none.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter,
		IsCA: true, MaxPathLen: maxPathLen})
}

// SubCA issues an intermediate CA under c.
func (c *Cert) SubCA(t testing.TB, cn string, notBefore, notAfter time.Time, maxPathLen int) *Cert {
	t.Helper()
	return c.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter,
		IsCA: true, MaxPathLen: maxPathLen})
}

// Leaf issues a signing leaf (digitalSignature, nonRepudiation) named cn
// under c, with a fresh key.
func (c *Cert) Leaf(t testing.TB, cn string, notBefore, notAfter time.Time) *Cert {
	t.Helper()
	return c.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter})
}

// TSA issues a time-stamping authority named cn under c: a leaf whose
// extendedKeyUsage is timeStamping only, critical (RFC 3161 §2.3).
func (c *Cert) TSA(t testing.TB, cn string, notBefore, notAfter time.Time) *Cert {
	t.Helper()
	return c.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: cn}, NotBefore: notBefore, NotAfter: notAfter,
		ExtraExtensions: []pkix.Extension{pki.TimeStampingExtension()}})
}
