package jcs

import (
	"bytes"
	"slices"
	"strconv"
	"unicode/utf8"
)

// fastCanonical canonicalises the common shape of the project's documents
// without the general parser: what a Scanner reads (objects, arrays,
// true/false/null, strings without escapes or control characters and with
// valid UTF-8), with ASCII member names without duplicates and integers of
// at most 15 digits (exactly representable, serialised as written). For
// such input RFC 8785 changes nothing but the whitespace and the member
// order, so copying each string's bytes is the canonical form. Anything
// else returns ok == false and Canonicalize uses the general parser, which
// also chooses the error. FuzzFastCanonical holds it to the general parser.
func fastCanonical(data []byte) (out []byte, ok bool) {
	s := NewScanner(data)
	out = fastValue(s, make([]byte, 0, len(data)))
	if !s.Done() {
		return nil, false
	}
	return out, true
}

// fastValue appends the canonical form of the value s reads next.
func fastValue(s *Scanner, out []byte) []byte {
	switch c := s.Peek(); {
	case c == '{':
		return fastObject(s, out)
	case c == '[':
		s.Token("[")
		out = append(out, '[')
		if s.Try("]") {
			return append(out, ']')
		}
		for s.OK() {
			out = fastValue(s, out)
			if !s.Try(",") {
				s.Token("]")
				break
			}
			out = append(out, ',')
		}
		return append(out, ']')
	case c == '"':
		out = append(out, '"')
		out = append(out, s.RawString()...)
		return append(out, '"')
	case c == 't' || c == 'f':
		return strconv.AppendBool(out, s.Bool())
	case c == 'n':
		s.Token("null")
		return append(out, "null"...)
	case c == '-' || (c >= '0' && c <= '9'):
		v := s.Int()
		if v <= -1e15 || v >= 1e15 {
			s.Fail() // 16 digits or more: the general parser rounds it as a double
		}
		return strconv.AppendInt(out, int64(v), 10)
	}
	s.Fail()
	return out
}

type fastMember struct {
	name  []byte
	value []byte
}

// fastObject appends the object s reads next with its members sorted.
func fastObject(s *Scanner, out []byte) []byte {
	var members []fastMember
	s.Object(func(name []byte) {
		for _, c := range name {
			if c >= utf8.RuneSelf {
				s.Fail() // non-ASCII names: UTF-16 order, general parser
				return
			}
		}
		members = append(members, fastMember{name, fastValue(s, nil)})
	})
	if !s.OK() {
		return out
	}
	slices.SortFunc(members, func(a, b fastMember) int { return bytes.Compare(a.name, b.name) })
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			if bytes.Equal(members[i-1].name, m.name) {
				s.Fail() // duplicate: the general parser refuses it
				return out
			}
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, m.name...)
		out = append(out, '"', ':')
		out = append(out, m.value...)
	}
	return append(out, '}')
}
