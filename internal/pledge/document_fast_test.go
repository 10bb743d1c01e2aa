package pledge

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fixtureDocuments returns the canonical documents of the package fixtures.
func fixtureDocuments(t testing.TB) [][]byte {
	t.Helper()
	files, _ := filepath.Glob("testdata/packages/*.json")
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var p Package
		if err := json.Unmarshal(b, &p); err != nil {
			t.Fatal(err)
		}
		d, err := base64.StdEncoding.DecodeString(p.Document)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		t.Fatal("no fixtures")
	}
	return out
}

// compareDocumentPaths fails when the fast path accepts b and the
// encoding/json path refuses it or decodes something else.
func compareDocumentPaths(t *testing.T, b []byte) (fast bool) {
	t.Helper()
	d, ok := decodeDocumentFast(b)
	if !ok {
		return false
	}
	if again, err := d.Canonical(); err != nil || !bytes.Equal(again, b) {
		return false // not exact: decodeDocumentExact would not take it
	}
	want, ok := decodeDocumentJSON(b)
	if !ok {
		t.Fatalf("fast path accepted what encoding/json refuses: %q", b)
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("fast and encoding/json decodes differ:\nfast %+v\njson %+v", d, want)
	}
	return true
}

// TestDocumentFastPath: the fixture documents and hand-made variants
// decode by the fast path exactly where expected and always as
// encoding/json decodes them.
func TestDocumentFastPath(t *testing.T) {
	for i, doc := range fixtureDocuments(t) {
		full := fullDocument() // a fact value with quotes and a line break: escapes take the JSON path
		canon := func(d Document) []byte {
			b, err := d.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		noLists := fullDocument()
		noLists.Facts, noLists.Statements = nil, nil
		plain := fullDocument()
		plain.Facts[0].Value = "plain value"
		cases := []struct {
			name string
			b    []byte
			fast bool
		}{
			{"fixture", doc, true},
			{"plain document", canon(plain), true},
			{"null lists", canon(noLists), true},
			{"escaped fact value", canon(full), false},
			{"white space", bytes.Replace(doc, []byte(`":`), []byte(`": `), 1), false},
			{"member out of order", bytes.Replace(doc, []byte(`{"agency":`), []byte(`{"zagency":`), 1), false},
			{"trailing data", append(bytes.Clone(doc), ' '), false},
			{"truncated", doc[:len(doc)-1], false},
			{"number as string", bytes.Replace(doc, []byte(`"catalogueVersion":`), []byte(`"catalogueVersion":"`), 1), false},
		}
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%d/%s", i, tc.name), func(t *testing.T) {
				if got := compareDocumentPaths(t, tc.b); got != tc.fast {
					t.Fatalf("fast path taken = %v, want %v", got, tc.fast)
				}
			})
		}
	}
}

// FuzzDocumentFastMatchesJSON is the differential target: whatever the
// fast decoder accepts exactly, encoding/json accepts with an identical
// Document.
func FuzzDocumentFastMatchesJSON(f *testing.F) {
	for _, d := range fixtureDocuments(f) {
		f.Add(d)
		f.Add(bytes.Replace(d, []byte(`"facts":[`), []byte(`"facts":null,"x":[`), 1))
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		compareDocumentPaths(t, b)
		// And the exported parser never panics either way.
		_, _ = ParseDocument(b)
	})
}
