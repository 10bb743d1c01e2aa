package main

import (
	"context"
	"os"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

const ofdTestdata = "../../internal/ofd/testdata/"

// TestMultiSignature: the synthetic package carries the sample's signature
// copies+1 times, every copy verifies exactly as the original does, and the
// floor's hashed bytes count the shared References once.
func TestMultiSignature(t *testing.T) {
	base, err := os.ReadFile(ofdTestdata + "antchain-v4.ofd")
	if err != nil {
		t.Fatal(err)
	}
	multi, err := multiSignature(base, 3)
	if err != nil {
		t.Fatal(err)
	}
	v := ses.NewVerifier(ses.Options{})
	orig, err := ofd.Verify(context.Background(), base, ofd.Options{SES: v})
	if err != nil || len(orig.Signatures) != 1 {
		t.Fatalf("original: %v %+v", err, orig)
	}
	res, err := ofd.Verify(context.Background(), multi, ofd.Options{SES: v})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Signatures) != 4 {
		t.Fatalf("%d signatures, want 4", len(res.Signatures))
	}
	want := orig.Signatures[0]
	for _, r := range res.Signatures {
		if r.Indication != want.Indication || r.SubIndication != want.SubIndication || len(r.Checks) != len(want.Checks) {
			t.Errorf("%s: %s/%s with %d checks, original %s/%s with %d", r.ID, r.Indication, r.SubIndication, len(r.Checks), want.Indication, want.SubIndication, len(want.Checks))
		}
		for i, c := range r.Checks {
			if c.Result != want.Checks[i].Result {
				t.Errorf("%s: %s %s, original %s", r.ID, c.Name, c.Result, want.Checks[i].Result)
			}
		}
	}

	one, cms, err := ofdWork(base, false)
	if err != nil || cms != 0 || one == 0 {
		t.Fatalf("work of the original: %d bytes, %d CMS, %v", one, cms, err)
	}
	four, _, err := ofdWork(multi, false)
	if err != nil {
		t.Fatal(err)
	}
	// Each extra signature hashes its Signature.xml and TBS_Sign only.
	p, _ := ofd.Open(base, ofd.Limits{})
	sigXML, _ := p.Read("Doc_0/Signs/Sign_0/Signature.xml")
	sv, _ := p.Read("Doc_0/Signs/Sign_0/SignedValue.dat")
	sig, err := ses.ParseSignature(sv)
	if err != nil {
		t.Fatal(err)
	}
	if perSig := int64(len(sigXML) + len(sig.RawTBS)); four != one+3*perSig {
		t.Fatalf("4 signatures hash %d bytes, want %d + 3 × %d", four, one, perSig)
	}
	cold, _, _ := ofdWork(base, true)
	if cold != one+int64(len(sig.TBS.Seal.MakerSignedMessage())) {
		t.Fatalf("cold %d, warm %d: the maker's signed info is not counted once", cold, one)
	}
}

// TestOFDWorkCountsCMS: the tongz sample has one seal and one CMS signature.
func TestOFDWorkCountsCMS(t *testing.T) {
	b, err := os.ReadFile(ofdTestdata + "tongz-v4-extdatas-rawsig.ofd")
	if err != nil {
		t.Fatal(err)
	}
	if _, cms, err := ofdWork(b, false); err != nil || cms != 1 {
		t.Fatalf("%d CMS signatures, %v", cms, err)
	}
	res, err := ofd.Verify(context.Background(), b, ofd.Options{SES: ses.NewVerifier(ses.Options{})})
	if err != nil || cmsSM2(res) != 1 {
		t.Fatalf("CMS SM2 checks %d (%v)", cmsSM2(res), err)
	}
}
