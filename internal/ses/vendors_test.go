package ses

import (
	"bytes"
	"context"
	"encoding/asn1"
	mbits "math/bits"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Fixtures for issue 14 ("real-world seals from more vendors"): each
// reproduces, at the byte level, how one product deviates from canonical
// DER while its cryptography is sound. The vendors' files are not
// available; these are made from the test PKI.

// strippedBits is a BIT STRING as a stripping encoder writes it: trailing
// zero bits dropped and counted as unused, whole trailing 0x00 bytes gone.
func strippedBits(t *testing.T, v []byte) []byte {
	t.Helper()
	end := len(v)
	for end > 0 && v[end-1] == 0 {
		end--
	}
	if end == 0 {
		t.Fatal("all-zero value")
	}
	n := mbits.TrailingZeros8(v[end-1])
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
		b.AddUint8(uint8(n))
		b.AddBytes(v[:end])
	})
	return b.BytesOrPanic()
}

func canonicalBits(v []byte) []byte {
	var b cryptobyte.Builder
	addBits(&b, v)
	return b.BytesOrPanic()
}

// signEndingInZero signs msg with key until the signature (DER, or raw
// r‖s when raw) ends in a 0x00 byte, as one signature in 256 does…
func signEndingInZero(t *testing.T, key *sm2.PrivateKey, msg []byte, raw bool) []byte {
	t.Helper()
	s := pki.NewKeySigner(key)
	for range 20000 {
		der, err := s.SignMessage(msg)
		if err != nil {
			t.Fatal(err)
		}
		v := der
		if raw {
			r, ss, _, err := pki.DecodeSignature(der)
			if err != nil {
				t.Fatal(err)
			}
			v = make([]byte, 64)
			r.FillBytes(v[:32])
			ss.FillBytes(v[32:])
		}
		// …and the byte before it is even, so that the stripped BIT STRING
		// also declares unused bits, like `03 48 07 30 46 …` in the issue.
		if v[len(v)-1] == 0 && v[len(v)-2] != 0 && v[len(v)-2]&1 == 0 {
			return v
		}
	}
	t.Fatal("no signature ending in 0x00")
	return nil
}

// assemble writes SEQUENCE{first, OCTET STRING cert, OID alg, sigBits}: an
// SESeal (first = SES_SealInfo) or an SES_Signature (first = TBS_Sign).
func assemble(first, cert []byte, alg asn1.ObjectIdentifier, sigBits []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(first)
		b.AddASN1OctetString(cert)
		b.AddASN1ObjectIdentifier(alg)
		b.AddBytes(sigBits)
	})
	return b.BytesOrPanic()
}

// tbsDER writes a v4 TBS_Sign with the given timeInfo and dataHash TLVs.
func tbsDER(seal, timeInfo, dataHash []byte) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(4)
		b.AddBytes(seal)
		b.AddBytes(timeInfo)
		b.AddBytes(dataHash)
		addIA5(b, "/Doc_0/Signs/Sign_0/Signature.xml")
	})
	return b.BytesOrPanic()
}

func generalizedTime(s string) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte(s)) })
	return b.BytesOrPanic()
}

// signTBS signs tbs with the test signer and assembles the signature with
// algorithm alg.
func (p *testPKI) signTBS(t *testing.T, tbs []byte, alg asn1.ObjectIdentifier) []byte {
	t.Helper()
	v, err := pki.NewKeySigner(p.signerKey).SignMessage(tbs)
	if err != nil {
		t.Fatal(err)
	}
	return assemble(tbs, p.signerDER, alg, canonicalBits(v))
}

// sealWith makes a v4 seal from info as given (createDate and certListType
// unchecked), signed by the test maker.
func (p *testPKI) sealWith(t *testing.T, info []byte) []byte {
	t.Helper()
	v, err := pki.NewKeySigner(p.makerKey).SignMessage(info)
	if err != nil {
		t.Fatal(err)
	}
	return assemble(info, p.makerDER, OIDSM2WithSM3(), canonicalBits(v))
}

