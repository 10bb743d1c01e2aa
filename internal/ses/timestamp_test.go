package ses

import (
	"context"
	"crypto/x509/pkix"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// tstInfoDER builds a TSTInfo with an SM3 imprint of value at genTime;
// extra fields are appended after genTime.
func tstInfoDER(t testing.TB, value []byte, gen time.Time, extra ...byte) []byte {
	d := pki.Digest(value)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1ObjectIdentifier([]int{1, 2, 3, 4})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier([]int{1, 2, 156, 10197, 1, 401}) })
			b.AddASN1OctetString(d[:])
		})
		b.AddASN1Int64(42)
		b.AddASN1GeneralizedTime(gen.UTC())
		b.AddBytes(extra)
	})
	der, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestTimestamp(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(t, clk)
	sig := p.sign(t, seal, []byte("d"), clk)
	tsa := p.ca.TSA(t, "TSA", t0, t0.AddDate(1, 0, 0))
	tsaKey, tsaDER := tsa.Key, tsa.DER
	// A certificate of the same root whose extendedKeyUsage timeStamping is
	// not critical (RFC 3161 §2.3 requires it critical): not a TSA.
	plainDER := p.ca.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: "Not a TSA"}, PublicKey: tsaKey,
		NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0), ExtKeyUsage: []smx509.ExtKeyUsage{smx509.ExtKeyUsageTimeStamping}}).DER
	gen := t0.Add(90 * time.Minute)
	encode := func(tok []byte) *Signature {
		s2 := *sig
		s2.TimeStamp = tok
		der, err := s2.Encode()
		if err != nil {
			t.Fatal(err)
		}
		out, err := ParseSignature(der)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	withTokenBy := func(certDER, tst []byte) *Signature {
		cert, err := pki.ParseCertificate(certDER)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := pki.SignTimeStampToken(tst, cert, pki.NewKeySigner(tsaKey), true)
		if err != nil {
			t.Fatal(err)
		}
		return encode(tok)
	}
	withToken := func(tst []byte) *Signature { return withTokenBy(tsaDER, tst) }
	// A GM/T 0010 SignedData over the TSTInfo: not id-ct-TSTInfo, and no
	// signingCertificate attribute naming the TSA certificate.
	gmToken, err := pki.SignAttached(tstInfoDER(t, sig.Value, gen), tsaDER, pki.NewKeySigner(tsaKey), gen)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerifier(Options{SealTrust: p.trust})
	in := Input{Data: []byte("d"), HasData: true}
	tests := []struct {
		name   string
		sig    *Signature
		result outcome.Result
		ind    outcome.Indication
	}{
		{"good token", withToken(tstInfoDER(t, sig.Value, gen)), outcome.Passed, outcome.TotalPassed},
		{"imprint of other bytes", withToken(tstInfoDER(t, []byte("other"), gen)), outcome.Failed, outcome.TotalFailed},
		{"no token", sig, outcome.NotPerformed, outcome.TotalPassed},
		{"TSA certificate without critical timeStamping", withTokenBy(plainDER, tstInfoDER(t, sig.Value, gen)), outcome.Failed, outcome.TotalFailed},
		{"TSTInfo with a trailing field", withToken(tstInfoDER(t, sig.Value, gen, 0x02, 0x01, 0x07, 0x04, 0x00)), outcome.Failed, outcome.TotalFailed},
		{"not an id-ct-TSTInfo token", encode(gmToken), outcome.Failed, outcome.TotalFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := v.VerifySignature(context.Background(), tt.sig, in)
			c, _ := r.Find(CheckTimestamp)
			if c.Result != tt.result || r.Indication != tt.ind {
				t.Fatalf("timestamp %s (%s), indication %s", c.Result, c.Detail, r.Indication)
			}
		})
	}
	// The good token's genTime is the signing time.
	r := v.VerifySignature(context.Background(), withToken(tstInfoDER(t, sig.Value, gen)), in)
	if c, _ := r.Find(CheckSigningTime); c.Result != outcome.Passed || !strings.Contains(c.Detail, "timestamp") {
		t.Fatalf("signing time: %s", c.Detail)
	}
	// A corrupt token is a FAILED timestamp, not a crash.
	bad := *sig
	bad.TimeStamp = []byte{0x30, 0x03, 0x02, 0x01, 0x01}
	der, _ := bad.Encode()
	ps, err := ParseSignature(der)
	if err != nil {
		t.Fatal(err)
	}
	cr := v.VerifySignature(context.Background(), ps, in)
	if c, _ := cr.Find(CheckTimestamp); c.Result != outcome.Failed {
		t.Fatalf("corrupt token: %s", c.Result)
	}
}

