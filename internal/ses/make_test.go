package ses

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

func TestMakeSealAndSignVerify(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(t, clk)
	if seal.Version != V4 || seal.Info.Header != (Header{ID: "ES", Version: 4, VID: "PledgeSeal"}) {
		t.Fatalf("header %+v", seal.Info.Header)
	}
	if seal.Info.Property.CertListType != CertListCerts || seal.Info.Picture.Type != "PNG" || !seal.Info.Property.CreateDate.Equal(t0.Add(time.Hour)) {
		t.Fatalf("property %+v picture %s", seal.Info.Property, seal.Info.Picture.Type)
	}
	clk.Advance(time.Hour)
	data := []byte("承诺书 canonical bytes")
	sig := p.sign(t, seal, data, clk)
	if !sig.TBS.TimeInfo.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("timeInfo %v from the injected clock", sig.TBS.TimeInfo)
	}
	v := NewVerifier(Options{SealTrust: p.trust})
	r := v.VerifySignature(context.Background(), sig, Input{Data: data, HasData: true})
	if r.Indication != outcome.TotalPassed {
		t.Fatalf("%s/%s %+v", r.Indication, r.SubIndication, r.Checks)
	}
	sr := v.VerifySeal(context.Background(), seal, clk.Now())
	if sr.Indication != outcome.TotalPassed {
		t.Fatalf("seal: %s/%s %+v", sr.Indication, sr.SubIndication, sr.Checks)
	}
	// The data hash alone works too; other data fails.
	if r := v.VerifySignature(context.Background(), sig, Input{DataHash: DataDigest(data)}); r.Indication != outcome.TotalPassed {
		t.Fatalf("by hash: %s", r.Indication)
	}
	if r := v.VerifySignature(context.Background(), sig, Input{Data: []byte("other"), HasData: true}); r.SubIndication != outcome.HashFailure {
		t.Fatalf("other data: %s/%s", r.Indication, r.SubIndication)
	}
	if r := v.VerifySignature(context.Background(), sig, Input{}); r.Indication != outcome.IndeterminateResult {
		t.Fatalf("no data: %s", r.Indication)
	}
}

