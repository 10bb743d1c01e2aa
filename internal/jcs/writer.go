package jcs

import (
	"strconv"
	"time"
)

// Writer appends the RFC 8785 form of a value of a fixed shape without
// encoding/json and a second canonicalisation: the caller writes the
// members of each object in sorted order (with ASCII names byte order is
// UTF-16 order), and a value the Writer cannot write exactly as Marshal
// would (an integer of 16 digits or more, a time encoding/json refuses)
// clears OK, so the caller takes Marshal instead. Every decoder shape built
// on it is held to Marshal by its own test (pledge's FuzzCanonicalDocument);
// FuzzWriterMatchesMarshal holds the Writer's values to Marshal.
type Writer struct {
	b   []byte
	bad bool
	sep bool // a member or element was written at this level
}

// NewWriter returns a Writer appending to dst.
func NewWriter(dst []byte) *Writer { return &Writer{b: dst} }

// Bytes returns what was written and whether it is exactly Marshal's form.
func (w *Writer) Bytes() ([]byte, bool) { return w.b, !w.bad }

// Open starts an object ('{') or an array ('[').
func (w *Writer) Open(c byte) {
	w.b = append(w.b, c)
	w.sep = false
}

// Close ends an object ('}') or an array (']').
func (w *Writer) Close(c byte) {
	w.b = append(w.b, c)
	w.sep = true
}

// Name starts the member n (an ASCII name without escapes) of an object.
func (w *Writer) Name(n string) {
	if w.sep {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, n...)
	w.b = append(w.b, '"', ':')
	w.sep = false
}

// Elem starts the next element of an array.
func (w *Writer) Elem() {
	if w.sep {
		w.b = append(w.b, ',')
	}
	w.sep = false
}

// String writes v (AppendString).
func (w *Writer) String(v string) {
	w.b = AppendString(w.b, v)
	w.sep = true
}

// Int writes v as written when it has at most 15 digits, where the
// canonical form of the number is its decimal form; a larger value clears
// OK.
func (w *Writer) Int(v int) {
	if v <= -1e15 || v >= 1e15 {
		w.bad = true
	}
	w.b = strconv.AppendInt(w.b, int64(v), 10)
	w.sep = true
}

// Bool writes true or false.
func (w *Writer) Bool(v bool) {
	w.b = strconv.AppendBool(w.b, v)
	w.sep = true
}

// Null writes null.
func (w *Writer) Null() {
	w.b = append(w.b, "null"...)
	w.sep = true
}

// Time writes t as encoding/json does (RFC 3339 with nanoseconds as
// needed); a time it refuses clears OK.
func (w *Writer) Time(t time.Time) {
	b, err := t.MarshalJSON()
	if err != nil {
		w.bad = true
		return
	}
	w.b = append(w.b, b...)
	w.sep = true
}
