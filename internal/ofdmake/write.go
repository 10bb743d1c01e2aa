package ofdmake

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// Bounds of a written OFD.
const (
	MaxPages = 40
	// MaxSize bounds the ZIP written (the package attachment is at most
	// pledge.MaxPackage; the pages of the largest pledge stay far below).
	MaxSize = 4 << 20
	// ContentType is the media type of an OFD file.
	ContentType = "application/ofd"
)

// Fixed locations inside the package (ses-format.md §5).
const (
	ofdNS          = "http://www.ofdspec.org/2016"
	docDir         = "Doc_0"
	signaturesFile = "Doc_0/Signs/Signatures.xml"
	signatureFile  = "Doc_0/Signs/Sign_0/Signature.xml"
	signedValue    = "Doc_0/Signs/Sign_0/SignedValue.dat"
	sealFile       = "Doc_0/Signs/Sign_0/Seal.esl"
	// PropertyInfo is what the SES names as signed: Signature.xml's path.
	PropertyInfo = "/" + signatureFile
	// OIDs written into Signature.xml.
	oidSM2WithSM3 = "1.2.156.10197.1.501"
	oidSM3        = "1.2.156.10197.1.401"
	providerName  = "PledgeSeal"
)

// Input is what Write needs.
type Input struct {
	// Package is the pledge package (pledge.PackageFormat) as delivered; it
	// must be accepted with a decision statement. It is attached unchanged
	// unless MaskApplicant is set.
	Package []byte
	// MaskApplicant masks the applicant's name and ID number as on the
	// public pages. A masked OFD carries no package attachment, as the
	// package holds the applicant's identity in signed, unmaskable bytes.
	MaskApplicant bool
	// Labels is the zh-CN message catalogue (internal/web/messages).
	Labels map[string]string
	// Version is written as the Provider version (may be empty).
	Version string
}

// Sealer is the agency sealer that counter-seals pledges, able to say which
// seal it will use: the seal is written as Seal.esl and its picture size
// sizes the stamp before Signature.xml is signed.
type Sealer interface {
	pledge.Sealer
	// ActiveSeal returns the seal SealData uses for agency now.
	ActiveSeal(ctx context.Context, agency string) (*ses.Seal, error)
}

// Writer writes sealed OFD files; Sealer signs SM3(Signature.xml) with the
// deciding agency's seal.
type Writer struct {
	Sealer Sealer
	Clock  clock.Clock
}

// Write returns the sealed OFD of the pledge in in.Package. A package not
// accepted with a decision statement is Conflict (PLEDGE_NOT_ACCEPTED).
func (w *Writer) Write(ctx context.Context, in Input) ([]byte, error) {
	if w.Sealer == nil || w.Clock == nil {
		return nil, apperr.New(apperr.Internal, "ofdmake.Writer needs a sealer and a clock")
	}
	for _, k := range labelKeys {
		if _, ok := in.Labels[k]; !ok {
			return nil, apperr.New(apperr.Internal, "the message catalogue lacks %q", k)
		}
	}
	p, err := parseAccepted(in.Package)
	if err != nil {
		return nil, err
	}
	agency := p.Sealed.Statement.Agency
	seal, err := w.Sealer.ActiveSeal(ctx, agency)
	if err != nil {
		return nil, err
	}
	stampW := min(max(float64(seal.Info.Picture.Width), minStamp), maxStamp)
	stampH := min(max(float64(seal.Info.Picture.Height), minStamp), maxStamp)
	files, refs, err := buildFiles(p, in, stampW, stampH)
	if err != nil {
		return nil, err
	}
	now := w.Clock.Now().UTC().Truncate(time.Second)
	files = append(files, file{signaturesFile, signaturesXML()}, file{sealFile, seal.Raw})
	sig := signatureXML(files, now, in.Version, refs.last, refs.stamp)
	sv, err := w.Sealer.SealData(ctx, agency, sig, PropertyInfo)
	if err != nil {
		return nil, err
	}
	parsed, err := ses.ParseSignature(sv)
	if err != nil || !bytes.Equal(parsed.TBS.DataHash, ses.DataDigest(sig)) {
		return nil, apperr.New(apperr.Internal, "the sealer returned a signature that does not cover Signature.xml")
	}
	if !bytes.Equal(parsed.TBS.Seal.Raw, seal.Raw) {
		return nil, apperr.New(apperr.Unavailable, "the agency's active seal changed while sealing; try again").WithCode(apperr.CodeTryLater)
	}
	files = append(files, file{signatureFile, sig}, file{signedValue, sv})
	out, err := zipFiles(files, now)
	if err != nil {
		return nil, err
	}
	if len(out) > MaxSize {
		return nil, apperr.New(apperr.TooLarge, "the OFD would be %d bytes, more than %d", len(out), MaxSize).WithCode(apperr.CodeOFDTooLarge)
	}
	return out, nil
}