func TestMakeSealRefusesBadRequests(t *testing.T) {
	p := newTestPKI(t, t0)
	other := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	tests := []struct {
		name  string
		edit  func(*SealRequest, *Maker)
		clock clock.Clock
	}{
		{"key does not match cert", func(_ *SealRequest, m *Maker) { m.Cert = other.makerDER }, clk},
		{"no esID", func(r *SealRequest, _ *Maker) { r.ESID = "" }, clk},
		{"non-ASCII esID", func(r *SealRequest, _ *Maker) { r.ESID = "印章" }, clk},
		{"no name", func(r *SealRequest, _ *Maker) { r.Name = " " }, clk},
		{"window reversed", func(r *SealRequest, _ *Maker) { r.ValidEnd = r.ValidStart.Add(-time.Hour) }, clk},
		{"no signer", func(r *SealRequest, _ *Maker) { r.SignerCerts = nil }, clk},
		{"bad signer cert", func(r *SealRequest, _ *Maker) { r.SignerCerts = [][]byte{{0x30, 0x00}} }, clk},
		{"picture type", func(r *SealRequest, _ *Maker) { r.Picture.Type = "TIFF" }, clk},
		{"picture size", func(r *SealRequest, _ *Maker) { r.Picture.Width = 0 }, clk},
		{"empty picture", func(r *SealRequest, _ *Maker) { r.Picture.Data = nil }, clk},
		{"maker cert expired", func(*SealRequest, *Maker) {}, clock.NewFake(t0.AddDate(5, 0, 0))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, m := p.sealRequest(t), p.maker()
			tt.edit(&req, &m)
			_, err := MakeSeal(req, m, tt.clock)
			if err == nil || apperr.KindOf(err) != apperr.Malformed {
				t.Fatalf("got %v, want a Malformed error", err)
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	p := newTestPKI(t, t0)
	other := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(t, clk)
	v1, err := ParseSeal(readFile(t, "testdata/ofdrw-UserV1.esl"))
	if err != nil {
		t.Fatal(err)
	}
	h := DataDigest([]byte("x"))
	tests := []struct {
		name string
		req  SignRequest
		s    Signer
		clk  clock.Clock
		kind apperr.Kind
	}{
		{"signer not in list", SignRequest{Seal: seal, DataHash: h}, other.signer(), clk, apperr.Forbidden},
		{"v1 seal", SignRequest{Seal: v1, DataHash: h}, p.signer(), clk, apperr.Unsupported},
		{"short hash", SignRequest{Seal: seal, DataHash: h[:31]}, p.signer(), clk, apperr.Malformed},
		{"seal window over", SignRequest{Seal: seal, DataHash: h}, p.signer(), clock.NewFake(t0.AddDate(1, 6, 0)), apperr.Conflict},
		{"no seal", SignRequest{DataHash: h}, p.signer(), clk, apperr.Malformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Sign(tt.req, tt.s, tt.clk)
			if err == nil || apperr.KindOf(err) != tt.kind {
				t.Fatalf("got %v, want kind %s", err, tt.kind)
			}
		})
	}
}

// TestRoundTripCanonical: parse(encode(x)) == x, and the encoding is
// canonical DER (re-encoding the parse gives the same bytes, no lenient
// reading was needed, and OpenSSL's parser accepts it).
func TestRoundTripCanonical(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(90 * time.Minute))
	req := p.sealRequest(t)
	req.ExtDatas = []ExtData{{ID: []int{1, 2, 156, 1}, Critical: true, Value: []byte("a")}, {ID: []int{1, 2, 156, 2}, Value: []byte("b")}}
	seal, err := MakeSeal(req, p.maker(), clk)
	if err != nil {
		t.Fatal(err)
	}
	digReq := p.sealRequest(t)
	d := pki.Digest(p.signerDER)
	digReq.SignerCerts, digReq.CertDigests = nil, []CertDigest{{Type: "SM3", Value: d[:]}}
	digSeal, err := MakeSeal(digReq, p.maker(), clk)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := Sign(SignRequest{Seal: seal, DataHash: DataDigest([]byte("d")), PropertyInfo: "x",
		ExtDatas: []ExtData{{ID: []int{1, 2, 3}, Value: []byte{1}}}}, p.signer(), clk)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Seal{seal, digSeal} {
		der, err := s.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(der, s.Raw) {
			t.Fatal("encode(parse(b)) != b for a seal")
		}
		back, err := ParseSeal(der)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, s) || len(back.Warnings) != 0 {
			t.Fatalf("parse(encode(x)) != x, warnings %v", back.Warnings)
		}
		asn1parseOK(t, der)
	}
	der, err := sig.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(der, sig.Raw) {
		t.Fatal("encode(parse(b)) != b for a signature")
	}
	back, err := ParseSignature(der)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, sig) || len(back.Warnings) != 0 || len(back.TBS.Seal.Warnings) != 0 {
		t.Fatal("parse(encode(x)) != x for a signature")
	}
	asn1parseOK(t, der)
	// The digest-list seal lets its signer sign, and verification finds it.
	dsig, err := Sign(SignRequest{Seal: digSeal, DataHash: DataDigest([]byte("d"))}, p.signer(), clk)
	if err != nil {
		t.Fatal(err)
	}
	r := NewVerifier(Options{SealTrust: p.trust}).VerifySignature(context.Background(), dsig, Input{Data: []byte("d"), HasData: true})
	if c, _ := r.Find(CheckSignerInSeal); c.Result != outcome.Passed || !strings.Contains(c.Detail, "digest") {
		t.Fatalf("digest list: %s %s", c.Result, c.Detail)
	}
	// Critical FALSE is omitted (DER DEFAULT), TRUE written.
	if bytes.Contains(seal.RawInfo, []byte{0x01, 0x01, 0x00}) || !bytes.Contains(seal.RawInfo, []byte{0x01, 0x01, 0xff}) {
		t.Fatal("BOOLEAN critical not canonical")
	}
}

func asn1parseOK(t *testing.T, der []byte) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	f := filepath.Join(t.TempDir(), "x.der")
	if err := os.WriteFile(f, der, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("openssl", "asn1parse", "-inform", "DER", "-in", f).CombinedOutput(); err != nil {
		t.Fatalf("openssl asn1parse: %v\n%s", err, out)
	}
}

