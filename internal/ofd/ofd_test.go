package ofd

import (
	"archive/zip"
	"bytes"
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func failed(r outcome.Report) []string {
	var out []string
	for _, c := range r.Checks {
		if c.Result == outcome.Failed {
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

type sigWant struct {
	id, version string
	ind         outcome.Indication
	sub         outcome.SubIndication
	failed      []string
}

// TestSamples: every sample OFD gives exactly the outcomes its README lists.
func TestSamples(t *testing.T) {
	ref := func(f string) string { return CheckReferencePfx + f }
	noChain := outcome.NoCertificateChainFound
	tests := []struct {
		file string
		want []sigWant
	}{
		{"kinggrid-v1-0031.ofd", []sigWant{{"1", "v1", outcome.IndeterminateResult, noChain, nil}}},
		{"aztsign-v4.ofd", []sigWant{
			{"2", "v4", outcome.IndeterminateResult, noChain, nil},
			{"4", "v4", outcome.IndeterminateResult, noChain, nil}}},
		{"antchain-v4.ofd", []sigWant{{"1", "v4", outcome.IndeterminateResult, noChain, nil}}},
		{"tongz-v4-extdatas-rawsig.ofd", []sigWant{
			{"2", "v4", outcome.TotalFailed, outcome.HashFailure, sorted(ref("/OFD.xml"), ref("/Doc_0/Document.xml"), ref("/Doc_0/Pages/Page_0/Content.xml"))},
			{"4", "cms", outcome.TotalFailed, outcome.HashFailure, sorted(ref("/OFD.xml"), ref("/Doc_0/Document.xml"), ref("/Doc_0/Pages/Page_0/Content.xml"))}}},
		{"dms360-v1-nonstd.ofd", []sigWant{{"0", "v1", outcome.TotalFailed, outcome.SigCryptoFailure, sorted(
			ref("/Doc_0/Document.xml"), ref("/Doc_0/Pages/Page_0/Content.xml"), ref("/Doc_0/Pages/Page_1/Content.xml"),
			ref("/Doc_0/PublicRes.xml"), ref("/OFD.xml"),
			ses.CheckSignerSignature, ses.CheckSignerInSeal, ses.CheckDataHash)}}},
	}
	v := ses.NewVerifier(ses.Options{})
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			res, err := Verify(context.Background(), readFile(t, "testdata/"+tt.file), Options{SES: v})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Signatures) != len(tt.want) {
				t.Fatalf("%d signatures, want %d", len(res.Signatures), len(tt.want))
			}
			for i, w := range tt.want {
				r := res.Signatures[i]
				if r.ID != w.id || r.Version != w.version || r.Indication != w.ind || r.SubIndication != w.sub {
					t.Errorf("signature %d: %s %s %s/%s, want %s %s %s/%s", i, r.ID, r.Version, r.Indication, r.SubIndication, w.id, w.version, w.ind, w.sub)
				}
				if got := failed(r); strings.Join(got, "|") != strings.Join(w.failed, "|") {
					t.Errorf("signature %s failed %v\nwant %v", r.ID, got, w.failed)
				}
			}
		})
	}
}

