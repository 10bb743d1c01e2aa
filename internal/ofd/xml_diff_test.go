package ofd

import (
	"bytes"
	"encoding/xml"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// twoPassDecodeXML is the decoder decodeXML replaced (a checkXML pre-pass,
// then encoding/xml's Decode), kept as the oracle of FuzzDecodeXMLOnePass.
func twoPassDecodeXML(b []byte, v any, what string) error {
	if err := twoPassCheckXML(b); err != nil {
		return apperr.Wrap(apperr.Malformed, err, "%s is not acceptable XML: %v", what, err)
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return in, nil
		}
		return nil, apperr.New(apperr.Unsupported, "XML encoding %q is not supported", charset)
	}
	if err := d.Decode(v); err != nil {
		return apperr.Wrap(apperr.Malformed, err, "%s is not well-formed XML", what)
	}
	return nil
}

func twoPassCheckXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	depth := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				return xmlLimitError("a DOCTYPE is not allowed")
			}
		case xml.StartElement:
			depth++
			if depth > maxXMLDepth {
				return xmlLimitError("elements nest too deeply")
			}
		case xml.EndElement:
			depth--
		}
	}
}

// FuzzDecodeXMLOnePass holds the one-pass decodeXML to the two-pass one it
// replaced: for every input both accept or both refuse (with the same
// error kind), and what they accept decodes to the same values, for each of
// the three documents read.
func FuzzDecodeXMLOnePass(f *testing.F) {
	addXMLSeeds(f)
	for _, s := range []string{
		`<OFD><DocBody><Signatures>/a</Signatures></DocBody></OFD>`,
		`<ofd:OFD xmlns:ofd="u"><ofd:DocBody><ofd:Signatures>/a</ofd:Signatures></ofd:DocBody></ofd:OFD> <!DOCTYPE x>`,
		`<?xml version="1.0" encoding="GBK"?><OFD/>`,
		`<a/></b>`,
		`<a/><b>`,
		strings.Repeat("<a>", 70) + strings.Repeat("</a>", 70),
		`<Signatures><Signature ID="1" BaseLoc="S/Signature.xml"/></Signatures>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, mk := range []func() any{
			func() any { return new(ofdRoot) },
			func() any { return new(signaturesXML) },
			func() any { return new(SignatureXML) },
		} {
			got, want := mk(), mk()
			errGot := decodeXML(b, got, "x")
			errWant := twoPassDecodeXML(b, want, "x")
			if (errGot == nil) != (errWant == nil) || apperr.KindOf(errGot) != apperr.KindOf(errWant) {
				t.Fatalf("%T: one pass %v, two passes %v", got, errGot, errWant)
			}
			if errGot == nil && !reflect.DeepEqual(got, want) {
				t.Fatalf("%T: one pass %+v, two passes %+v", got, got, want)
			}
		}
	})
}