// parseAccepted parses a package accepted with a decision statement; any
// other is Conflict (PLEDGE_NOT_ACCEPTED).
func parseAccepted(pkg []byte) (*pledge.ParsedPackage, error) {
	p, err := pledge.ParsePackage(pkg)
	if err != nil {
		return nil, err
	}
	if p.AgencySES == nil || p.Sealed.Legacy || p.Sealed.Statement.Decision != pledge.DecisionAccepted {
		return nil, apperr.New(apperr.Conflict, "the pledge has no sealed acceptance decision; only an accepted pledge has a sealed OFD").WithCode(apperr.CodePledgeNotAccepted)
	}
	return p, nil
}

type file struct {
	name string
	data []byte
}

// ids hands out the document's object IDs (ST_ID, from 1).
type ids struct{ n int }

func (i *ids) next() int { i.n++; return i.n }

type pageRefs struct {
	last  int        // ID of the last page (where the seal is stamped)
	stamp [4]float64 // x y w h of the stamp on it
}

func buildFiles(p *pledge.ParsedPackage, in Input, stampW, stampH float64) ([]file, pageRefs, error) {
	pt := buildText(p, in.Labels, in.MaskApplicant)
	pages, finalY := paginate(pt.lines, max(qrEdge+6, stampH+2))
	if len(pages) > MaxPages {
		return nil, pageRefs{}, apperr.New(apperr.TooLarge, "the pledge needs %d pages, more than %d", len(pages), MaxPages).WithCode(apperr.CodeOFDTooLarge)
	}
	qr, err := qrcode.Encode(pt.statusURL, qrcode.Medium, 256)
	if err != nil {
		return nil, pageRefs{}, apperr.Wrap(apperr.Internal, err, "cannot draw the status QR code")
	}
	var id ids
	fontID, qrID := id.next(), id.next()
	var files []file
	var refs pageRefs
	var pageList strings.Builder
	for i, pl := range pages {
		var body strings.Builder
		for _, l := range pl {
			if l.text == "" {
				continue
			}
			textObject(&body, id.next(), fontID, l.x, l.y, l.size, l.text)
		}
		if i == len(pages)-1 {
			// Final block: the status QR code at the left, the seal over
			// the agency's name and the decision date at the right.
			fmt.Fprintf(&body, `<ofd:ImageObject ID="%d" ResourceID="%d" Boundary="%s" CTM="%s"/>`,
				id.next(), qrID, nums(marginLeft, finalY, qrEdge, qrEdge), nums(qrEdge, 0, 0, qrEdge, 0, 0))
			textObject(&body, id.next(), fontID, marginLeft, finalY+qrEdge+1, smallSize, cleanText(in.Labels["ofd.qrNote"]))
			right := pageWidth - marginRight
			for j, s := range []string{cleanText(in.Labels["ofd.sealHere"]), cleanText(pt.agency), pt.date} {
				w := measure(s, bodySize)
				textObject(&body, id.next(), fontID, right-w, finalY+14+float64(j)*bodySize*lineFactor, bodySize, s)
			}
			refs.stamp = [4]float64{right - stampW + 2, finalY, stampW, stampH}
		}
		footer := cleanText(fmt.Sprintf(in.Labels["ofd.page"], i+1, len(pages)) + "  " + p.Doc.PledgeID)
		textObject(&body, id.next(), fontID, (pageWidth-measure(footer, smallSize))/2, footerY, smallSize, footer)
		layer := id.next()
		pageID := id.next()
		loc := "Pages/Page_" + strconv.Itoa(i) + "/Content.xml"
		files = append(files, file{docDir + "/" + loc, []byte(xml.Header + `<ofd:Page xmlns:ofd="` + ofdNS + `"><ofd:Content><ofd:Layer ID="` +
			strconv.Itoa(layer) + `" Type="Body">` + body.String() + `</ofd:Layer></ofd:Content></ofd:Page>`)})
		fmt.Fprintf(&pageList, `<ofd:Page ID="%d" BaseLoc="%s"/>`, pageID, loc)
		refs.last = pageID
	}
	attach := ""
	if !in.MaskApplicant {
		name := p.Doc.PledgeID + ".pledge.json"
		files = append(files, file{docDir + "/Attachs/" + name, in.Package}, file{docDir + "/Attachs/Attachments.xml", []byte(xml.Header +
			`<ofd:Attachments xmlns:ofd="` + ofdNS + `"><ofd:Attachment ID="A1" Name="` + esc(name) + `" Format="json" CreationDate="` +
			p.Doc.SignedAt.UTC().Format("2006-01-02T15:04:05") + `" Size="` + num(float64(len(in.Package))/1024) +
			`" Visible="true" Usage="none"><ofd:FileLoc>` + esc(name) + `</ofd:FileLoc></ofd:Attachment></ofd:Attachments>`)})
		attach = `<ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments>`
	}
	public := xml.Header + `<ofd:Res xmlns:ofd="` + ofdNS + `" BaseLoc="Res"><ofd:Fonts><ofd:Font ID="` + strconv.Itoa(fontID) +
		`" FontName="宋体" FamilyName="SimSun" Charset="unicode"/></ofd:Fonts></ofd:Res>`
	docRes := xml.Header + `<ofd:Res xmlns:ofd="` + ofdNS + `" BaseLoc="Res"><ofd:MultiMedias><ofd:MultiMedia ID="` + strconv.Itoa(qrID) +
		`" Type="Image" Format="PNG"><ofd:MediaFile>status-qr.png</ofd:MediaFile></ofd:MultiMedia></ofd:MultiMedias></ofd:Res>`
	document := xml.Header + `<ofd:Document xmlns:ofd="` + ofdNS + `"><ofd:CommonData><ofd:MaxUnitID>` + strconv.Itoa(id.n) +
		`</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>` + nums(0, 0, pageWidth, pageHeight) + `</ofd:PhysicalBox></ofd:PageArea>` +
		`<ofd:PublicRes>PublicRes.xml</ofd:PublicRes><ofd:DocumentRes>DocumentRes.xml</ofd:DocumentRes></ofd:CommonData><ofd:Pages>` +
		pageList.String() + `</ofd:Pages>` + attach + `</ofd:Document>`
	root := xml.Header + `<ofd:OFD xmlns:ofd="` + ofdNS + `" Version="1.0" DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>` +
		docID(p.Doc.PledgeID) + `</ofd:DocID><ofd:Title>` + esc(cleanText(in.Labels["ofd.title"])+" "+p.Doc.PledgeID) +
		`</ofd:Title><ofd:Author>` + esc(cleanText(pt.agency)) + `</ofd:Author><ofd:CreationDate>` + p.Sealed.Statement.DecisionDate +
		`</ofd:CreationDate><ofd:Creator>` + providerName + `</ofd:Creator></ofd:DocInfo><ofd:DocRoot>` + docDir +
		`/Document.xml</ofd:DocRoot><ofd:Signatures>` + signaturesFile + `</ofd:Signatures></ofd:DocBody></ofd:OFD>`
	head := []file{
		{"OFD.xml", []byte(root)},
		{docDir + "/Document.xml", []byte(document)},
		{docDir + "/PublicRes.xml", []byte(public)},
		{docDir + "/DocumentRes.xml", []byte(docRes)},
		{docDir + "/Res/status-qr.png", qr},
	}
	return append(head, files...), refs, nil
}

