package tsa_test

import (
	"bytes"
	"math/big"
	"testing"

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
		// The request re-encodes to its bytes, except that this package
		// writes NULL algorithm parameters where the request omitted them.
		if !bytes.Equal(out, b) && len(out) != len(b)+2 {
			t.Fatalf("%x re-encodes to %x", b, out)
		}
	})
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
