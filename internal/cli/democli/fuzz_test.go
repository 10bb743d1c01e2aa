package democli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseTokens: any bytes parse without panic; every token returned is
// one non-empty field, and a line-too-long file is an error, not a panic.
func FuzzParseTokens(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "tokens", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("agency \x00 \xff\n"))
	f.Add(bytes.Repeat([]byte("a"), 70_000))
	f.Fuzz(func(t *testing.T, data []byte) {
		admin, agencies, err := parseTokens(bytes.NewReader(data))
		if err != nil {
			return
		}
		if admin != "" && len(strings.Fields(admin)) != 1 {
			t.Fatalf("admin token %q is not one field", admin)
		}
		for code, tok := range agencies {
			if len(strings.Fields(code)) != 1 || len(strings.Fields(tok)) != 1 {
				t.Fatalf("agency %q token %q not single fields", code, tok)
			}
		}
	})
}