func writePub(t *testing.T, dir, name string, der []byte) string {
	t.Helper()
	c, err := pki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := smx509.MarshalPKIXPublicKey(c.PublicKey.(*ecdsa.PublicKey))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestOpenSSLVerifiesOurSealsAndSignatures checks what we make with an
// independent implementation: the maker signature over the SES_SealInfo
// TLV, the signer signature over the TBS_Sign TLV, and the certificates.
func TestOpenSSLVerifiesOurSealsAndSignatures(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl not installed")
	}
	// openssl verify checks certificates at the current time.
	now := clock.Real{}.Now()
	p := newTestPKI(t, now.Add(-time.Hour))
	clk := clock.NewFake(now)
	seal := p.makeSeal(t, clk)
	sig := p.sign(t, seal, []byte("data"), clk)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	makerPub := writePub(t, dir, "maker.pub", p.makerDER)
	signerPub := writePub(t, dir, "signer.pub", p.signerDER)
	dgst := func(pub, sigFile, msgFile string) error {
		out, err := exec.Command("openssl", "dgst", "-sm3", "-verify", pub, "-sigopt", "distid:"+pki.DefaultUID,
			"-signature", sigFile, msgFile).CombinedOutput()
		if err == nil && !strings.Contains(string(out), "Verified OK") {
			return errors.New(string(out))
		}
		if err != nil {
			return errors.New(err.Error() + ": " + string(out))
		}
		return nil
	}
	info, infoSig := write("sealinfo.der", seal.RawInfo), write("sealinfo.sig", seal.SignedValue)
	tbs, tbsSig := write("tbs.der", sig.RawTBS), write("tbs.sig", sig.Value)
	if err := dgst(makerPub, infoSig, info); err != nil {
		t.Fatalf("openssl rejects the maker signature over SES_SealInfo: %v", err)
	}
	if err := dgst(signerPub, tbsSig, tbs); err != nil {
		t.Fatalf("openssl rejects the signer signature over TBS_Sign: %v", err)
	}
	// Negative controls: the wrong key or a changed message must fail.
	if err := dgst(signerPub, infoSig, info); err == nil {
		t.Fatal("openssl accepted the maker signature under the signer key")
	}
	if err := dgst(makerPub, infoSig, write("tampered.der", flip(seal.RawInfo, 40))); err == nil {
		t.Fatal("openssl accepted a tampered SES_SealInfo")
	}
	ca := write("root.pem", pki.EncodeCertificatePEM(p.rootDER))
	for _, c := range [][]byte{p.makerDER, p.signerDER, sig.Cert, seal.MakerCert} {
		leaf := write("leaf.pem", pki.EncodeCertificatePEM(c))
		if out, err := exec.Command("openssl", "verify", "-CAfile", ca, "-vfyopt", "distid:"+pki.DefaultUID, leaf).CombinedOutput(); err != nil {
			t.Fatalf("openssl verify: %v\n%s", err, out)
		}
	}
}

// TestStatusNotChecked: a SES report says its status checks were not
// performed (internal/verify reads the registry for a verification).
func TestStatusNotChecked(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(t, clk)
	sig := p.sign(t, seal, []byte("d"), clk)
	r := NewVerifier(Options{SealTrust: p.trust}).VerifySignature(context.Background(), sig, Input{Data: []byte("d"), HasData: true})
	for _, name := range []string{CheckSealStatus, CheckMakerStatus, CheckSignerStatus} {
		if c, ok := r.Find(name); !ok || c.Result != outcome.NotPerformed {
			t.Fatalf("%s = %+v", name, c)
		}
	}
}

// sealDirect signs a TBS_Sign built by hand, bypassing Sign's checks, so
// verification of out-of-window signatures can be tested.
func signDirect(t *testing.T, p *testPKI, seal *Seal, at time.Time, data []byte) *Signature {
	t.Helper()
	tbs := TBSSign{Version: 4, Seal: seal, TimeInfo: at, DataHash: DataDigest(data), PropertyInfo: "x"}
	der, err := EncodeTBS(&tbs)
	if err != nil {
		t.Fatal(err)
	}
	v, err := pki.NewKeySigner(p.signerKey).SignMessage(der)
	if err != nil {
		t.Fatal(err)
	}
	s := &Signature{Version: V4, TBS: tbs, Cert: p.signerDER, SignatureAlgID: OIDSM2WithSM3(), Value: v}
	out, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseSignature(out)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

func TestTimeChecks(t *testing.T) {
	p := newTestPKI(t, t0)
	seal := p.makeSeal(t, clock.NewFake(t0.Add(time.Hour)))
	v := NewVerifier(Options{SealTrust: p.trust})
	tests := []struct {
		name string
		at   time.Time
		want []string
		sub  outcome.SubIndication
	}{
		{"inside", t0.Add(2 * time.Hour), nil, ""},
		// The root was issued an hour before t0: it too is not yet valid.
		// The seal maker certificate is judged when the seal is used (issue
		// 14), so it fails with the signer's.
		{"before seal window and cert", t0.Add(-2 * time.Hour), []string{CheckSignerChain, CheckSignerValidity, CheckMakerChain, CheckMakerValidity, CheckSealWindow}, outcome.SealOutOfValidity},
		{"after seal window", t0.AddDate(1, 1, 0), []string{CheckSealWindow}, outcome.SealOutOfValidity},
		{"after cert expiry", t0.AddDate(3, 0, 0), []string{CheckSignerValidity, CheckMakerValidity, CheckSealWindow}, outcome.SealOutOfValidity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := signDirect(t, p, seal, tt.at, []byte("d"))
			r := v.VerifySignature(context.Background(), s, Input{Data: []byte("d"), HasData: true})
			if got := failedChecks(r); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("failed %v, want %v", got, tt.want)
			}
			if r.SubIndication != tt.sub {
				t.Fatalf("sub %s want %s", r.SubIndication, tt.sub)
			}
		})
	}
}

