package stamp_test

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/stamp"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is a root, a seal maker, a seal user, a TSA under the root, a seal
// and a TSA over real Redis.
type env struct {
	trust     *pki.TrustStore
	signer    ses.Signer
	seal      *ses.Seal
	user      *smx509.Certificate
	userKey   *sm2.PrivateKey
	tsaCert   *smx509.Certificate
	tsaKey    *sm2.PrivateKey
	authority *tsa.Authority
	clk       *clock.Fake
}

func leaf(t testing.TB, name string, iss *pki.Issuer, ext ...pkix.Extension) (*smx509.Certificate, *sm2.PrivateKey) {
	t.Helper()
	k, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	req := pki.CertRequest{Subject: pkix.Name{CommonName: name}, PublicKey: k, NotBefore: t0.AddDate(-1, 0, 0), NotAfter: t0.AddDate(2, 0, 0), ExtraExtensions: ext}
	if iss == nil {
		req.IsCA, req.MaxPathLen = true, -1
	}
	der, err := pki.Issue(req, iss)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c, k
}

func newEnv(t testing.TB, serials tsa.Serials) *env {
	t.Helper()
	e := &env{clk: clock.NewFake(t0)}
	root, rk := leaf(t, "Root", nil)
	iss := &pki.Issuer{Cert: root, Key: rk}
	maker, mk := leaf(t, "Seal maker", iss)
	e.user, e.userKey = leaf(t, "Agency signer", iss)
	e.tsaCert, e.tsaKey = leaf(t, "PledgeSeal TSA", iss, pki.TimeStampingExtension())
	e.trust = pki.NewTrustStore([]*smx509.Certificate{root}, nil)
	seal, err := ses.MakeSeal(ses.SealRequest{ESID: "S-1", Type: 1, Name: "测试机关", SignerCerts: [][]byte{e.user.Raw},
		ValidStart: t0.AddDate(0, -1, 0), ValidEnd: t0.AddDate(1, 0, 0), Picture: ses.Picture{Type: "PNG", Data: []byte{0x89, 'P', 'N', 'G'}, Width: 40, Height: 40}},
		ses.Maker{Signer: pki.NewKeySigner(mk), Cert: maker.Raw}, e.clk)
	if err != nil {
		t.Fatal(err)
	}
	e.seal = seal
	e.signer = ses.Signer{Signer: pki.NewKeySigner(e.userKey), Cert: e.user.Raw}
	if serials == nil {
		serials = newStore(t, e.clk)
	}
	e.authority = e.newAuthority(t, serials, pki.NewKeySigner(e.tsaKey))
	return e
}

