package ofdmake

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLayout feeds arbitrary field text (the writer's only untrusted
// input) through wrapping and the text objects: every line fits the text
// width, holds no control character, and the XML written is well-formed
// with exactly one text object per line.
func FuzzLayout(f *testing.F) {
	for _, s := range []string{"", "承诺人", "<a>&amp;</a>", "]]>\x00\x01\n\t\r", "\u202e\ufeff\u200b", "\xff\xfe", strings.Repeat("长", 300),
		strings.Repeat("W", 300), strings.Repeat("Word ", 80), "\U0010FFFF\uFFFE\uFFFF\uD7FF"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lines := wrap(s, bodySize, textWidth)
		var b strings.Builder
		b.WriteString("<ofd:Layer xmlns:ofd=\"" + ofdNS + "\">")
		for i, l := range lines {
			if !utf8.ValidString(l) {
				t.Fatalf("line %d is not UTF-8", i)
			}
			if w := measure(l, bodySize); w > textWidth && utf8.RuneCountInString(l) > 1 {
				t.Fatalf("line %d is %.1f mm wide, more than %.1f", i, w, textWidth)
			}
			if cleanText(l) != l {
				t.Fatalf("line %d is not clean: %q", i, l)
			}
			textObject(&b, i+1, 1, marginLeft, 10, bodySize, l)
		}
		b.WriteString("</ofd:Layer>")
		d := xml.NewDecoder(strings.NewReader(b.String()))
		d.Strict = true
		objects := 0
		for {
			tok, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, b.String())
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "TextObject" {
				objects++
			}
			if cd, ok := tok.(xml.CharData); ok && bytes.ContainsFunc(cd, func(r rune) bool { return r < 0x20 }) {
				t.Fatalf("control character in text %q", cd)
			}
		}
		if objects != len(lines) {
			t.Fatalf("%d text objects for %d lines", objects, len(lines))
		}
	})
}
