package ofd

import (
	"path"
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// MaxAttachments bounds the attachments Attachments returns.
const MaxAttachments = 100

// Attachment is one attached file of an OFD document (GB/T 33190 §20).
type Attachment struct {
	Name   string // the Attachment's Name attribute
	Format string
	Path   string // entry name in the package
	Data   []byte
}

type documentXML struct {
	Attachments string `xml:"Attachments"`
}

type attachmentsXML struct {
	Items []struct {
		ID      string `xml:"ID,attr"`
		Name    string `xml:"Name,attr"`
		Format  string `xml:"Format,attr"`
		FileLoc string `xml:"FileLoc"`
	} `xml:"Attachment"`
}

// Attachments reads the attachments of every document of the package,
// within the limits. It verifies nothing: whether an attachment is covered
// by a signature is for Verify's References to say.
func Attachments(data []byte, lim Limits) ([]Attachment, error) {
	pkg, err := Open(data, lim)
	if err != nil {
		return nil, err
	}
	root, err := pkg.Read("OFD.xml")
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "the package has no readable OFD.xml")
	}
	var r ofdRoot
	if err := decodeXML(root, &r, "OFD.xml"); err != nil {
		return nil, err
	}
	var out []Attachment
	for _, db := range r.DocBodies {
		docName, err := Resolve("", db.DocRoot)
		if err != nil {
			continue
		}
		b, err := pkg.Read(docName)
		if err != nil {
			continue
		}
		var d documentXML
		if decodeXML(b, &d, "Document.xml") != nil || strings.TrimSpace(d.Attachments) == "" {
			continue
		}
		listName, err := Resolve(path.Dir(docName), d.Attachments)
		if err != nil {
			continue
		}
		lb, err := pkg.Read(listName)
		if err != nil {
			continue
		}
		var list attachmentsXML
		if decodeXML(lb, &list, "Attachments.xml") != nil {
			continue
		}
		for _, a := range list.Items {
			name, err := Resolve(path.Dir(listName), a.FileLoc)
			if err != nil {
				continue
			}
			fb, err := pkg.Read(name)
			if err != nil {
				if apperr.KindOf(err) == apperr.TooLarge {
					return nil, err
				}
				continue
			}
			out = append(out, Attachment{Name: a.Name, Format: a.Format, Path: name, Data: fb})
			if len(out) == MaxAttachments {
				return out, nil
			}
		}
	}
	return out, nil
}
