package jcs

import (
	"bytes"
	"strconv"
	"unicode/utf8"
)

// Scanner reads plain JSON for decoders of fixed shapes that want to skip
// encoding/json on their common input: objects, arrays, true, false, null,
// integers, and strings without a backslash or a control character and
// with valid UTF-8, with JSON white space between tokens. It checks the
// grammar of what it reads and nothing more: member names are handed to
// the caller (which decides what is known and refuses duplicates). The
// first token it cannot read clears OK and every later read is a no-op
// returning zero values, so a decoder reads a whole shape and checks OK
// (or Done) once. A refused input is not necessarily invalid JSON (an
// escape, a fraction): the caller then takes its encoding/json path, which
// also chooses the error. Whenever a Scanner reads a value, encoding/json
// reads the same value from the same bytes (FuzzScannerMatchesJSON).
type Scanner struct {
	in  []byte
	i   int
	bad bool
}

// NewScanner returns a Scanner at the start of b.
func NewScanner(b []byte) *Scanner { return &Scanner{in: b} }

// OK reports whether every read so far succeeded.
func (s *Scanner) OK() bool { return !s.bad }

// Fail marks the input as refused (a decoder found a name or value it does
// not take).
func (s *Scanner) Fail() { s.bad = true }

// Done reports whether every read succeeded and only white space follows.
func (s *Scanner) Done() bool {
	s.ws()
	return !s.bad && s.i == len(s.in)
}

// Peek returns the next byte after white space, or 0 at the end or after a
// failure.
func (s *Scanner) Peek() byte {
	s.ws()
	if s.bad || s.i >= len(s.in) {
		return 0
	}
	return s.in[s.i]
}

func (s *Scanner) ws() {
	for s.i < len(s.in) {
		switch s.in[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// Token consumes tok (punctuation, or several tokens written without white
// space, such as `{"name":`) after white space, or fails.
func (s *Scanner) Token(tok string) {
	if !s.Try(tok) {
		s.bad = true
	}
}

// Try consumes tok after white space if it comes next, and reports whether
// it did; it never fails the Scanner.
func (s *Scanner) Try(tok string) bool {
	s.ws()
	if !s.bad && bytes.HasPrefix(s.in[s.i:], []byte(tok)) {
		s.i += len(tok)
		return true
	}
	return false
}

// RawString reads a string and returns the bytes between its quotes
// (a sub-slice of the input).
func (s *Scanner) RawString() []byte {
	if s.Peek() != '"' {
		s.bad = true
		return nil
	}
	s.i++
	start := s.i
	for s.i < len(s.in) {
		c := s.in[s.i]
		switch {
		case c == '"':
			out := s.in[start:s.i]
			s.i++
			return out
		case c == '\\' || c < 0x20:
			s.bad = true
			return nil
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.in[s.i:])
			if r == utf8.RuneError && size <= 1 {
				s.bad = true
				return nil
			}
			s.i += size
		}
	}
	s.bad = true
	return nil
}

// QuotedString reads a string and returns it with its quotes, as
// json.Unmarshaler implementations (time.Time) take it.
func (s *Scanner) QuotedString() []byte {
	if s.Peek() != '"' {
		s.bad = true
		return nil
	}
	start := s.i
	if s.RawString(); s.bad {
		return nil
	}
	return s.in[start:s.i]
}

// String reads a string.
func (s *Scanner) String() string { return string(s.RawString()) }

// Strings reads an array of strings (possibly empty, never null).
func (s *Scanner) Strings() []string {
	s.Token("[")
	if s.bad {
		return nil
	}
	out := []string{}
	if s.Try("]") {
		return out
	}
	for !s.bad {
		out = append(out, s.String())
		if !s.Try(",") {
			s.Token("]")
			break
		}
	}
	if s.bad {
		return nil
	}
	return out
}

// Int reads an integer, -?(0|[1-9][0-9]*) but not -0, that fits an int and
// is not followed by a fraction or an exponent.
func (s *Scanner) Int() int {
	s.ws()
	if s.bad {
		return 0
	}
	start := s.i
	if s.i < len(s.in) && s.in[s.i] == '-' {
		s.i++
	}
	digits := s.i
	for s.i < len(s.in) && s.in[s.i] >= '0' && s.in[s.i] <= '9' {
		s.i++
	}
	n := s.i - digits
	if n == 0 || (s.in[digits] == '0' && (n > 1 || digits > start)) {
		s.bad = true
		return 0
	}
	if s.i < len(s.in) && (s.in[s.i] == '.' || s.in[s.i] == 'e' || s.in[s.i] == 'E') {
		s.bad = true
		return 0
	}
	v, err := strconv.Atoi(string(s.in[start:s.i]))
	if err != nil {
		s.bad = true
		return 0
	}
	return v
}

// Bool reads true or false.
func (s *Scanner) Bool() bool {
	if s.Try("true") {
		return true
	}
	s.Token("false")
	return false
}

// Object reads an object. For each member it reads the name and calls
// member, which must read the value (with the Scanner's methods) or fail
// the Scanner; member names arrive in input order, duplicates included.
func (s *Scanner) Object(member func(name []byte)) {
	s.Token("{")
	if s.bad || s.Try("}") {
		return
	}
	for !s.bad {
		name := s.RawString()
		s.Token(":")
		if s.bad {
			return
		}
		member(name)
		if !s.Try(",") {
			s.Token("}")
			return
		}
	}
}
