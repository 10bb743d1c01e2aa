package pledge

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"syscall"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/jcs"
)

// The fast paths of this package against their encoding/json twins, each
// inside the whole operation it serves (docs/performance.md, "Hand-written
// JSON scanners"). CPU ns per operation (getrusage) are reported beside the
// wall clock: on a shared machine they move less with the other load.

func cpuNS() int64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func benchCPU(b *testing.B, op func() error) {
	b.ReportAllocs()
	c0 := cpuNS()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuNS()-c0)/float64(b.N), "cpu-ns/op")
}

// BenchmarkParsePackageDecode: ParsePackage with the package decoded by
// decodePackageFast (fast) or by decodePackageFull (json: canonicalise,
// encoding/json, re-encode), then checked alike.
func BenchmarkParsePackageDecode(b *testing.B) {
	for _, file := range []string{"valid-accepted", "valid-signed-own"} {
		pkg, err := os.ReadFile("testdata/packages/" + file + ".json")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(file+"/fast", func(b *testing.B) {
			benchCPU(b, func() error { _, err := ParsePackage(pkg); return err })
		})
		b.Run(file+"/json", func(b *testing.B) {
			benchCPU(b, func() error {
				p, err := decodePackageFull(pkg)
				if err == nil {
					_, err = checkPackage(p, nil)
				}
				return err
			})
		})
	}
}

// BenchmarkParseDocumentDecode: ParseDocument (fast: decodeDocumentFast,
// exact by re-encoding) against its encoding/json twin
// (decodeDocumentJSON), then checked alike; and the document's canonical
// form written by appendCanonicalDocument (Document.Canonical) or
// jcs.Marshal.
func BenchmarkParseDocumentDecode(b *testing.B) {
	raw, err := os.ReadFile("testdata/packages/valid-accepted.json")
	if err != nil {
		b.Fatal(err)
	}
	var p Package
	if err := json.Unmarshal(raw, &p); err != nil {
		b.Fatal(err)
	}
	doc, err := base64.StdEncoding.DecodeString(p.Document)
	if err != nil {
		b.Fatal(err)
	}
	d, err := ParseDocument(doc)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse/fast", func(b *testing.B) {
		benchCPU(b, func() error { _, err := ParseDocument(doc); return err })
	})
	b.Run("parse/json", func(b *testing.B) {
		benchCPU(b, func() error {
			d, ok := decodeDocumentJSON(doc)
			if !ok {
				b.Fatal("not exact")
			}
			_, err := checkDocument(d)
			return err
		})
	})
	b.Run("canonical/writer", func(b *testing.B) {
		benchCPU(b, func() error { _, err := d.Canonical(); return err })
	})
	b.Run("canonical/marshal", func(b *testing.B) {
		benchCPU(b, func() error { _, err := jcs.Marshal(d); return err })
	})
}
