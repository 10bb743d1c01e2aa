package sealpicture

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

// svgParts reads an SVG strictly and returns its text elements' contents in
// order and the names of every element.
func svgParts(t *testing.T, b []byte) (texts []string, elems []string) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	inText := false
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, b)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			elems = append(elems, v.Name.Local)
			inText = v.Name.Local == "text"
			if inText {
				texts = append(texts, "")
			}
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				texts[len(texts)-1] += string(v)
			}
		case xml.Directive, xml.Comment:
			t.Fatalf("unexpected %T", v)
		}
	}
}

func TestSVGNamesTheAgencyAlongTheRing(t *testing.T) {
	name := "北京市朝阳区市场监督管理局"
	b, err := SVG(name, 40)
	if err != nil {
		t.Fatal(err)
	}
	texts, elems := svgParts(t, b)
	if got := strings.Join(texts, ""); got != name {
		t.Errorf("ring text %q, want %q", got, name)
	}
	if len(texts) != len([]rune(name)) {
		t.Errorf("%d text elements, want one per character", len(texts))
	}
	joined := strings.Join(elems, " ")
	if !strings.HasPrefix(joined, "svg circle g text") || !strings.HasSuffix(joined, "polygon") {
		t.Errorf("elements %s: want a ring, the name and a star", joined)
	}
	s := string(b)
	for _, want := range []string{`width="40mm"`, `font-family="SimSun, 宋体`, `stroke="#d40000"`} {
		if !strings.Contains(s, want) {
			t.Errorf("no %s", want)
		}
	}
	// The first and last characters sit left and right of the top, the
	// middle one near it: the text follows the ring.
	if !strings.Contains(s, `rotate(-`) || strings.Count(s, "<text ") != len([]rune(name)) {
		t.Error("characters are not turned along the ring")
	}
}

func TestSVGEscapesHostileNamesAndRefusesBadInput(t *testing.T) {
	b, err := SVG(`<script>alert(1)</script>&"'`+"\x00\n\u202e", 40)
	if err != nil {
		t.Fatal(err)
	}
	texts, elems := svgParts(t, b)
	if got := strings.Join(texts, ""); got != `<script>alert(1)</script>&"'` {
		t.Errorf("text %q", got)
	}
	for _, e := range elems {
		if e == "script" {
			t.Fatal("markup injected")
		}
	}
	for _, bad := range []string{"", " \n\t", strings.Repeat("局", MaxNameRunes+1)} {
		if _, err := SVG(bad, 40); err == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	for _, mm := range []int{0, 9, 101} {
		if _, err := SVG("局", mm); err == nil {
			t.Errorf("edge %d accepted", mm)
		}
	}
}
