package pledgecli

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/cli/clitest"
	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
)

// runSign executes `pledge sign-cms args...` and returns the exit status
// and output.
func runSign(t *testing.T, clk clock.Clock, args ...string) (int, string) {
	t.Helper()
	return clitest.Run(func(w io.Writer) *cobra.Command {
		return commands(w, clk, &http.Client{Timeout: time.Second})[0]
	}, append([]string{"sign-cms"}, args...)...)
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	return clitest.WriteFile(t, dir, name, b)
}

// TestSignCMS: the command signs a file's exact bytes with an encrypted
// key (passphrase file) or a plain key made by OpenSSL, writing a detached
// SignedData (DER or PEM) that verifies over those bytes only, by that
// certificate; a wrong passphrase or a key that is not the certificate's is
// a usage error and writes nothing.
func TestSignCMS(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(now)
	dir := t.TempDir()
	ca := pkitest.NewCA(t, "Test Citizen CA", now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0), 0)
	leaf := ca.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: "张三丰", SerialNumber: "110101199001061234"},
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0)})
	enc, err := pki.EncryptPrivateKeyPEM(leaf.Key, []byte("s3cret passphrase"))
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(`{"format":"pledgeseal.pledge/v1","pledgeId":"P0123"}`)
	in := writeFile(t, dir, "P0123.document.json", doc)
	key := writeFile(t, dir, "key.pem", enc)
	cert := writeFile(t, dir, "cert.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.DER}))
	pass := writeFile(t, dir, "pass.txt", []byte("s3cret passphrase\n"))

	check := func(t *testing.T, sig []byte, want *pkitest.Cert) {
		t.Helper()
		res, err := pki.VerifyDetached(sig, doc)
		if err != nil || len(res.Signers) != 1 || !bytes.Equal(res.Signers[0].Raw, want.DER) {
			t.Fatalf("the signature does not verify over the file by the certificate: %v", err)
		}
		if _, err := pki.VerifyDetached(sig, append(bytes.Clone(doc), ' ')); !errors.Is(err, pki.ErrCMSDigest) {
			t.Fatalf("the signature verifies over other bytes: %v", err)
		}
		sd, err := pki.ParseCMS(sig)
		if err != nil || sd.Content != nil || !sd.Signers[0].SigningTime.Equal(now) {
			t.Fatalf("not a detached SignedData signed at %v: %v", now, err)
		}
	}

	t.Run("encrypted key, DER", func(t *testing.T) {
		out := filepath.Join(dir, "der.p7s")
		code, msg := runSign(t, clk, "--key", key, "--passphrase-file", pass, "--cert", cert, "--in", in, "--out", out)
		if code != 0 || !strings.Contains(msg, "张三丰") {
			t.Fatalf("exit %d: %s", code, msg)
		}
		sig, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		check(t, sig, leaf)
	})
	t.Run("plain key made by openssl, PEM", func(t *testing.T) {
		if _, err := exec.LookPath("openssl"); err != nil {
			t.Skip("openssl not installed")
		}
		plain := filepath.Join(dir, "openssl-key.pem")
		if out, err := exec.Command("openssl", "genpkey", "-algorithm", "SM2", "-out", plain).CombinedOutput(); err != nil {
			t.Fatalf("openssl genpkey: %v %s", err, out)
		}
		b, _ := os.ReadFile(plain)
		k, err := pki.ParsePrivateKeyPEM(b, nil)
		if err != nil {
			t.Fatal(err)
		}
		own := ca.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: "李四", SerialNumber: "110101198001071235"}, PublicKey: k,
			NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0)})
		ownCert := writeFile(t, dir, "own.der", own.DER)
		out := filepath.Join(dir, "pem.p7s")
		if code, msg := runSign(t, clk, "--key", plain, "--cert", ownCert, "--in", in, "--out", out, "--pem"); code != 0 {
			t.Fatalf("exit %d: %s", code, msg)
		}
		b, _ = os.ReadFile(out)
		blk, rest := pem.Decode(b)
		if blk == nil || blk.Type != "CMS" || len(bytes.TrimSpace(rest)) != 0 {
			t.Fatalf("not one PEM CMS block: %q", b)
		}
		check(t, blk.Bytes, own)
	})
	t.Run("refusals write nothing", func(t *testing.T) {
		other := ca.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: "王五"}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0)})
		otherCert := writeFile(t, dir, "other.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: other.DER}))
		wrongPass := writeFile(t, dir, "wrong.txt", []byte("wrong"))
		for name, args := range map[string][]string{
			"wrong passphrase":         {"--key", key, "--passphrase-file", wrongPass, "--cert", cert, "--in", in},
			"another certificate":      {"--key", key, "--passphrase-file", pass, "--cert", otherCert, "--in", in},
			"no input":                 {"--key", key, "--passphrase-file", pass, "--cert", cert, "--in", filepath.Join(dir, "absent")},
			"a key file for the input": {"--key", in, "--passphrase-file", pass, "--cert", cert, "--in", in},
			"missing --cert":           {"--key", key, "--passphrase-file", pass, "--in", in},
		} {
			out := filepath.Join(dir, "refused.p7s")
			if code, msg := runSign(t, clk, append(args, "--out", out)...); code != exitstatus.Usage {
				t.Errorf("%s: exit %d (%s), want %d", name, code, msg, exitstatus.Usage)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s: wrote %s", name, out)
			}
		}
	})
}
