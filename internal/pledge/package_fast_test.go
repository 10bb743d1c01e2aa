package pledge

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fastVariants are hand-made edits of a valid package that probe the edge
// of the fast decoder's shape; each says whether the fast path must take it.
func fastVariants(t testing.TB, valid []byte) []struct {
	name string
	b    []byte
	fast bool
} {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(valid, &m); err != nil {
		t.Fatal(err)
	}
	enc := func(edit func(m map[string]any)) []byte {
		c := map[string]any{}
		raw, _ := json.Marshal(m)
		_ = json.Unmarshal(raw, &c)
		edit(c)
		out, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	compact := enc(func(map[string]any) {})
	return []struct {
		name string
		b    []byte
		fast bool
	}{
		{"as built (indented)", valid, true},
		{"compact, sorted", compact, true},
		{"white space around everything", bytes.ReplaceAll(bytes.ReplaceAll(compact, []byte(`":`), []byte("\" \t:\r\n ")), []byte(`",`), []byte("\"\n , ")), true},
		{"no agency seal", enc(func(m map[string]any) { delete(m, "agencySeal") }), true},
		{"empty certificates", enc(func(m map[string]any) { m["certificates"] = []any{} }), true},
		{"null certificates", enc(func(m map[string]any) { m["certificates"] = nil }), false},
		{"null agency seal", enc(func(m map[string]any) { m["agencySeal"] = nil }), false},
		{"unknown member", enc(func(m map[string]any) { m["extra"] = "x" }), false},
		{"case-folded name", bytes.Replace(compact, []byte(`"format"`), []byte(`"Format"`), 1), false},
		{"escaped name", bytes.Replace(compact, []byte(`"format"`), []byte(`"form\u0061t"`), 1), false},
		{"escaped value", bytes.Replace(compact, []byte(`"pledgeseal.package/v1"`), []byte(`"pledgeseal.package\/v1"`), 1), false},
		{"duplicate member", append([]byte(`{"format":"x",`), compact[1:]...), false},
		{"duplicate nested member", bytes.Replace(compact, []byte(`"way":`), []byte(`"cms":"","way":`), 1), false},
		{"missing member", enc(func(m map[string]any) { delete(m, "statusUrl") }), false},
		{"missing nested member", enc(func(m map[string]any) { delete(m["notice"].(map[string]any), "ses") }), false},
		{"number value", enc(func(m map[string]any) { m["pledgeId"] = 7 }), false},
		{"trailing data", append(append([]byte{}, compact...), []byte(" {}")...), false},
		{"trailing comma", bytes.Replace(compact, []byte(`]`), []byte(`,]`), 1), false},
		{"invalid UTF-8", bytes.Replace(compact, []byte(`"pledgeseal.package/v1"`), []byte("\"pledgeseal.package/v1\xff\""), 1), false},
		{"control character", bytes.Replace(compact, []byte(`"pledgeseal.package/v1"`), []byte("\"pledgeseal.package/v1\x01\""), 1), false},
		{"non-ASCII value", bytes.Replace(compact, []byte(`"documentNo":"`), []byte(`"documentNo":"决定〔2026〕`), 1), true},
		{"U+2028 in a value", bytes.Replace(compact, []byte(`"documentNo":"`), []byte("\"documentNo\":\"\u2028"), 1), true},
		{"truncated", compact[:len(compact)-1], false},
		{"array", []byte(`[]`), false},
		{"empty", nil, false},
	}
}

// TestPackageFastPath checks which shapes take the fast decoder and that
// every one it takes decodes as the full path does.
func TestPackageFastPath(t *testing.T) {
	files, _ := filepath.Glob("testdata/packages/*.json")
	if len(files) == 0 {
		t.Fatal("no package fixtures")
	}
	for _, f := range files {
		valid, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range fastVariants(t, valid) {
			t.Run(filepath.Base(f)+"/"+v.name, func(t *testing.T) {
				_, ok := decodePackageFast(v.b)
				if ok != v.fast {
					t.Fatalf("fast path taken = %v, want %v", ok, v.fast)
				}
				comparePackagePaths(t, v.b)
			})
		}
	}
}

// comparePackagePaths fails when the fast decoder accepts b and the full
// path refuses it or decodes something else.
func comparePackagePaths(t *testing.T, b []byte) {
	t.Helper()
	fast, ok := decodePackageFast(b)
	if !ok {
		return
	}
	full, err := decodePackageFull(b)
	if err != nil {
		t.Fatalf("fast path accepted what the full path refuses: %v\n%q", err, b)
	}
	if !reflect.DeepEqual(fast, full) {
		t.Fatalf("fast and full decodes differ:\nfast %+v\nfull %+v", fast, full)
	}
}

// FuzzPackageFastMatchesFull is the differential target: whatever the fast
// decoder accepts, the full path (canonicalise, encoding/json, exact
// re-encoding) accepts with an identical Package.
func FuzzPackageFastMatchesFull(f *testing.F) {
	files, _ := filepath.Glob("testdata/packages/*.json")
	for _, file := range files {
		valid, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, v := range fastVariants(f, valid) {
			f.Add(v.b)
		}
	}
	f.Add([]byte(`{"format":"a","pledgeId":"b","document":"c","applicantSignature":{"cms":"d","way":"e"},"notice":{"document":"f","ses":"g"},"certificates":[],"statusUrl":"h"}`))
	f.Add([]byte(strings.Repeat(" ", 3) + `{"certificates":["\u00e9"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		comparePackagePaths(t, b)
	})
}
