package ofd

import (
	"context"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"golang.org/x/crypto/cryptobyte"
)

// indefinite rewrites the outer levels of a DER element with indefinite
// lengths (`30 80 06 0a … 00 00`), the way BouncyCastle writes a CMS
// SignedData: ContentInfo, its [0] and the SignedData SEQUENCE; everything
// inside (certificates, SignerInfo, signed attributes) stays DER.
func indefinite(t *testing.T, der []byte, levels int) []byte {
	t.Helper()
	in := cryptobyte.String(der)
	var el cryptobyte.String
	var tag cryptobyte.String
	if !in.ReadAnyASN1Element(&el, nil) {
		t.Fatal("not DER")
	}
	tag = el[:1]
	var content cryptobyte.String
	if !el.ReadAnyASN1(&content, nil) || levels == 0 || tag[0]&0x20 == 0 {
		return der
	}
	out := []byte{tag[0], 0x80}
	for !content.Empty() {
		var kid cryptobyte.String
		if !content.ReadAnyASN1Element(&kid, nil) {
			t.Fatal("not DER")
		}
		out = append(out, indefinite(t, kid, levels-1)...)
	}
	return append(out, 0, 0)
}

// TestBERSignedValue (issue 14, item 2): a Type="Sign" SignedValue.dat in
// BER (BouncyCastle) is read, verified as before and flagged with a
// warning; before the fix it was INDETERMINATE/UNSUPPORTED with the parse
// error thrown away.
func TestBERSignedValue(t *testing.T) {
	const sv = "Doc_0/Signs/Sign_3/SignedValue.dat"
	data := rezip(t, readFile(t, "testdata/tongz-v4-extdatas-rawsig.ofd"), sv, func(b []byte) []byte {
		ber := indefinite(t, b, 3)
		if !strings.HasPrefix(string(ber), "\x30\x80\x06\x0a") {
			t.Fatalf("fixture starts % x", ber[:4])
		}
		return ber
	})
	res, err := Verify(context.Background(), data, Options{SES: ses.NewVerifier(ses.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Signatures[1]
	for _, name := range []string{CheckCMSFormat, CheckCMSSignature, CheckCMSContent} {
		if c, _ := r.Find(name); c.Result != outcome.Passed {
			t.Errorf("%s = %s (%s)", name, c.Result, c.Detail)
		}
	}
	c, _ := r.Find(CheckCMSFormat)
	if len(c.Warnings) != 1 || c.Warnings[0].Code != outcome.WarnBEREncoding || !strings.Contains(c.Detail, "BER") {
		t.Errorf("cms-format warnings %+v detail %q", c.Warnings, c.Detail)
	}
	// The document was edited after signing (README): still the references fail.
	if r.Indication != outcome.TotalFailed || r.SubIndication != outcome.HashFailure {
		t.Errorf("indication %s/%s", r.Indication, r.SubIndication)
	}

	// A SignedValue that is not a SignedData keeps its parse error in the detail.
	broken := rezip(t, readFile(t, "testdata/tongz-v4-extdatas-rawsig.ofd"), sv, func(b []byte) []byte { return b[:len(b)/2] })
	res, err = Verify(context.Background(), broken, Options{SES: ses.NewVerifier(ses.Options{})})
	if err != nil {
		t.Fatal(err)
	}
	c, _ = res.Signatures[1].Find(CheckCMSFormat)
	if c.Result != outcome.Indeterminate || !strings.Contains(c.Detail, "malformed CMS SignedData") {
		t.Errorf("broken SignedValue: %s %q", c.Result, c.Detail)
	}
}
