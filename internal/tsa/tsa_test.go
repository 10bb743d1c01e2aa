package tsa_test

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

var policy = asn1.ObjectIdentifier{1, 2, 156, 99999, 1, 1}

type material struct {
	root    *smx509.Certificate
	rootKey *sm2.PrivateKey
	cert    *smx509.Certificate
	key     *sm2.PrivateKey
	trust   *pki.TrustStore
}

// newMaterial issues a root and a TSA certificate; ext are the TSA
// certificate's extra extensions (the critical timeStamping EKU normally).
func newMaterial(t testing.TB, ext ...pkix.Extension) material {
	t.Helper()
	from, to := t0.AddDate(-1, 0, 0), t0.AddDate(3, 0, 0)
	root := pkitest.NewCA(t, "Test TSA Root", from, to, -1)
	tsa := root.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: "Test TSA", Organization: []string{"PledgeSeal"}}, NotBefore: from, NotAfter: to,
		ExtraExtensions: ext})
	return material{root: root.Cert, rootKey: root.Key, cert: tsa.Cert, key: tsa.Key, trust: pki.NewTrustStore([]*smx509.Certificate{root.Cert}, nil)}
}

func newStore(t testing.TB, clk clock.Clock) *store.Store {
	t.Helper()
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t), Timeout: time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func newAuthority(t testing.TB, m material, st tsa.Serials, clk clock.Clock) *tsa.Authority {
	t.Helper()
	a, err := tsa.New(tsa.Config{Cert: m.cert, Signer: pki.NewKeySigner(m.key), Policy: policy, Accuracy: 500 * time.Millisecond, Serials: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func openssl(t testing.TB, args ...string) string {
	t.Helper()
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func write(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func read(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestOpenSSLInterop: a query made by openssl is answered; openssl reads the
// reply as granted; our verifier accepts the token and its imprint; the
// token's CMS signature verifies with openssl dgst over the DER of the
// signed attributes.
func TestOpenSSLInterop(t *testing.T) {
	clk := clock.NewFake(t0)
	m := newMaterial(t, pki.TimeStampingExtension())
	a := newAuthority(t, m, newStore(t, clk), clk)
	dir := t.TempDir()
	data := []byte("承诺书 pledge document bytes\n")
	file := write(t, dir, "data.bin", data)
	query := filepath.Join(dir, "q.tsq")
	openssl(t, "ts", "-query", "-sm3", "-cert", "-data", file, "-out", query)
	req, err := tsa.ParseRequest(read(t, query))
	if err != nil || !req.CertReq || req.Nonce == nil {
		t.Fatalf("openssl query: %+v %v", req, err)
	}
	reply, err := a.Respond(context.Background(), read(t, query))
	if err != nil {
		t.Fatal(err)
	}
	rfile := write(t, dir, "r.tsr", reply)
	text := openssl(t, "ts", "-reply", "-in", rfile, "-text")
	for _, want := range []string{"Status: Granted", "Policy OID: 1.2.156.99999.1.1", "Hash Algorithm: sm3", "Time stamp: Mar  2 09:00:00 2026 GMT",
		"Accuracy: unspecified seconds, 0x01F4 millis, unspecified micros", "Nonce: 0x" + hexUpper(req.Nonce), "TSA: DirName:"} {
		if !strings.Contains(text, want) {
			t.Errorf("openssl reply text lacks %q:\n%s", want, text)
		}
	}

	r, err := tsa.ParseReply(reply)
	if err != nil || r.Status != tsa.StatusGranted {
		t.Fatalf("reply: %+v %v", r, err)
	}
	tok, err := tsa.VerifyToken(r.Token, m.trust)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Covers(data); err != nil {
		t.Fatal(err)
	}
	if err := tok.Covers([]byte("other bytes")); !errors.Is(err, tsa.ErrImprint) {
		t.Fatalf("other data: %v", err)
	}
	if tok.Nonce.Cmp(req.Nonce) != 0 || !tok.GenTime.Equal(t0) || !tok.Policy.Equal(policy) || !tok.Cert.Equal(m.cert) {
		t.Fatalf("token %+v", tok)
	}

	// The CMS signature by OpenSSL's manual recipe: SM2 with the default
	// distinguishing ID over the DER SET OF the signed attributes.
	sd, err := pki.ParseCMS(r.Token)
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	if si.SignedAttrs[0] != 0x31 {
		t.Fatalf("signed attributes tag %#x", si.SignedAttrs[0])
	}
	attrs := write(t, dir, "attrs.der", si.SignedAttrs)
	sig := write(t, dir, "sig.der", si.Signature)
	pubDER, err := smx509.MarshalPKIXPublicKey(&m.key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := write(t, dir, "pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	if out := openssl(t, "dgst", "-sm3", "-sigopt", "distid:1234567812345678", "-verify", pub, "-signature", sig, attrs); !strings.Contains(out, "Verified OK") {
		t.Fatalf("openssl dgst: %s", out)
	}
	// And a changed attribute byte does not verify (the recipe can fail).
	bad := append([]byte(nil), si.SignedAttrs...)
	bad[len(bad)-1] ^= 1
	badf := write(t, dir, "bad.der", bad)
	if out, err := exec.Command("openssl", "dgst", "-sm3", "-sigopt", "distid:1234567812345678", "-verify", pub, "-signature", sig, badf).CombinedOutput(); err == nil {
		t.Fatalf("a changed attribute verified: %s", out)
	}
}

// TestRejections: an unsupported hash, another policy, extensions and
// garbage get a rejection reply with the RFC 3161 failure bit, never an
// error; openssl reads the rejection.
func TestRejections(t *testing.T) {
	clk := clock.NewFake(t0)
	m := newMaterial(t, pki.TimeStampingExtension())
	a := newAuthority(t, m, newStore(t, clk), clk)
	dir := t.TempDir()
	file := write(t, dir, "data.bin", []byte("data"))
	sha := filepath.Join(dir, "sha.tsq")
	openssl(t, "ts", "-query", "-sha256", "-data", file, "-out", sha)
	imprint := pki.Digest([]byte("data"))
	otherPolicy, _ := tsa.MarshalRequest(&tsa.Request{HashAlg: pki.OIDSM3(), Imprint: imprint[:], Policy: asn1.ObjectIdentifier{1, 2, 3}})
	short, _ := tsa.MarshalRequest(&tsa.Request{HashAlg: pki.OIDSM3(), Imprint: imprint[:20]})
	for _, tc := range []struct {
		name string
		req  []byte
		bit  int
	}{
		{"sha256", read(t, sha), tsa.FailBadAlg},
		{"other policy", otherPolicy, tsa.FailUnacceptedPolicy},
		{"short imprint", short, tsa.FailBadDataFormat},
		{"garbage", []byte("GET / HTTP/1.1\r\n"), tsa.FailBadDataFormat},
		{"empty", nil, tsa.FailBadDataFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reply, err := a.Respond(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			r, err := tsa.ParseReply(reply)
			if err != nil || r.Status != tsa.StatusRejected || !r.Failed(tc.bit) || r.Token != nil || r.Text == "" {
				t.Fatalf("reply %+v %v", r, err)
			}
			if out := openssl(t, "ts", "-reply", "-in", write(t, dir, "rej.tsr", reply), "-text"); !strings.Contains(out, "Status: Rejected") {
				t.Fatalf("openssl: %s", out)
			}
		})
	}
}

// TestSerialsUniqueAcrossRestarts: two authorities over the same Redis (a
// restart, or two servers) never reuse a serial; without Redis no token is
// issued.
func TestSerialsUniqueAcrossRestarts(t *testing.T) {
	clk := clock.NewFake(t0)
	m := newMaterial(t, pki.TimeStampingExtension())
	st := newStore(t, clk)
	d := pki.Digest([]byte("x"))
	req := &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true, Nonce: big.NewInt(7)}
	seen := map[string]bool{}
	for range 2 {
		a := newAuthority(t, m, st, clk)
		for range 3 {
			der, err := a.Token(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := tsa.VerifyToken(der, m.trust)
			if err != nil {
				t.Fatal(err)
			}
			if seen[tok.Serial.String()] {
				t.Fatalf("serial %s reused", tok.Serial)
			}
			seen[tok.Serial.String()] = true
		}
	}

	srv := testredis.Start(t)
	down, err := store.New(store.Options{Addrs: []string{srv.Addr}, Prefix: "tsa-down:", Timeout: time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = down.Close() })
	srv.Kill()
	if _, err := newAuthority(t, m, down, clk).Respond(context.Background(), mustMarshal(t, req)); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("without Redis: %v", err)
	}
}

func mustMarshal(t testing.TB, r *tsa.Request) []byte {
	t.Helper()
	b, err := tsa.MarshalRequest(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCertReqHonoured: the TSA certificate is in the token only when asked.
func TestCertReqHonoured(t *testing.T) {
	clk := clock.NewFake(t0)
	m := newMaterial(t, pki.TimeStampingExtension())
	a := newAuthority(t, m, newStore(t, clk), clk)
	d := pki.Digest([]byte("x"))
	for _, want := range []bool{true, false} {
		der, err := a.Token(context.Background(), &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: want})
		if err != nil {
			t.Fatal(err)
		}
		sd, err := pki.ParseCMS(der)
		if err != nil {
			t.Fatal(err)
		}
		if got := len(sd.Certificates) == 1 && bytes.Equal(sd.Certificates[0].Raw, m.cert.Raw); got != want {
			t.Fatalf("certReq %v: certificates %d", want, len(sd.Certificates))
		}
	}
}

// TestKeyPurpose: a TSA certificate without the critical timeStamping EKU
// is refused at start-up, and a token it signed is refused by the verifier.
func TestKeyPurpose(t *testing.T) {
	clk := clock.NewFake(t0)
	good := newMaterial(t, pki.TimeStampingExtension())
	st := newStore(t, clk)
	d := pki.Digest([]byte("x"))
	req := &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true}
	genuine, err := newAuthority(t, good, st, clk).Token(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := pki.ParseCMS(genuine)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tsa.New(tsa.Config{Cert: good.cert, Signer: pki.NewKeySigner(good.key), Policy: asn1.ObjectIdentifier{2, 25, 1 << 31}, Serials: st, Clock: clk}); err == nil {
		t.Fatal("a policy arc no verifier reads was accepted")
	}
	nonCritical := pki.TimeStampingExtension()
	nonCritical.Critical = false
	codeSigning, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 3}})
	for _, tc := range []struct {
		name string
		ext  []pkix.Extension
	}{
		{"no EKU", nil},
		{"EKU not critical", []pkix.Extension{nonCritical}},
		{"codeSigning", []pkix.Extension{{Id: nonCritical.Id, Critical: true, Value: codeSigning}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newMaterial(t, tc.ext...)
			if _, err := tsa.New(tsa.Config{Cert: m.cert, Signer: pki.NewKeySigner(m.key), Policy: policy, Serials: st, Clock: clk}); err == nil {
				t.Fatal("start-up accepted the certificate")
			}
			// A token over the same TSTInfo signed with this certificate.
			tok, err := pki.SignTimeStampToken(sd.Content, m.cert, pki.NewKeySigner(m.key), true)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tsa.VerifyToken(tok, m.trust); !errors.Is(err, tsa.ErrKeyPurpose) {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}

// hexUpper is n as OpenSSL prints an INTEGER: upper-case hex, even length.
func hexUpper(n *big.Int) string {
	h := strings.ToUpper(n.Text(16))
	if len(h)%2 == 1 {
		h = "0" + h
	}
	return h
}
