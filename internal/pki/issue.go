package pki

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// CertRequest describes a certificate to issue.
type CertRequest struct {
	Subject   pkix.Name
	PublicKey *sm2.PrivateKey // the subject's key (its public half is certified)
	NotBefore time.Time
	NotAfter  time.Time
	// IsCA makes a CA certificate (basicConstraints CA:TRUE, keyCertSign, cRLSign).
	IsCA bool
	// MaxPathLen for CA certificates; -1 means unlimited.
	MaxPathLen int
	// KeyUsage for leaves; digitalSignature|nonRepudiation when zero.
	KeyUsage smx509.KeyUsage
	// ExtKeyUsage for leaves (optional).
	ExtKeyUsage []smx509.ExtKeyUsage
	// ExtraExtensions are added as is (e.g. a pledge-digest binding).
	ExtraExtensions []pkix.Extension
	// DNSNames, EmailAddresses for leaves (optional).
	DNSNames []string
}

// Issuer is a CA key and certificate that can issue certificates.
type Issuer struct {
	Cert *smx509.Certificate
	Key  *sm2.PrivateKey
}

// serialNumber returns a random positive 128-bit serial.
func serialNumber() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	n, err := rand.Int(rand.Reader, limit)
	if err != nil {
		return nil, err
	}
	return n.Add(n, big.NewInt(1)), nil
}

// Issue signs a certificate for req with SM2-with-SM3. A nil issuer means
// self-signed (req.PublicKey signs itself). It returns the DER bytes.
func Issue(req CertRequest, issuer *Issuer) ([]byte, error) {
	if req.PublicKey == nil {
		return nil, errors.New("pki: certificate request without a key")
	}
	if !req.NotAfter.After(req.NotBefore) {
		return nil, errors.New("pki: certificate validity ends before it starts")
	}
	serial, err := serialNumber()
	if err != nil {
		return nil, err
	}
	tmpl := &smx509.Certificate{
		SerialNumber:          serial,
		Subject:               req.Subject,
		NotBefore:             req.NotBefore.UTC(),
		NotAfter:              req.NotAfter.UTC(),
		SignatureAlgorithm:    smx509.SM2WithSM3,
		BasicConstraintsValid: true,
		ExtraExtensions:       req.ExtraExtensions,
		DNSNames:              req.DNSNames,
	}
	if req.IsCA {
		tmpl.IsCA = true
		tmpl.KeyUsage = smx509.KeyUsageCertSign | smx509.KeyUsageCRLSign | smx509.KeyUsageDigitalSignature
		tmpl.MaxPathLen = req.MaxPathLen
		tmpl.MaxPathLenZero = req.MaxPathLen == 0
	} else {
		tmpl.KeyUsage = req.KeyUsage
		if tmpl.KeyUsage == 0 {
			tmpl.KeyUsage = smx509.KeyUsageDigitalSignature | smx509.KeyUsageContentCommitment
		}
		tmpl.ExtKeyUsage = req.ExtKeyUsage
	}
	parent, signer := tmpl, req.PublicKey
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := smx509.CreateCertificate(rand.Reader, tmpl, parent, &req.PublicKey.PublicKey, signer)
	if err != nil {
		return nil, fmt.Errorf("pki: issue certificate for %q: %w", req.Subject.CommonName, err)
	}
	return der, nil
}
