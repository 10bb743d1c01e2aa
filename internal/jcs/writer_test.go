package jcs

import (
	"bytes"
	"testing"
	"time"
)

// writerShape is what writeShape writes, for Marshal.
type writerShape struct {
	A string `json:"a"`
	B []any  `json:"b"`
	C struct {
		D any       `json:"d"`
		E time.Time `json:"e"`
	} `json:"c"`
}

func writeShape(w *Writer, s string, n int, b bool, t time.Time) {
	w.Open('{')
	w.Name("a")
	w.String(s)
	w.Name("b")
	w.Open('[')
	w.Elem()
	w.Int(n)
	w.Elem()
	w.Bool(b)
	w.Elem()
	w.Open('[')
	w.Close(']')
	w.Close(']')
	w.Name("c")
	w.Open('{')
	w.Name("d")
	w.Null()
	w.Name("e")
	w.Time(t)
	w.Close('}')
	w.Close('}')
}

// compareWriter fails when the Writer writes something other than Marshal
// of the same value; it reports whether the Writer wrote it.
func compareWriter(t *testing.T, s string, n int, b bool, tm time.Time) bool {
	w := NewWriter(nil)
	writeShape(w, s, n, b, tm)
	got, ok := w.Bytes()
	if !ok {
		return false
	}
	var v writerShape
	v.A, v.B, v.C.E = s, []any{n, b, []any{}}, tm
	want, err := Marshal(v)
	if err != nil {
		t.Fatalf("the Writer wrote %s, Marshal refuses the value: %v", got, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Writer and Marshal differ:\nwriter  %s\nmarshal %s", got, want)
	}
	return true
}

func TestWriterMatchesMarshal(t *testing.T) {
	at := time.Date(2026, 11, 25, 8, 0, 0, 123000000, time.FixedZone("CST", 8*3600))
	for _, c := range []struct {
		s    string
		n    int
		tm   time.Time
		want bool
	}{
		{"告知 \"x\"\n\x01\u2028", -12, at, true},
		{"\xff", 999999999999999, time.Time{}, true},
		{"", 1e15, at, false},
		{"", 0, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), false},
	} {
		if got := compareWriter(t, c.s, c.n, true, c.tm); got != c.want {
			t.Errorf("%q %d %v: written %v, want %v", c.s, c.n, c.tm, got, c.want)
		}
	}
}

// FuzzWriterMatchesMarshal holds the Writer to Marshal on arbitrary
// strings, integers, booleans and times.
func FuzzWriterMatchesMarshal(f *testing.F) {
	f.Add("告知 \"x\"\n", int64(-12), true, int64(1764057600), int64(123))
	f.Add("\xff\x00", int64(1e15), false, int64(-62135596800), int64(0))
	f.Fuzz(func(t *testing.T, s string, n int64, b bool, sec, nsec int64) {
		compareWriter(t, s, int(n), b, time.Unix(sec, nsec).UTC())
	})
}
