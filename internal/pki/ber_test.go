package pki

import (
	"bytes"
	"crypto/x509/pkix"
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// toBERForTest rewrites DER the way BouncyCastle's BER output looks:
// constructed elements down to levels deep get indefinite lengths
// (`30 80 … 00 00`), deeper ones stay DER (BouncyCastle writes SignerInfo
// contents, signed attributes included, in DER), and primitive OCTET
// STRINGs of more than chunk bytes above that depth are split into a
// constructed, indefinite OCTET STRING of chunk-byte pieces.
func toBERForTest(t testing.TB, der []byte, levels, chunk int) []byte {
	t.Helper()
	var out []byte
	in := cryptobyte.String(der)
	for !in.Empty() {
		out = append(out, toBER(t, &in, levels, chunk)...)
	}
	return out
}

func toBER(t testing.TB, in *cryptobyte.String, levels, chunk int) []byte {
	var el cryptobyte.String
	var hdr int
	if !in.ReadAnyASN1Element(&el, nil) {
		t.Fatal("not DER")
	}
	_, hdr, _, _, _ = berHeader(el)
	tag, content := el[0], el[hdr:]
	switch {
	case levels <= 0:
		return el
	case tag&0x20 != 0:
		out := []byte{tag, 0x80}
		c := cryptobyte.String(content)
		for !c.Empty() {
			out = append(out, toBER(t, &c, levels-1, chunk)...)
		}
		return append(out, 0, 0)
	case tag == 0x04 && len(content) > chunk:
		out := []byte{0x24, 0x80}
		for len(content) > 0 {
			n := min(chunk, len(content))
			out = appendTLV(out, 0x04, content[:n])
			content = content[n:]
		}
		return append(out, 0, 0)
	}
	return el
}

// TestBERCMS: a SignedData written with indefinite lengths (as
// BouncyCastle does) is read by ParseCMSAllowBER through its DER, which is
// byte for byte the DER it was made from (signed attributes as found), and
// verifies; ParseCMS and the Verify functions stay DER-only (pledge paths).
// On today's code the BER is refused as malformed.
func TestBERCMS(t *testing.T) {
	ca := newTestCA(t)
	leafKey, _ := GenerateKey()
	leafDER, err := Issue(CertRequest{Subject: pkix.Name{CommonName: "BouncyCastle signer"}, PublicKey: leafKey,
		NotBefore: t0, NotAfter: t0.AddDate(1, 0, 0)}, ca.issuer)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("签署的 Signature.xml "), 40)
	at := t0.Add(time.Hour)
	detached, err := SignDetached(data, leafDER, NewKeySigner(leafKey), at)
	if err != nil {
		t.Fatal(err)
	}
	attached, err := SignAttached(data, leafDER, NewKeySigner(leafKey), at)
	if err != nil {
		t.Fatal(err)
	}
	ber := toBERForTest(t, detached, 4, 100)
	if !bytes.HasPrefix(ber, []byte{0x30, 0x80, 0x06, 0x0a}) {
		t.Fatalf("fixture does not start like BouncyCastle BER: % x", ber[:4])
	}
	// The DER-only entry points (pledge paths) refuse it.
	if _, err := VerifyDetached(ber, data); !errors.Is(err, ErrCMSFormat) {
		t.Fatalf("strict parse of BER: %v", err)
	}
	sd, der, err := ParseCMSAllowBER(ber)
	if err != nil || !sd.FromBER || !bytes.Equal(der, detached) {
		t.Fatalf("BER detached: %v (DER equal: %v)", err, bytes.Equal(der, detached))
	}
	res, err := VerifyDetached(der, data)
	if err != nil || !res.SigningTimes[0].Equal(at) {
		t.Fatalf("result %+v %v", res, err)
	}
	if _, err := VerifyDetached(der, append(bytes.Clone(data), '!')); !errors.Is(err, ErrCMSDigest) {
		t.Fatalf("BER, changed data: %v", err)
	}
	// Attached: the content sits in a chunked, constructed OCTET STRING.
	berAtt := toBERForTest(t, attached, 6, 100)
	if !bytes.Contains(berAtt, []byte{0x24, 0x80, 0x04, 0x64}) {
		t.Fatal("fixture has no chunked content")
	}
	sd, der, err = ParseCMSAllowBER(berAtt)
	if err != nil || !sd.FromBER || !bytes.Equal(der, attached) {
		t.Fatalf("BER attached: %v", err)
	}
	if res, err = VerifyAttached(der); err != nil || !bytes.Equal(res.Content, data) {
		t.Fatalf("BER attached: %v %+v", err, res)
	}
	// DER stays DER, byte for byte.
	if sd, der, err := ParseCMSAllowBER(detached); err != nil || sd.FromBER || !bytes.Equal(der, detached) {
		t.Fatalf("DER: %v", err)
	}
	// The real GM/T 0010 sample, re-encoded with indefinite lengths.
	tongz, err := os.ReadFile("testdata/tongz-sign3-cms.der")
	if err != nil {
		t.Fatal(err)
	}
	sd, der, err = ParseCMSAllowBER(toBERForTest(t, tongz, 4, 64))
	if err != nil || !sd.FromBER || !bytes.Equal(der, tongz) {
		t.Fatalf("tongz as BER: %v", err)
	}
	// Broken BER is refused with the parse error, not a panic.
	for _, b := range [][]byte{
		{0x30, 0x80, 0x06, 0x0a},             // no end-of-contents
		{0x30, 0x80, 0x00, 0x00, 0x00},       // trailing byte
		{0x04, 0x80, 0x00, 0x00},             // indefinite primitive
		{0x30, 0x84, 0xff, 0xff, 0xff, 0xff}, // length beyond the input
	} {
		if _, _, err := ParseCMSAllowBER(b); !errors.Is(err, ErrCMSFormat) {
			t.Errorf("% x: %v", b, err)
		}
	}
}

