package ses

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// sampleCase is one real signature and what shared/ses-samples/README.md
// says a correct verifier must report for it.
type sampleCase struct {
	file    string // testdata/<file>.dat and .xml
	version Version
	vid     string
	// failed lists the checks that must fail; every other check passes,
	// except the chain checks (INDETERMINATE without anchors) and those
	// listed in indeterminate.
	failed        []string
	indeterminate []string
	warnings      []string // substrings that must appear in the format check
}

func sampleCases() []sampleCase {
	return []sampleCase{
		{file: "kinggrid-v1-0031.sign0", version: V1, vid: "KingGrid"},
		{file: "aztsign-v4.sign0", version: V4, vid: "Azt"},
		{file: "aztsign-v4.sign1", version: V4, vid: "Azt"},
		{file: "antchain-v4.sign0", version: V4, vid: "antchain"},
		{file: "tongz-v4.sign1", version: V4, vid: "SHANDONG.TONGZHIWEIYE"},
		{file: "dms360-v1.sign0", version: V1, vid: "dms360.cn",
			failed:        []string{CheckSignerSignature, CheckSignerInSeal, CheckDataHash},
			indeterminate: []string{CheckSignerKeyUsage, CheckMakerKeyUsage},
			warnings:      []string{"not a certificate"}},
	}
}

func chainChecks() []string { return []string{CheckSignerChain, CheckMakerChain} }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestSamplesDefaultTrust: with no trust anchors every real sample gives
// exactly the outcomes its README lists, chains being INDETERMINATE.
func TestSamplesDefaultTrust(t *testing.T) {
	v := NewVerifier(Options{})
	for _, tc := range sampleCases() {
		t.Run(tc.file, func(t *testing.T) {
			der := readFile(t, "testdata/"+tc.file+".dat")
			xml := readFile(t, "testdata/"+tc.file+".xml")
			sig, err := ParseSignature(der)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if sig.Version != tc.version || sig.TBS.Seal.Info.Header.VID != tc.vid {
				t.Fatalf("version %s vid %q, want %s %q", sig.Version, sig.TBS.Seal.Info.Header.VID, tc.version, tc.vid)
			}
			r := v.VerifySignature(context.Background(), sig, Input{Data: xml, HasData: true})
			for _, c := range r.Checks {
				want := outcome.Passed
				switch {
				case contains(tc.failed, c.Name):
					want = outcome.Failed
				case contains(tc.indeterminate, c.Name), contains(chainChecks(), c.Name):
					want = outcome.Indeterminate
				case strings.HasSuffix(c.Name, "-status"), c.Name == CheckTimestamp:
					want = outcome.NotPerformed
				}
				if c.Result != want {
					t.Errorf("%s = %s (%s), want %s", c.Name, c.Result, c.Detail, want)
				}
			}
			if len(r.Checks) != 18 {
				t.Errorf("%d checks reported, want 18", len(r.Checks))
			}
			if len(tc.failed) > 0 {
				if r.Indication != outcome.TotalFailed {
					t.Errorf("indication %s, want TOTAL_FAILED", r.Indication)
				}
			} else if r.Indication != outcome.IndeterminateResult || r.SubIndication != outcome.NoCertificateChainFound {
				t.Errorf("indication %s/%s, want INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND", r.Indication, r.SubIndication)
			}
			f, _ := r.Find(CheckFormat)
			s, _ := r.Find(CheckSealFormat)
			for _, w := range tc.warnings {
				if !strings.Contains(f.Detail+s.Detail, w) {
					t.Errorf("format details lack %q: %s / %s", w, f.Detail, s.Detail)
				}
			}
		})
	}
}

