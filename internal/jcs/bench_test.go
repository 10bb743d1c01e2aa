package jcs

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"syscall"
	"testing"

	upstream "github.com/gowebpki/jcs"
)

func cpuNS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkCanonicalize compares Canonicalize (fast: fastCanonical, which
// takes all three inputs) with its general path alone (upstream.Transform)
// on what the project canonicalises: an accepted pledge package as
// downloaded, and the decision statement and the notice it carries (both
// re-canonicalised on every package parse). CPU ns per operation
// (getrusage) are reported beside the wall clock.
func BenchmarkCanonicalize(b *testing.B) {
	pkg, err := os.ReadFile("../pledge/testdata/packages/valid-accepted.json")
	if err != nil {
		b.Fatal(err)
	}
	var p struct {
		Notice     struct{ Document string }
		AgencySeal struct{ SealedData string }
	}
	if err := json.Unmarshal(pkg, &p); err != nil {
		b.Fatal(err)
	}
	notice, err1 := base64.StdEncoding.DecodeString(p.Notice.Document)
	decision, err2 := base64.StdEncoding.DecodeString(p.AgencySeal.SealedData)
	if err1 != nil || err2 != nil {
		b.Fatal(err1, err2)
	}
	for _, in := range []struct {
		name string
		data []byte
	}{{"package", pkg}, {"decision", decision}, {"notice", notice}} {
		if _, ok := fastCanonical(in.data); !ok {
			b.Fatalf("%s: the fast path declines it", in.name)
		}
		for _, path := range []struct {
			name string
			f    func([]byte) ([]byte, error)
		}{{"fast", Canonicalize}, {"general", upstream.Transform}} {
			b.Run(in.name+"/"+path.name, func(b *testing.B) {
				b.ReportAllocs()
				c0 := cpuNS()
				for b.Loop() {
					if _, err := path.f(in.data); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(cpuNS()-c0)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
