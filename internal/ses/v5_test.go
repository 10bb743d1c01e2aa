package ses

import (
	"context"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// TestReadV5: a GM/T 0031-2025 seal (header version 5, a fifth field
// timeStamp [0]) and a signature carrying it are read and reported as v5,
// and their signatures verify over the bytes as found.
func TestReadV5(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	base := p.makeSeal(t, clk)
	info := base.Info
	info.Header.Version = 5
	infoDER, err := EncodeSealInfo(&info)
	if err != nil {
		t.Fatal(err)
	}
	makerSig, err := pki.NewKeySigner(p.makerKey).SignMessage(infoDER)
	if err != nil {
		t.Fatal(err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(infoDER)
		b.AddASN1OctetString(p.makerDER)
		b.AddASN1ObjectIdentifier(OIDSM2WithSM3())
		addBits(b, makerSig)
		b.AddASN1(cbasn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte{0, 1, 2, 3}) })
	})
	der := b.BytesOrPanic()
	seal, err := ParseSeal(der)
	if err != nil {
		t.Fatal(err)
	}
	if seal.Version != V5 || len(seal.TimeStamp) != 3 {
		t.Fatalf("version %s timestamp %x", seal.Version, seal.TimeStamp)
	}
	if _, err := seal.Encode(); err == nil {
		t.Fatal("v5 must be read only")
	}
	v := NewVerifier(Options{SealTrust: p.trust})
	if r := v.VerifySeal(context.Background(), seal, t0.Add(2*time.Hour)); r.Indication != outcome.TotalPassed || r.Version != "v5" {
		t.Fatalf("seal %s %s %+v", r.Version, r.Indication, r.Checks)
	}
	sig := signDirect(t, p, seal, t0.Add(2*time.Hour), []byte("d"))
	// signDirect writes the v4 SES_Signature shape and re-parses it: the
	// embedded v5 seal makes it v5.
	if sig.Version != V5 {
		t.Fatalf("a signature over a v5 seal is %s, want v5", sig.Version)
	}
	if r := v.VerifySignature(context.Background(), sig, Input{Data: []byte("d"), HasData: true}); r.Indication != outcome.TotalPassed || r.Version != "v5" {
		t.Fatalf("signature %s %s", r.Version, r.Indication)
	}
}
