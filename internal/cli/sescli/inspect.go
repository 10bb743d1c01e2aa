package sescli

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// sealView is the inspect view of a seal.
type sealView struct {
	Version      string     `json:"version"`
	Header       headerView `json:"header"`
	ESID         string     `json:"esID"`
	Type         int64      `json:"type"`
	Name         string     `json:"name"`
	CertListType *int64     `json:"certListType,omitempty"` // v4/v5 only: v1 has no such field
	Certs        []certView `json:"certs"`
	CertDigests  []string   `json:"certDigests,omitempty"`
	CertListNote string     `json:"certListNote,omitempty"`
	CreateDate   time.Time  `json:"createDate"`
	ValidStart   time.Time  `json:"validStart"`
	ValidEnd     time.Time  `json:"validEnd"`
	Picture      picView    `json:"picture"`
	ExtDatas     []extView  `json:"extDatas,omitempty"`
	MakerCert    certView   `json:"makerCert"`
	SignAlgID    string     `json:"signAlgID"`
	SignedValue  string     `json:"signedValue"`
	SHA          string     `json:"sm3"`
	Warnings     []string   `json:"warnings,omitempty"`
}

type headerView struct {
	ID      string `json:"id"`
	Version int64  `json:"version"`
	VID     string `json:"vid"`
}

type picView struct {
	Type   string `json:"type"`
	Bytes  int    `json:"bytes"`
	Width  int64  `json:"widthMM"`
	Height int64  `json:"heightMM"`
	File   string `json:"file,omitempty"`
}

type extView struct {
	ID       string `json:"id"`
	Critical bool   `json:"critical"`
	Value    string `json:"valueHex"`
}

type certView struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer,omitempty"`
	Serial    string    `json:"serial,omitempty"`
	NotBefore time.Time `json:"notBefore"`
	NotAfter  time.Time `json:"notAfter"`
	SM3       string    `json:"sm3"`
	Warning   string    `json:"warning,omitempty"`
}

type sigView struct {
	Version        string    `json:"version"`
	TBSVersion     int64     `json:"tbsVersion"`
	TimeInfo       string    `json:"timeInfo"`
	SigningTime    time.Time `json:"signingTime,omitzero"`
	DataHash       string    `json:"dataHash"`
	PropertyInfo   string    `json:"propertyInfo"`
	ExtDatas       []extView `json:"extDatas,omitempty"`
	Cert           certView  `json:"cert"`
	SignatureAlgID string    `json:"signatureAlgID"`
	Signature      string    `json:"signature"`
	TimeStamp      int       `json:"timeStampBytes,omitempty"`
	Warnings       []string  `json:"warnings,omitempty"`
	Seal           sealView  `json:"seal"`
}

type inspectOut struct {
	Kind      string    `json:"kind"` // "signature" or "seal"
	Signature *sigView  `json:"signature,omitempty"`
	Seal      *sealView `json:"seal,omitempty"`
}

func viewCert(der []byte) certView {
	d := pki.Digest(der)
	v := certView{SM3: hex.EncodeToString(d[:])}
	c, err := pki.ParseCertificateLenient(der)
	if err != nil {
		v.Warning = "unreadable certificate"
		return v
	}
	v.NotBefore, v.NotAfter = c.NotBefore, c.NotAfter
	if c.Cert != nil {
		v.Subject, v.Issuer, v.Serial = c.Cert.Subject.String(), c.Cert.Issuer.String(), c.Cert.SerialNumber.Text(16)
	} else {
		v.Warning = "fails strict X.509 parsing; public key read leniently"
	}
	return v
}

func viewExt(ext []ses.ExtData) []extView {
	var out []extView
	for _, x := range ext {
		out = append(out, extView{ID: x.ID.String(), Critical: x.Critical, Value: hex.EncodeToString(x.Value)})
	}
	return out
}

// warningTexts lists the details of parse warnings (inspect shows them as text).
func warningTexts(ws []outcome.Warning) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Detail)
	}
	return out
}

