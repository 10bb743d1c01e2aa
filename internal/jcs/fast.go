package jcs

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// fastCanonical canonicalises the common shape of the project's documents
// without the general parser: objects, arrays, true/false/null, strings
// that contain no backslash (so no escape to interpret) and only valid
// UTF-8 at or above U+0020, ASCII member names without duplicates, and
// integers of at most 15 digits (exactly representable, serialised as
// written) other than -0. For such input RFC 8785 changes nothing but the
// whitespace and the member order, so copying each string's bytes is the
// canonical form. Anything else returns ok == false and Canonicalize uses
// the general parser, which also chooses the error. FuzzFastCanonical
// holds it to the general parser.
func fastCanonical(data []byte) (out []byte, ok bool) {
	p := fastParser{in: data}
	out = make([]byte, 0, len(data))
	p.ws()
	out, ok = p.value(out)
	if !ok {
		return nil, false
	}
	p.ws()
	if p.i != len(p.in) {
		return nil, false
	}
	return out, true
}

type fastParser struct {
	in []byte
	i  int
}

func (p *fastParser) ws() {
	for p.i < len(p.in) {
		switch p.in[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *fastParser) value(out []byte) ([]byte, bool) {
	if p.i >= len(p.in) {
		return nil, false
	}
	switch c := p.in[p.i]; {
	case c == '{':
		return p.object(out)
	case c == '[':
		return p.array(out)
	case c == '"':
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, '"')
		out = append(out, s...)
		return append(out, '"'), true
	case c == 't':
		return p.literal(out, "true")
	case c == 'f':
		return p.literal(out, "false")
	case c == 'n':
		return p.literal(out, "null")
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number(out)
	}
	return nil, false
}

func (p *fastParser) literal(out []byte, lit string) ([]byte, bool) {
	if !bytes.HasPrefix(p.in[p.i:], []byte(lit)) {
		return nil, false
	}
	p.i += len(lit)
	return append(out, lit...), true
}

// number accepts -?(0|[1-9][0-9]{0,14}) except -0.
func (p *fastParser) number(out []byte) ([]byte, bool) {
	start := p.i
	if p.in[p.i] == '-' {
		p.i++
	}
	digits := p.i
	for p.i < len(p.in) && p.in[p.i] >= '0' && p.in[p.i] <= '9' {
		p.i++
	}
	n := p.i - digits
	if n == 0 || n > 15 || (n > 1 && p.in[digits] == '0') || (digits > start && p.in[digits] == '0') {
		return nil, false
	}
	if p.i < len(p.in) {
		switch p.in[p.i] {
		case '.', 'e', 'E':
			return nil, false
		}
	}
	return append(out, p.in[start:p.i]...), true
}

// str reads a string without a backslash or a control character and with
// valid UTF-8, and returns its bytes between the quotes.
func (p *fastParser) str() ([]byte, bool) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.in) {
		c := p.in[p.i]
		switch {
		case c == '"':
			s := p.in[start:p.i]
			p.i++
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			p.i++
		default:
			r, size := utf8.DecodeRune(p.in[p.i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, false
			}
			p.i += size
		}
	}
	return nil, false
}

func (p *fastParser) array(out []byte) ([]byte, bool) {
	p.i++
	out = append(out, '[')
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == ']' {
		p.i++
		return append(out, ']'), true
	}
	for {
		p.ws()
		var ok bool
		if out, ok = p.value(out); !ok {
			return nil, false
		}
		p.ws()
		if p.i >= len(p.in) {
			return nil, false
		}
		switch p.in[p.i] {
		case ',':
			p.i++
			out = append(out, ',')
		case ']':
			p.i++
			return append(out, ']'), true
		default:
			return nil, false
		}
	}
}

type fastMember struct {
	name  []byte
	value []byte
}

func (p *fastParser) object(out []byte) ([]byte, bool) {
	p.i++
	p.ws()
	if p.i < len(p.in) && p.in[p.i] == '}' {
		p.i++
		return append(out, '{', '}'), true
	}
	var members []fastMember
	for {
		p.ws()
		if p.i >= len(p.in) || p.in[p.i] != '"' {
			return nil, false
		}
		name, ok := p.str()
		if !ok {
			return nil, false
		}
		for _, c := range name {
			if c >= utf8.RuneSelf {
				return nil, false // non-ASCII names: UTF-16 order, general parser
			}
		}
		p.ws()
		if p.i >= len(p.in) || p.in[p.i] != ':' {
			return nil, false
		}
		p.i++
		p.ws()
		v, ok := p.value(nil)
		if !ok {
			return nil, false
		}
		members = append(members, fastMember{name, v})
		p.ws()
		if p.i >= len(p.in) {
			return nil, false
		}
		if p.in[p.i] == '}' {
			p.i++
			break
		}
		if p.in[p.i] != ',' {
			return nil, false
		}
		p.i++
	}
	slices.SortFunc(members, func(a, b fastMember) int { return bytes.Compare(a.name, b.name) })
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			if bytes.Equal(members[i-1].name, m.name) {
				return nil, false // duplicate: the general parser refuses it
			}
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, m.name...)
		out = append(out, '"', ':')
		out = append(out, m.value...)
	}
	return append(out, '}'), true
}
