package pledge_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

var update = flag.Bool("update", false, "rewrite testdata/packages/valid-*.json from a fresh signing")

const statusURL = "https://pledge.example.gov.cn/v1/pledges/"

// buildPackages signs one pledge each way, accepts the first, and returns
// their packages.
func buildPackages(t *testing.T, e *env) (accepted, signed []byte) {
	t.Helper()
	ctx := context.Background()
	r, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("pkg-00001"))
	if err != nil {
		t.Fatal(err)
	}
	acc, err := e.svc.Accept(ctx, pledge.Officer{Agency: agency, ID: "o"}, r.ID, "京民登字〔2026〕8号", "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	accepted, err = e.svc.Package(ctx, acc, statusURL+acc.ID)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.svc.Prepare(ctx, applicant, e.request("pkg-00002"))
	if err != nil {
		t.Fatal(err)
	}
	mine := newLeaf(t, "张三丰", e.citizenCA, t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0), "11010119900106123"+"4")
	own, _, err := e.svc.SubmitOwnSignature(ctx, applicant, p.Draft.ID, signOwn(t, mine, p.Draft.Document))
	if err != nil {
		t.Fatal(err)
	}
	signed, err = pledge.BuildPackage(own, e.published, statusURL+own.ID)
	if err != nil {
		t.Fatal(err)
	}
	return accepted, signed
}

