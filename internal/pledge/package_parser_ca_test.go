package pledge

import (
	"reflect"
	"testing"
)

// TestPackageParserKeepsCACertificates: CA certificates of a package are
// parsed once and shared, leaf certificates are parsed every time, and the
// result equals ParsePackage's.
func TestPackageParserKeepsCACertificates(t *testing.T) {
	b := readPackage(t, "valid-accepted.json")
	want, err := ParsePackage(b)
	if err != nil {
		t.Fatal(err)
	}
	pp := NewPackageParser(4)
	first, err := pp.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	second, err := pp.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(second, want) {
		t.Fatal("cached parse differs from ParsePackage")
	}
	cas := 0
	for i, c := range second.Certificates {
		shared := c == first.Certificates[i]
		if shared != c.IsCA {
			t.Fatalf("certificate %d (CA %v) shared between parses: %v", i, c.IsCA, shared)
		}
		if c.IsCA {
			cas++
		}
	}
	if cas == 0 || len(pp.cas) != cas || len(pp.caOrder) != cas {
		t.Fatalf("fixture CA certificates %d, kept %d (order %d)", cas, len(pp.cas), len(pp.caOrder))
	}
	// A certificate that does not parse is refused every time, never kept.
	for range 2 {
		if _, err := pp.certificate([]byte{0x30, 0x03, 0x02, 0x01, 0x01}); err == nil {
			t.Fatal("garbage accepted")
		}
	}
	if len(pp.cas) != cas {
		t.Fatal("a refused certificate was kept")
	}
}
