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
