package pki

import (
	"crypto/x509/pkix"
	"reflect"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// TestVerifyDetachedKnown: reusing known certificates gives VerifyDetached's
// result, with the known parse shared; unknown or different certificates are
// parsed as before, and failures are the same.
func TestVerifyDetachedKnown(t *testing.T) {
	ca := newTestCA(t)
	leafKey, _ := GenerateKey()
	leafDER, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "Applicant"}, PublicKey: leafKey,
		NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0)}, ca.issuer)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ParseCertificate(leafDER)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("pledge document")
	der, err := SignDetached(data, leafDER, NewKeySigner(leafKey), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want, err := VerifyDetached(der, data)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		known  []*smx509.Certificate
		shared bool
	}{
		{"none", nil, false},
		{"another certificate", []*smx509.Certificate{ca.root}, false},
		{"the signer", []*smx509.Certificate{ca.root, nil, leaf}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := VerifyDetachedKnown(der, data, tc.known)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatal("result differs from VerifyDetached")
			}
			if (got.Signers[0] == leaf) != tc.shared {
				t.Fatalf("signer shared = %v, want %v", got.Signers[0] == leaf, tc.shared)
			}
			if _, err := VerifyDetachedKnown(der, []byte("other"), tc.known); err == nil {
				t.Fatal("other content accepted")
			}
		})
	}
}

// TestSignDetachedCert: signing with a parsed certificate makes what
// SignDetached makes from its DER; a missing certificate is refused.
func TestSignDetachedCert(t *testing.T) {
	ca := newTestCA(t)
	key, _ := GenerateKey()
	der, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "Signer"}, PublicKey: key, NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0)}, ca.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	data, at := []byte("content"), t0.Add(time.Hour)
	for _, tc := range []struct {
		name string
		sign func() ([]byte, error)
	}{
		{"from DER", func() ([]byte, error) { return SignDetached(data, der, NewKeySigner(key), at) }},
		{"from parsed", func() ([]byte, error) { return SignDetachedCert(data, cert, NewKeySigner(key), at) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig, err := tc.sign()
			if err != nil {
				t.Fatal(err)
			}
			res, err := VerifyDetached(sig, data)
			if err != nil || len(res.Signers) != 1 || !res.Signers[0].Equal(cert) || !res.SigningTimes[0].Equal(at) {
				t.Fatalf("verify: %v", err)
			}
		})
	}
	if _, err := SignDetachedCert(data, nil, NewKeySigner(key), at); err == nil {
		t.Fatal("nil certificate accepted")
	}
	if _, err := SignDetachedCert(data, ca.root, NewKeySigner(key), at); err == nil {
		t.Fatal("key of another certificate accepted")
	}
}
