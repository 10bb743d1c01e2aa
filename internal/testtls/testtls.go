// Package testtls makes TLS test material with the real openssl command: a
// throwaway CA, server certificates for the loopback names and client
// certificates, all as PEM files in a test's temp dir. Under make test
// (PLEDGESEAL_TEST_REQUIRE_REDIS=1) a missing openssl fails the test.
package testtls

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// CA is a throwaway certificate authority on disk.
type CA struct {
	Dir      string
	CertFile string
	KeyFile  string
}

// Pair names a certificate and its key on disk.
type Pair struct {
	CertFile string
	KeyFile  string
}

func openssl(t testing.TB, dir string, args ...string) {
	t.Helper()
	bin, err := exec.LookPath("openssl")
	if err != nil {
		if os.Getenv("PLEDGESEAL_TEST_REQUIRE_REDIS") == "1" {
			t.Fatal("openssl is required under make test but is not installed")
		}
		t.Skip("openssl not installed")
	}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

// NewCA makes a P-256 CA valid for a day in a new temp dir.
func NewCA(t testing.TB, name string) *CA {
	t.Helper()
	dir := t.TempDir()
	ca := &CA{Dir: dir, CertFile: filepath.Join(dir, "ca.pem"), KeyFile: filepath.Join(dir, "ca.key")}
	openssl(t, dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", ca.KeyFile, "-out", ca.CertFile, "-days", "1", "-subj", "/CN="+name,
		"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
	return ca
}

// Issue makes a key and a certificate signed by the CA for cn, with cn and
// the loopback names (localhost, 127.0.0.1, ::1) as subject alternative
// names when server is true, or for client authentication otherwise. name makes
// the file names unique within the CA's directory.
func (ca *CA) Issue(t testing.TB, name, cn string, server bool) Pair {
	t.Helper()
	p := Pair{CertFile: filepath.Join(ca.Dir, name+".pem"), KeyFile: filepath.Join(ca.Dir, name+".key")}
	csr := filepath.Join(ca.Dir, name+".csr")
	ext := filepath.Join(ca.Dir, name+".ext")
	body := "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n"
	if server {
		body = "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n" +
			"subjectAltName=DNS:" + cn + ",DNS:localhost,IP:127.0.0.1,IP:::1\n"
	}
	if err := os.WriteFile(ext, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	openssl(t, ca.Dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", p.KeyFile, "-out", csr, "-subj", "/CN="+cn)
	openssl(t, ca.Dir, "x509", "-req", "-in", csr, "-CA", ca.CertFile, "-CAkey", ca.KeyFile,
		"-CAcreateserial", "-days", "1", "-extfile", ext, "-out", p.CertFile)
	return p
}
