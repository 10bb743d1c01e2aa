package tsa

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// FuzzParseTSTInfo: a TSTInfo is signed bytes, but from any TSA: reading
// it never panics, and what reads has its fields in range.
func FuzzParseTSTInfo(f *testing.F) {
	name, err := asn1.Marshal(pkix.Name{CommonName: "TSA", Organization: []string{"PledgeSeal"}}.ToRDNSequence())
	if err != nil {
		f.Fatal(err)
	}
	a := &Authority{cfg: Config{Policy: []int{1, 2, 156, 1}, Accuracy: 1500 * time.Millisecond, Cert: &smx509.Certificate{RawSubject: name}}}
	d := make([]byte, 32)
	for _, req := range []*Request{{HashAlg: []int{1, 2, 156, 10197, 1, 401}, Imprint: d}} {
		b, err := a.tstInfo(req, bigOne(), time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1ObjectIdentifier([]int{1, 2, 3})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier([]int{2, 16, 840, 1, 101, 3, 4, 2, 1}) })
			b.AddASN1OctetString(d)
		})
		b.AddASN1Int64(7)
		b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte("20260302090000.5Z")) })
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1Int64WithTag(5, cbasn1.Tag(1).ContextSpecific()) })
		b.AddASN1Boolean(true)
		b.AddASN1Int64(99)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(6).ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes([]byte("https://tsa")) })
		})
		b.AddASN1(cbasn1.Tag(1).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier([]int{1, 2, 4}); b.AddASN1OctetString(nil) })
		})
	})
	f.Add(b.BytesOrPanic())
	f.Fuzz(func(t *testing.T, in []byte) {
		tok, err := parseTSTInfo(in)
		if err != nil {
			return
		}
		if tok.Serial == nil || tok.GenTime.IsZero() || tok.Accuracy < 0 || tok.Policy == nil || tok.HashAlg == nil {
			t.Fatalf("parsed %+v", tok)
		}
	})
}

func bigOne() *big.Int { return big.NewInt(1) }
