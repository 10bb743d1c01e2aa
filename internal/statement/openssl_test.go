package statement

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// TestSignatureVerifiesWithOpenSSL: the statement's signature is a plain
// SM2-with-SM3 signature (default user ID) over the statement text, which
// OpenSSL verifies on its own; with one state byte changed it does not.
func TestSignatureVerifiesWithOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("openssl is required in CI")
		}
		t.Skip("openssl not installed")
	}
	k := newKey(t)
	signed, err := Sign(sample(), signer(t, testIssuer, k))
	if err != nil {
		t.Fatal(err)
	}
	text, sigs, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		t.Fatal("not a signed note")
	}
	fields := bytes.Fields(bytes.TrimSpace(sigs)) // "—", name, base64(key hash ‖ signature)
	raw, err := base64.StdEncoding.DecodeString(string(fields[len(fields)-1]))
	if err != nil || len(raw) < 5 {
		t.Fatalf("signature line: %v", err)
	}
	spki, err := smx509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pub := write("pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}))
	sig := write("sig.der", raw[4:])
	verify := func(msg []byte) error {
		return exec.Command("openssl", "dgst", "-sm3", "-verify", pub, "-sigopt", "distid:"+pki.DefaultUID,
			"-signature", sig, write("msg.txt", msg)).Run()
	}
	if err := verify(append(text, '\n')); err != nil {
		t.Fatalf("openssl does not verify the statement's signature: %v", err)
	}
	if err := verify(bytes.Replace(append(text, '\n'), []byte("state ACTIVE"), []byte("state REVOKE"), 1)); err == nil {
		t.Fatal("openssl verifies an altered statement")
	}
}
