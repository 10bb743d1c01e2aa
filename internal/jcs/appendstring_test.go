package jcs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// viaLibrary is the reference AppendString must equal: encoding/json, then
// the upstream canonicaliser.
func viaLibrary(t testing.TB, s string) string {
	raw, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Canonicalize(raw)
	if err != nil {
		t.Fatalf("library refused %q: %v", s, err)
	}
	return string(out)
}

// vectorStrings returns every string (member names and values) in the
// RFC 8785 vectors and fixtures.
func vectorStrings(t testing.TB) []string {
	files, err := filepath.Glob("testdata/vectors/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case []any:
			for _, e := range v {
				walk(e)
			}
		case map[string]any:
			for k, e := range v {
				out = append(out, k)
				walk(e)
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walk(v)
	}
	return out
}

func TestAppendString(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", `""`},
		{"base64", "MIIBkzCCATmgAwIBAgIU+/=", `"MIIBkzCCATmgAwIBAgIU+/="`},
		{"short escapes", "\"\\\b\f\n\r\t", `"\"\\\b\f\n\r\t"`},
		{"other controls", "\x00\x01\x1f\x7f", `"\u0000\u0001\u001f` + "\x7f" + `"`},
		{"html kept", "<a&b>", `"<a&b>"`},
		{"line separators kept", "\u2028\u2029", "\"\u2028\u2029\""},
		{"chinese", "告知承诺", `"告知承诺"`},
		{"emoji", "😀", `"😀"`},
		{"invalid utf-8", "a\xffb\xc3", "\"a\uFFFDb\uFFFD\""},
		{"slash kept", "a/b", `"a/b"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := string(AppendString(nil, c.in))
			if got != c.want {
				t.Fatalf("got %q, want %q", got, c.want)
			}
			if ref := viaLibrary(t, c.in); got != ref {
				t.Fatalf("differs from the library: got %q, library %q", got, ref)
			}
		})
	}
	t.Run("vectors", func(t *testing.T) {
		for _, s := range vectorStrings(t) {
			if got, ref := string(AppendString(nil, s)), viaLibrary(t, s); got != ref {
				t.Fatalf("%q: got %q, library %q", s, got, ref)
			}
		}
	})
	t.Run("appends", func(t *testing.T) {
		if got := string(AppendString([]byte("x:"), "y")); got != `x:"y"` {
			t.Fatalf("got %q", got)
		}
	})
}

// FuzzAppendString checks AppendString against encoding/json followed by
// the upstream canonicaliser for arbitrary strings.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "abc", "\x00\x1f\"\\", "\xff\xfe", "\ud7ff", "告知", "😀", "\u2028", "<>&"} {
		f.Add(s)
	}
	for _, s := range vectorStrings(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, ref := string(AppendString(nil, s)), viaLibrary(t, s); got != ref {
			t.Fatalf("%q: got %q, library %q", s, got, ref)
		}
	})
}
