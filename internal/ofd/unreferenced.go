package ofd

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

// CheckUnreferenced lists the files of the package a signature's
// References leave out, by what they are to the document (GB/T 33190 §7
// structure, followed from OFD.xml):
//
//   - the signatures' own files (every Signatures.xml, and the folder of
//     every Signature.xml they list: Signature.xml, SignedValue.dat,
//     Seal.esl and whatever else a product puts there) cannot or need not
//     be referenced: later signatures add and change them;
//   - document content (Document.xml, pages and templates, attachments and
//     their list, custom tags) and files no part of the document uses (a
//     file added to the package) fail the check: they were not protected,
//     so they may have been added or replaced after signing;
//   - OFD.xml, resources (the resource lists and the fonts, images and
//     profiles they declare) and annotations are a warning only: real
//     signed files leave them out (OFD.xml in the aztsign and kinggrid
//     samples, PublicRes.xml, DocumentRes.xml and a font in the tongz
//     sample), and GB/T 33190 keeps annotations apart from the page content
//     so that they can be added to a signed document.
const CheckUnreferenced = "ofd-unreferenced-files"

// fileClass is what a file of the package is to the document.
type fileClass int

const (
	classStray      fileClass = iota // nothing in the document uses it
	classContent                     // Document.xml, pages, templates, attachments, custom tags
	classRoot                        // OFD.xml
	classResource                    // resource lists and the files they declare
	classAnnotation                  // annotation lists and annotation pages
)

// maxListed bounds the file names one check's detail lists.
const maxListed = 20

// layout is what Verify knows of the package's structure: the signature
// files (known before any signature is verified) and, worked out only when
// a signature leaves a file out, the class of every file the document uses.
type layout struct {
	pkg     *Package
	sigs    map[string]bool // lower-case entry names of Signatures.xml files
	sigDirs []string        // lower-case folders of listed Signature.xml files, with a trailing "/"
	classes map[string]fileClass
}

func newLayout(pkg *Package) *layout { return &layout{pkg: pkg, sigs: map[string]bool{}} }

func (l *layout) addSignatures(name string, base string, entries []SignatureEntry) {
	l.sigs[strings.ToLower(name)] = true
	for _, e := range entries {
		if n, err := Resolve(base, e.BaseLoc); err == nil {
			l.sigDirs = append(l.sigDirs, strings.ToLower(path.Dir(n))+"/")
		}
	}
}

func (l *layout) isSignatureFile(key string) bool {
	if l.sigs[key] {
		return true
	}
	for _, d := range l.sigDirs {
		if strings.HasPrefix(key, d) {
			return true
		}
	}
	return false
}

// unreferencedCheck is CheckUnreferenced for one signature whose
// Signature.xml is in sigDir.
func (l *layout) unreferencedCheck(sigDir string, sx *SignatureXML) outcome.Check {
	covered := map[string]bool{}
	for _, ref := range sx.SignedInfo.References.Items {
		if n, err := Resolve(sigDir, ref.FileRef); err == nil {
			covered[strings.ToLower(n)] = true
		}
	}
	var fail, warn []string
	own := 0
	for _, name := range l.pkg.Names() {
		key := strings.ToLower(name)
		switch {
		case covered[key]:
		case l.isSignatureFile(key):
			own++
		default:
			switch l.classOf(key) {
			case classRoot, classResource, classAnnotation:
				warn = append(warn, name)
			default:
				fail = append(fail, name)
			}
		}
	}
	if len(fail) > 0 {
		c := check(CheckUnreferenced, outcome.Failed, outcome.SigConstraintsFailure,
			"the signature does not protect %d file(s) of the document content or that no part of the document uses, so they may have been added or replaced after signing: %s", len(fail), listed(fail))
		if len(warn) > 0 {
			c = c.Warn(outcome.WarnUnreferencedFiles, "also not protected (a warning: real signed files leave such files out): %s", listed(warn))
		}
		return c
	}
	c := check(CheckUnreferenced, outcome.Passed, "", "every file of the package is protected by this signature, apart from %d file(s) of the signatures themselves", own)
	if len(warn) > 0 {
		c.Detail = fmt.Sprintf("the document's pages, attachments and every other file are protected by this signature (apart from %d file(s) of the signatures themselves); %d file(s) of OFD.xml, resources or annotations are not", own, len(warn))
		c = c.Warn(outcome.WarnUnreferencedFiles, "not protected by this signature (real signed files leave OFD.xml, resources and annotations out): %s", listed(warn))
	}
	return c
}