// docID is a stable 32-hex-digit document ID: the pledge ID's digits.
func docID(pledgeID string) string { return strings.TrimPrefix(pledgeID, "P") }

// textObject writes one line of text; the box is the line's box on the
// page and the baseline sits at 88% of the font size.
func textObject(b *strings.Builder, id, font int, x, y, size float64, text string) {
	w := measure(text, size)
	fmt.Fprintf(b, `<ofd:TextObject ID="%d" Boundary="%s" Font="%d" Size="%s"><ofd:TextCode X="0" Y="%s">%s</ofd:TextCode></ofd:TextObject>`,
		id, nums(x, y, w+size, size*lineFactor), font, num(size), num(size*0.88), esc(text))
}

func signaturesXML() []byte {
	return []byte(xml.Header + `<ofd:Signatures xmlns:ofd="` + ofdNS + `"><ofd:MaxSignId>1</ofd:MaxSignId>` +
		`<ofd:Signature ID="1" Type="Seal" BaseLoc="/` + signatureFile + `"/></ofd:Signatures>`)
}

// signatureXML lists every file written so far as a Reference with its SM3
// (Base64) and stamps the seal on the last page.
func signatureXML(files []file, at time.Time, version string, page int, stamp [4]float64) []byte {
	var b strings.Builder
	b.WriteString(xml.Header + `<ofd:Signature xmlns:ofd="` + ofdNS + `"><ofd:SignedInfo><ofd:Provider ProviderName="` + providerName +
		`" Company="` + providerName + `"`)
	if v := cleanText(version); v != "" {
		b.WriteString(` Version="` + esc(v) + `"`)
	}
	b.WriteString(`/><ofd:SignatureMethod>` + oidSM2WithSM3 + `</ofd:SignatureMethod><ofd:SignatureDateTime>` +
		at.UTC().Format("20060102150405Z") + `</ofd:SignatureDateTime><ofd:References CheckMethod="` + oidSM3 + `">`)
	for _, f := range files {
		d := pki.Digest(f.data)
		b.WriteString(`<ofd:Reference FileRef="/` + esc(f.name) + `"><ofd:CheckValue>` + base64.StdEncoding.EncodeToString(d[:]) +
			`</ofd:CheckValue></ofd:Reference>`)
	}
	b.WriteString(`</ofd:References><ofd:StampAnnot ID="1" PageRef="` + strconv.Itoa(page) + `" Boundary="` +
		nums(stamp[:]...) + `"/><ofd:Seal><ofd:BaseLoc>/` + sealFile + `</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo><ofd:SignedValue>/` + signedValue + `</ofd:SignedValue></ofd:Signature>`)
	return []byte(b.String())
}

func zipFiles(files []file, at time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: at}
		fw, err := zw.CreateHeader(h)
		if err == nil {
			_, err = fw.Write(f.data)
		}
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "cannot write the OFD container")
		}
	}
	if err := zw.Close(); err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "cannot write the OFD container")
	}
	return buf.Bytes(), nil
}

// esc escapes text for XML text and attribute values; cleanText has
// already replaced characters XML cannot hold.
func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func num(f float64) string { return nums(f) }

func nums(fs ...float64) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = strconv.FormatFloat(f, 'f', 3, 64)
		out[i] = strings.TrimRight(strings.TrimRight(out[i], "0"), ".")
	}
	return strings.Join(out, " ")
}
