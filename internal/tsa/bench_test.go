package tsa_test

import (
	"context"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// countingSerials counts serial requests (each is one Redis INCR in store).
type countingSerials struct {
	tsa.Serials
	n int
}

func (c *countingSerials) NextTSASerial(ctx context.Context) (int64, error) {
	c.n++
	return c.Serials.NextTSASerial(ctx)
}

// countingSigner counts SM2 signatures.
type countingSigner struct {
	pki.Signer
	n int
}

func (c *countingSigner) SignMessage(m []byte) ([]byte, error) {
	c.n++
	return c.Signer.SignMessage(m)
}

// BenchmarkToken is one granted token over real Redis: one INCR and one SM2
// signature (reported per op as serials/op and sm2/op).
func BenchmarkToken(b *testing.B) {
	clk := clock.NewFake(t0)
	m := newMaterial(b, pki.TimeStampingExtension())
	serials := &countingSerials{Serials: newStore(b, clk)}
	signer := &countingSigner{Signer: pki.NewKeySigner(m.key)}
	a, err := tsa.New(tsa.Config{Cert: m.cert, Signer: signer, Policy: policy, Serials: serials, Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	d := pki.Digest([]byte("x"))
	req := &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true}
	b.ResetTimer()
	for range b.N {
		if _, err := a.Token(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(serials.n)/float64(b.N), "serials/op")
	b.ReportMetric(float64(signer.n)/float64(b.N), "sm2/op")
}