func listed(names []string) string {
	sort.Strings(names)
	if len(names) > maxListed {
		return strings.Join(names[:maxListed], ", ") + fmt.Sprintf(" and %d more", len(names)-maxListed)
	}
	return strings.Join(names, ", ")
}

// classOf maps the document's structure on first use.
func (l *layout) classOf(key string) fileClass {
	if l.classes == nil {
		l.classes = map[string]fileClass{}
		l.mapDocument()
	}
	return l.classes[key]
}

// mark records name (resolved from loc in base) as class c, keeping the
// class found first, and returns the entry name ("" when loc is unusable).
func (l *layout) mark(base, loc string, c fileClass) string {
	if strings.TrimSpace(loc) == "" {
		return ""
	}
	n, err := Resolve(base, loc)
	if err != nil {
		return ""
	}
	k := strings.ToLower(n)
	if _, seen := l.classes[k]; !seen {
		l.classes[k] = c
	}
	return n
}

// decode reads and decodes one part the document names; a part that is
// missing or unreadable is skipped (its References, if any, say so).
func (l *layout) decode(name string, v any) bool {
	if name == "" || !l.pkg.Has(name) {
		return false
	}
	b, err := l.pkg.Read(name)
	return err == nil && decodeXML(b, v, path.Base(name)) == nil
}

type locAttr struct {
	BaseLoc string `xml:"BaseLoc,attr"`
}

type docStructure struct {
	CommonData struct {
		PublicRes    []string  `xml:"PublicRes"`
		DocumentRes  []string  `xml:"DocumentRes"`
		TemplatePage []locAttr `xml:"TemplatePage"`
	} `xml:"CommonData"`
	Pages       []locAttr `xml:"Pages>Page"`
	Annotations string    `xml:"Annotations"`
	Attachments string    `xml:"Attachments"`
	CustomTags  string    `xml:"CustomTags"`
}

type resStructure struct {
	BaseLoc string   `xml:"BaseLoc,attr"`
	Fonts   []string `xml:"Fonts>Font>FontFile"`
	Media   []string `xml:"MultiMedias>MultiMedia>MediaFile"`
	Colors  []struct {
		Profile string `xml:"Profile,attr"`
	} `xml:"ColorSpaces>ColorSpace"`
}

type pageStructure struct {
	PageRes []string `xml:"PageRes"`
}

type fileLocs struct {
	Items []struct {
		FileLoc string `xml:"FileLoc"`
	} `xml:",any"`
}

func (l *layout) mapDocument() {
	l.mark("", "OFD.xml", classRoot)
	root, err := l.pkg.Read("OFD.xml")
	var r ofdRoot
	if err != nil || decodeXML(root, &r, "OFD.xml") != nil {
		return
	}
	for _, db := range r.DocBodies {
		docName := l.mark("", db.DocRoot, classContent)
		var d docStructure
		if !l.decode(docName, &d) {
			continue
		}
		dir := path.Dir(docName)
		for _, loc := range append(append([]string(nil), d.CommonData.PublicRes...), d.CommonData.DocumentRes...) {
			l.mapRes(dir, loc)
		}
		pages := append(append([]locAttr(nil), d.CommonData.TemplatePage...), d.Pages...)
		for _, p := range pages {
			pn := l.mark(dir, p.BaseLoc, classContent)
			var ps pageStructure
			if l.decode(pn, &ps) {
				for _, loc := range ps.PageRes {
					l.mapRes(path.Dir(pn), loc)
				}
			}
		}
		l.mapList(dir, d.Attachments, classContent)
		l.mapList(dir, d.CustomTags, classContent)
		l.mapList(dir, d.Annotations, classAnnotation)
	}
}

// mapRes marks a resource list and the files it declares.
func (l *layout) mapRes(base, loc string) {
	n := l.mark(base, loc, classResource)
	var rs resStructure
	if !l.decode(n, &rs) {
		return
	}
	dir := path.Dir(n)
	if b := strings.TrimSpace(rs.BaseLoc); b != "" {
		if d, err := Resolve(dir, b); err == nil {
			dir = d
		}
	}
	for _, f := range append(append([]string(nil), rs.Fonts...), rs.Media...) {
		l.mark(dir, f, classResource)
	}
	for _, c := range rs.Colors {
		l.mark(dir, c.Profile, classResource)
	}
}

// mapList marks a list file (attachments, custom tags, annotations) and the
// files its items name by FileLoc, relative to the list.
func (l *layout) mapList(base, loc string, c fileClass) {
	n := l.mark(base, loc, c)
	var fl fileLocs
	if !l.decode(n, &fl) {
		return
	}
	for _, it := range fl.Items {
		l.mark(path.Dir(n), it.FileLoc, c)
	}
}
