package ses

import (
	"context"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

func BenchmarkParseSignature(b *testing.B) {
	der := readFile(b, "testdata/aztsign-v4.sign0.dat")
	b.SetBytes(int64(len(der)))
	for b.Loop() {
		if _, err := ParseSignature(der); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseSeal(b *testing.B) {
	der := readFile(b, "testdata/ofdrw-UserV4.esl")
	b.SetBytes(int64(len(der)))
	for b.Loop() {
		if _, err := ParseSeal(der); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSetup(b *testing.B) (*testPKI, *Seal, *Signature) {
	p := newTestPKI(b, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(b, clk)
	return p, seal, p.sign(b, seal, []byte("d"), clk)
}

// BenchmarkVerifySeal/cold uses a fresh Verifier each time (every SM2 check
// and chain build runs); /cached shares one (the cache answers).
func BenchmarkVerifySeal(b *testing.B) {
	p, seal, _ := benchSetup(b)
	at := t0.Add(2 * time.Hour)
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			v := NewVerifier(Options{SealTrust: p.trust})
			if r := v.VerifySeal(context.Background(), seal, at); r.Indication != outcome.TotalPassed {
				b.Fatal(r.Indication)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		v := NewVerifier(Options{SealTrust: p.trust})
		for b.Loop() {
			if r := v.VerifySeal(context.Background(), seal, at); r.Indication != outcome.TotalPassed {
				b.Fatal(r.Indication)
			}
		}
		st := v.Stats()
		b.ReportMetric(float64(st.SM2Performed)/float64(b.N), "sm2/op")
	})
}

// BenchmarkVerifySignature: many signatures over one seal; /cached reuses
// the seal and chain results, so only the signer signature costs SM2.
func BenchmarkVerifySignature(b *testing.B) {
	p, _, sig := benchSetup(b)
	in := Input{Data: []byte("d"), HasData: true}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			v := NewVerifier(Options{SealTrust: p.trust})
			if r := v.VerifySignature(context.Background(), sig, in); r.Indication != outcome.TotalPassed {
				b.Fatal(r.Indication)
			}
		}
	})
	b.Run("cached", func(b *testing.B) {
		v := NewVerifier(Options{SealTrust: p.trust})
		for b.Loop() {
			if r := v.VerifySignature(context.Background(), sig, in); r.Indication != outcome.TotalPassed {
				b.Fatal(r.Indication)
			}
		}
		st := v.Stats()
		b.ReportMetric(float64(st.SM2Performed)/float64(b.N), "sm2/op")
	})
}