// TestSamplesSpecificFacts pins the per-sample facts of the README.
func TestSamplesSpecificFacts(t *testing.T) {
	v := NewVerifier(Options{})
	ctx := context.Background()
	get := func(name string) (*Signature, outcome.Report) {
		der := readFile(t, "testdata/"+name+".dat")
		s, err := ParseSignature(der)
		if err != nil {
			t.Fatal(err)
		}
		return s, v.VerifySignature(ctx, s, Input{Data: readFile(t, "testdata/"+name+".xml"), HasData: true})
	}
	// kinggrid: header version 2, timeInfo ASCII in a BIT STRING.
	s, _ := get("kinggrid-v1-0031.sign0")
	if s.TBS.Seal.Info.Header.Version != 2 || s.TBS.TimeInfoRaw != "20211014033404Z" {
		t.Errorf("kinggrid header %d timeInfo %q", s.TBS.Seal.Info.Header.Version, s.TBS.TimeInfoRaw)
	}
	// aztsign: non-canonical maker signature, JSON propertyInfo, bmp, type 109.
	s, r := get("aztsign-v4.sign0")
	if c, _ := r.Find(CheckMakerSignature); !strings.Contains(c.Detail, "non-canonical DER") {
		t.Errorf("aztsign maker signature detail %q", c.Detail)
	}
	if !strings.HasPrefix(s.TBS.PropertyInfo, "{") || s.TBS.Seal.Info.Picture.Type != "bmp" || s.TBS.Seal.Info.Property.Type != 109 {
		t.Errorf("aztsign fields %q %q %d", s.TBS.PropertyInfo, s.TBS.Seal.Info.Picture.Type, s.TBS.Seal.Info.Property.Type)
	}
	// tongz: TBS extDatas [0] EXPLICIT, raw r||s signer signature.
	s, r = get("tongz-v4.sign1")
	if !s.TBS.HasExtDatas || len(s.TBS.ExtDatas) != 1 {
		t.Errorf("tongz extDatas %v", s.TBS.ExtDatas)
	}
	if c, _ := r.Find(CheckSignerSignature); !strings.Contains(c.Detail, "raw r||s") {
		t.Errorf("tongz signer signature detail %q", c.Detail)
	}
	// dms360: the precise reason for the signer signature.
	_, r = get("dms360-v1.sign0")
	if c, _ := r.Find(CheckSignerSignature); !strings.Contains(c.Detail, "dataHash itself") {
		t.Errorf("dms360 signer signature detail %q", c.Detail)
	}
	if c, _ := r.Find(CheckMakerSignature); c.Result != outcome.Passed || !strings.Contains(c.Detail, "strict X.509") {
		t.Errorf("dms360 maker signature %s %q", c.Result, c.Detail)
	}
	if r.SubIndication != outcome.SigCryptoFailure {
		t.Errorf("dms360 sub-indication %s", r.SubIndication)
	}
}

// TestSamplesWithAnchors trusts each sample's own certificates as anchors
// (their issuers are not in the files) to exercise the whole pass path.
func TestSamplesWithAnchors(t *testing.T) {
	for _, tc := range sampleCases() {
		if len(tc.failed) > 0 {
			continue
		}
		t.Run(tc.file, func(t *testing.T) {
			sig, err := ParseSignature(readFile(t, "testdata/"+tc.file+".dat"))
			if err != nil {
				t.Fatal(err)
			}
			var anchors []*smx509.Certificate
			for _, der := range [][]byte{sig.Cert, sig.TBS.Seal.MakerCert} {
				c, err := pki.ParseCertificate(der)
				if err != nil {
					t.Fatal(err)
				}
				anchors = append(anchors, c)
			}
			v := NewVerifier(Options{SealTrust: pki.NewTrustStore(anchors, nil)})
			r := v.VerifySignature(context.Background(), sig, Input{Data: readFile(t, "testdata/"+tc.file+".xml"), HasData: true})
			if r.Indication != outcome.TotalPassed {
				t.Fatalf("indication %s/%s: %+v", r.Indication, r.SubIndication, r.Checks)
			}
		})
	}
}