func viewSeal(s *ses.Seal) sealView {
	p := s.Info.Property
	d := pki.Digest(s.Raw)
	v := sealView{
		Version: s.Version.String(), Header: headerView(s.Info.Header), ESID: s.Info.ESID,
		Type: p.Type, Name: p.Name, CertListNote: p.CertListNote,
		CreateDate: p.CreateDate, ValidStart: p.ValidStart, ValidEnd: p.ValidEnd,
		Picture:  picView{Type: s.Info.Picture.Type, Bytes: len(s.Info.Picture.Data), Width: s.Info.Picture.Width, Height: s.Info.Picture.Height},
		ExtDatas: viewExt(s.Info.ExtDatas), MakerCert: viewCert(s.MakerCert), SignAlgID: s.SignAlgID.String(),
		SignedValue: hex.EncodeToString(s.SignedValue), SHA: hex.EncodeToString(d[:]), Warnings: warningTexts(s.Warnings),
	}
	if s.Version != ses.V1 {
		t := p.CertListType
		v.CertListType = &t
	}
	for _, c := range p.Certs {
		v.Certs = append(v.Certs, viewCert(c))
	}
	for _, cd := range p.CertDigests {
		v.CertDigests = append(v.CertDigests, cd.Type+":"+hex.EncodeToString(cd.Value))
	}
	return v
}

// safeExt is the file extension for a picture type (never a path).
func safeExt(typ string) string {
	switch strings.ToLower(typ) {
	case "png", "jpg", "jpeg", "gif", "bmp", "svg", "ofd":
		return strings.ToLower(typ)
	}
	return "bin"
}

