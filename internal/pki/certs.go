package pki

import (
	"bytes"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/smx509"
)

// ParseCertificate parses one DER certificate strictly.
func ParseCertificate(der []byte) (*smx509.Certificate, error) {
	c, err := smx509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse certificate: %w", err)
	}
	return c, nil
}

// ParseCertificatesPEM parses every CERTIFICATE block in data, in order.
// Other block types are an error, so a key never hides in a bundle.
func ParseCertificatesPEM(data []byte) ([]*smx509.Certificate, error) {
	var out []*smx509.Certificate
	rest := bytes.TrimSpace(data)
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("pki: trailing data that is not PEM in certificate file")
		}
		if block.Type != PEMCertificate {
			return nil, fmt.Errorf("pki: unexpected PEM block %q in certificate file", block.Type)
		}
		c, err := ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
		rest = bytes.TrimSpace(rest)
	}
	if len(out) == 0 {
		return nil, errors.New("pki: no certificate found")
	}
	return out, nil
}

// EncodeCertificatePEM returns cert as a PEM CERTIFICATE block.
func EncodeCertificatePEM(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: PEMCertificate, Bytes: der})
}

// Digest returns SM3(data); used as the content digest of certificates, seals
// and documents.
func Digest(data []byte) [32]byte { return sm3.Sum(data) }