// TestBERToDER pins the conversion rules on hand-made BER.
func TestBERToDER(t *testing.T) {
	tests := []struct {
		name    string
		in, out []byte
	}{
		{"DER unchanged", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{"indefinite", []byte{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00}, []byte{0x30, 0x03, 0x02, 0x01, 0x05}},
		{"non-minimal length", []byte{0x04, 0x81, 0x01, 0xaa}, []byte{0x04, 0x01, 0xaa}},
		{"chunked OCTET STRING", []byte{0x24, 0x80, 0x04, 0x01, 0xaa, 0x04, 0x02, 0xbb, 0xcc, 0x00, 0x00}, []byte{0x04, 0x03, 0xaa, 0xbb, 0xcc}},
		{"nested", []byte{0xa0, 0x80, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00}, []byte{0xa0, 0x04, 0x30, 0x02, 0x05, 0x00}},
	}
	for _, tt := range tests {
		got, err := BERToDER(tt.in)
		if err != nil || !bytes.Equal(got, tt.out) {
			t.Errorf("%s: % x, %v; want % x", tt.name, got, err, tt.out)
		}
	}
	deep := bytes.Repeat([]byte{0x30, 0x80}, maxBERDepth+2)
	if _, err := BERToDER(append(deep, make([]byte, 2*len(deep))...)); !errors.Is(err, ErrBER) {
		t.Fatalf("deep nesting: %v", err)
	}
}

// FuzzBERToDER: no panic; what converts is DER that converts to itself.
func FuzzBERToDER(f *testing.F) {
	f.Add([]byte{0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00})
	f.Add([]byte{0x24, 0x80, 0x04, 0x01, 0xaa, 0x04, 0x02, 0xbb, 0xcc, 0x00, 0x00})
	if b, err := os.ReadFile("testdata/tongz-sign3-cms.der"); err == nil {
		f.Add(b)
		f.Add(toBERForTest(f, b, 4, 64))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		out, err := BERToDER(b)
		if err != nil {
			if !errors.Is(err, ErrBER) {
				t.Fatalf("error %v does not wrap ErrBER", err)
			}
			return
		}
		s := cryptobyte.String(out)
		var el cryptobyte.String
		if !s.ReadAnyASN1Element(&el, nil) || !s.Empty() {
			t.Fatalf("output is not one DER element: % x", out)
		}
		again, err := BERToDER(out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("DER does not convert to itself: %v", err)
		}
	})
}