func inspectCmd(e env) *cobra.Command {
	var asJSON bool
	var extract string
	c := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show every field of a seal or SES signature (查看印章或签章)",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			b, err := readInput(args[0], "file")
			if err != nil {
				return err
			}
			var out inspectOut
			var seal *ses.Seal
			if sig, err := ses.ParseSignature(b); err == nil {
				sv := sigView{
					Version: sig.Version.String(), TBSVersion: sig.TBS.Version, TimeInfo: sig.TBS.TimeInfoRaw,
					SigningTime: sig.TBS.TimeInfo, DataHash: hex.EncodeToString(sig.TBS.DataHash),
					PropertyInfo: sig.TBS.PropertyInfo, ExtDatas: viewExt(sig.TBS.ExtDatas), Cert: viewCert(sig.Cert),
					SignatureAlgID: sig.SignatureAlgID.String(), Signature: hex.EncodeToString(sig.Value),
					TimeStamp: len(sig.TimeStamp), Warnings: warningTexts(sig.Warnings), Seal: viewSeal(sig.TBS.Seal),
				}
				out.Kind, out.Signature, seal = "signature", &sv, sig.TBS.Seal
			} else if s, err2 := ses.ParseSeal(b); err2 == nil {
				sv := viewSeal(s)
				out.Kind, out.Seal, seal = "seal", &sv, s
			} else {
				return usagef("%s is neither an SES signature (%s) nor a seal (%s)", args[0], detailOf(err), detailOf(err2))
			}
			if extract != "" {
				if err := os.MkdirAll(extract, 0o755); err != nil {
					return usagef("cannot create %q: %v", extract, unwrapPathErr(err))
				}
				name := filepath.Join(extract, "picture."+safeExt(seal.Info.Picture.Type))
				if err := os.WriteFile(name, seal.Info.Picture.Data, 0o644); err != nil {
					return usagef("cannot write %q: %v", name, unwrapPathErr(err))
				}
				if out.Signature != nil {
					out.Signature.Seal.Picture.File = name
				} else {
					out.Seal.Picture.File = name
				}
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			printInspect(e.stdout, out)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	c.Flags().StringVar(&extract, "extract", "", "directory to write the seal picture into")
	return c
}

func detailOf(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if i := strings.Index(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func printCert(w io.Writer, indent, label string, c certView) {
	fmt.Fprintf(w, "%s%s: %s\n", indent, label, c.Subject)
	fmt.Fprintf(w, "%s  issuer %s, serial %s, valid %s to %s, sm3 %s\n", indent, c.Issuer, c.Serial, ts(c.NotBefore), ts(c.NotAfter), c.SM3)
	if c.Warning != "" {
		fmt.Fprintf(w, "%s  warning: %s\n", indent, c.Warning)
	}
}

func printSeal(w io.Writer, indent string, s sealView) {
	p := func(label string, v any) { fmt.Fprintf(w, "%s%s: %v\n", indent, label, v) }
	p("版本 Version", s.Version)
	p("头 Header", fmt.Sprintf("id %s, version %d, vid %s", s.Header.ID, s.Header.Version, s.Header.VID))
	p("印章编码 esID", s.ESID)
	p("印章类型 Type", s.Type)
	p("印章名称 Name", s.Name)
	if s.CertListType != nil {
		p("证书列表类型 certListType", *s.CertListType)
	}
	for i, c := range s.Certs {
		printCert(w, indent, fmt.Sprintf("签章者证书 Signer cert %d", i+1), c)
	}
	for _, d := range s.CertDigests {
		p("证书摘要 Cert digest", d)
	}
	if s.CertListNote != "" {
		p("证书列表说明 certList note", s.CertListNote)
	}
	p("制作日期 Created", ts(s.CreateDate))
	p("有效期 Valid", ts(s.ValidStart)+" to "+ts(s.ValidEnd))
	pic := fmt.Sprintf("%s, %d bytes, %d×%d mm", s.Picture.Type, s.Picture.Bytes, s.Picture.Width, s.Picture.Height)
	if s.Picture.File != "" {
		pic += ", written to " + s.Picture.File
	}
	p("印章图片 Picture", pic)
	for _, x := range s.ExtDatas {
		p("扩展 ExtData", fmt.Sprintf("%s critical=%v %s", x.ID, x.Critical, x.Value))
	}
	printCert(w, indent, "制章者证书 Maker cert", s.MakerCert)
	p("签名算法 Algorithm", s.SignAlgID)
	p("制章者签名 Maker signature", s.SignedValue)
	p("印章 SM3", s.SHA)
	for _, x := range s.Warnings {
		p("注意 Warning", x)
	}
}

func printInspect(w io.Writer, o inspectOut) {
	if o.Seal != nil {
		fmt.Fprintln(w, "电子印章 Electronic seal (SESeal)")
		printSeal(w, "  ", *o.Seal)
		return
	}
	s := o.Signature
	p := func(label string, v any) { fmt.Fprintf(w, "  %s: %v\n", label, v) }
	fmt.Fprintln(w, "电子签章 Electronic signature (SES_Signature)")
	p("版本 Version", fmt.Sprintf("%s (TBS_Sign version %d)", s.Version, s.TBSVersion))
	p("签章时间 timeInfo", fmt.Sprintf("%q → %s", s.TimeInfo, ts(s.SigningTime)))
	p("原文摘要 dataHash", s.DataHash)
	p("原文属性 propertyInfo", s.PropertyInfo)
	for _, x := range s.ExtDatas {
		p("扩展 ExtData", fmt.Sprintf("%s critical=%v %s", x.ID, x.Critical, x.Value))
	}
	printCert(w, "  ", "签章者证书 Signer cert", s.Cert)
	p("签名算法 Algorithm", s.SignatureAlgID)
	p("签章者签名 Signature", s.Signature)
	if s.TimeStamp > 0 {
		p("时间戳 Timestamp", fmt.Sprintf("%d bytes", s.TimeStamp))
	}
	for _, x := range s.Warnings {
		p("注意 Warning", x)
	}
	fmt.Fprintln(w, "  电子印章 Seal:")
	printSeal(w, "    ", s.Seal)
}
