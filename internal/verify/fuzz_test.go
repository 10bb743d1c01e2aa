package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// FuzzVerify: any bytes give a report with an indication and never a
// panic; a package that does not parse is never TOTAL_PASSED.
func FuzzVerify(f *testing.F) {
	seeds, _ := filepath.Glob("../pledge/testdata/packages/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":"pledgeseal.package/v1"}`))
	f.Add([]byte(`[]`))
	v, err := verify.New(verify.Options{Clock: clock.NewFake(t0)})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r := v.Verify(context.Background(), b, verify.Public())
		if r.Indication == "" || r.Format != verify.Format {
			t.Fatalf("empty report: %+v", r)
		}
		if r.Pledge == nil && r.Indication == outcome.TotalPassed {
			t.Fatal("an unparsed package passed")
		}
	})
}