func TestSampleFacts(t *testing.T) {
	v := ses.NewVerifier(ses.Options{})
	get := func(file string) *Result {
		res, err := Verify(context.Background(), readFile(t, "testdata/"+file), Options{SES: v})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	// dms360: only the Seal.esl Reference (SM3 with ZA) matches.
	r := get("dms360-v1-nonstd.ofd").Signatures[0]
	c, ok := r.Find(CheckReferencePfx + "/Doc_0/Signs/Sign_0/Seal.esl")
	if !ok || c.Result != outcome.Passed || !strings.Contains(c.Detail, "ZA") {
		t.Fatalf("dms360 Seal.esl reference: %+v", c)
	}
	// tongz: the Type="Sign" CMS signature verifies cryptographically.
	r = get("tongz-v4-extdatas-rawsig.ofd").Signatures[1]
	for _, name := range []string{CheckCMSFormat, CheckCMSSignature, CheckCMSContent} {
		if c, _ := r.Find(name); c.Result != outcome.Passed {
			t.Errorf("tongz %s = %s (%s)", name, c.Result, c.Detail)
		}
	}
	// aztsign: the Seal.esl files are byte-identical to the embedded seals.
	for _, r := range get("aztsign-v4.ofd").Signatures {
		if c, _ := r.Find(CheckSealFile); c.Result != outcome.Passed {
			t.Errorf("aztsign %s seal file %s", r.ID, c.Result)
		}
	}
}

// TestSamplesWithAnchors trusts each good sample's own certificates to
// exercise the whole pass path end to end.
func TestSamplesWithAnchors(t *testing.T) {
	for _, file := range []string{"kinggrid-v1-0031.ofd", "aztsign-v4.ofd", "antchain-v4.ofd"} {
		t.Run(file, func(t *testing.T) {
			data := readFile(t, "testdata/"+file)
			anchors := sampleCerts(t, data)
			v := ses.NewVerifier(ses.Options{SealTrust: pki.NewTrustStore(anchors, nil)})
			res, err := Verify(context.Background(), data, Options{SES: v})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range res.Signatures {
				if r.Indication != outcome.TotalPassed {
					t.Errorf("%s: %s/%s", r.ID, r.Indication, r.SubIndication)
				}
			}
		})
	}
}

func sampleCerts(t *testing.T, data []byte) []*smx509.Certificate {
	t.Helper()
	p, err := Open(data, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*smx509.Certificate
	for _, n := range p.Names() {
		if !strings.HasSuffix(n, "SignedValue.dat") {
			continue
		}
		b, _ := p.Read(n)
		s, err := ses.ParseSignature(b)
		if err != nil {
			continue
		}
		for _, der := range [][]byte{s.Cert, s.TBS.Seal.MakerCert} {
			if c, err := pki.ParseCertificate(der); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// rezip returns data with entry name changed by mutate.
func rezip(t testing.TB, data []byte, name string, mutate func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	found := false
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		content := b.Bytes()
		if f.Name == name {
			content, found = mutate(bytes.Clone(content)), true
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(content)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no entry %s", name)
	}
	return buf.Bytes()
}

// changeTime changes one digit of SignatureDateTime: the XML stays valid and
// no Reference is touched.
func changeTime(b []byte) []byte {
	i := bytes.Index(b, []byte("SignatureDateTime>")) + len("SignatureDateTime>")
	if b[i] == '1' {
		b[i] = '2'
	} else {
		b[i] = '1'
	}
	return b
}

func flipEnd(b []byte) []byte {
	b[len(b)-5] ^= 0x01
	return b
}

func flipAt(frac int) func([]byte) []byte {
	return func(b []byte) []byte {
		b[len(b)*frac/100] ^= 0x01
		return b
	}
}

// TestTamperedParts: a one-byte change in each protected region of a real
// package makes exactly the matching checks fail.
func TestTamperedParts(t *testing.T) {
	ref := func(f string) string { return CheckReferencePfx + f }
	tests := []struct {
		file, entry string
		mutate      func([]byte) []byte
		want        []string
	}{
		{"kinggrid-v1-0031.ofd", "Doc_0/Document.xml", flipAt(50), []string{ref("/Doc_0/Document.xml")}},
		{"kinggrid-v1-0031.ofd", "Doc_0/Pages/Page_2/Content.xml", flipAt(50), []string{ref("/Doc_0/Pages/Page_2/Content.xml")}},
		{"kinggrid-v1-0031.ofd", "Doc_0/Signs/Sign_0/Signature.xml", changeTime, []string{ses.CheckDataHash}},
		{"kinggrid-v1-0031.ofd", "Doc_0/Signs/Sign_0/Seal.esl", flipAt(50), sorted(ref("/Doc_0/Signs/Sign_0/Seal.esl"), CheckSealFile)},
		{"kinggrid-v1-0031.ofd", "Doc_0/Signs/Sign_0/SignedValue.dat", flipEnd, []string{ses.CheckSignerSignature}},
		{"antchain-v4.ofd", "Doc_0/Attachs/Attachments.xml", flipAt(50), []string{ref("/Doc_0/Attachs/Attachments.xml")}},
		{"antchain-v4.ofd", "Doc_0/Signs/Sign_0/Signature.xml", changeTime, []string{ses.CheckDataHash}},
		{"antchain-v4.ofd", "OFD.xml", flipAt(60), []string{ref("/OFD.xml")}},
	}
	v := ses.NewVerifier(ses.Options{})
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.entry, func(t *testing.T) {
			data := rezip(t, readFile(t, "testdata/"+tt.file), tt.entry, tt.mutate)
			res, err := Verify(context.Background(), data, Options{SES: v})
			if err != nil {
				t.Fatal(err)
			}
			r := res.Signatures[0]
			if got := failed(r); strings.Join(got, "|") != strings.Join(sorted(tt.want...), "|") {
				t.Fatalf("failed %v, want %v", got, tt.want)
			}
			if r.Indication != outcome.TotalFailed {
				t.Fatalf("indication %s", r.Indication)
			}
		})
	}
}

func TestNotAPackage(t *testing.T) {
	v := ses.NewVerifier(ses.Options{})
	for _, in := range [][]byte{nil, []byte("not a zip"), readFile(t, "testdata/antchain-v4.ofd")[:1000]} {
		if _, err := Verify(context.Background(), in, Options{SES: v}); apperr.KindOf(err) != apperr.Malformed {
			t.Fatalf("got %v", err)
		}
	}
}
