package pledge_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// BenchmarkSignWithEventCertificate measures one complete way-(a) signing:
// checks, canonical document, one-time key, event certificate, CMS,
// verification and the atomic store write (real Redis).
func BenchmarkSignWithEventCertificate(b *testing.B) {
	e := newEnv(b)
	e.ready(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		if _, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request(fmt.Sprintf("bench-%08d", i))); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePackage(b *testing.B) {
	pkg, err := os.ReadFile("testdata/packages/valid-accepted.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(pkg)))
	for b.Loop() {
		if _, err := pledge.ParsePackage(pkg); err != nil {
			b.Fatal(err)
		}
	}
}
