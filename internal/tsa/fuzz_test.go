package tsa_test

import (
	"bytes"
	"math/big"
	"reflect"
	"testing"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// FuzzParseRequest: untrusted request bytes never panic; what parses
// re-encodes to the same bytes (strict DER: one encoding per request).
func FuzzParseRequest(f *testing.F) {
	d := pki.Digest([]byte("seed"))
	for _, r := range []*tsa.Request{
		{HashAlg: pki.OIDSM3(), Imprint: d[:]},
		{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true, Nonce: big.NewInt(0x1234567890)},
		{HashAlg: pki.OIDSM3(), Imprint: d[:], Policy: []int{1, 2, 156, 1}, Nonce: big.NewInt(1), CertReq: true},
		{HashAlg: pki.OIDSM3(), Imprint: d[:], Extensions: []tsa.Extension{{ID: []int{1, 2, 3}, Critical: true, Value: []byte{5, 0}}, {ID: []int{1, 2, 4}}}},
	} {
		b, err := tsa.MarshalRequest(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(requestWithoutNullParams(f, &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true, Nonce: big.NewInt(7)}))
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := tsa.ParseRequest(b)
		if err != nil {
			return
		}
		out, err := tsa.MarshalRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		// The re-encoding is a fixed point that parses to the same request
		// (extensions included).
		again, err := tsa.ParseRequest(out)
		if err != nil {
			t.Fatalf("%x re-encodes to %x, which does not parse: %v", b, out, err)
		}
		if !reflect.DeepEqual(*again, *r) {
			t.Fatalf("%x parses to %+v, its re-encoding to %+v", b, *r, *again)
		}
		if out2, err := tsa.MarshalRequest(again); err != nil || !bytes.Equal(out2, out) {
			t.Fatalf("the re-encoding %x is not a fixed point: %x %v", out, out2, err)
		}
		// The request is its re-encoding byte for byte, or exactly that
		// with the NULL algorithm parameters omitted (this package writes
		// NULL; both forms are accepted on input).
		if !bytes.Equal(out, b) && !bytes.Equal(requestWithoutNullParams(t, r), b) {
			t.Fatalf("%x re-encodes to %x", b, out)
		}
	})
}

// requestWithoutNullParams encodes r as MarshalRequest does, but with the
// hash algorithm's parameters absent instead of NULL.
func requestWithoutNullParams(t testing.TB, r *tsa.Request) []byte {
	t.Helper()
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(r.HashAlg) })
			b.AddASN1OctetString(r.Imprint)
		})
		if r.Policy != nil {
			b.AddASN1ObjectIdentifier(r.Policy)
		}
		if r.Nonce != nil {
			b.AddASN1BigInt(r.Nonce)
		}
		if r.CertReq {
			b.AddASN1Boolean(true)
		}
		if len(r.Extensions) > 0 {
			b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
				for _, e := range r.Extensions {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1ObjectIdentifier(e.ID)
						if e.Critical {
							b.AddASN1Boolean(true)
						}
						b.AddASN1OctetString(e.Value)
					})
				}
			})
		}
	})
	out, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzParseReply: untrusted reply bytes never panic.
func FuzzParseReply(f *testing.F) {
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x02})
	f.Add([]byte{0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := tsa.ParseReply(b)
		if err == nil && r.Token != nil {
			_, _ = tsa.VerifyToken(r.Token, nil)
		}
	})
}