func (p *testPKI) infoDER(t *testing.T, mutate func(*SealInfo)) []byte {
	t.Helper()
	s := p.makeSeal(t, clock.NewFake(t0.Add(time.Hour)))
	info := s.Info
	mutate(&info)
	der, err := EncodeSealInfo(&info)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func findCheck(t *testing.T, r outcome.Report, name string) outcome.Check {
	t.Helper()
	c, ok := r.Find(name)
	if !ok {
		t.Fatalf("no check %s", name)
	}
	return c
}

func hasWarning(c outcome.Check, code outcome.WarningCode) bool {
	for _, w := range c.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}

// TestStrippedBitStrings (item 1): signatures and a data hash whose BIT
// STRINGs lost their trailing zero bytes (unused bits counted instead)
// verify once the bytes are restored, with a warning in the check; on
// today's code the signatures are FORMAT_FAILURE ("neither DER nor raw
// r||s") and the data hash a HASH_FAILURE (a changed document).
func TestStrippedBitStrings(t *testing.T) {
	p := newTestPKI(t, t0)
	at := t0.Add(2 * time.Hour)
	seal := p.makeSeal(t, clock.NewFake(t0.Add(time.Hour)))
	ctx := context.Background()
	v := NewVerifier(Options{SealTrust: p.trust})

	// A data hash ending in 0x00.
	var data []byte
	for i := 0; ; i++ {
		data = []byte("Signature.xml #" + string(rune('a'+i%26)) + strings.Repeat("x", i/26))
		if d := DataDigest(data); d[31] == 0 && d[30] != 0 {
			break
		}
	}
	timeInfo := generalizedTime(at.Format("20060102150405Z"))

	t.Run("signer signature DER", func(t *testing.T) {
		tbs := tbsDER(seal.Raw, timeInfo, canonicalBits(DataDigest(data)))
		sig := signEndingInZero(t, p.signerKey, tbs, false)
		der := assemble(tbs, p.signerDER, OIDSM2WithSM3(), strippedBits(t, sig))
		if !bytes.Contains(der, []byte{0x03, byte(len(sig))}) {
			t.Fatalf("fixture: the BIT STRING should be one byte short")
		}
		r := v.VerifySignatureBytes(ctx, der, Input{Data: data, HasData: true})
		c := findCheck(t, r, CheckSignerSignature)
		if c.Result != outcome.Passed || !hasWarning(c, outcome.WarnZeroBytesRestored) || !strings.Contains(c.Detail, "1 trailing zero byte(s) restored") {
			t.Fatalf("signer signature %s %q %+v", c.Result, c.Detail, c.Warnings)
		}
		if r.Indication != outcome.TotalPassed {
			t.Fatalf("%s/%s %v", r.Indication, r.SubIndication, failedChecks(r))
		}
		f := findCheck(t, r, CheckFormat)
		if !hasWarning(f, outcome.WarnBitStringUnusedBits) {
			t.Fatalf("format warnings %+v", f.Warnings)
		}
		// Restoring never makes a wrong signature right.
		bad := bytes.Clone(sig)
		bad[len(bad)-5] ^= 1
		der = assemble(tbs, p.signerDER, OIDSM2WithSM3(), strippedBits(t, bad))
		r = v.VerifySignatureBytes(ctx, der, Input{Data: data, HasData: true})
		if c := findCheck(t, r, CheckSignerSignature); c.Result != outcome.Failed {
			t.Fatalf("tampered: %s %q", c.Result, c.Detail)
		}
	})

	t.Run("data hash", func(t *testing.T) {
		tbs := tbsDER(seal.Raw, timeInfo, strippedBits(t, DataDigest(data)))
		r := v.VerifySignatureBytes(ctx, p.signTBS(t, tbs, OIDSM2WithSM3()), Input{Data: data, HasData: true})
		c := findCheck(t, r, CheckDataHash)
		if c.Result != outcome.Passed || !hasWarning(c, outcome.WarnZeroBytesRestored) {
			t.Fatalf("data hash %s %q", c.Result, c.Detail)
		}
		if r.Indication != outcome.TotalPassed {
			t.Fatalf("%s/%s %v", r.Indication, r.SubIndication, failedChecks(r))
		}
		// Other data still fails.
		r = v.VerifySignatureBytes(ctx, p.signTBS(t, tbs, OIDSM2WithSM3()), Input{Data: []byte("other"), HasData: true})
		if c := findCheck(t, r, CheckDataHash); c.Result != outcome.Failed {
			t.Fatalf("other data: %s", c.Result)
		}
	})

	for _, raw := range []bool{false, true} {
		name := "maker signature DER"
		if raw {
			name = "maker signature raw r||s"
		}
		t.Run(name, func(t *testing.T) {
			sv := signEndingInZero(t, p.makerKey, seal.RawInfo, raw)
			sealDER := assemble(seal.RawInfo, p.makerDER, OIDSM2WithSM3(), strippedBits(t, sv))
			r := v.VerifySealBytes(ctx, sealDER, at)
			c := findCheck(t, r, CheckMakerSignature)
			if c.Result != outcome.Passed || !hasWarning(c, outcome.WarnZeroBytesRestored) {
				t.Fatalf("maker signature %s %q", c.Result, c.Detail)
			}
			if raw && !hasWarning(c, outcome.WarnSignatureNotDER) {
				t.Fatalf("raw form not flagged: %+v", c.Warnings)
			}
			if r.Indication != outcome.TotalPassed {
				t.Fatalf("%s/%s %v", r.Indication, r.SubIndication, failedChecks(r))
			}
		})
	}

	t.Run("unused bits are honoured", func(t *testing.T) {
		// A BIT STRING whose declared unused bits are not zero: they are not
		// part of the value, so the data hash read is the masked one.
		d := DataDigest(data)
		var b cryptobyte.Builder
		b.AddASN1(cbasn1.BIT_STRING, func(b *cryptobyte.Builder) {
			b.AddUint8(3)
			b.AddBytes(d[:31])
			b.AddUint8(0x07)
		})
		tbs := tbsDER(seal.Raw, timeInfo, b.BytesOrPanic())
		s, err := ParseSignature(p.signTBS(t, tbs, OIDSM2WithSM3()))
		if err != nil {
			t.Fatal(err)
		}
		if s.TBS.DataHash[31] != 0 || !bytes.Equal(s.TBS.DataHash[:31], d[:31]) || s.TBS.DataHashRestored != 0 {
			t.Fatalf("dataHash % x", s.TBS.DataHash)
		}
	})
}

// TestMakerCertJudgedWhenUsed (item 3): a seal whose createDate is days
// before its maker certificate's notBefore (national tax e-invoice seals)
// passes when the signature is made inside the certificate's validity,
// with a warning; the certificate must be valid and not revoked when the
// seal is used. Today: TOTAL_FAILED / NOT_YET_VALID.
func TestMakerCertJudgedWhenUsed(t *testing.T) {
	p := newTestPKI(t, t0)
	info := p.infoDER(t, func(in *SealInfo) { in.Property.CreateDate = t0.AddDate(0, 0, -3) })
	seal, err := ParseSeal(p.sealWith(t, info))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v := NewVerifier(Options{SealTrust: p.trust})
	sig := signDirect(t, p, seal, t0.Add(2*time.Hour), []byte("d"))
	r := v.VerifySignature(ctx, sig, Input{Data: []byte("d"), HasData: true})
	c := findCheck(t, r, CheckMakerValidity)
	if c.Result != outcome.Passed || !hasWarning(c, outcome.WarnCreateDateOutsideMakerCert) {
		t.Fatalf("maker validity %s %q %+v", c.Result, c.Detail, c.Warnings)
	}
	if r.Indication != outcome.TotalPassed {
		t.Fatalf("%s/%s %v", r.Indication, r.SubIndication, failedChecks(r))
	}
	// The bare seal, checked at a time inside the certificate's validity.
	if r := v.VerifySeal(ctx, seal, t0.Add(time.Hour)); r.Indication != outcome.TotalPassed {
		t.Fatalf("bare seal: %s/%s %v", r.Indication, r.SubIndication, failedChecks(r))
	}
	// Used after the maker certificate expired: that fails.
	late := signDirect(t, p, seal, p.notAfter.Add(time.Hour), []byte("d"))
	r = v.VerifySignature(ctx, late, Input{Data: []byte("d"), HasData: true})
	if c := findCheck(t, r, CheckMakerValidity); c.Result != outcome.Failed || c.SubIndication != outcome.Expired {
		t.Fatalf("late use: %s %s %q", c.Result, c.SubIndication, c.Detail)
	}
	// Made after the maker certificate expired, used at a back-dated
	// (claimed) time inside its validity: that fails, no warning saves it.
	afterInfo := p.infoDER(t, func(in *SealInfo) { in.Property.CreateDate = p.notAfter.Add(24 * time.Hour) })
	madeLate, err := ParseSeal(p.sealWith(t, afterInfo))
	if err != nil {
		t.Fatal(err)
	}
	r = v.VerifySignature(ctx, signDirect(t, p, madeLate, t0.Add(2*time.Hour), []byte("d")), Input{Data: []byte("d"), HasData: true})
	if c := findCheck(t, r, CheckMakerValidity); c.Result != outcome.Failed || c.SubIndication != outcome.Expired || r.Indication == outcome.TotalPassed {
		t.Fatalf("made after the maker expired: %s %s %q", c.Result, c.SubIndication, c.Detail)
	}
}

// TestCertListTypeUnknown (item 4): certListType 3 over a type 1 list (and
// over a type 2 list) is read leniently with a warning, and every check
// runs. Today: parsing stops, FORMAT_FAILURE.
func TestCertListTypeUnknown(t *testing.T) {
	p := newTestPKI(t, t0)
	ctx := context.Background()
	v := NewVerifier(Options{SealTrust: p.trust})
	signerDigest := pki.Digest(p.signerDER)
	for _, tc := range []struct {
		name   string
		mutate func(*SealInfo)
	}{
		{"type 1 shape", func(in *SealInfo) {}},
		{"type 2 shape", func(in *SealInfo) {
			in.Property.CertListType, in.Property.Certs = CertListDigests, nil
			in.Property.CertDigests = []CertDigest{{Type: "SM3", Value: signerDigest[:]}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info := p.infoDER(t, func(in *SealInfo) { in.Property.Type = 77; tc.mutate(in) })
			// Patch certListType (the INTEGER after the name) to 3.
			name := []byte("测试市市场监督管理局")
			i := bytes.Index(info, name) + len(name)
			if !bytes.Equal(info[i:i+2], []byte{0x02, 0x01}) {
				t.Fatalf("fixture: no certListType at %d: % x", i, info[i:i+3])
			}
			info[i+2] = 3
			seal, err := ParseSeal(p.sealWith(t, info))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if seal.Info.Property.CertListType != 3 {
				t.Fatalf("certListType %d", seal.Info.Property.CertListType)
			}
			sig := signDirect(t, p, seal, t0.Add(2*time.Hour), []byte("d"))
			r := v.VerifySignature(ctx, sig, Input{Data: []byte("d"), HasData: true})
			if c := findCheck(t, r, CheckSealFormat); !hasWarning(c, outcome.WarnCertListTypeUnknown) || !strings.Contains(c.Detail, "certListType 3") {
				t.Fatalf("seal format %q %+v", c.Detail, c.Warnings)
			}
			if r.Indication != outcome.TotalPassed || len(r.Checks) != 18 {
				t.Fatalf("%s/%s %v, %d checks", r.Indication, r.SubIndication, failedChecks(r), len(r.Checks))
			}
			// Another signer is still refused by the list.
			other := *p
			other.signerKey, other.signerDER = p.makerKey, p.makerDER
			r = v.VerifySignature(ctx, signDirect(t, &other, seal, t0.Add(2*time.Hour), []byte("d")), Input{Data: []byte("d"), HasData: true})
			if c := findCheck(t, r, CheckSignerInSeal); c.Result != outcome.Failed {
				t.Fatalf("other signer: %s %q", c.Result, c.Detail)
			}
		})
	}
	// A list of neither shape is still refused.
	info := p.infoDER(t, func(in *SealInfo) {})
	name := []byte("测试市市场监督管理局")
	i := bytes.Index(info, name) + len(name)
	info[i+2] = 3
	j := bytes.Index(info[i:], []byte{0x04, 0x82}) + i // the certificate's OCTET STRING
	info[j] = 0x16                                     // an IA5String where a certificate belongs
	if _, err := ParseSeal(p.sealWith(t, info)); err == nil || !strings.Contains(err.Error(), "neither the type 1 nor the type 2 shape") {
		t.Fatalf("neither shape: %v", err)
	}
}

// TestTimeDeviations (item 5): a GeneralizedTime with a two-digit year, or
// without "Z", is read (verification goes on) and named as a warning by the
// format check. Today: "well-formed", no warning.
func TestTimeDeviations(t *testing.T) {
	p := newTestPKI(t, t0)
	seal := p.makeSeal(t, clock.NewFake(t0.Add(time.Hour)))
	v := NewVerifier(Options{SealTrust: p.trust})
	data := []byte("d")
	for _, tc := range []struct {
		text string
		code outcome.WarningCode
		at   time.Time
	}{
		{"260301100000Z", outcome.WarnTimeTwoDigitYear, t0.Add(2 * time.Hour)},
		{"20260301180000", outcome.WarnTimeNoZone, t0.Add(2 * time.Hour)}, // China time
		{"20260301100000+0000", outcome.WarnTimeNotDER, t0.Add(2 * time.Hour)},
		{"20260301100000Z", "", t0.Add(2 * time.Hour)},
	} {
		t.Run(tc.text, func(t *testing.T) {
			tbs := tbsDER(seal.Raw, generalizedTime(tc.text), canonicalBits(DataDigest(data)))
			r := v.VerifySignatureBytes(context.Background(), p.signTBS(t, tbs, OIDSM2WithSM3()), Input{Data: data, HasData: true})
			f := findCheck(t, r, CheckFormat)
			if tc.code == "" {
				if len(f.Warnings) != 0 || f.Detail != "well-formed v4 structure" {
					t.Fatalf("DER time: %q %+v", f.Detail, f.Warnings)
				}
			} else if f.Result != outcome.Passed || !hasWarning(f, tc.code) || !strings.Contains(f.Detail, tc.text) {
				t.Fatalf("format %s %q %+v", f.Result, f.Detail, f.Warnings)
			}
			if c := findCheck(t, r, CheckSigningTime); c.Result != outcome.Passed || !strings.Contains(c.Detail, ts(tc.at)) {
				t.Fatalf("signing time %q", c.Detail)
			}
			if r.Indication != outcome.TotalPassed {
				t.Fatalf("%s/%s %v", r.Indication, r.SubIndication, failedChecks(r))
			}
		})
	}
}

// TestWrongAlgorithmIdentifier: a signature whose signatureAlgID is the
// GM/T 0010 signedData OID stays FAILED, and the detail says the value
// verifies with SM2 and only the identifier is wrong.
func TestWrongAlgorithmIdentifier(t *testing.T) {
	p := newTestPKI(t, t0)
	seal := p.makeSeal(t, clock.NewFake(t0.Add(time.Hour)))
	data := []byte("d")
	tbs := tbsDER(seal.Raw, generalizedTime("20260301100000Z"), canonicalBits(DataDigest(data)))
	gm0010 := asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 2}
	v := NewVerifier(Options{SealTrust: p.trust})
	r := v.VerifySignatureBytes(context.Background(), p.signTBS(t, tbs, gm0010), Input{Data: data, HasData: true})
	c := findCheck(t, r, CheckSignerSignature)
	if c.Result != outcome.Failed || c.SubIndication != outcome.CryptoConstraintsFailure ||
		!strings.Contains(c.Detail, "verifies as an SM2 signature") || !strings.Contains(c.Detail, "only the algorithm identifier is wrong") {
		t.Fatalf("%s %s %q", c.Result, c.SubIndication, c.Detail)
	}
	// A value that does not verify (made over other bytes) says that instead.
	o, err := ParseSignature(p.signTBS(t, tbsDER(seal.Raw, generalizedTime("20260301100001Z"), canonicalBits(DataDigest(data))), gm0010))
	if err != nil {
		t.Fatal(err)
	}
	r = v.VerifySignatureBytes(context.Background(), assemble(tbs, p.signerDER, gm0010, canonicalBits(o.Value)), Input{Data: data, HasData: true})
	if c := findCheck(t, r, CheckSignerSignature); c.Result != outcome.Failed || !strings.Contains(c.Detail, "does not verify as an SM2 signature") {
		t.Fatalf("non-verifying value: %q", c.Detail)
	}
}

// TestRestoreStructure: a DER structure in a BIT STRING (a timestamp
// token) short by the zero bytes a stripping encoder dropped is completed
// to its declared length, with a warning; nothing is added when the
// encoding shows no stripping, when the value is complete, or when more
// than 32 bytes would be missing.
func TestRestoreStructure(t *testing.T) {
	full := append([]byte{0x30, 0x82, 0x00, 0x24, 0x04, 0x22}, append(bytes.Repeat([]byte{0xa4}, 31), 0x08, 0, 0)...)
	cases := []struct {
		name     string
		bits     []byte // BIT STRING TLV
		want     []byte
		restored bool
	}{
		{"stripped", strippedBits(t, full), full, true},
		{"complete", canonicalBits(full), full, false},
		{"short, no stripping shown", canonicalBits(full[:len(full)-2]), full[:len(full)-2], false},
		{"too much missing", strippedBits(t, append(append([]byte{0x30, 0x30}, bytes.Repeat([]byte{0x11}, 8)...), make([]byte, 40)...)), append([]byte{0x30, 0x30}, bytes.Repeat([]byte{0x11}, 8)...), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			el, _, ok := readTLV(tc.bits)
			if !ok {
				t.Fatal("fixture")
			}
			var warn []outcome.Warning
			v, err := readBits(el, "SES_Signature.timeStamp", &warn)
			if err != nil {
				t.Fatal(err)
			}
			got := restoreStructure(v, "SES_Signature.timeStamp", &warn)
			restored := false
			for _, w := range warn {
				restored = restored || w.Code == outcome.WarnZeroBytesRestored
			}
			if !bytes.Equal(got, tc.want) || restored != tc.restored {
				t.Fatalf("got % x (restored %v), want % x (%v)", got, restored, tc.want, tc.restored)
			}
		})
	}
}