// TestCacheVerifiesSharedSealOnce: many signatures sharing a seal and
// certificates cost one maker-signature check and one chain build each.
func TestCacheVerifiesSharedSealOnce(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(t, clk)
	v := NewVerifier(Options{SealTrust: p.trust, CacheSize: 16})
	const n = 10
	for i := 0; i < n; i++ {
		clk.Advance(time.Minute)
		data := []byte{byte(i)}
		sig := p.sign(t, seal, data, clk)
		if r := v.VerifySignature(context.Background(), sig, Input{Data: data, HasData: true}); r.Indication != outcome.TotalPassed {
			t.Fatalf("%d: %s", i, r.Indication)
		}
	}
	st := v.Stats()
	want := Stats{SM2Performed: n + 1, SM2Skipped: n - 1, ChainsBuilt: 2, ChainsSkipped: 2 * (n - 1)}
	if st != want {
		t.Fatalf("stats %+v, want %+v", st, want)
	}
	// The cache is bounded.
	small := NewVerifier(Options{SealTrust: p.trust, CacheSize: 1})
	sig := p.sign(t, seal, []byte("x"), clk)
	small.VerifySignature(context.Background(), sig, Input{Data: []byte("x"), HasData: true})
	if small.cache.len() != 1 {
		t.Fatalf("cache holds %d entries, bound 1", small.cache.len())
	}
}

func TestMalformedInputs(t *testing.T) {
	good := readFile(t, "testdata/antchain-v4.sign0.dat")
	tests := []struct {
		name string
		in   []byte
	}{
		{"empty", nil},
		{"not DER", []byte("hello")},
		{"truncated", good[:len(good)/2]},
		{"integer", []byte{0x02, 0x01, 0x01}},
		{"three fields", []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}},
	}
	v := NewVerifier(Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseSignature(tt.in); apperr.KindOf(err) != apperr.Malformed {
				t.Fatalf("signature: %v", err)
			}
			if _, err := ParseSeal(tt.in); apperr.KindOf(err) != apperr.Malformed {
				t.Fatalf("seal: %v", err)
			}
			r := v.VerifySignatureBytes(context.Background(), tt.in, Input{})
			if r.Indication != outcome.TotalFailed || r.SubIndication != outcome.FormatFailure {
				t.Fatalf("%s/%s", r.Indication, r.SubIndication)
			}
		})
	}
}

// TestVerifierConcurrent shares one Verifier (and its cache) across
// goroutines; run with -race.
func TestVerifierConcurrent(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(t, clk)
	sig := p.sign(t, seal, []byte("d"), clk)
	v := NewVerifier(Options{SealTrust: p.trust, CacheSize: 2})
	errs := make(chan string, 16)
	done := make(chan struct{})
	for i := 0; i < 8; i++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := 0; j < 5; j++ {
				if r := v.VerifySignature(context.Background(), sig, Input{Data: []byte("d"), HasData: true}); r.Indication != outcome.TotalPassed {
					errs <- string(r.Indication)
				}
				v.VerifySeal(context.Background(), seal, t0.Add(2*time.Hour))
			}
		}()
	}
	for i := 0; i < 8; i++ {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

func TestVerifyMakerSignature(t *testing.T) {
	p := newTestPKI(t, t0)
	ours := p.makeSeal(t, clock.NewFake(t0.Add(time.Hour)))
	for _, s := range []*Seal{ours} {
		if err := s.VerifyMakerSignature(); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"testdata/ofdrw-UserV1.esl", "testdata/ofdrw-UserV4.esl"} {
		der := readFile(t, f)
		s, err := ParseSeal(der)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.VerifyMakerSignature(); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		bad, err := ParseSeal(flip(der, bytes.Index(der, s.Info.Picture.Data)+3))
		if err != nil {
			t.Fatal(err)
		}
		if err := bad.VerifyMakerSignature(); apperr.KindOf(err) != apperr.Malformed {
			t.Fatalf("%s tampered: %v", f, err)
		}
	}
}
