package ofdmake_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type fixture struct {
	env    *verifytest.Env
	writer *ofdmake.Writer
	labels map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	env := verifytest.OnRedis(t, clk)
	labels, err := web.Messages("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{env: env, writer: &ofdmake.Writer{Sealer: env.Sealer, Clock: clk}, labels: labels}
}

// accepted returns the package of a pledge signed with req and accepted.
func (f *fixture) accepted(t *testing.T, req pledge.SignRequest) []byte {
	t.Helper()
	ctx := context.Background()
	rec, _, err := f.env.Service.SignWithEventCertificate(ctx, verifytest.Applicant, req)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	f.env.Clock.Advance(time.Minute)
	rec, err = f.env.Service.Accept(ctx, pledge.Officer{Agency: verifytest.Agency, ID: "officer-1"}, rec.ID, "朝市监许〔2026〕7号", f.env.Clock.Now().Format(time.DateOnly))
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	f.env.Clock.Advance(time.Minute)
	return f.env.Package(t, rec)
}

func (f *fixture) write(t *testing.T, pkg []byte, mask bool) []byte {
	t.Helper()
	b, err := f.writer.Write(context.Background(), ofdmake.Input{Package: pkg, Labels: f.labels, MaskApplicant: mask, Version: "test"})
	if err != nil {
		t.Fatalf("write: %v", err)
	}
	return b
}

func (f *fixture) verify(t *testing.T, b []byte) []outcome.Report {
	t.Helper()
	res, err := ofd.Verify(context.Background(), b, ofd.Options{SES: ses.NewVerifier(ses.Options{SealTrust: f.env.SealTrust})})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res.Signatures
}

func entries(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		_ = rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = data
	}
	return out
}

// rezip writes files back in the original order with one entry replaced.
func rezip(t *testing.T, orig []byte, name string, data []byte) []byte {
	t.Helper()
	return addEntries(t, orig, map[string][]byte{name: data}, nil)
}

func allPassed(t *testing.T, reps []outcome.Report) {
	t.Helper()
	if len(reps) != 1 {
		t.Fatalf("%d signatures, want 1", len(reps))
	}
	r := reps[0]
	if r.Indication != outcome.TotalPassed {
		t.Errorf("indication %s / %s", r.Indication, r.SubIndication)
	}
	for _, c := range r.Checks {
		// No timestamp authority is wired into the agency sealer (issue
		// 16): the signing time is the SES timeInfo.
		if c.Name == ses.CheckTimestamp && c.Result == outcome.NotPerformed {
			continue
		}
		// Offline (no ofd.Options.Status): the status checks are
		// NOT_PERFORMED (status_test.go verifies with the registry).
		if (c.Name == ses.CheckSealStatus || c.Name == ses.CheckMakerStatus || c.Name == ses.CheckSignerStatus) && c.Result == outcome.NotPerformed {
			continue
		}
		if c.Result != outcome.Passed {
			t.Errorf("check %s: %s %s: %s", c.Name, c.Result, c.SubIndication, c.Detail)
		}
	}
}

