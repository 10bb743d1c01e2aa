package pki

import (
	"errors"
	"fmt"
)

// BER input (indefinite lengths, as BouncyCastle writes CMS) is read by
// converting it to DER first. The conversion changes only what BER allows
// and DER forbids:
//
//   - an indefinite length (0x80 … 00 00) becomes the definite length;
//   - a definite length in more bytes than needed becomes minimal;
//   - a constructed OCTET STRING (0x24, chunks) becomes one primitive
//     OCTET STRING holding the chunks' contents in order.
//
// Every element already in DER is copied byte for byte, so signed
// attributes written in DER inside a BER SignedData (BouncyCastle writes
// them so, as it must sign their DER) are hashed exactly as found. Signed
// attributes that are themselves BER are hashed as their DER, which is what
// RFC 5652 §5.4 says is signed.

// ErrBER reports input that is not valid BER (or uses a form not supported:
// tag numbers above 30, lengths over 2^31).
var ErrBER = errors.New("pki: invalid BER")

// maxBERDepth bounds the nesting of constructed elements.
const maxBERDepth = 64

// BERToDER converts one BER element (the whole of b) to DER as described
// above. It is the parser's job to then read the DER.
func BERToDER(b []byte) ([]byte, error) {
	out, rest, err := berElement(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the element", ErrBER, len(rest))
	}
	return out, nil
}

// berHeader reads an element's identifier and length octets. indefinite
// is true for 0x80; length is then 0.
func berHeader(b []byte) (tag byte, hdr, length int, indefinite bool, err error) {
	if len(b) < 2 {
		return 0, 0, 0, false, fmt.Errorf("%w: truncated header", ErrBER)
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, 0, 0, false, fmt.Errorf("%w: high tag numbers are not supported", ErrBER)
	}
	l := b[1]
	switch {
	case l < 0x80:
		return tag, 2, int(l), false, nil
	case l == 0x80:
		if tag&0x20 == 0 {
			return 0, 0, 0, false, fmt.Errorf("%w: indefinite length on a primitive element", ErrBER)
		}
		return tag, 2, 0, true, nil
	case l == 0xff:
		return 0, 0, 0, false, fmt.Errorf("%w: reserved length octet", ErrBER)
	}
	k := int(l & 0x7f)
	if len(b) < 2+k {
		return 0, 0, 0, false, fmt.Errorf("%w: truncated length", ErrBER)
	}
	n := 0
	for _, x := range b[2 : 2+k] {
		if n > (1<<31-1)>>8 {
			return 0, 0, 0, false, fmt.Errorf("%w: length too large", ErrBER)
		}
		n = n<<8 | int(x)
	}
	return tag, 2 + k, n, false, nil
}

func berElement(b []byte, depth int) (out, rest []byte, err error) {
	if depth > maxBERDepth {
		return nil, nil, fmt.Errorf("%w: nested too deeply", ErrBER)
	}
	tag, hdr, length, indefinite, err := berHeader(b)
	if err != nil {
		return nil, nil, err
	}
	if tag == 0 && length == 0 && !indefinite {
		return nil, nil, fmt.Errorf("%w: unexpected end-of-contents", ErrBER)
	}
	var content []byte
	if !indefinite {
		if length > len(b)-hdr {
			return nil, nil, fmt.Errorf("%w: length exceeds the input", ErrBER)
		}
		content, rest = b[hdr:hdr+length], b[hdr+length:]
		if tag&0x20 == 0 {
			return appendTLV(nil, tag, content), rest, nil
		}
	}
	// Constructed: convert the children.
	var kids [][]byte
	in := b[hdr:]
	if !indefinite {
		in = content
	}
	for {
		if indefinite {
			if len(in) >= 2 && in[0] == 0 && in[1] == 0 {
				rest = in[2:]
				break
			}
			if len(in) == 0 {
				return nil, nil, fmt.Errorf("%w: missing end-of-contents", ErrBER)
			}
		} else if len(in) == 0 {
			break
		}
		kid, r, err := berElement(in, depth+1)
		if err != nil {
			return nil, nil, err
		}
		kids = append(kids, kid)
		in = r
	}
	if tag == 0x24 { // constructed OCTET STRING: join the chunks
		var joined []byte
		for _, k := range kids {
			if k[0] != 0x04 {
				return nil, nil, fmt.Errorf("%w: a constructed OCTET STRING holds a %#x", ErrBER, k[0])
			}
			_, h, _, _, _ := berHeader(k)
			joined = append(joined, k[h:]...)
		}
		return appendTLV(nil, 0x04, joined), rest, nil
	}
	var body []byte
	for _, k := range kids {
		body = append(body, k...)
	}
	return appendTLV(nil, tag, body), rest, nil
}

// appendTLV appends tag, the minimal DER length of content, and content.
func appendTLV(dst []byte, tag byte, content []byte) []byte {
	dst = append(dst, tag)
	n := len(content)
	switch {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 1<<8:
		dst = append(dst, 0x81, byte(n))
	case n < 1<<16:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	case n < 1<<24:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, content...)
}