func TestPackageRoundTrip(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	accepted, signed := buildPackages(t, e)
	if *update {
		for name, b := range map[string][]byte{"valid-accepted.json": accepted, "valid-signed-own.json": signed} {
			if err := os.WriteFile(filepath.Join("testdata", "packages", name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	trust := pki.NewTrustStore([]*smx509.Certificate{e.root.cert, e.citizenCA.cert}, nil)
	for name, b := range map[string][]byte{"accepted": accepted, "own": signed} {
		t.Run(name, func(t *testing.T) {
			p, err := pledge.ParsePackage(b)
			if err != nil {
				t.Fatal(err)
			}
			if (p.AgencySES != nil) != (name == "accepted") {
				t.Fatal("agency seal presence")
			}
			// Offline: the applicant signature verifies from the package
			// alone with the same code path the service used.
			res, err := pledge.VerifyApplicantSignature(pledge.PKICMS{}, trust, p.Doc.PledgeID, p.Document, p.ApplicantCMS, p.Doc.SignedAt, p.Certificates...)
			if err != nil {
				t.Fatal(err)
			}
			if res.EventCertificate != (p.Package.ApplicantSignature.Way == pledge.WayEventCertificate) {
				t.Fatal("way does not match the certificate")
			}
			if pki.Digest(p.NoticeBytes) != e.published.Digest || p.Doc.Notice.Digest != e.published.DigestHex() {
				t.Fatal("notice binding")
			}
			// The personal data in the package is the applicant's own;
			// the public status URL carries none.
			if strings.Contains(p.Package.StatusURL, applicant.IDNumber) {
				t.Fatal("identity in the status URL")
			}
		})
	}
}

// mutate decodes the fixture package as generic JSON, applies f and
// re-encodes it.
func mutate(t *testing.T, base []byte, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(base, &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func unb64(t *testing.T, s any) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s.(string))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParsePackageRefusals(t *testing.T) {
	base, err := os.ReadFile("testdata/packages/valid-accepted.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pledge.ParsePackage(base); err != nil {
		t.Fatalf("fixture refused: %v", err)
	}
	set := func(path string, v any) func(map[string]any) {
		return func(m map[string]any) {
			parts := strings.Split(path, ".")
			cur := m
			for _, p := range parts[:len(parts)-1] {
				cur = cur[p].(map[string]any)
			}
			cur[parts[len(parts)-1]] = v
		}
	}
	docOf := func(m map[string]any) []byte { return unb64(t, m["document"]) }
	tests := []struct {
		name string
		in   func() []byte
		kind apperr.Kind
		code apperr.Code
	}{
		{"400/not JSON", func() []byte { return []byte("{") }, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/trailing data", func() []byte { return append(append([]byte{}, base...), []byte(" {}")...) }, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/duplicate member", func() []byte {
			return bytes.Replace(base, []byte(`"format": "pledgeseal.package/v1",`), []byte(`"format": "pledgeseal.package/v1", "format": "x",`), 1)
		}, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/unknown field", func() []byte { return mutate(t, base, set("extra", 1)) }, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/unknown nested field", func() []byte { return mutate(t, base, set("notice.extra", "x")) }, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/member name in another case", func() []byte {
			return bytes.Replace(base, []byte(`"statusUrl"`), []byte(`"StatusURL"`), 1)
		}, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/required member missing", func() []byte {
			return mutate(t, base, func(m map[string]any) { delete(m, "certificates") })
		}, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/document member in another case", func() []byte {
			return mutate(t, base, func(m map[string]any) {
				m["document"] = b64(bytes.Replace(docOf(m), []byte(`"statements"`), []byte(`"statEments"`), 1))
			})
		}, apperr.Malformed, "DOCUMENT_MALFORMED"},
		{"400/wrong type", func() []byte { return mutate(t, base, set("certificates", "abc")) }, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/unknown format", func() []byte { return mutate(t, base, set("format", "pledgeseal.package/v9")) }, apperr.Malformed, "PACKAGE_FORMAT"},
		{"413/oversized", func() []byte {
			return mutate(t, base, set("statusUrl", strings.Repeat("a", pledge.MaxPackage)))
		}, apperr.TooLarge, "PACKAGE_TOO_LARGE"},
		{"400/bad base64", func() []byte { return mutate(t, base, set("document", "!!!not base64")) }, apperr.Malformed, "PACKAGE_BAD_BASE64"},
		{"400/base64 with line breaks", func() []byte {
			return mutate(t, base, func(m map[string]any) { s := m["document"].(string); m["document"] = s[:8] + "\n" + s[8:] })
		}, apperr.Malformed, "PACKAGE_BAD_BASE64"},
		{"400/unpadded base64", func() []byte {
			return mutate(t, base, func(m map[string]any) {
				m["document"] = base64.RawStdEncoding.EncodeToString(append(docOf(m), ' '))
			})
		}, apperr.Malformed, "PACKAGE_BAD_BASE64"},
		{"400/document not canonical", func() []byte {
			return mutate(t, base, func(m map[string]any) { m["document"] = b64(append([]byte(" "), docOf(m)...)) })
		}, apperr.Malformed, "DOCUMENT_NOT_CANONICAL"},
		{"400/document with an unknown field", func() []byte {
			return mutate(t, base, func(m map[string]any) {
				d := bytes.Replace(docOf(m), []byte(`{"agency"`), []byte(`{"aaa":1,"agency"`), 1)
				m["document"] = b64(d)
			})
		}, apperr.Malformed, "DOCUMENT_MALFORMED"},
		{"400/document for another pledge", func() []byte { return mutate(t, base, set("pledgeId", "P0000")) }, apperr.Malformed, "PACKAGE_INCONSISTENT"},
		{"400/statement not acknowledged", func() []byte {
			return mutate(t, base, func(m map[string]any) {
				d := bytes.Replace(docOf(m), []byte(`"acknowledged":true`), []byte(`"acknowledged":false`), 1)
				m["document"] = b64(d)
			})
		}, apperr.Malformed, "STATEMENTS_INCOMPLETE"},
		{"400/CMS with trailing bytes", func() []byte {
			return mutate(t, base, func(m map[string]any) {
				sig := m["applicantSignature"].(map[string]any)
				sig["cms"] = b64(append(unb64(t, sig["cms"]), 0))
			})
		}, apperr.Malformed, "PACKAGE_BAD_DER"},
		{"400/CMS not SignedData", func() []byte {
			return mutate(t, base, set("applicantSignature.cms", b64([]byte{0x30, 0x03, 0x02, 0x01, 0x01})))
		}, apperr.Malformed, "PACKAGE_BAD_DER"},
		{"400/unknown way", func() []byte { return mutate(t, base, set("applicantSignature.way", "TELEPATHY")) }, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/SES truncated", func() []byte {
			return mutate(t, base, func(m map[string]any) {
				s := m["agencySeal"].(map[string]any)
				ses := unb64(t, s["ses"])
				s["ses"] = b64(ses[:len(ses)-10])
			})
		}, apperr.Malformed, "PACKAGE_BAD_DER"},
		{"400/certificate not DER", func() []byte { return mutate(t, base, set("certificates", []any{b64([]byte("hello"))})) }, apperr.Malformed, "PACKAGE_BAD_DER"},
		{"400/certificate not X.509", func() []byte {
			return mutate(t, base, set("certificates", []any{b64([]byte{0x30, 0x03, 0x02, 0x01, 0x01})}))
		}, apperr.Malformed, "PACKAGE_BAD_CERTIFICATE"},
		{"400/notice of another version", func() []byte {
			return mutate(t, base, func(m map[string]any) {
				n := m["notice"].(map[string]any)
				nb := bytes.Replace(unb64(t, n["document"]), []byte(`"version":1`), []byte(`"version":7`), 1)
				n["document"] = b64(nb)
			})
		}, apperr.Malformed, "PACKAGE_INCONSISTENT"},
		{"400/plain http status URL", func() []byte { return mutate(t, base, set("statusUrl", "http://pledge.example.gov.cn/x")) }, apperr.Malformed, "PACKAGE_BAD_URL"},
		{"400/status URL with credentials", func() []byte { return mutate(t, base, set("statusUrl", "https://u:p@example.gov.cn/x")) }, apperr.Malformed, "PACKAGE_BAD_URL"},
		{"400/relative status URL", func() []byte { return mutate(t, base, set("statusUrl", "/v1/pledges/x")) }, apperr.Malformed, "PACKAGE_BAD_URL"},
		{"400/bad decision date", func() []byte { return mutate(t, base, set("agencySeal.date", "2 March")) }, apperr.Malformed, "PACKAGE_MALFORMED"},
		{"400/invalid UTF-8", func() []byte {
			return bytes.Replace(base, []byte(`"documentNo": "`), []byte("\"documentNo\": \"\xff"), 1)
		}, apperr.Malformed, "PACKAGE_MALFORMED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in()
			p, err := pledge.ParsePackage(in)
			if err == nil {
				t.Fatalf("accepted: %+v", p.Package.PledgeID)
			}
			wantErr(t, err, tc.kind, tc.code)
		})
	}
	// Loopback http is allowed for development.
	dev := mutate(t, base, set("statusUrl", "http://127.0.0.1:8080/v1/pledges/x"))
	if _, err := pledge.ParsePackage(dev); err != nil {
		t.Fatalf("loopback http refused: %v", err)
	}
}

// FuzzParsePackage: the parser never panics, every refusal is an
// *apperr.Error, and whatever it accepts re-parses to the same document.
func FuzzParsePackage(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/packages/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"format":"pledgeseal.package/v1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := pledge.ParsePackage(b)
		if err != nil {
			if apperr.As(err) == nil {
				t.Fatalf("refusal is not an *apperr.Error: %v", err)
			}
			return
		}
		again, err := json.Marshal(p.Package)
		if err != nil {
			t.Fatal(err)
		}
		q, err := pledge.ParsePackage(again)
		if err != nil {
			t.Fatalf("re-encoded package refused: %v", err)
		}
		if !bytes.Equal(p.Document, q.Document) || !bytes.Equal(p.ApplicantCMS, q.ApplicantCMS) {
			t.Fatal("re-parse changed the content")
		}
	})
}

// FuzzParseDocument: the document parser never panics.
func FuzzParseDocument(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/packages/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		var p pledge.Package
		if json.Unmarshal(b, &p) == nil {
			if d, err := base64.StdEncoding.DecodeString(p.Document); err == nil {
				f.Add(d)
			}
		}
	}
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := pledge.ParseDocument(b)
		if err != nil {
			if apperr.As(err) == nil {
				t.Fatalf("refusal is not an *apperr.Error: %v", err)
			}
			return
		}
		c, err := d.Canonical()
		if err != nil || !bytes.Equal(c, b) {
			t.Fatalf("accepted document does not re-encode to itself: %v", err)
		}
	})
}
