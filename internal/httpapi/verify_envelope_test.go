package httpapi

import (
	"bytes"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// envelopeSeeds are bodies of POST /v1/verifications, fast-path and not.
var envelopeSeeds = []string{
	`{"package":{"format":"x"}}`,
	" \n{ \"package\" :\t{\"a\":[1,2,{\"b\":null}]} }\r\n",
	`{"package":null}`,
	`{"package":{"a":1},"package":{"b":2}}`,
	`{"package":{"a":1}} {}`,
	`{"package":{"a":1}`,
	`{"Package":{"a":1}}`,
	`{"packages":[{"a":1}]}`,
	`{"package":{"a":"}"}}`,
	`{"package":{}, "x":1}`,
	`{"\u0070ackage":{"a":1}}`,
	``,
	`{}`,
	`{"package":{"a":tru}}`,
	`{"package":{"a":"x\"}"}}`,
	`{"package":{"a":[1}]}}`,
	`{"package":{"a\`,
	`{"package":{"a\"`,
	`{"package":{"a":"\\"}}`,
}

// TestSinglePackageTakesOnlyTheCommonShape: the fast path takes exactly
// the bodies whose only member is a package object, and cuts out the same
// bytes the decoder would.
func TestSinglePackageTakesOnlyTheCommonShape(t *testing.T) {
	cases := []struct {
		body string
		ok   bool
		pkg  string
	}{
		{envelopeSeeds[0], true, `{"format":"x"}`},
		{envelopeSeeds[1], true, `{"a":[1,2,{"b":null}]}`},
		{envelopeSeeds[2], false, ""},
		{envelopeSeeds[3], false, ""},
		{envelopeSeeds[4], false, ""},
		{envelopeSeeds[5], false, ""},
		{envelopeSeeds[6], false, ""},
		{envelopeSeeds[7], false, ""},
		{envelopeSeeds[8], true, `{"a":"}"}`},
		{envelopeSeeds[9], false, ""},
		{envelopeSeeds[13], true, `{"a":tru}`},
		{envelopeSeeds[14], true, `{"a":"x\"}"}`},
	}
	for _, c := range cases {
		pkg, ok := singlePackage([]byte(c.body))
		if ok != c.ok || string(pkg) != c.pkg {
			t.Errorf("%q: got %q, %v; want %q, %v", c.body, pkg, ok, c.pkg, c.ok)
		}
	}
}

// FuzzSinglePackage holds the fast path to the decoder: whenever it takes a
// body that the decoder accepts, both hold the same package bytes; when the
// decoder refuses it (the package is not JSON: a 400 before), the package
// parser must refuse the bytes cut out (a FORMAT_FAILURE report now), so
// no body is accepted that was refused.
func FuzzSinglePackage(f *testing.F) {
	for _, s := range envelopeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		pkg, ok := singlePackage(body)
		if !ok {
			return
		}
		var req verifyRequest
		if err := decodeJSONFrom(bytes.NewReader(body), &req); err != nil {
			if _, perr := pledge.ParsePackage(pkg); perr == nil {
				t.Fatalf("fast path took %q, the decoder refuses it (%v) but the package parser accepts it", body, err)
			}
			return
		}
		if !bytes.Equal(req.Package, pkg) || req.Packages != nil {
			t.Fatalf("fast path cut %q, the decoder read %q / %d packages", pkg, req.Package, len(req.Packages))
		}
	})
}

// envelopeBody is a request the size of a real package (~13 kB, mostly
// base64).
func envelopeBody() []byte {
	b64 := bytes.Repeat([]byte("QUJDRA"), 700)
	return []byte(`{"package":{"format":"pledgeseal/package/v1","document":"` + string(b64) +
		`","applicantSignature":"` + string(b64) + `","notice":{"canonical":"` + string(b64[:2400]) + `"}}}`)
}

// BenchmarkVerifyEnvelope compares reading the body through the fast path
// with the decoder it replaces, on the same bytes.
func BenchmarkVerifyEnvelope(b *testing.B) {
	body := envelopeBody()
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, ok := singlePackage(body); !ok {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("fast+names", func(b *testing.B) { // with the duplicate-name check of the package
		b.ReportAllocs()
		for range b.N {
			pkg, ok := singlePackage(body)
			if !ok || checkPackageNames(pkg) != nil {
				b.Fatal("not taken")
			}
		}
	})
	b.Run("decoder", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var req verifyRequest
			if err := decodeJSONFrom(bytes.NewReader(body), &req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
