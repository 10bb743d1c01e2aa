// Package jcs owns the RFC 8785 JSON Canonicalization Scheme used for every
// byte string the project hashes or signs as JSON (notices, pledge documents).
// It wraps github.com/gowebpki/jcs (the maintained Go port of the RFC
// authors' implementation) behind a size and depth bound and the project's
// error type. It also holds the project's only hand-written JSON code, each
// piece held to encoding/json by a differential fuzz target: Scanner (plain
// JSON for decoders of fixed shapes), Writer (RFC 8785 for fixed shapes) and
// Canonicalize's fast path. It knows nothing of pledges, keys, HTTP or Redis
// and must not import anything of the project but apperr.
package jcs

import (
	"encoding/json"
	"unicode/utf8"

	upstream "github.com/gowebpki/jcs"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// MaxInput is the largest JSON text Canonicalize accepts (1 MiB). Pledge and
// notice documents are a few kilobytes; anything near this is hostile.
const MaxInput = 1 << 20

// MaxDepth bounds the nesting of arrays and objects.
const MaxDepth = 64

// Canonicalize returns the RFC 8785 canonical form of the JSON text data:
// whitespace removed, object members sorted by their UTF-16 code units,
// strings and numbers serialised as ECMAScript's JSON.stringify does. It
// refuses (apperr.Malformed) invalid JSON, invalid UTF-8, lone surrogates,
// duplicate member names, NaN/Infinity-producing numbers and nesting deeper
// than MaxDepth, and refuses (apperr.TooLarge) input above MaxInput. Numbers
// are IEEE-754 doubles, as I-JSON says: an integer beyond ±2^53 is rounded, so
// documents carry such values as strings.
func Canonicalize(data []byte) ([]byte, error) {
	if len(data) > MaxInput {
		return nil, apperr.New(apperr.TooLarge, "JSON text is larger than %d bytes", MaxInput).WithCode(apperr.CodeJSONTooLarge)
	}
	if depth(data) > MaxDepth {
		return nil, apperr.New(apperr.Malformed, "JSON text is nested deeper than %d levels", MaxDepth).WithCode(apperr.CodeJSONTooDeep)
	}
	if out, ok := fastCanonical(data); ok {
		return out, nil
	}
	out, err := upstream.Transform(data)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "JSON text cannot be canonicalised (RFC 8785): it is not valid I-JSON").WithCode(apperr.CodeJSONInvalid)
	}
	return out, nil
}

// Marshal encodes v with encoding/json and returns its canonical form.
func Marshal(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "value cannot be encoded as JSON")
	}
	return Canonicalize(raw)
}

// IsCanonical reports whether data is already in canonical form.
func IsCanonical(data []byte) bool {
	out, err := Canonicalize(data)
	return err == nil && string(out) == string(data)
}

// FormatNumber serialises f as ECMAScript's Number.prototype.toString does
// (RFC 8785 §3.2.2.3). NaN and ±Infinity have no JSON form and are refused.
func FormatNumber(f float64) (string, error) {
	s, err := upstream.NumberToJSON(f)
	if err != nil {
		return "", apperr.Wrap(apperr.Malformed, err, "number has no JSON form").WithCode(apperr.CodeJSONInvalid)
	}
	return s, nil
}

// depth returns the maximum bracket nesting of data, ignoring brackets inside
// strings. It is a cheap guard run before the recursive parser; malformed
// input is left for the parser to refuse.
func depth(data []byte) int {
	d, maxD := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			d++
			if d > maxD {
				maxD = d
			}
		case c == ']' || c == '}':
			d--
		}
	}
	return maxD
}

// AppendString appends the RFC 8785 serialisation of the string s to dst:
// quotes, the two-character escapes for \b \t \n \f \r " and \\, \u00xx
// (lowercase hex) for the other control characters, every other character
// as itself. Invalid UTF-8 is written as U+FFFD, as encoding/json does
// before Canonicalize sees it, so AppendString(nil, s) equals
// Canonicalize(json.Marshal(s)) for every Go string s. Runs of characters
// that need no escaping are copied whole, which is what makes it faster
// than a round trip through Canonicalize for long base64 members.
func AppendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = append(dst, "\uFFFD"...)
			i++
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
