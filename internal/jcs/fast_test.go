package jcs

import (
	"os"
	"path/filepath"
	"testing"

	upstream "github.com/gowebpki/jcs"
)

// fastSeeds returns the RFC vectors, the pledge package fixtures and the
// pledge document fuzz corpus: the input the fast path is for.
func fastSeeds(t testing.TB) [][]byte {
	var files []string
	for _, g := range []string{"testdata/vectors/*.json", "../pledge/testdata/packages/*.json"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestFastCanonical checks the fast path against the library: where it
// answers, the answer is the library's; where it declines, the general
// parser runs. It also checks that it does answer for the shapes it is for.
func TestFastCanonical(t *testing.T) {
	cases := []struct {
		name string
		in   string
		fast bool // the fast path must answer
	}{
		{"object", ` { "b" : [1, true, null, false, "x"], "a" : {"d":"告知","c":-12} } `, true},
		{"empty", `{"a":{},"b":[]}`, true},
		{"top scalar", `"abc"`, true},
		{"integer limit", `123456789012345`, true},
		{"16 digits", `1234567890123456`, false},
		{"fraction", `1.5`, false},
		{"exponent", `1e3`, false},
		{"minus zero", `-0`, false},
		{"leading zero", `01`, false},
		{"escape", `"a\"b"`, false},
		{"escaped name", `{"\u0061":1}`, false},
		{"non-ASCII name", `{"é":1,"e":2}`, false},
		{"duplicate", `{"a":1,"a":2}`, false},
		{"control", "\"a\x01\"", false},
		{"invalid utf-8", "\"\xff\"", false},
		{"trailing", `{} {}`, false},
		{"trailing comma", `[1,]`, false},
		{"missing colon", `{"a" 1}`, false},
		{"truncated", `{"a":[1`, false},
		{"bad literal", `tru`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, ok := fastCanonical([]byte(c.in))
			if ok != c.fast {
				t.Fatalf("fast path answered %v, want %v", ok, c.fast)
			}
			compareFast(t, []byte(c.in))
			if ok && !IsCanonical(out) {
				t.Fatal("fast output is not canonical")
			}
		})
	}
	// Vectors with escapes and fractions legitimately decline; only the
	// packages must take the fast path (below).
	for _, b := range fastSeeds(t) {
		compareFast(t, b)
	}
	for _, f := range []string{"../pledge/testdata/packages/valid-accepted.json", "../pledge/testdata/packages/valid-signed-own.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := fastCanonical(b); !ok {
			t.Fatalf("%s: the fast path declined a package", f)
		}
	}
}

// compareFast fails when the fast path answers differently from the
// library.
func compareFast(t testing.TB, data []byte) {
	out, ok := fastCanonical(data)
	if !ok {
		return
	}
	want, err := upstream.Transform(data)
	if err != nil {
		t.Fatalf("fast path accepted what the library refuses: %q: %v", data, err)
	}
	if string(out) != string(want) {
		t.Fatalf("fast path differs from the library:\n in   %q\n fast %q\n lib  %q", data, out, want)
	}
}

// FuzzFastCanonical holds the fast path to the library on arbitrary input.
func FuzzFastCanonical(f *testing.F) {
	for _, b := range fastSeeds(f) {
		f.Add(b)
	}
	for _, s := range []string{`{"b":1,"a":[true,false,null]}`, `-0`, `{"a":1,"a":1}`, `[1,2 ,3]`, `{"aa":1,"a":2,"a\u0000":3}`, "\"\u2028\"", `9007199254740993`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxInput || depth(data) > MaxDepth {
			return
		}
		compareFast(t, data)
	})
}