// timestampedSignature returns sig's bytes with a valid SM2 timestamp token
// from a TSA issued by p's root.
func timestampedSignature(t testing.TB, p *testPKI, sig *Signature, gen time.Time) []byte {
	return tokenOver(t, p, sig, sig.Value, gen)
}

// tokenOver is sig with a token of genTime gen whose imprint is over the
// bytes over (sig.Value for a token that holds).
func tokenOver(t testing.TB, p *testPKI, sig *Signature, over []byte, gen time.Time) []byte {
	tsa := p.ca.TSA(t, "TSA", t0, t0.AddDate(1, 0, 0))
	tok, err := pki.SignTimeStampToken(tstInfoDER(t, over, gen), tsa.Cert, tsa.Signer(), true)
	if err != nil {
		t.Fatal(err)
	}
	s2 := *sig
	s2.TimeStamp = tok
	der, err := s2.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestSharedTimestamp: a Shared signature's timestamp check (a notice
// seal's token, the same in every package) is kept by the signature's
// bytes: the second verification runs no SM2 for it and reports exactly
// what a plain verifier reports; a token over another signature value in
// otherwise equal bytes is checked afresh and fails.
func TestSharedTimestamp(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(t, clk)
	data := []byte("告知书")
	sig := p.sign(t, seal, data, clk)
	gen := t0.Add(90 * time.Minute)
	good := timestampedSignature(t, p, sig, gen)
	wrong := tokenOver(t, p, sig, p.sign(t, seal, []byte("other"), clk).Value, gen)
	ctx := context.Background()
	plain := NewVerifier(Options{SealTrust: p.trust})
	shared := NewVerifier(Options{SealTrust: p.trust})
	for i, c := range []struct {
		der  []byte
		want outcome.Result
	}{{good, outcome.Passed}, {good, outcome.Passed}, {wrong, outcome.Failed}, {good, outcome.Passed}} {
		want := plain.VerifySignatureBytes(ctx, c.der, Input{Data: data, HasData: true})
		got := shared.VerifySignatureResult(ctx, c.der, Input{Data: data, HasData: true, Shared: true})
		if tc, _ := got.Report.Find(CheckTimestamp); tc.Result != c.want {
			t.Fatalf("case %d: timestamp %s (%s), want %s", i, tc.Result, tc.Detail, c.want)
		}
		if !reflect.DeepEqual(got.Report, want) {
			t.Fatalf("case %d: shared report differs:\n got %+v\nwant %+v", i, got.Report, want)
		}
		if c.want == outcome.Passed && (got.Token == nil || got.TokenErr != nil || !got.Token.GenTime.Equal(gen)) {
			t.Fatalf("case %d: result token %v %v", i, got.Token, got.TokenErr)
		}
	}
	// Plain: 4 signer signatures, 4 tokens, the maker signature once.
	if st := plain.Stats(); st.SM2Performed != 9 {
		t.Fatalf("plain stats %+v", st)
	}
	// Shared: signer signature and token once per distinct bytes (good,
	// wrong), the maker signature once.
	if st := shared.Stats(); st.SM2Performed != 5 || st.SM2Skipped != plain.Stats().SM2Skipped+4 {
		t.Fatalf("shared stats %+v (plain %+v)", st, plain.Stats())
	}
}