func (e *env) newAuthority(t testing.TB, serials tsa.Serials, signer pki.Signer) *tsa.Authority {
	t.Helper()
	a, err := tsa.New(tsa.Config{Cert: e.tsaCert, Signer: signer, Policy: []int{1, 2, 156, 99999, 1}, Accuracy: time.Second, Serials: serials, Clock: e.clk})
	if err != nil {
		t.Fatal(err)
	}
	return a
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

// sealer is the pledge.Sealer shape over ses.Sign.
type sealer struct{ e *env }

func (s sealer) SealData(_ context.Context, _ string, data []byte, prop string) ([]byte, error) {
	sig, err := ses.Sign(ses.SignRequest{Seal: s.e.seal, DataHash: ses.DataDigest(data), PropertyInfo: prop}, s.e.signer, s.e.clk)
	if err != nil {
		return nil, err
	}
	return sig.Raw, nil
}

// TestSESStamped: the counter-seal's SES v4 carries a token over its
// signature value in timeStamp; the signed TBS_Sign and the signature value
// are the same bytes; the SES verifier proves the signing time with it.
func TestSESStamped(t *testing.T) {
	e := newEnv(t, nil)
	data := []byte(`{"decision":"ACCEPTED"}`)
	plain, err := sealer{e}.SealData(context.Background(), "A", data, "pledge:P1")
	if err != nil {
		t.Fatal(err)
	}
	out, err := stamp.Sealer{Inner: sealer{e}, Stamper: stamp.New(e.authority, true, nil)}.SealData(context.Background(), "A", data, "pledge:P1")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ses.ParseSignature(plain)
	b, err := ses.ParseSignature(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.TimeStamp) == 0 || !bytes.Equal(a.RawTBS, b.RawTBS) {
		t.Fatalf("timeStamp %d bytes, TBS unchanged %v", len(b.TimeStamp), bytes.Equal(a.RawTBS, b.RawTBS))
	}
	tok, err := tsa.VerifyToken(b.TimeStamp, e.trust)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Covers(b.Value); err != nil {
		t.Fatalf("the imprint is not the hash of the signature value: %v", err)
	}
	r := ses.NewVerifier(ses.Options{SealTrust: e.trust}).VerifySignature(context.Background(), b, ses.Input{Data: data, HasData: true})
	if r.Indication != outcome.TotalPassed {
		t.Fatalf("%s %s", r.Indication, r.SubIndication)
	}
	if c, _ := r.Find(ses.CheckTimestamp); c.Result != outcome.Passed {
		t.Fatalf("timestamp %s: %s", c.Result, c.Detail)
	}
	if c, _ := r.Find(ses.CheckSigningTime); !strings.Contains(c.Detail, "from the timestamp") {
		t.Fatalf("signing time: %s", c.Detail)
	}
}

// TestCMSStamped: the applicant's CMS gets the token as an
// id-aa-timeStampToken unsigned attribute over its signature value; the
// signature and signed attributes are unchanged and still verify.
func TestCMSStamped(t *testing.T) {
	e := newEnv(t, nil)
	doc := []byte("承诺书")
	cms, err := pki.SignDetachedCert(doc, e.user, pki.NewKeySigner(e.userKey), t0)
	if err != nil {
		t.Fatal(err)
	}
	out, err := stamp.New(e.authority, true, nil).CMS(context.Background(), cms)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.VerifyDetached(out, doc); err != nil {
		t.Fatalf("the stamped CMS no longer verifies: %v", err)
	}
	before, _ := pki.ParseCMS(cms)
	sd, err := pki.ParseCMS(out)
	if err != nil {
		t.Fatal(err)
	}
	si := sd.Signers[0]
	if !bytes.Equal(si.Signature, before.Signers[0].Signature) || !bytes.Equal(si.SignedAttrs, before.Signers[0].SignedAttrs) {
		t.Fatal("the signed part changed")
	}
	toks, err := si.TimeStampTokens()
	if err != nil || len(toks) != 1 {
		t.Fatalf("tokens %d %v", len(toks), err)
	}
	tok, err := tsa.VerifyToken(toks[0], e.trust)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Covers(si.Signature); err != nil {
		t.Fatal(err)
	}
	// The same document's signature, stamped twice, keeps both tokens.
	twice, err := stamp.New(e.authority, true, nil).CMS(context.Background(), out)
	if err != nil {
		t.Fatal(err)
	}
	sd2, _ := pki.ParseCMS(twice)
	if toks, _ := sd2.Signers[0].TimeStampTokens(); len(toks) != 2 {
		t.Fatalf("%d tokens", len(toks))
	}
}

// TestRequiredFailsClosed: with Redis down the built-in TSA has no serial;
// a required time-stamp refuses the seal and the CMS with 503 TRY_LATER;
// an optional one lets them through unchanged.
func TestRequiredFailsClosed(t *testing.T) {
	srv := testredis.Start(t)
	clk := clock.NewFake(t0)
	down, err := store.New(store.Options{Addrs: []string{srv.Addr}, Prefix: "stamp-down:", Timeout: time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = down.Close() })
	e := newEnv(t, down)
	srv.Kill()
	data := []byte("d")
	cms, err := pki.SignDetachedCert(data, e.user, pki.NewKeySigner(e.userKey), t0)
	if err != nil {
		t.Fatal(err)
	}
	required := stamp.New(e.authority, true, nil)
	if _, err := (stamp.Sealer{Inner: sealer{e}, Stamper: required}).SealData(context.Background(), "A", data, "p"); apperr.KindOf(err) != apperr.Unavailable || apperr.As(err).Code != apperr.CodeTryLater {
		t.Fatalf("required seal: %v", err)
	}
	if _, err := required.CMS(context.Background(), cms); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("required CMS: %v", err)
	}
	if _, err := stamp.New(nil, true, nil).CMS(context.Background(), cms); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("required without a TSA: %v", err)
	}
	optional := stamp.New(e.authority, false, nil)
	out, err := optional.CMS(context.Background(), cms)
	if err != nil || !bytes.Equal(out, cms) {
		t.Fatalf("optional CMS: %v", err)
	}
	raw, err := (stamp.Sealer{Inner: sealer{e}, Stamper: optional}).SealData(context.Background(), "A", data, "p")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := ses.ParseSignature(raw); len(s.TimeStamp) != 0 {
		t.Fatal("a token appeared")
	}
}
