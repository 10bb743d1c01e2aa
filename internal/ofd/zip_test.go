package ofd

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

type entry struct {
	name string
	data []byte
	raw  bool // stored, not deflated
}

func makeZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.raw {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestZipRefusals(t *testing.T) {
	ok := entry{name: "OFD.xml", data: []byte("<OFD/>")}
	many := []entry{}
	for i := 0; i < 11; i++ {
		many = append(many, entry{name: strings.Repeat("a", i+1), data: []byte("x")})
	}
	tests := []struct {
		name    string
		zip     []byte
		lim     Limits
		kind    apperr.Kind
		inError string
	}{
		{"path traversal", makeZip(t, ok, entry{name: "../../etc/passwd", data: []byte("x")}), Limits{}, apperr.Malformed, "path traversal"},
		{"traversal inside", makeZip(t, entry{name: "Doc_0/../../x", data: []byte("x")}), Limits{}, apperr.Malformed, "path traversal"},
		{"absolute path", makeZip(t, entry{name: "/etc/passwd", data: []byte("x")}), Limits{}, apperr.Malformed, "absolute"},
		{"drive letter", makeZip(t, entry{name: "C:/x", data: []byte("x")}), Limits{}, apperr.Malformed, "absolute"},
		{"backslash", makeZip(t, entry{name: `Doc_0\x`, data: []byte("x")}), Limits{}, apperr.Malformed, "backslash"},
		{"duplicate", makeZip(t, ok, ok), Limits{}, apperr.Malformed, "twice"},
		{"duplicate by case", makeZip(t, ok, entry{name: "ofd.xml", data: []byte("x")}), Limits{}, apperr.Malformed, "twice"},
		{"too many entries", makeZip(t, many...), Limits{MaxEntries: 10}, apperr.TooLarge, "entries"},
		{"entry too large", makeZip(t, entry{name: "big", data: make([]byte, 2000), raw: true}), Limits{MaxEntrySize: 1000}, apperr.TooLarge, "limit"},
		{"total too large", makeZip(t, entry{name: "a", data: make([]byte, 600), raw: true}, entry{name: "b", data: make([]byte, 600), raw: true}), Limits{MaxTotalSize: 1000}, apperr.TooLarge, "expands"},
		{"zip bomb ratio", makeZip(t, entry{name: "bomb", data: make([]byte, 4<<20)}), Limits{}, apperr.TooLarge, "zip bomb"},
		{"not a zip", []byte("PK\x03\x04 but not really"), Limits{}, apperr.Malformed, "not a readable ZIP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(tt.zip, tt.lim)
			if err == nil || apperr.KindOf(err) != tt.kind || !strings.Contains(apperr.As(err).Detail, tt.inError) {
				t.Fatalf("got %v, want %s containing %q", err, tt.kind, tt.inError)
			}
		})
	}
	// Within the limits, the same shapes open.
	if _, err := Open(makeZip(t, ok, entry{name: "Doc_0/a.xml", data: make([]byte, 100)}), Limits{}); err != nil {
		t.Fatal(err)
	}
}

// TestZipLyingDirectory: an entry whose directory understates its size is
// refused when read, not trusted.
func TestZipLyingDirectory(t *testing.T) {
	z := makeZip(t, entry{name: "a", data: bytes.Repeat([]byte("abc"), 1000), raw: true})
	// Patch the central-directory uncompressed size (offset 24 in the
	// central header) from 3000 to 10.
	cd := bytes.LastIndex(z, []byte("PK\x01\x02"))
	z[cd+24], z[cd+25] = 10, 0
	p, err := Open(z, Limits{})
	if err != nil {
		return // refusing at open is fine too
	}
	if _, err := p.Read("a"); err == nil {
		t.Fatal("read an entry larger than its directory says")
	}
}

