package pki

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/pkcs7"
	"github.com/emmansun/gmsm/smx509"
)

func TestCMSDetachedRoundTrip(t *testing.T) {
	ca := newTestCA(t)
	leafKey, _ := GenerateKey()
	leafDER, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "Applicant"}, PublicKey: leafKey,
		NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0)}, ca.issuer)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte(`{"pledge":"我承诺所填信息真实"}`)
	at := t0.Add(36 * time.Hour)
	tests := []struct {
		name   string
		sigAlg asn1.ObjectIdentifier
	}{
		{"1.2.156.10197.1.301.1", oidSM2Sign()},
		{"1.2.156.10197.1.501", asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			der, err := signCMS(data, leafDER, NewKeySigner(leafKey), at, false, tt.sigAlg)
			if err != nil {
				t.Fatal(err)
			}
			res, err := VerifyDetached(der, data)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Signers) != 1 || !bytes.Equal(res.Signers[0].Raw, leafDER) || !res.SigningTimes[0].Equal(at) || res.DigestAsE {
				t.Fatalf("result %+v", res)
			}
			// The signer chains to the CA with the bag as extra intermediates.
			ts := NewTrustStore([]*smx509.Certificate{ca.root}, nil)
			if _, err := ts.VerifyAt(res.Signers[0], res.Certificates, at, true); err != nil {
				t.Fatal(err)
			}
			if _, err := VerifyDetached(der, append(bytes.Clone(data), '!')); !errors.Is(err, ErrCMSDigest) {
				t.Fatalf("changed data: %v", err)
			}
			bad := bytes.Clone(der)
			bad[len(bad)-3] ^= 1
			if _, err := VerifyDetached(bad, data); !errors.Is(err, ErrCMSSignature) && !errors.Is(err, ErrCMSFormat) {
				t.Fatalf("changed signature: %v", err)
			}
			if _, err := VerifyAttached(der); !errors.Is(err, ErrCMSFormat) {
				t.Fatalf("detached read as attached: %v", err)
			}
			// One DER ContentInfo and nothing after it: bytes appended to
			// a valid signature would ride along unsigned.
			for _, tail := range [][]byte{{0}, {0x30, 0x00}, []byte("junk")} {
				if _, err := VerifyDetached(append(bytes.Clone(der), tail...), data); !errors.Is(err, ErrCMSFormat) {
					t.Fatalf("trailing %x accepted: %v", tail, err)
				}
			}
		})
	}
	att, err := SignAttached(data, leafDER, NewKeySigner(leafKey), at)
	if err != nil {
		t.Fatal(err)
	}
	res, err := VerifyAttached(att)
	if err != nil || !bytes.Equal(res.Content, data) {
		t.Fatalf("attached: %v", err)
	}
	other, _ := GenerateKey()
	if _, err := SignDetached(data, leafDER, NewKeySigner(other), at); err == nil {
		t.Fatal("signed with a key that does not match the certificate")
	}
}

// TestCMSInteropWithGmsmPkcs7: gmsm's pkcs7 (an independent implementation)
// verifies what we sign, and we verify what it signs.
func TestCMSInteropWithGmsmPkcs7(t *testing.T) {
	ca := newTestCA(t)
	leafKey, _ := GenerateKey()
	leafDER, _ := Issue(CertRequest{Subject: pkix.Name{CommonName: "Applicant"}, PublicKey: leafKey,
		NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0)}, ca.issuer)
	leaf, _ := ParseCertificate(leafDER)
	data := []byte("canonical pledge bytes")

	ours, err := SignDetached(data, leafDER, NewKeySigner(leafKey), t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	p7, err := pkcs7.Parse(ours)
	if err != nil {
		t.Fatal(err)
	}
	p7.Content = data
	if err := p7.Verify(); err != nil {
		t.Fatalf("gmsm rejects our SignedData: %v", err)
	}
	p7.Content = []byte("other")
	if err := p7.Verify(); err == nil {
		t.Fatal("gmsm accepted other content")
	}

	sd, err := pkcs7.NewSMSignedData(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.AddSigner(leaf, leafKey, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	sd.Detach()
	theirs, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyDetached(theirs, data); err != nil {
		t.Fatalf("we reject gmsm's SignedData: %v", err)
	}
	if _, err := VerifyDetached(theirs, []byte("other")); !errors.Is(err, ErrCMSDigest) {
		t.Fatalf("other content: %v", err)
	}
}

// TestCMSRealSample: the Type="Sign" SignedData of a real OFD (algorithm
// OID 1.501, no signed attributes, raw r||s) verifies over its content,
// which is SM3 of its Signature.xml.
func TestCMSRealSample(t *testing.T) {
	der, err := os.ReadFile("testdata/tongz-sign3-cms.der")
	if err != nil {
		t.Fatal(err)
	}
	xml, err := os.ReadFile("testdata/tongz-sign3-Signature.xml")
	if err != nil {
		t.Fatal(err)
	}
	res, err := VerifyAttached(der)
	if err != nil {
		t.Fatal(err)
	}
	d := Digest(xml)
	if !bytes.Equal(res.Content, d[:]) {
		t.Fatal("content is not SM3(Signature.xml)")
	}
	if _, err := VerifyDetached(der, d[:]); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(der)
	bad[len(bad)-10] ^= 1
	if _, err := VerifyAttached(bad); !errors.Is(err, ErrCMSSignature) {
		t.Fatalf("tampered: %v", err)
	}
	for _, in := range [][]byte{nil, {0x30, 0}, der[:50], []byte("x")} {
		if _, err := ParseCMS(in); !errors.Is(err, ErrCMSFormat) {
			t.Fatalf("%x: %v", in, err)
		}
	}
}

// TestOpenSSLVerifiesCMSSignature checks the raw SM2 signature over the
// signed attributes with OpenSSL (its cms command cannot do SM2).
func TestOpenSSLVerifiesCMSSignature(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	ca := newTestCA(t)
	leafKey, _ := GenerateKey()
	leafDER, _ := Issue(CertRequest{Subject: pkix.Name{CommonName: "Applicant"}, PublicKey: leafKey,
		NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0)}, ca.issuer)
	der, err := SignDetached([]byte("pledge"), leafDER, NewKeySigner(leafKey), t0)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := ParseCMS(der)
	if err != nil {
		t.Fatal(err)
	}
	s := sd.Signers[0]
	dir := t.TempDir()
	spki, _ := smx509.MarshalPKIXPublicKey(&leafKey.PublicKey)
	files := map[string][]byte{
		"pub.pem": pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}),
		"attrs":   s.SignedAttrs, "sig": s.Signature, "bad": append(bytes.Clone(s.SignedAttrs), 0),
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run := func(msg string) (string, error) {
		out, err := exec.Command("openssl", "dgst", "-sm3", "-verify", filepath.Join(dir, "pub.pem"),
			"-sigopt", "distid:"+DefaultUID, "-signature", filepath.Join(dir, "sig"), filepath.Join(dir, msg)).CombinedOutput()
		return string(out), err
	}
	if out, err := run("attrs"); err != nil || !strings.Contains(out, "Verified OK") {
		t.Fatalf("openssl: %v %s", err, out)
	}
	if out, err := run("bad"); err == nil {
		t.Fatalf("openssl accepted changed attributes: %s", out)
	}
}

