package pki

import (
	"bytes"
	"crypto/x509/pkix"
	"testing"
)

// FuzzAddTimeStampToken: any CMS bytes (a submitted applicant signature)
// either are refused or get the token as one more unsigned attribute with
// the signature, signed attributes and content unchanged; reading the
// tokens back never panics.
func FuzzAddTimeStampToken(f *testing.F) {
	ca := newTestCA(f)
	key, _ := GenerateKey()
	der, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "TSA"}, PublicKey: key, NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0),
		ExtraExtensions: []pkix.Extension{TimeStampingExtension()}}, ca.issuer)
	if err != nil {
		f.Fatal(err)
	}
	tsaCert, _ := ParseCertificate(der)
	tok, err := SignTimeStampToken([]byte{0x30, 0x00}, tsaCert, NewKeySigner(key), false)
	if err != nil {
		f.Fatal(err)
	}
	cms, err := SignDetachedCert([]byte("doc"), tsaCert, NewKeySigner(key), t0)
	if err != nil {
		f.Fatal(err)
	}
	once, err := AddTimeStampToken(cms, tok)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(cms)
	f.Add(once)
	f.Fuzz(func(t *testing.T, b []byte) {
		before, perr := ParseCMS(b)
		if perr == nil {
			for _, s := range before.Signers {
				_, _ = s.TimeStampTokens()
			}
		}
		out, err := AddTimeStampToken(b, tok)
		if err != nil {
			return
		}
		after, err := ParseCMS(out)
		if perr != nil || err != nil {
			return // the input was not a CMS this package reads; nor need the output be
		}
		if len(after.Signers) != 1 || !bytes.Equal(after.Signers[0].Signature, before.Signers[0].Signature) ||
			!bytes.Equal(after.Signers[0].SignedAttrs, before.Signers[0].SignedAttrs) || !bytes.Equal(after.Content, before.Content) {
			t.Fatalf("the signed part changed")
		}
		n0, err0 := before.Signers[0].TimeStampTokens()
		n1, err1 := after.Signers[0].TimeStampTokens()
		if err0 == nil && (err1 != nil || len(n1) != len(n0)+1 || !bytes.Equal(n1[len(n1)-1], tok)) {
			t.Fatalf("tokens %d → %d (%v)", len(n0), len(n1), err1)
		}
	})
}
