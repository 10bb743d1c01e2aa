package sealpicture

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes bounds the name drawn along the ring.
const MaxNameRunes = 40

// SVG returns the impression of a round official seal as an SVG picture
// (a GB/T 38540 picture type): a red ring, the agency's name along the
// upper ring, one character at a time, upright towards the centre, and a
// five-pointed star. No font is shipped: the text names 宋体/SimSun (with
// serif fallbacks) and the reader renders it. width and height in the SVG
// are edgeMM millimetres.
func SVG(name string, edgeMM int) ([]byte, error) {
	rs := nameRunes(name)
	if len(rs) == 0 {
		return nil, fmt.Errorf("sealpicture: the name is empty")
	}
	if len(rs) > MaxNameRunes {
		return nil, fmt.Errorf("sealpicture: the name has %d characters, more than %d", len(rs), MaxNameRunes)
	}
	if edgeMM < 10 || edgeMM > 100 {
		return nil, fmt.Errorf("sealpicture: edge %d mm outside 10..100", edgeMM)
	}
	const c, textR = 100.0, 71.0
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<svg xmlns="http://www.w3.org/2000/svg" width="%dmm" height="%dmm" viewBox="0 0 200 200">`, edgeMM, edgeMM)
	b.WriteString(`<circle cx="100" cy="100" r="93" fill="none" stroke="#d40000" stroke-width="6"/>`)
	// The name spans up to 240° of the upper ring, centred at the top.
	n := float64(len(rs))
	span := math.Min(240, n*30)
	size := math.Min(30, 2*math.Pi*textR*span/360/n*0.92)
	fmt.Fprintf(&b, `<g fill="#d40000" font-family="SimSun, 宋体, 'Songti SC', 'Noto Serif CJK SC', serif" font-size="%s" font-weight="bold" text-anchor="middle">`, f1(size))
	for i, r := range rs {
		a := -span/2 + span*(float64(i)+0.5)/n // degrees clockwise from the top
		rad := a * math.Pi / 180
		x, y := c+textR*math.Sin(rad), c-textR*math.Cos(rad)
		var esc bytes.Buffer
		_ = xml.EscapeText(&esc, []byte(string(r)))
		fmt.Fprintf(&b, `<text x="%s" y="%s" transform="rotate(%s %s %s)" dy="%s">%s</text>`,
			f1(x), f1(y), f1(a), f1(x), f1(y), f1(size*0.35), esc.String())
	}
	b.WriteString(`</g><polygon fill="#d40000" points="`)
	for i := range 10 {
		r := 34.0
		if i%2 == 1 {
			r = 13.5
		}
		a := -math.Pi/2 + float64(i)*math.Pi/5
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f1(c+r*math.Cos(a)) + "," + f1(c+12+r*math.Sin(a)))
	}
	b.WriteString(`"/></svg>` + "\n")
	return []byte(b.String()), nil
}

// nameRunes is the name as drawn: valid UTF-8, no control, format,
// private-use or space characters.
func nameRunes(name string) []rune {
	var out []rune
	for i := 0; i < len(name); {
		r, n := utf8.DecodeRuneInString(name[i:])
		i += n
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) ||
			unicode.Is(unicode.Co, r) || unicode.Is(unicode.Cs, r) || r == 0xFFFE || r == 0xFFFF {
			continue
		}
		out = append(out, r)
	}
	return out
}

func f1(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	if s == "-0.0" {
		s = "0.0"
	}
	return s
}
