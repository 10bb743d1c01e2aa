package pki

import (
	"crypto/x509/pkix"
	"os"
	"testing"
	"time"
)

func TestParseCertificateLenient(t *testing.T) {
	bad, err := os.ReadFile("testdata/dms360-badsan.der")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseCertificate(bad); err == nil {
		t.Fatal("the fixture must fail strict parsing")
	}
	c, err := ParseCertificateLenient(bad)
	if err != nil {
		t.Fatalf("lenient: %v", err)
	}
	if c.Strict() || c.StrictErr == nil || c.PublicKey == nil || len(c.RawSubject) == 0 {
		t.Fatalf("lenient result %+v", c)
	}
	want := time.Date(2019, 9, 26, 13, 2, 43, 0, time.UTC)
	if !c.NotBefore.Equal(want) || !c.NotAfter.Equal(want.AddDate(10, 0, 0)) {
		t.Fatalf("validity %v %v", c.NotBefore, c.NotAfter)
	}

	k, _ := GenerateKey()
	der, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "ok"}, PublicKey: k, NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	good, err := ParseCertificateLenient(der)
	if err != nil || !good.Strict() || !good.PublicKey.Equal(&k.PublicKey) {
		t.Fatalf("strict path: %v", err)
	}
	for _, in := range [][]byte{nil, {0x30, 0x00}, bad[:100], []byte("not a cert")} {
		if _, err := ParseCertificateLenient(in); err == nil {
			t.Fatalf("accepted %x", in)
		}
	}
}
