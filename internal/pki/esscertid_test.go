package pki

import (
	"crypto/x509/pkix"
	"testing"
)

// FuzzCheckSigningCertificate: signed attributes come from any signer;
// reading them never panics, and the genuine attributes of a time-stamp
// token name its certificate.
func FuzzCheckSigningCertificate(f *testing.F) {
	ca := newTestCA(f)
	key, _ := GenerateKey()
	der, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "TSA"}, PublicKey: key, NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0),
		ExtraExtensions: []pkix.Extension{TimeStampingExtension()}}, ca.issuer)
	if err != nil {
		f.Fatal(err)
	}
	cert, err := ParseCertificate(der)
	if err != nil {
		f.Fatal(err)
	}
	tok, err := SignTimeStampToken([]byte{0x30, 0x00}, cert, NewKeySigner(key), true)
	if err != nil {
		f.Fatal(err)
	}
	sd, err := ParseCMS(tok)
	if err != nil {
		f.Fatal(err)
	}
	if err := CheckSigningCertificate(sd.Signers[0].SignedAttrs, cert); err != nil {
		f.Fatalf("genuine: %v", err)
	}
	f.Add(sd.Signers[0].SignedAttrs)
	f.Add([]byte{0x31, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = CheckSigningCertificate(b, cert)
	})
}
