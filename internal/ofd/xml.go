package ofd

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// The XML shapes read here match elements by local name, whatever the
// namespace prefix (real files use ofd: or none).

type ofdRoot struct {
	DocBodies []struct {
		DocRoot    string `xml:"DocRoot"`
		Signatures string `xml:"Signatures"`
	} `xml:"DocBody"`
}

// SignatureEntry is one <Signature> of Signatures.xml.
type SignatureEntry struct {
	ID      string `xml:"ID,attr"`
	Type    string `xml:"Type,attr"` // Seal, Sign, or empty (= Seal)
	BaseLoc string `xml:"BaseLoc,attr"`
}

type signaturesXML struct {
	Signatures []SignatureEntry `xml:"Signature"`
}

// Reference is one <Reference> of a Signature.xml.
type Reference struct {
	FileRef    string `xml:"FileRef,attr"`
	CheckValue string `xml:"CheckValue"`
}

// SignatureXML is what a Signature.xml says.
type SignatureXML struct {
	SignedInfo struct {
		Provider struct {
			ProviderName string `xml:"ProviderName,attr"`
			Company      string `xml:"Company,attr"`
			Name         string `xml:"ProviderName"`
		} `xml:"Provider"`
		SignatureMethod   string `xml:"SignatureMethod"`
		SignatureDateTime string `xml:"SignatureDateTime"`
		References        struct {
			CheckMethod string      `xml:"CheckMethod,attr"`
			Items       []Reference `xml:"Reference"`
		} `xml:"References"`
		Seal struct {
			BaseLoc string `xml:"BaseLoc"`
		} `xml:"Seal"`
	} `xml:"SignedInfo"`
	SignedValue string `xml:"SignedValue"`
}

// maxXMLDepth bounds element nesting in the XML read here.
const maxXMLDepth = 64

// decodeXML decodes b into v, refusing DTDs (no entity tricks) and deep
// nesting, with a client-safe error naming what.
func decodeXML(b []byte, v any, what string) error {
	if err := checkXML(b); err != nil {
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

type xmlLimitError string

func (e xmlLimitError) Error() string { return string(e) }

// checkXML scans tokens once: no DOCTYPE, bounded depth.
func checkXML(b []byte) error {
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

// ParseOFDXML returns the Signatures locations of every DocBody of OFD.xml.
func ParseOFDXML(b []byte) ([]string, error) {
	var r ofdRoot
	if err := decodeXML(b, &r, "OFD.xml"); err != nil {
		return nil, err
	}
	var out []string
	for _, db := range r.DocBodies {
		if s := strings.TrimSpace(db.Signatures); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// ParseSignaturesXML returns the signatures listed in a Signatures.xml.
func ParseSignaturesXML(b []byte) ([]SignatureEntry, error) {
	var r signaturesXML
	if err := decodeXML(b, &r, "Signatures.xml"); err != nil {
		return nil, err
	}
	return r.Signatures, nil
}

// ParseSignatureXML reads a Signature.xml.
func ParseSignatureXML(b []byte) (*SignatureXML, error) {
	var r SignatureXML
	if err := decodeXML(b, &r, "Signature.xml"); err != nil {
		return nil, err
	}
	return &r, nil
}
