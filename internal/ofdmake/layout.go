package ofdmake

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Page geometry in millimetres (OFD's unit): A4 portrait.
const (
	pageWidth    = 210.0
	pageHeight   = 297.0
	marginLeft   = 22.0
	marginRight  = 22.0
	marginTop    = 25.0
	marginBottom = 22.0
	textWidth    = pageWidth - marginLeft - marginRight
	bodySize     = 3.7 // about 10.5 pt (五号)
	titleSize    = 7.0
	smallSize    = 3.0
	lineFactor   = 1.65
	footerY      = pageHeight - 12.0
	qrEdge       = 30.0
	maxStamp     = 60.0 // largest seal impression placed (mm)
	minStamp     = 10.0
)

// line is one laid-out line of text.
type line struct {
	text   string
	size   float64
	indent float64
	centre bool
	gap    float64 // extra space before the line
}

// cleanText makes a field safe to lay out and to write as XML text: invalid
// UTF-8, control characters (including line breaks and tabs), bidi and other
// format characters, non-characters and private-use runes become spaces;
// runs of space collapse.
func cleanText(s string) string {
	var b strings.Builder
	space := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Co, r) ||
			unicode.Is(unicode.Cs, r) || r == 0xFFFE || r == 0xFFFF || unicode.IsSpace(r) {
			r = ' '
		}
		if r == ' ' {
			if space || b.Len() == 0 {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

// advance is the width of r in units of the font size: half for ASCII and
// half-width forms, full for CJK and everything else (SimSun metrics).
func advance(r rune) float64 {
	if r < 0x80 || (r >= 0xFF61 && r <= 0xFFDC) {
		return 0.5
	}
	return 1
}

func measure(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		w += advance(r) * size
	}
	return w
}

// wrap breaks s into lines no wider than width at size: CJK may break
// anywhere; a Latin run breaks at its last space when there is one on the
// line, else anywhere (a hostile word without spaces still fits).
func wrap(s string, size, width float64) []string {
	s = cleanText(s)
	if s == "" {
		return []string{""}
	}
	var out []string
	rs := []rune(s)
	for len(rs) > 0 {
		w, cut := 0.0, len(rs)
		for i, r := range rs {
			w += advance(r) * size
			if w > width {
				cut = i
				break
			}
		}
		if cut == 0 {
			cut = 1
		}
		if cut < len(rs) && rs[cut] != ' ' && rs[cut] < 0x80 {
			for j := cut - 1; j > 0; j-- {
				if rs[j] == ' ' {
					cut = j
					break
				}
				if rs[j] >= 0x80 {
					break
				}
			}
		}
		out = append(out, strings.TrimRight(string(rs[:cut]), " "))
		rs = rs[cut:]
		for len(rs) > 0 && rs[0] == ' ' {
			rs = rs[1:]
		}
	}
	return out
}

// placed is a line at its page position (top of its box).
type placed struct {
	line
	x, y float64
}

// paginate places lines on pages top-down and reserves room for the final
// block (status QR and seal) on the last page. It returns the pages and
// the y where the final block starts on the last one; the block is
// reserve millimetres high.
func paginate(lines []line, reserve float64) ([][]placed, float64) {
	var pages [][]placed
	var cur []placed
	y := marginTop
	bottom := footerY - 6
	for _, l := range lines {
		h := l.size * lineFactor
		if len(cur) > 0 {
			y += l.gap
		}
		if y+h > bottom && len(cur) > 0 {
			pages = append(pages, cur)
			cur, y = nil, marginTop
		}
		x := marginLeft + l.indent
		if l.centre {
			x = (pageWidth - measure(l.text, l.size)) / 2
		}
		cur = append(cur, placed{line: l, x: x, y: y})
		y += h
	}
	y += 4
	if y+reserve > bottom {
		pages = append(pages, cur)
		cur, y = nil, marginTop
	}
	pages = append(pages, cur)
	return pages, y
}
