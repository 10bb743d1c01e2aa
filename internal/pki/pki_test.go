package pki

import (
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type testCA struct {
	root, leaf       *smx509.Certificate
	rootDER, leafDER []byte
	issuer           *Issuer
}

func newTestCA(t testing.TB) testCA {
	t.Helper()
	rootKey, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	rootDER, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "Test Root"}, PublicKey: rootKey,
		NotBefore: t0, NotAfter: t0.AddDate(10, 0, 0), IsCA: true, MaxPathLen: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	root, err := ParseCertificate(rootDER)
	if err != nil {
		t.Fatal(err)
	}
	iss := &Issuer{Cert: root, Key: rootKey}
	leafKey, _ := GenerateKey()
	leafDER, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "Leaf"}, PublicKey: leafKey,
		NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0)}, iss)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ParseCertificate(leafDER)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{root: root, leaf: leaf, rootDER: rootDER, leafDER: leafDER, issuer: iss}
}

func TestChainAtTime(t *testing.T) {
	ca := newTestCA(t)
	ts := NewTrustStore([]*smx509.Certificate{ca.root}, nil)
	if _, err := ts.VerifyAt(ca.leaf, nil, t0.Add(time.Hour), true); err != nil {
		t.Fatalf("valid chain refused: %v", err)
	}
	if _, err := ts.VerifyAt(ca.leaf, nil, t0.AddDate(2, 0, 0), true); !errors.Is(err, ErrNotValidAtTime) {
		t.Fatalf("expired leaf: got %v", err)
	}
	other := newTestCA(t)
	if _, err := NewTrustStore([]*smx509.Certificate{other.root}, nil).VerifyAt(ca.leaf, nil, t0.Add(time.Hour), true); !errors.Is(err, ErrNoChain) {
		t.Fatalf("foreign root: got %v", err)
	}
	if _, err := (*TrustStore)(nil).VerifyAt(ca.leaf, nil, t0, true); !errors.Is(err, ErrNoChain) {
		t.Fatalf("empty store: got %v", err)
	}
}

func TestLeafProfile(t *testing.T) {
	ca := newTestCA(t)
	if ca.leaf.KeyUsage&smx509.KeyUsageDigitalSignature == 0 || ca.leaf.KeyUsage&smx509.KeyUsageContentCommitment == 0 {
		t.Fatalf("leaf key usage %v", ca.leaf.KeyUsage)
	}
	if !ca.root.IsCA || ca.root.KeyUsage&smx509.KeyUsageCertSign == 0 {
		t.Fatal("root lacks CA profile")
	}
	if ca.leaf.SignatureAlgorithm != smx509.SM2WithSM3 {
		t.Fatalf("sig alg %v", ca.leaf.SignatureAlgorithm)
	}
}

func TestEncryptedKeyRoundTrip(t *testing.T) {
	k, _ := GenerateKey()
	p, err := EncryptPrivateKeyPEM(k, []byte("pass"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePrivateKeyPEM(p, []byte("pass"))
	if err != nil || !got.Equal(k) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := ParsePrivateKeyPEM(p, []byte("wrong")); err == nil {
		t.Fatal("wrong passphrase accepted")
	}
	if _, err := EncryptPrivateKeyPEM(k, nil); err == nil {
		t.Fatal("empty passphrase accepted")
	}
}

func TestSignatureForms(t *testing.T) {
	k, _ := GenerateKey()
	s := NewKeySigner(k)
	msg := []byte("pledge")
	der, err := s.SignMessage(msg)
	if err != nil {
		t.Fatal(err)
	}
	r, sv, form, err := DecodeSignature(der)
	if err != nil || form != SigDER {
		t.Fatalf("decode DER: %v %v", form, err)
	}
	raw := make([]byte, 64)
	r.FillBytes(raw[:32])
	sv.FillBytes(raw[32:])
	if _, _, f, err := DecodeSignature(raw); err != nil || f != SigRaw {
		t.Fatalf("raw: %v %v", f, err)
	}
	if !VerifyMessage(s.Public(), msg, raw) || !VerifyMessage(s.Public(), msg, der) {
		t.Fatal("valid signature refused")
	}
	if VerifyMessage(s.Public(), []byte("other"), der) {
		t.Fatal("signature over other message accepted")
	}
	// Non-minimal r: 32 fixed bytes, either lacking the 0x00 sign pad (high
	// bit set, a "negative" INTEGER as in real files) or with a stray 0x00.
	rb := make([]byte, 32)
	r.FillBytes(rb)
	if rb[0]&0x80 == 0 {
		rb = append([]byte{0x00}, rb...)
	}
	nm := []byte{0x30, 0}
	nm = append(nm, 0x02, byte(len(rb)))
	nm = append(nm, rb...)
	sb := sv.Bytes()
	if sb[0]&0x80 != 0 {
		sb = append([]byte{0}, sb...)
	}
	nm = append(nm, 0x02, byte(len(sb)))
	nm = append(nm, sb...)
	nm[1] = byte(len(nm) - 2)
	if _, _, f, err := DecodeSignature(nm); err != nil || f != SigNonMinimal {
		t.Fatalf("non-minimal: %v %v", f, err)
	}
	if !VerifyMessage(s.Public(), msg, nm) {
		t.Fatal("non-minimal signature refused")
	}
	for _, bad := range [][]byte{nil, {0x30, 0x00}, make([]byte, 63), make([]byte, 64)} {
		if _, _, _, err := DecodeSignature(bad); err == nil {
			t.Fatalf("accepted %x", bad)
		}
	}
	if _, err := EncodeSignature(big.NewInt(-1), big.NewInt(1)); err == nil {
		t.Fatal("negative r encoded")
	}
}

func TestKeyMatch(t *testing.T) {
	ca := newTestCA(t)
	if !KeyMatchesCertificate(ca.issuer.Key, ca.root) {
		t.Fatal("root key must match")
	}
	if KeyMatchesCertificate(ca.issuer.Key, ca.leaf) {
		t.Fatal("root key must not match leaf")
	}
	k, _ := GenerateKey()
	Zeroize(k)
	if k.D.Sign() != 0 {
		t.Fatal("not zeroised")
	}
}

// TestOpenSSLVerifiesIssuedCertificates checks our certificates with an
// independent implementation.
func TestOpenSSLVerifiesIssuedCertificates(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	ca := newTestCA(t)
	// openssl verify checks validity at the current time: issue around now.
	dir := t.TempDir()
	now := time.Now()
	rootKey := ca.issuer.Key
	rootDER, _ := Issue(CertRequest{Subject: pkix.Name{CommonName: "Now Root"}, PublicKey: rootKey,
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, MaxPathLen: 0}, nil)
	root, _ := ParseCertificate(rootDER)
	leafKey, _ := GenerateKey()
	leafDER, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "Now Leaf"}, PublicKey: leafKey,
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(0, 1, 0)}, &Issuer{Cert: root, Key: rootKey})
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rp := write("root.pem", EncodeCertificatePEM(rootDER))
	lp := write("leaf.pem", EncodeCertificatePEM(leafDER))
	out, err := exec.Command("openssl", "verify", "-CAfile", rp, "-vfyopt", "distid:"+DefaultUID, lp).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl verify: %v\n%s", err, out)
	}
	// The negative case: a leaf from another CA must fail.
	other := write("other.pem", EncodeCertificatePEM(ca.leafDER))
	if out, err := exec.Command("openssl", "verify", "-CAfile", rp, "-vfyopt", "distid:"+DefaultUID, other).CombinedOutput(); err == nil {
		t.Fatalf("openssl accepted a foreign leaf:\n%s", out)
	}
}