func TestWrittenOFDVerifiesWithEveryCheckPassed(t *testing.T) {
	f := newFixture(t)
	pkg := f.accepted(t, f.env.Request("ofd-ok-0001"))
	b := f.write(t, pkg, false)
	allPassed(t, f.verify(t, b))

	files := entries(t, b)
	for _, name := range []string{"OFD.xml", "Doc_0/Document.xml", "Doc_0/PublicRes.xml", "Doc_0/DocumentRes.xml",
		"Doc_0/Pages/Page_0/Content.xml", "Doc_0/Res/status-qr.png", "Doc_0/Attachs/Attachments.xml",
		"Doc_0/Signs/Signatures.xml", "Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/SignedValue.dat", "Doc_0/Signs/Sign_0/Seal.esl"} {
		if _, ok := files[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	// Every file but the signature's own two is a Reference.
	sx, err := ofd.ParseSignatureXML(files["Doc_0/Signs/Sign_0/Signature.xml"])
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]bool{}
	for _, r := range sx.SignedInfo.References.Items {
		refs[strings.TrimPrefix(r.FileRef, "/")] = true
	}
	for name := range files {
		own := name == "Doc_0/Signs/Sign_0/Signature.xml" || name == "Doc_0/Signs/Sign_0/SignedValue.dat"
		if refs[name] == own {
			t.Errorf("%s: referenced %v", name, refs[name])
		}
	}
	if sx.SignedInfo.References.CheckMethod != "1.2.156.10197.1.401" || sx.SignedInfo.SignatureMethod != "1.2.156.10197.1.501" {
		t.Errorf("methods %q %q", sx.SignedInfo.References.CheckMethod, sx.SignedInfo.SignatureMethod)
	}
	// The attachment is the package, byte for byte; the page shows the
	// pledge as signed, unmasked for the applicant and agency.
	p, _ := pledge.ParsePackage(pkg)
	if !bytes.Equal(files["Doc_0/Attachs/"+p.Doc.PledgeID+".pledge.json"], pkg) {
		t.Error("the attachment is not the package")
	}
	page := string(files["Doc_0/Pages/Page_0/Content.xml"])
	for _, want := range []string{p.Doc.PledgeID, p.Doc.Applicant.Name, p.Doc.Applicant.IDNumber, p.Sealed.Statement.DecisionNo,
		p.Sealed.Statement.DecisionDate, p.Doc.Notice.Digest, "本人已知晓告知书告知的全部内容。", p.Notice.MatterName.Zh} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if !strings.Contains(string(files["Doc_0/PublicRes.xml"]), `FontName="宋体" FamilyName="SimSun"`) {
		t.Error("the font is not named 宋体/SimSun")
	}
}

func TestMaskedOFDHidesTheApplicantAndCarriesNoPackage(t *testing.T) {
	f := newFixture(t)
	pkg := f.accepted(t, f.env.Request("ofd-mask-001"))
	b := f.write(t, pkg, true)
	allPassed(t, f.verify(t, b))
	p, _ := pledge.ParsePackage(pkg)
	for name, data := range entries(t, b) {
		if strings.Contains(name, "Attachs") {
			t.Errorf("masked OFD carries %s", name)
		}
		if bytes.Contains(data, []byte(p.Doc.Applicant.IDNumber)) || bytes.Contains(data, []byte(p.Doc.Applicant.Name)) {
			t.Errorf("%s holds the applicant's identity", name)
		}
	}
}

func TestWriteRefusesAPledgeNotAccepted(t *testing.T) {
	f := newFixture(t)
	rec, _, err := f.env.Service.SignWithEventCertificate(context.Background(), verifytest.Applicant, f.env.Request("ofd-signed-01"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.writer.Write(context.Background(), ofdmake.Input{Package: f.env.Package(t, rec), Labels: f.labels})
	if apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("err %v, want Conflict", err)
	}
	legacy := f.env.Package(t, f.env.LegacyAccepted(t, "ofd-legacy-1"))
	if _, err = f.writer.Write(context.Background(), ofdmake.Input{Package: legacy, Labels: f.labels}); apperr.KindOf(err) != apperr.Conflict {
		t.Fatalf("legacy: err %v, want Conflict", err)
	}
	if _, err = f.writer.Write(context.Background(), ofdmake.Input{Package: []byte(`{}`), Labels: f.labels}); apperr.KindOf(err) != apperr.Malformed {
		t.Fatalf("garbage: err %v, want Malformed", err)
	}
}

// flip changes one byte in the middle of b.
func flip(b []byte, at int) []byte {
	out := append([]byte(nil), b...)
	out[at] ^= 0x01
	return out
}

func TestOneByteChangeFailsTheMatchingCheck(t *testing.T) {
	f := newFixture(t)
	pkg := f.accepted(t, f.env.Request("ofd-tamper-1"))
	b := f.write(t, pkg, false)
	files := entries(t, b)
	p, _ := pledge.ParsePackage(pkg)
	attach := "Doc_0/Attachs/" + p.Doc.PledgeID + ".pledge.json"
	page := files["Doc_0/Pages/Page_0/Content.xml"]
	name := bytes.Index(page, []byte(p.Doc.Applicant.Name))
	sv := files["Doc_0/Signs/Sign_0/SignedValue.dat"]
	cases := []struct {
		entry string
		data  []byte
		check string
		sub   outcome.SubIndication
	}{
		{"Doc_0/Pages/Page_0/Content.xml", flip(page, name), ofd.CheckReferencePfx + "/Doc_0/Pages/Page_0/Content.xml", outcome.HashFailure},
		{attach, flip(files[attach], len(files[attach])/2), ofd.CheckReferencePfx + "/" + attach, outcome.HashFailure},
		{"Doc_0/Attachs/Attachments.xml", flip(files["Doc_0/Attachs/Attachments.xml"], 60), ofd.CheckReferencePfx + "/Doc_0/Attachs/Attachments.xml", outcome.HashFailure},
		{"Doc_0/Res/status-qr.png", flip(files["Doc_0/Res/status-qr.png"], 100), ofd.CheckReferencePfx + "/Doc_0/Res/status-qr.png", outcome.HashFailure},
		{"Doc_0/Document.xml", flip(files["Doc_0/Document.xml"], 50), ofd.CheckReferencePfx + "/Doc_0/Document.xml", outcome.HashFailure},
		{"OFD.xml", bytes.Replace(files["OFD.xml"], []byte("PledgeSeal"), []byte("PledgeSeaL"), 1), ofd.CheckReferencePfx + "/OFD.xml", outcome.HashFailure},
		{"Doc_0/Signs/Signatures.xml", bytes.Replace(files["Doc_0/Signs/Signatures.xml"], []byte("<ofd:MaxSignId>1"), []byte("<ofd:MaxSignId>2"), 1), ofd.CheckReferencePfx + "/Doc_0/Signs/Signatures.xml", outcome.HashFailure},
		{"Doc_0/Signs/Sign_0/Signature.xml", bytes.Replace(files["Doc_0/Signs/Sign_0/Signature.xml"], []byte("ProviderName=\"PledgeSeal\""), []byte("ProviderName=\"PledgeSeaL\""), 1), ses.CheckDataHash, outcome.HashFailure},
		// The last byte of the signer's signature value (a DER INTEGER of s).
		{"Doc_0/Signs/Sign_0/SignedValue.dat", flip(sv, len(sv)-1), ses.CheckSignerSignature, outcome.SigCryptoFailure},
	}
	for _, c := range cases {
		t.Run(c.entry, func(t *testing.T) {
			if bytes.Equal(c.data, files[c.entry]) {
				t.Fatal("nothing changed")
			}
			reps := f.verify(t, rezip(t, b, c.entry, c.data))
			if len(reps) != 1 || reps[0].Indication != outcome.TotalFailed {
				t.Fatalf("reports %+v", reps)
			}
			found := false
			for _, ch := range reps[0].Checks {
				if ch.Name == c.check {
					found = true
					if ch.Result != outcome.Failed || ch.SubIndication != c.sub {
						t.Errorf("%s: %s %s, want FAILED %s", ch.Name, ch.Result, ch.SubIndication, c.sub)
					}
				}
			}
			if !found {
				t.Errorf("no check %s in %+v", c.check, reps[0].Checks)
			}
		})
	}
	// A byte changed in the container itself (compressed data) is caught
	// by the ZIP checksum: the package is refused or a check fails.
	raw := flip(b, len(b)/3)
	res, err := ofd.Verify(context.Background(), raw, ofd.Options{SES: ses.NewVerifier(ses.Options{SealTrust: f.env.SealTrust})})
	if err == nil && outcome.Worst(res.Signatures) == outcome.TotalPassed {
		t.Error("a changed container byte still verifies")
	}
}

// TestHostileFieldsStayWellFormedAndVerify writes pledges whose applicant
// fields hold XML metacharacters, markup, line breaks, tabs, bidi controls
// and very long text: every XML file is well-formed, the text is there
// escaped, nothing is injected, and the OFD verifies.
func TestHostileFieldsStayWellFormedAndVerify(t *testing.T) {
	f := newFixture(t)
	hostile := []string{
		`</ofd:TextCode></ofd:TextObject><ofd:ImageObject ID="9999"/>&amp;<!-- -->`,
		"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;",
		"]]><![CDATA[ \" ' < > &",
		"line1\nline2\tTab \u202etxet desrever\u202c \ufeffBOM \u200b",
		strings.Repeat("长", 1000),
		strings.Repeat("W", 1000),
		strings.Repeat("长", 1000),
		strings.Repeat("Word ", 200),
	}
	req := f.env.Request("ofd-hostile-1")
	for i, h := range hostile {
		req.Facts = append(req.Facts, pledge.Fact{Code: "F" + string(rune('A'+i)), Label: pledge.Text{Zh: "说明" + h[:min(len(h), 30)]}, Value: h})
	}
	pkg := f.accepted(t, req)
	b := f.write(t, pkg, false)
	allPassed(t, f.verify(t, b))
	files := entries(t, b)
	pages := 0
	for name, data := range files {
		if !strings.HasSuffix(name, ".xml") {
			continue
		}
		if strings.HasPrefix(name, "Doc_0/Pages/") {
			pages++
		}
		d := xml.NewDecoder(bytes.NewReader(data))
		d.Strict = true
		images, depth := 0, 0
		for {
			tok, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s is not well-formed: %v", name, err)
			}
			switch v := tok.(type) {
			case xml.Directive, xml.Comment:
				t.Errorf("%s holds %T %q", name, v, v)
			case xml.StartElement:
				depth++
				if v.Name.Local == "ImageObject" {
					images++
				}
			case xml.EndElement:
				depth--
			case xml.CharData:
				if depth > 0 && bytes.ContainsAny(v, "\n\t\u202e") {
					t.Errorf("%s holds a control character in text", name)
				}
			}
		}
		if images > 1 {
			t.Errorf("%s: %d images, markup was injected", name, images)
		}
	}
	if pages < 3 {
		t.Errorf("%d pages for 4000 characters of facts, want several", pages)
	}
	all := ""
	for name, data := range files {
		if strings.HasPrefix(name, "Doc_0/Pages/") {
			all += string(data)
		}
	}
	if !strings.Contains(all, "&lt;/ofd:TextCode&gt;") || !strings.Contains(all, "&amp;amp;") {
		t.Error("the hostile text is not there, escaped")
	}
}

// TestSignedValueVerifiesWithOpenSSL checks the OFD's SES with OpenSSL
// alone: asn1parse finds and extracts TBS_Sign, the signer certificate, the
// signature and dataHash; dgst -sm3 with the default SM2 ID verifies the
// signature over TBS_Sign; dataHash is OpenSSL's SM3 of Signature.xml. A
// changed TBS_Sign byte must then fail the same command.
func TestSignedValueVerifiesWithOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	f := newFixture(t)
	files := entries(t, f.write(t, f.accepted(t, f.env.Request("ofd-openssl-1")), false))
	dir := t.TempDir()
	in := func(n string) string { return filepath.Join(dir, n) }
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("openssl", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	for n, b := range map[string][]byte{"sv.der": files["Doc_0/Signs/Sign_0/SignedValue.dat"], "Signature.xml": files["Doc_0/Signs/Sign_0/Signature.xml"]} {
		if err := os.WriteFile(in(n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	type elem struct {
		off, depth int
		kind       string
	}
	re := regexp.MustCompile(`(?m)^\s*(\d+):d=(\d+)\s+hl=\s*\d+\s+l=\s*\d+\s+(?:prim|cons):\s+(\S+(?: \S+)?)`)
	var d1, d2 []elem
	for _, m := range re.FindAllStringSubmatch(run("asn1parse", "-inform", "DER", "-in", in("sv.der")), -1) {
		off, _ := strconv.Atoi(m[1])
		depth, _ := strconv.Atoi(m[2])
		e := elem{off, depth, strings.TrimSpace(m[3])}
		switch {
		case depth == 1:
			d1 = append(d1, e)
		case depth == 2 && len(d1) == 1:
			d2 = append(d2, e)
		}
	}
	if len(d1) != 4 || d1[0].kind != "SEQUENCE" || d1[1].kind != "OCTET STRING" || d1[3].kind != "BIT STRING" || len(d2) < 5 || d2[3].kind != "BIT STRING" {
		t.Fatalf("SES_Signature shape: %+v / %+v", d1, d2)
	}
	strparse := func(off int, out string) {
		run("asn1parse", "-inform", "DER", "-in", in("sv.der"), "-strparse", strconv.Itoa(off), "-noout", "-out", in(out))
	}
	strparse(d1[0].off, "tbs.der")
	strparse(d1[1].off, "cert.der")
	strparse(d1[3].off, "sig.der")
	strparse(d2[3].off, "datahash.bin")
	run("x509", "-inform", "DER", "-in", in("cert.der"), "-pubkey", "-noout", "-out", in("pub.pem"))
	verify := func() (string, error) {
		out, err := exec.Command("openssl", "dgst", "-sm3", "-sigopt", "distid:1234567812345678", "-verify", in("pub.pem"),
			"-signature", in("sig.der"), in("tbs.der")).CombinedOutput()
		return string(out), err
	}
	if out, err := verify(); err != nil || !strings.Contains(out, "Verified OK") {
		t.Fatalf("openssl does not verify the SES signature over TBS_Sign: %v\n%s", err, out)
	}
	dh, err := os.ReadFile(in("datahash.bin"))
	if err != nil {
		t.Fatal(err)
	}
	sum := strings.Fields(run("dgst", "-sm3", "-r", in("Signature.xml")))[0]
	if got := hex.EncodeToString(dh); got != sum {
		t.Fatalf("dataHash %s, OpenSSL SM3 of Signature.xml %s", got, sum)
	}
	tbs, _ := os.ReadFile(in("tbs.der"))
	if err := os.WriteFile(in("tbs.der"), flip(tbs, len(tbs)-5), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(); err == nil || strings.Contains(out, "Verified OK") {
		t.Fatalf("a changed TBS_Sign still verifies: %s", out)
	}
}
