package ofd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// FuzzVerifyPackage: any bytes as an OFD package: no panic; an error is a
// client-safe *apperr.Error; every signature gets a report with checks.
// The seeds are a small package made here and the real samples' smallest.
func FuzzVerifyPackage(f *testing.F) {
	z, _ := buildSignedOFD(f)
	f.Add(z)
	f.Add(makeZip(f, entry{name: "OFD.xml", data: []byte(`<OFD><DocBody><Signatures>/S.xml</Signatures></DocBody></OFD>`)},
		entry{name: "S.xml", data: []byte(`<Signatures><Signature ID="1" BaseLoc="../x"/><Signature ID="2" Type="Sign" BaseLoc="/S.xml"/></Signatures>`)}))
	f.Add([]byte("PK\x03\x04"))
	// A document whose structure ofd-unreferenced-files maps: pages with
	// page resources, resource lists, attachments, annotations, a stray file.
	f.Add(makeZip(f, entry{name: "OFD.xml", data: []byte(`<OFD><DocBody><DocRoot>Doc_0/Document.xml</DocRoot><Signatures>Doc_0/Signs/Signatures.xml</Signatures></DocBody></OFD>`)},
		entry{name: "Doc_0/Document.xml", data: []byte(`<Document><CommonData><PublicRes>PublicRes.xml</PublicRes><TemplatePage BaseLoc="Tpls/T/Content.xml"/></CommonData>` +
			`<Pages><Page BaseLoc="Pages/P/Content.xml"/><Page BaseLoc="/../x"/></Pages><Attachments>Attachs/Attachments.xml</Attachments><Annotations>Annots/Annotations.xml</Annotations></Document>`)},
		entry{name: "Doc_0/PublicRes.xml", data: []byte(`<Res BaseLoc="Res"><Fonts><Font><FontFile>f.ttf</FontFile></Font></Fonts><MultiMedias><MultiMedia><MediaFile>/Doc_0/Res/i.png</MediaFile></MultiMedia></MultiMedias><ColorSpaces><ColorSpace Profile="c.icc"/></ColorSpaces></Res>`)},
		entry{name: "Doc_0/Pages/P/Content.xml", data: []byte(`<Page><PageRes>R.xml</PageRes></Page>`)},
		entry{name: "Doc_0/Pages/P/R.xml", data: []byte(`<Res><MultiMedias><MultiMedia><MediaFile>m.png</MediaFile></MultiMedia></MultiMedias></Res>`)},
		entry{name: "Doc_0/Attachs/Attachments.xml", data: []byte(`<Attachments><Attachment><FileLoc>a.json</FileLoc></Attachment></Attachments>`)},
		entry{name: "Doc_0/Annots/Annotations.xml", data: []byte(`<Annotations><Page><FileLoc>Page_0/Annotation.xml</FileLoc></Page></Annotations>`)},
		entry{name: "Doc_0/Res/f.ttf", data: []byte("font")},
		entry{name: "stray.bin", data: []byte("x")},
		entry{name: "Doc_0/Signs/Signatures.xml", data: []byte(`<Signatures><Signature ID="1" BaseLoc="Sign_0/Signature.xml"/></Signatures>`)},
		entry{name: "Doc_0/Signs/Sign_0/Signature.xml", data: []byte(`<Signature><SignedInfo><References><Reference FileRef="/Doc_0/Document.xml"><CheckValue>AA==</CheckValue></Reference></References></SignedInfo><SignedValue>SignedValue.dat</SignedValue></Signature>`)}))
	v := ses.NewVerifier(ses.Options{CacheSize: 16})
	lim := Limits{MaxEntries: 64, MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := Verify(context.Background(), b, Options{SES: v, Limits: lim})
		if err != nil {
			if e := apperr.As(err); e == nil || e.Detail == "" {
				t.Fatalf("error %v is not an apperr with a detail", err)
			}
			return
		}
		for _, r := range res.Signatures {
			if len(r.Checks) == 0 || r.Indication == "" {
				t.Fatalf("empty report %+v", r)
			}
		}
	})
}

