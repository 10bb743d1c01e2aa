package jcs

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// scanAny reads any value a Scanner reads, as encoding/json decodes it into
// an interface (json.Number for numbers); objects with a repeated name are
// refused, as every decoder built on the Scanner refuses them.
func scanAny(s *Scanner) any {
	switch c := s.Peek(); {
	case c == '{':
		m := map[string]any{}
		s.Object(func(name []byte) {
			if _, dup := m[string(name)]; dup {
				s.Fail()
				return
			}
			m[string(name)] = scanAny(s)
		})
		return m
	case c == '[':
		out := []any{}
		s.Token("[")
		if s.Try("]") {
			return out
		}
		for s.OK() {
			out = append(out, scanAny(s))
			if !s.Try(",") {
				s.Token("]")
				break
			}
		}
		return out
	case c == '"':
		return s.String()
	case c == 't' || c == 'f':
		return s.Bool()
	case c == 'n':
		s.Token("null")
		return nil
	default:
		return json.Number(strconv.Itoa(s.Int()))
	}
}

// compareScanner fails when the Scanner reads data and encoding/json does
// not, or reads something else. It reports whether the Scanner read it.
func compareScanner(t testing.TB, data []byte) bool {
	s := NewScanner(data)
	got := scanAny(s)
	if !s.Done() {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var want any
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("the Scanner read %q, encoding/json refuses it: %v", data, err)
	}
	if dec.More() || dec.InputOffset() != int64(len(bytes.TrimRight(data, " \t\r\n"))) {
		t.Fatalf("the Scanner read %q whole, encoding/json finds more after the value", data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the Scanner and encoding/json read %q differently:\nscanner %#v\njson    %#v", data, got, want)
	}
	return true
}

// scannerSeeds are the shapes the Scanner is for and the edges it refuses.
var scannerSeeds = []struct {
	in   string
	read bool
}{
	{` { "b" : [1, true, null, false, "x"], "a" : {"d":"告知","c":-12} } `, true},
	{`{"a":{},"b":[],"c":""}`, true},
	{`"abc"`, true},
	{`[0,-1,9223372036854775807]`, true},
	{`9223372036854775808`, false},
	{`1.5`, false},
	{`1e3`, false},
	{`-0`, false},
	{`01`, false},
	{`"a\"b"`, false},
	{`{"\u0061":1}`, false},
	{`{"a":1,"a":2}`, false},
	{"\"a\x01\"", false},
	{"\"\xff\"", false},
	{"\"\u2028\"", true},
	{`{} {}`, false},
	{`[1,]`, false},
	{`{"a":1,}`, false},
	{`{"a" 1}`, false},
	{`{"a":[1`, false},
	{`tru`, false},
	{`truefalse`, false},
	{`[true false]`, false},
	{``, false},
	{`nul`, false},
	{`-`, false},
}

func TestScannerMatchesJSON(t *testing.T) {
	for _, c := range scannerSeeds {
		if got := compareScanner(t, []byte(c.in)); got != c.read {
			t.Errorf("%q: the Scanner read it: %v, want %v", c.in, got, c.read)
		}
	}
	for _, b := range fastSeeds(t) {
		compareScanner(t, b)
	}
}

// TestScannerReads covers the typed reads a decoder of a fixed shape uses.
func TestScannerReads(t *testing.T) {
	s := NewScanner([]byte(` {"s": "x", "a": ["p", "q"], "e": [], "t": "2026-11-25T08:00:00Z", "n": 42, "b": false} `))
	var (
		str, tm    string
		arr, empty []string
		n          int
		b          = true
	)
	s.Object(func(name []byte) {
		switch string(name) {
		case "s":
			str = s.String()
		case "a":
			arr = s.Strings()
		case "e":
			empty = s.Strings()
		case "t":
			var v time.Time
			if err := v.UnmarshalJSON(s.QuotedString()); err != nil {
				s.Fail()
			}
			tm = v.Format(time.RFC3339)
		case "n":
			n = s.Int()
		case "b":
			b = s.Bool()
		default:
			s.Fail()
		}
	})
	if !s.Done() || str != "x" || !reflect.DeepEqual(arr, []string{"p", "q"}) || empty == nil || len(empty) != 0 ||
		tm != "2026-11-25T08:00:00Z" || n != 42 || b {
		t.Fatalf("read %v %q %q %q %q %d %v", s.OK(), str, arr, empty, tm, n, b)
	}
	for _, bad := range []string{`["a",1]`, `["a",]`, `null`, `["a"`} {
		if s := NewScanner([]byte(bad)); s.Strings() != nil || s.Done() {
			t.Errorf("Strings read %q", bad)
		}
	}
	s = NewScanner([]byte(`{"a":1}`))
	s.Object(func([]byte) { s.Fail() })
	if s.OK() || s.Peek() != 0 || s.String() != "" || s.Int() != 0 || s.Bool() {
		t.Fatal("a failed Scanner still reads")
	}
}

// FuzzScannerMatchesJSON holds the Scanner to encoding/json on arbitrary
// input: whatever it reads, encoding/json reads too, as the same value.
func FuzzScannerMatchesJSON(f *testing.F) {
	for _, c := range scannerSeeds {
		f.Add([]byte(c.in))
	}
	for _, b := range fastSeeds(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > MaxInput || depth(data) > MaxDepth {
			return
		}
		compareScanner(t, data)
	})
}
