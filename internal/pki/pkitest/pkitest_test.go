package pkitest_test

import (
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// TestChain: a root, an intermediate and a leaf chain in a trust store;
// each certificate has the profile asked for; a TSA passes the TSA check.
func TestChain(t *testing.T) {
	root := pkitest.NewCA(t, "Root", t0, t0.AddDate(5, 0, 0), 1)
	if !root.Cert.IsCA || root.Cert.MaxPathLen != 1 || root.Cert.Subject.CommonName != "Root" {
		t.Fatalf("root profile: IsCA=%v MaxPathLen=%d", root.Cert.IsCA, root.Cert.MaxPathLen)
	}
	sub := root.SubCA(t, "Sub", t0, t0.AddDate(2, 0, 0), 0)
	if !sub.Cert.IsCA || !sub.Cert.MaxPathLenZero {
		t.Fatal("sub CA profile")
	}
	leaf := sub.Leaf(t, "Leaf", t0, t0.AddDate(1, 0, 0))
	if leaf.Cert.IsCA || leaf.Cert.KeyUsage&smx509.KeyUsageDigitalSignature == 0 || !leaf.Key.PublicKey.Equal(leaf.Cert.PublicKey) {
		t.Fatal("leaf profile or key")
	}
	trust := pki.NewTrustStore([]*smx509.Certificate{root.Cert}, nil)
	if _, err := trust.VerifyAt(leaf.Cert, []*smx509.Certificate{sub.Cert}, t0.Add(time.Hour), false); err != nil {
		t.Fatalf("the leaf does not chain: %v", err)
	}
	if _, err := trust.VerifyAt(leaf.Cert, nil, t0.Add(time.Hour), false); err == nil {
		t.Fatal("the leaf chains without its intermediate")
	}
	tsa := root.TSA(t, "TSA", t0, t0.AddDate(1, 0, 0))
	if err := pki.CheckTimeStamping(tsa.Cert); err != nil {
		t.Fatalf("the TSA certificate is not a TSA: %v", err)
	}
	if err := pki.CheckTimeStamping(leaf.Cert); err == nil {
		t.Fatal("a plain leaf passes as a TSA")
	}
}

// TestOnlyTestsImportIt: no command (so no production binary) depends on
// pkitest: test trust material never ships.
func TestOnlyTestsImportIt(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../../cmd/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasSuffix(p, "/internal/pki/pkitest") {
			t.Fatal("a command imports internal/pki/pkitest: only tests and test helper packages may")
		}
	}
	if !strings.Contains(string(out), "/internal/pki\n") {
		t.Fatalf("go list found no dependency on internal/pki; the check looks at the wrong packages:\n%s", out)
	}
}