// FuzzParseXML: OFD.xml, Signatures.xml and Signature.xml parsers on any
// bytes: no panic, errors are apperr values.
func FuzzParseXML(f *testing.F) {
	addXMLSeeds(f)
	f.Add([]byte(`<OFD><DocBody><Signatures>/a</Signatures></DocBody></OFD>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, err := range []error{
			func() error { _, err := ParseOFDXML(b); return err }(),
			func() error { _, err := ParseSignaturesXML(b); return err }(),
			func() error { _, err := ParseSignatureXML(b); return err }(),
		} {
			if err != nil && apperr.As(err) == nil {
				t.Fatalf("error %v is not an apperr", err)
			}
		}
	})
}

// FuzzOpenZip: the container reader alone on any bytes: no panic; refusals
// are apperr values; every listed entry reads or fails with an apperr.
func FuzzOpenZip(f *testing.F) {
	z, _ := buildSignedOFD(f)
	f.Add(z)
	f.Add(makeZip(f, entry{name: "a/../b", data: []byte("x")}))
	f.Add(makeZip(f, entry{name: "big", data: make([]byte, 5000)}, entry{name: "B", data: []byte("y"), raw: true}))
	lim := Limits{MaxEntries: 32, MaxEntrySize: 64 << 10, MaxTotalSize: 256 << 10, MaxRatio: 50, RatioMinBytes: 4096}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Open(b, lim)
		if err != nil {
			if apperr.As(err) == nil {
				t.Fatalf("error %v is not an apperr", err)
			}
			return
		}
		streamed, _ := Open(b, lim) // a second copy: digests streamed, not from Read's memory
		for _, n := range p.Names() {
			d, derr := streamed.Digest(n, nil)
			if derr != nil && apperr.As(derr) == nil {
				t.Fatalf("digest error %v is not an apperr", derr)
			}
			got, err := p.Read(n)
			if err == nil && derr == nil && d != sm3.Sum(got) {
				t.Fatalf("streamed digest of %q differs from SM3 of its bytes", n)
			}
			if err != nil {
				if apperr.As(err) == nil {
					t.Fatalf("read error %v is not an apperr", err)
				}
				continue
			}
			if uint64(len(got)) > lim.MaxEntrySize {
				t.Fatalf("read %d bytes past the entry limit", len(got))
			}
		}
	})
}

// FuzzAttachments: any bytes as an OFD package for Attachments (the public
// OFD verification route reads an attached pledge package with it): no
// panic; an error is a client-safe *apperr.Error; every attachment found
// is an entry of the package within the limits.
func FuzzAttachments(f *testing.F) {
	doc := `<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments></ofd:Document>`
	list := `<ofd:Attachments xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Attachment ID="A1" Name="P1.pledge.json" Format="json"><ofd:FileLoc>P1.pledge.json</ofd:FileLoc></ofd:Attachment>` +
		`<ofd:Attachment ID="A2" Name="x"><ofd:FileLoc>../../OFD.xml</ofd:FileLoc></ofd:Attachment><ofd:Attachment ID="A3" Name="y"><ofd:FileLoc>/none</ofd:FileLoc></ofd:Attachment></ofd:Attachments>`
	f.Add(makeZip(f, entry{name: "OFD.xml", data: []byte(`<OFD><DocBody><DocRoot>Doc_0/Document.xml</DocRoot></DocBody></OFD>`)},
		entry{name: "Doc_0/Document.xml", data: []byte(doc)}, entry{name: "Doc_0/Attachs/Attachments.xml", data: []byte(list)},
		entry{name: "Doc_0/Attachs/P1.pledge.json", data: []byte(`{"format":"pledgeseal.package/v1"}`)}))
	f.Add([]byte("PK\x03\x04"))
	if b, err := os.ReadFile("testdata/antchain-v4.ofd"); err == nil && len(b) < 256<<10 {
		f.Add(b)
	}
	lim := Limits{MaxEntries: 64, MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		atts, err := Attachments(b, lim)
		if err != nil {
			if e := apperr.As(err); e == nil || e.Detail == "" {
				t.Fatalf("error %v is not an apperr with a detail", err)
			}
			return
		}
		if len(atts) > MaxAttachments {
			t.Fatalf("%d attachments", len(atts))
		}
		for _, a := range atts {
			if uint64(len(a.Data)) > lim.MaxEntrySize || a.Path == "" || strings.Contains(a.Path, "..") {
				t.Fatalf("attachment %q (%d bytes)", a.Path, len(a.Data))
			}
		}
	})
}

// addXMLSeeds adds the XML files of testdata/fuzz-xml as seeds.
func addXMLSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/fuzz-xml/*.xml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}