// TestBareSamples: the two bare seals' maker signatures verify.
func TestBareSamples(t *testing.T) {
	v := NewVerifier(Options{})
	for _, tc := range []struct {
		file    string
		version Version
		header  int64
	}{{"ofdrw-UserV1.esl", V1, 1}, {"ofdrw-UserV4.esl", V4, 4}} {
		t.Run(tc.file, func(t *testing.T) {
			s, err := ParseSeal(readFile(t, "testdata/"+tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if s.Version != tc.version || s.Info.Header.Version != tc.header {
				t.Fatalf("version %s header %d", s.Version, s.Info.Header.Version)
			}
			r := v.VerifySeal(context.Background(), s, s.Info.Property.ValidStart)
			if c, _ := r.Find(CheckMakerSignature); c.Result != outcome.Passed {
				t.Fatalf("maker signature %s: %s", c.Result, c.Detail)
			}
			if len(failedChecks(r)) != 0 || r.SubIndication != outcome.NoCertificateChainFound {
				t.Fatalf("failed %v, %s/%s", failedChecks(r), r.Indication, r.SubIndication)
			}
		})
	}
}

// flip returns a copy of b with the byte at i changed.
func flip(b []byte, i int) []byte {
	out := bytes.Clone(b)
	out[i] ^= 0x01
	return out
}

// TestTamperedSamples: one changed byte in each protected region makes
// exactly the matching checks fail. The seal sits inside TBS_Sign, so a
// change to it also breaks the signer signature.
func TestTamperedSamples(t *testing.T) {
	v := NewVerifier(Options{CacheSize: 1})
	for _, tc := range sampleCases() {
		if len(tc.failed) > 0 {
			continue
		}
		der := readFile(t, "testdata/"+tc.file+".dat")
		xml := readFile(t, "testdata/"+tc.file+".xml")
		sig, err := ParseSignature(der)
		if err != nil {
			t.Fatal(err)
		}
		seal := sig.TBS.Seal
		sigAt := bytes.LastIndex(der, sig.Value) + len(sig.Value) - 5
		picAt := bytes.Index(der, seal.Info.Picture.Data) + len(seal.Info.Picture.Data)/2
		makerAt := bytes.Index(der, seal.SignedValue) + len(seal.SignedValue) - 5
		propAt := bytes.Index(der[len(seal.Raw):], []byte(sig.TBS.PropertyInfo)) + len(seal.Raw) + 1
		cases := []struct {
			region string
			der    []byte
			xml    []byte
			want   []string
		}{
			{"signer signature", flip(der, sigAt), xml, []string{CheckSignerSignature}},
			{"TBS_Sign content", flip(der, propAt), xml, []string{CheckSignerSignature}},
			{"seal info", flip(der, picAt), xml, []string{CheckSignerSignature, CheckMakerSignature}},
			{"maker signature", flip(der, makerAt), xml, []string{CheckSignerSignature, CheckMakerSignature}},
			{"Signature.xml", der, flip(xml, len(xml)/2), []string{CheckDataHash}},
		}
		for _, c := range cases {
			t.Run(tc.file+"/"+c.region, func(t *testing.T) {
				r := v.VerifySignatureBytes(context.Background(), c.der, Input{Data: c.xml, HasData: true})
				got := failedChecks(r)
				if strings.Join(got, ",") != strings.Join(c.want, ",") {
					t.Fatalf("failed checks %v, want %v", got, c.want)
				}
				if r.Indication != outcome.TotalFailed {
					t.Fatalf("indication %s", r.Indication)
				}
			})
		}
	}
	for _, file := range []string{"ofdrw-UserV1.esl", "ofdrw-UserV4.esl"} {
		der := readFile(t, "testdata/"+file)
		s, err := ParseSeal(der)
		if err != nil {
			t.Fatal(err)
		}
		for _, at := range []struct {
			region string
			i      int
		}{
			{"seal info", bytes.Index(der, s.Info.Picture.Data) + 7},
			{"maker signature", bytes.LastIndex(der, s.SignedValue) + len(s.SignedValue) - 3},
		} {
			t.Run(file+"/"+at.region, func(t *testing.T) {
				r := v.VerifySealBytes(context.Background(), flip(der, at.i), s.Info.Property.ValidStart)
				if got := failedChecks(r); strings.Join(got, ",") != CheckMakerSignature {
					t.Fatalf("failed checks %v", got)
				}
			})
		}
	}
}
