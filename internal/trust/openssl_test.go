package trust

import (
	"crypto/x509/pkix"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// TestGenerateDevOpenSSL makes a set with the real clock (openssl verify
// checks validity at the current time), loads it, and
// has OpenSSL verify every certificate independently (ses-format.md §7: the
// distid applies to the leaf only, so longer chains are verified link by link
// with -partial_chain).
func TestGenerateDevOpenSSL(t *testing.T) {
	now := clock.Real{}.Now()
	dir := filepath.Join(t.TempDir(), "dev")
	if err := GenerateDevWith(dir, []byte(DevPassphrase), clock.Real{}, false, fastKDF()); err != nil {
		t.Fatal(err)
	}
	m, err := Load(dir, []byte(DevPassphrase), now)
	if err != nil {
		t.Fatalf("Load of freshly generated material: %v", err)
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is required in CI")
		}
		t.Skip("openssl not installed")
	}
	distid := "distid:" + pki.DefaultUID
	verify := func(args ...string) (string, error) {
		out, err := exec.Command("openssl", append([]string{"verify", "-vfyopt", distid}, args...)...).CombinedOutput()
		return string(out), err
	}
	p := func(name string) string { return filepath.Join(dir, name) }

	// An event certificate from the applicant CA: a two-link chain.
	ek, _ := pki.GenerateKey()
	evDER, err := pki.Issue(pki.CertRequest{Subject: pkix.Name{CommonName: "event"}, PublicKey: ek,
		NotBefore: now.Add(-time.Minute), NotAfter: now.Add(time.Hour)}, m.ApplicantCA.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	event := filepath.Join(t.TempDir(), "event.pem")
	if err := os.WriteFile(event, pki.EncodeCertificatePEM(evDER), 0o644); err != nil {
		t.Fatal(err)
	}
	other := generate(t) // a foreign set (made at genTime, still valid now or not: it must fail either way)

	cases := []struct {
		name string
		args []string
		ok   bool
	}{
		{"seal maker", []string{"-CAfile", p(fileBundle), p(fileMakerCert)}, true},
		{"agency " + DevAgencies()[0].Code, []string{"-CAfile", p(fileBundle), p("agency-" + DevAgencies()[0].Code + ".pem")}, true},
		{"agency " + DevAgencies()[1].Code, []string{"-CAfile", p(fileBundle), p("agency-" + DevAgencies()[1].Code + ".pem")}, true},
		{"applicant CA", []string{"-CAfile", p(fileBundle), p(fileApplCert)}, true},
		{"event cert, second link", []string{"-CAfile", p(fileApplCert), "-partial_chain", event}, true},
		{"event cert against the root alone", []string{"-CAfile", p(fileBundle), event}, false},
		{"foreign agency", []string{"-CAfile", p(fileBundle), filepath.Join(other, fileMakerCert)}, false},
		{"our agency against a foreign root", []string{"-CAfile", filepath.Join(other, fileBundle), p(fileMakerCert)}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := verify(tc.args...)
			if tc.ok && (err != nil || !strings.Contains(out, ": OK")) {
				t.Fatalf("openssl verify failed: %v\n%s", err, out)
			}
			if !tc.ok && err == nil {
				t.Fatalf("openssl verify accepted:\n%s", out)
			}
		})
	}

	// OpenSSL reads the profile we promise: critical keyUsage with
	// digitalSignature + nonRepudiation on signing certs, CA:TRUE + keyCertSign on CAs.
	profiles := []struct {
		file string
		want []string
	}{
		{fileMakerCert, []string{"Digital Signature, Non Repudiation", "CA:FALSE", "SM2-with-SM3"}},
		{"agency-" + DevAgencies()[0].Code + ".pem", []string{"Digital Signature, Non Repudiation", "CA:FALSE", "serialNumber = " + DevAgencies()[0].Code}},
		{fileApplCert, []string{"Certificate Sign", "CA:TRUE, pathlen:0"}},
		{fileRootCert, []string{"Certificate Sign", "CA:TRUE, pathlen:1"}},
	}
	for _, pr := range profiles {
		out, err := exec.Command("openssl", "x509", "-in", p(pr.file), "-noout", "-text").CombinedOutput()
		if err != nil {
			t.Fatalf("openssl x509 %s: %v\n%s", pr.file, err, out)
		}
		for _, w := range pr.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: openssl does not show %q:\n%s", pr.file, w, out)
			}
		}
		if !strings.Contains(string(out), "X509v3 Key Usage: critical") {
			t.Errorf("%s: keyUsage is not critical", pr.file)
		}
	}
}