// FuzzParseCMS: no panic on any input, strict or allowing BER; errors wrap
// ErrCMSFormat; the DER read from BER parses strictly. Whatever parses is
// verified over a fixed content: an error is one of the CMS error classes;
// a success names each SignerInfo's certificate in order and, when there is
// a signer, does not carry over to other content. The first seed is a real
// detached signature over that content, so the success path is checked too.
func FuzzParseCMS(f *testing.F) {
	content := []byte("the pledge document a fuzzed SignedData is verified over")
	key, err := GenerateKey()
	if err != nil {
		f.Fatal(err)
	}
	certDER, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "Fuzz signer"}, PublicKey: key, NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0)}, nil)
	if err != nil {
		f.Fatal(err)
	}
	signed, err := SignDetached(content, certDER, NewKeySigner(key), t0)
	if err != nil {
		f.Fatal(err)
	}
	if sd, err := ParseCMS(signed); err != nil {
		f.Fatal(err)
	} else if _, err := sd.verify(content); err != nil {
		f.Fatalf("the seed signature does not verify: %v", err)
	}
	f.Add(signed)
	if b, err := os.ReadFile("testdata/tongz-sign3-cms.der"); err == nil {
		f.Add(b)
		f.Add(toBERForTest(f, b, 4, 64)) // BouncyCastle-style BER
	}
	f.Add([]byte{0x30, 0x00})
	other := append(append([]byte(nil), content...), '!')
	check := func(t *testing.T, sd *CMSSignedData) {
		res, err := sd.verify(content)
		if err != nil {
			if !errors.Is(err, ErrCMSFormat) && !errors.Is(err, ErrCMSUnsupported) && !errors.Is(err, ErrCMSDigest) && !errors.Is(err, ErrCMSSignature) {
				t.Fatalf("verify fails outside the CMS error classes: %v", err)
			}
			return
		}
		if !bytes.Equal(res.Content, content) || len(res.Signers) != len(sd.Signers) || len(res.SigningTimes) != len(sd.Signers) {
			t.Fatalf("verify succeeds with %d signers and %d times for %d SignerInfos", len(res.Signers), len(res.SigningTimes), len(sd.Signers))
		}
		for i, s := range sd.Signers {
			if res.Signers[i] != s.Cert {
				t.Fatalf("signer %d is not its SignerInfo's certificate", i+1)
			}
		}
		if len(sd.Signers) > 0 {
			if _, err := sd.verify(other); err == nil {
				t.Fatal("a signature that verifies over the content verifies over other content too")
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if sd, der, err := ParseCMSAllowBER(b); err == nil {
			if strict, err := ParseCMS(der); err != nil || strict.FromBER {
				t.Fatalf("the DER ParseCMSAllowBER returns does not parse strictly: %v", err)
			}
			check(t, sd)
		} else if !errors.Is(err, ErrCMSFormat) {
			t.Fatalf("unexpected error type %v", err)
		}
		sd, err := ParseCMS(b)
		if err != nil {
			if !errors.Is(err, ErrCMSFormat) {
				t.Fatalf("unexpected error type %v", err)
			}
			return
		}
		check(t, sd)
	})
}
