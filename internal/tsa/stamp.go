package tsa

import (
	"context"

	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// Source gives time-stamp tokens over data: the built-in Authority or a
// Client of an external TSA.
type Source interface {
	// Stamp returns a DER time-stamp token whose message imprint is the
	// SM3 of data, with the TSA certificate in it.
	Stamp(ctx context.Context, data []byte) ([]byte, error)
}

// Stamp implements Source with this authority: one serial (one Redis
// INCR) and one SM2 signature, no network.
func (a *Authority) Stamp(ctx context.Context, data []byte) ([]byte, error) {
	d := pki.Digest(data)
	return a.Token(ctx, &Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true})
}
