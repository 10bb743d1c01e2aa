package pledge

import (
	"bytes"
	"os"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/jcs"
)

func checkCanonicalPackage(t *testing.T, p Package) {
	t.Helper()
	want, err := jcs.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendCanonicalPackage(nil, &p); !bytes.Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// TestCanonicalPackageMatchesMarshal holds the direct canonical encoder of
// a Package to jcs.Marshal, the definition ParsePackage used before.
func TestCanonicalPackageMatchesMarshal(t *testing.T) {
	full := Package{Format: PackageFormat, PledgeID: "P-1", Document: "ZG9j",
		ApplicantSignature: PackageSignature{Way: WayEventCertificate, CMS: "Y21z"},
		Notice:             PackageNotice{Document: "bm90", SES: "c2Vz"},
		AgencySeal:         &PackageSeal{SealedData: "c2Q=", SES: "c2Vz", DocumentNo: "决定〔2026〕1号", Date: "2026-11-26"},
		Certificates:       []string{"YQ==", "Yg=="}, StatusURL: "https://example.test/v1/pledges/P-1/status?a=1&b=<2>"}
	noSeal := full
	noSeal.AgencySeal = nil
	cases := []struct {
		name string
		p    Package
	}{
		{"zero", Package{}},
		{"full", full},
		{"no seal", noSeal},
		{"empty certificates", Package{Certificates: []string{}}},
		{"escapes", Package{Format: "\"\\\n\x01\u2028", PledgeID: "\xff", AgencySeal: &PackageSeal{Date: "\t"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkCanonicalPackage(t, c.p) })
	}
	t.Run("fixtures", func(t *testing.T) {
		for _, f := range []string{"testdata/packages/valid-accepted.json"} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePackage(b)
			if err != nil {
				t.Fatal(err)
			}
			checkCanonicalPackage(t, p.Package)
		}
	})
}

// FuzzCanonicalPackage compares the direct encoder with jcs.Marshal over
// arbitrary member values.
func FuzzCanonicalPackage(f *testing.F) {
	f.Add("pledgeseal.package/v1", "P-1", "ZG9j", "\"\\\x00", "告知", true, 2)
	f.Add("", "", "", "", "", false, 0)
	f.Add("\xff\xfe", "\u2028", "<&>", "a\tb", "😀", true, -1)
	f.Fuzz(func(t *testing.T, a, b, c, d, e string, seal bool, certs int) {
		p := Package{Format: a, PledgeID: b, Document: c, StatusURL: d,
			ApplicantSignature: PackageSignature{Way: e, CMS: a},
			Notice:             PackageNotice{Document: d, SES: c}}
		if seal {
			p.AgencySeal = &PackageSeal{SealedData: b, SES: e, DocumentNo: d, Date: a}
		}
		if certs >= 0 {
			p.Certificates = []string{}
			for i := 0; i < certs%4; i++ {
				p.Certificates = append(p.Certificates, []string{a, b, c, e}[i])
			}
		}
		checkCanonicalPackage(t, p)
	})
}
