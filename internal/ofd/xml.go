package ofd

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// The XML shapes read here match elements by local name, whatever the
// namespace prefix (real files use ofd: or none).

type ofdRoot struct {
	DocBodies []struct {
		DocID      string `xml:"DocInfo>DocID"`
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
// nesting, with a client-safe error naming what. The bytes are tokenised
// once: checkedTokens checks every raw token and hands it to the decoder
// that fills v, then reads on to the end of b.
func decodeXML(b []byte, v any, what string) error {
	raw := xml.NewDecoder(bytes.NewReader(b))
	raw.Strict = true
	raw.CharsetReader = func(charset string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(charset, "utf-8") || strings.EqualFold(charset, "utf8") {
			return in, nil
		}
		return nil, apperr.New(apperr.Unsupported, "XML encoding %q is not supported", charset)
	}
	ct := &checkedTokens{d: raw}
	err := xml.NewTokenDecoder(ct).Decode(v)
	if err == nil {
		err = ct.drain() // what follows the root element must be acceptable XML too
	}
	var lim xmlLimitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &lim):
		return apperr.Wrap(apperr.Malformed, err, "%s is not acceptable XML: %v", what, err)
	}
	return apperr.Wrap(apperr.Malformed, err, "%s is not well-formed XML", what)
}

type xmlLimitError string

func (e xmlLimitError) Error() string { return string(e) }

// checkedTokens passes on the raw tokens of d (the decoder on top matches
// end tags and resolves namespaces) and refuses a DOCTYPE anywhere and
// elements nested deeper than maxXMLDepth.
type checkedTokens struct {
	d     *xml.Decoder
	depth int
}

func (c *checkedTokens) Token() (xml.Token, error) {
	tok, err := c.d.RawToken()
	if err != nil {
		return tok, err
	}
	switch t := tok.(type) {
	case xml.Directive:
		if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
			return nil, xmlLimitError("a DOCTYPE is not allowed")
		}
	case xml.StartElement:
		c.depth++
		if c.depth > maxXMLDepth {
			return nil, xmlLimitError("elements nest too deeply")
		}
	case xml.EndElement:
		c.depth--
	}
	return tok, nil
}

// drain reads the tokens after the root element up to the end.
func (c *checkedTokens) drain() error {
	for {
		_, err := c.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
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
