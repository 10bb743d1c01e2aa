package pledge

import (
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// CMS signs and verifies detached CMS SignedData (GM/T 0010 / GB/T 35275,
// SM2/SM3). Verification here is cryptographic only; chains are validated
// by the caller against a pki.TrustStore at the signing time.
type CMS interface {
	// SignDetached signs content with key for cert, embedding cert and
	// chain, and returns the DER ContentInfo without the content.
	SignDetached(content []byte, cert *smx509.Certificate, key *sm2.PrivateKey, chain []*smx509.Certificate) ([]byte, error)
	// VerifyDetached checks that sig is a SignedData over content made by
	// exactly one signer whose certificate it carries; it returns that
	// certificate and every certificate in the bag.
	VerifyDetached(sig, content []byte) (signer *smx509.Certificate, bag []*smx509.Certificate, err error)
}

// GMSMCMS implements CMS with gmsm's pkcs7 package. It signs without signed
// attributes, so the SM2 signature covers the document bytes themselves
// (anyone can check it with openssl dgst -sm3 … -sigopt
// distid:1234567812345678); it verifies SignedData with or without signed
// attributes, as clients produce both.
type GMSMCMS struct{}

// SignDetached implements CMS.
func (GMSMCMS) SignDetached(content []byte, cert *smx509.Certificate, key *sm2.PrivateKey, chain []*smx509.Certificate) ([]byte, error) {
	sd, err := pkcs7.NewSMSignedData(content)
	if err != nil {
		return nil, err
	}
	if err := sd.SignWithoutAttr(cert, key, pkcs7.SignerInfoConfig{}); err != nil {
		return nil, err
	}
	for _, c := range chain {
		sd.AddCertificate(c)
	}
	sd.Detach()
	return sd.Finish()
}

// VerifyDetached implements CMS.
func (GMSMCMS) VerifyDetached(sig, content []byte) (signer *smx509.Certificate, bag []*smx509.Certificate, err error) {
	defer func() {
		// A hostile structure must never take the process down.
		if r := recover(); r != nil {
			signer, bag, err = nil, nil, fmt.Errorf("cms: malformed SignedData: %v", r)
		}
	}()
	var raw asn1.RawValue
	rest, err := asn1.Unmarshal(sig, &raw)
	if err != nil || len(rest) > 0 {
		return nil, nil, errors.New("cms: not a single DER structure")
	}
	p7, err := pkcs7.Parse(sig)
	if err != nil {
		return nil, nil, fmt.Errorf("cms: %w", err)
	}
	if len(p7.Signers) != 1 {
		return nil, nil, fmt.Errorf("cms: %d signers, want exactly one", len(p7.Signers))
	}
	if len(p7.Content) > 0 {
		return nil, nil, errors.New("cms: the SignedData is not detached")
	}
	p7.Content = content
	if err := p7.Verify(); err != nil {
		return nil, nil, fmt.Errorf("cms: %w", err)
	}
	signer = p7.GetOnlySigner()
	if signer == nil {
		return nil, nil, errors.New("cms: no certificate for the signer")
	}
	return signer, p7.Certificates, nil
}