func TestResolve(t *testing.T) {
	tests := []struct{ base, loc, want string }{
		{"Doc_0/Signs", "Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/Signature.xml"},
		{"Doc_0/Signs", "/Doc_0/Signs/Sign_0/Signature.xml", "Doc_0/Signs/Sign_0/Signature.xml"},
		{"Doc_0", "//Doc_0//Signs/Signatures.xml", "Doc_0/Signs/Signatures.xml"},
		{"", "OFD.xml", "OFD.xml"},
	}
	for _, tt := range tests {
		if got, err := Resolve(tt.base, tt.loc); err != nil || got != tt.want {
			t.Errorf("Resolve(%q, %q) = %q, %v; want %q", tt.base, tt.loc, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "../x", "/a/../../b", `a\b`, "/"} {
		if _, err := Resolve("Doc_0", bad); err == nil {
			t.Errorf("Resolve accepted %q", bad)
		}
	}
}

func TestXMLRefusals(t *testing.T) {
	deep := strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100)
	tests := []struct{ name, xml string }{
		{"doctype", `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><ofd:OFD xmlns:ofd="u">&e;</ofd:OFD>`},
		{"deep", deep},
		{"not xml", "hello <"},
		{"gbk", `<?xml version="1.0" encoding="GBK"?><OFD/>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseOFDXML([]byte(tt.xml)); apperr.KindOf(err) != apperr.Malformed && apperr.KindOf(err) != apperr.Unsupported {
				t.Fatalf("got %v", err)
			}
		})
	}
	locs, err := ParseOFDXML([]byte(`<OFD><DocBody><Signatures> /Doc_0/Signs/Signatures.xml </Signatures></DocBody><DocBody/></OFD>`))
	if err != nil || len(locs) != 1 || locs[0] != "/Doc_0/Signs/Signatures.xml" {
		t.Fatalf("%v %v", locs, err)
	}
}

// buildSignedOFD makes a minimal OFD sealed with a seal and signature made
// by the ses package, the way an OFD seal product lays it out.
func buildSignedOFD(t testing.TB) ([]byte, *pki.TrustStore) {
	t.Helper()
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	rootCA := pkitest.NewCA(t, "Root", t0.Add(-time.Hour), t0.AddDate(5, 0, 0), 0)
	agency := rootCA.Leaf(t, "Agency", t0.Add(-time.Hour), t0.AddDate(1, 0, 0))
	root, certDER, signer := rootCA.Cert, agency.DER, agency.Signer()
	seal, err := ses.MakeSeal(ses.SealRequest{ESID: "E1", Type: 1, Name: "测试章", SignerCerts: [][]byte{certDER},
		ValidStart: t0.Add(-time.Hour), ValidEnd: t0.AddDate(1, 0, 0),
		Picture: ses.Picture{Type: "SVG", Data: []byte("<svg/>"), Width: 40, Height: 40}},
		ses.Maker{Signer: signer, Cert: certDER}, clk)
	if err != nil {
		t.Fatal(err)
	}
	ofdXML := []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot><ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>`)
	doc := []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"/>`)
	sum := func(b []byte) string { d := pki.Digest(b); return b64(d[:]) }
	sigXML := []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:Signature xmlns:ofd="http://www.ofdspec.org/2016"><ofd:SignedInfo>` +
		`<ofd:Provider ProviderName="PledgeSeal" Version="1" Company="PledgeSeal"/><ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod>` +
		`<ofd:SignatureDateTime>20260301080000Z</ofd:SignatureDateTime><ofd:References CheckMethod="1.2.156.10197.1.401">` +
		`<ofd:Reference FileRef="/Doc_0/Document.xml"><ofd:CheckValue>` + sum(doc) + `</ofd:CheckValue></ofd:Reference>` +
		`<ofd:Reference FileRef="/OFD.xml"><ofd:CheckValue>` + sum(ofdXML) + `</ofd:CheckValue></ofd:Reference>` +
		`<ofd:Reference FileRef="/Doc_0/Signs/Sign_0/Seal.esl"><ofd:CheckValue>` + sum(seal.Raw) + `</ofd:CheckValue></ofd:Reference>` +
		`</ofd:References><ofd:Seal><ofd:BaseLoc>Seal.esl</ofd:BaseLoc></ofd:Seal></ofd:SignedInfo>` +
		`<ofd:SignedValue>/Doc_0/Signs/Sign_0/SignedValue.dat</ofd:SignedValue></ofd:Signature>`)
	clk.Advance(time.Minute)
	sig, err := ses.Sign(ses.SignRequest{Seal: seal, DataHash: ses.DataDigest(sigXML), PropertyInfo: "/Doc_0/Signs/Sign_0/Signature.xml"},
		ses.Signer{Signer: signer, Cert: certDER}, clk)
	if err != nil {
		t.Fatal(err)
	}
	sigs := []byte(`<?xml version="1.0" encoding="UTF-8"?><ofd:Signatures xmlns:ofd="http://www.ofdspec.org/2016"><ofd:MaxSignId>1</ofd:MaxSignId><ofd:Signature ID="s1" BaseLoc="Sign_0/Signature.xml"/></ofd:Signatures>`)
	z := makeZip(t,
		entry{name: "OFD.xml", data: ofdXML},
		entry{name: "Doc_0/Document.xml", data: doc},
		entry{name: "Doc_0/Signs/Signatures.xml", data: sigs},
		entry{name: "Doc_0/Signs/Sign_0/Signature.xml", data: sigXML},
		entry{name: "Doc_0/Signs/Sign_0/Seal.esl", data: seal.Raw},
		entry{name: "Doc_0/Signs/Sign_0/SignedValue.dat", data: sig.Raw},
	)
	return z, pki.NewTrustStore([]*smx509.Certificate{root}, nil)
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func TestOurOwnSignedOFD(t *testing.T) {
	z, trust := buildSignedOFD(t)
	v := ses.NewVerifier(ses.Options{SealTrust: trust})
	res, err := Verify(context.Background(), z, Options{SES: v})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signatures) != 1 || res.Signatures[0].Indication != outcome.TotalPassed {
		t.Fatalf("%+v", res.Signatures)
	}
	// Without anchors: INDETERMINATE.
	res, _ = Verify(context.Background(), z, Options{SES: ses.NewVerifier(ses.Options{})})
	if res.Signatures[0].Indication != outcome.IndeterminateResult {
		t.Fatalf("%s", res.Signatures[0].Indication)
	}
	// A changed document part fails exactly its reference.
	bad := rezip(t, z, "Doc_0/Document.xml", func(b []byte) []byte { return append(b, ' ') })
	res, _ = Verify(context.Background(), bad, Options{SES: v})
	if got := failed(res.Signatures[0]); len(got) != 1 || got[0] != CheckReferencePfx+"/Doc_0/Document.xml" {
		t.Fatalf("failed %v", got)
	}
}
