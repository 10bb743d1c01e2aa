package main

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"github.com/pledgeseal/pledgeseal/internal/cli/clitest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// TestExportedOFDVerifiesThroughPledgectl runs the two commands as an
// operator would: `pledgectl pledge export --ofd` seals the OFD of an
// accepted package offline with the agency's key, and `pledgectl ofd
// verify --trust ROOT` then reports every signature check PASSED (the
// registry status checks are not performed offline). Refusals: a package
// that does not verify, one not accepted, and a certificate other than the
// one that counter-sealed the pledge.
func TestExportedOFDVerifiesThroughPledgectl(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e := verifytest.OnRedis(t, clk)
	dir := t.TempDir()
	write := func(name string, b []byte) string { return clitest.WriteFile(t, dir, name, b) }
	pemOf := func(cs ...*smx509.Certificate) []byte {
		var b []byte
		for _, c := range cs {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		return b
	}
	sealRoot := write("seal-root.pem", pemOf(e.SealRoot.Cert))
	trustAll := write("trust.pem", pemOf(e.SealRoot.Cert, e.ApplicantRoot.Cert, e.CitizenCA.Cert))
	keyPEM, err := pki.EncryptPrivateKeyPEM(e.SealSigner.Key, []byte("test-pass"))
	if err != nil {
		t.Fatal(err)
	}
	key := write("agency.key.pem", keyPEM)
	cert := write("agency.pem", pemOf(e.SealSigner.Cert))
	pass := write("pass.txt", []byte("test-pass\n"))
	pkgBytes := e.Package(t, e.Accepted(t, "cli-ofd-000001"))
	pkg := write("p.pledge.json", pkgBytes)
	out := filepath.Join(dir, "p.ofd")
	pledgectl := func(args ...string) (int, string) {
		var o, eb bytes.Buffer
		code := run(args, &o, &eb, func(string) string { return "" }, clk)
		return code, o.String() + eb.String()
	}
	exportArgs := func(pkg, cert, out string) []string {
		return []string{"pledge", "export", "--ofd", out, "--key", key, "--cert", cert, "--passphrase-file", pass, "--trust", trustAll, pkg}
	}

	code, msg := pledgectl(exportArgs(pkg, cert, out)...)
	if code != 0 || !strings.Contains(msg, "Exported") {
		t.Fatalf("export: exit %d\n%s", code, msg)
	}
	// The attached package is verified too: the applicant's anchors
	// are needed beside the seal root.
	if code, msg = pledgectl("ofd", "verify", "--trust", sealRoot, out); code == 0 {
		t.Fatalf("ofd verify without the applicant anchors passed the attached package:\n%s", msg)
	}
	code, msg = pledgectl("ofd", "verify", "--trust", trustAll, out)
	if code != 0 {
		t.Fatalf("ofd verify: exit %d\n%s", code, msg)
	}
	code, msg = pledgectl("ofd", "verify", "--json", "--trust", trustAll, out)
	var got struct {
		Signatures []outcome.Report
		Pledge     *struct {
			ValidAtSigning struct{ Indication outcome.Indication }
		}
	}
	if err := json.Unmarshal([]byte(msg), &got); code != 0 || err != nil || len(got.Signatures) != 1 || got.Pledge == nil ||
		got.Pledge.ValidAtSigning.Indication != outcome.TotalPassed {
		t.Fatalf("ofd verify --json: exit %d %v\n%s", code, err, msg)
	}
	reps := got.Signatures
	passed := 0
	for _, c := range reps[0].Checks {
		switch {
		case c.Result == outcome.Passed:
			passed++
		case c.Result == outcome.NotPerformed && (strings.HasSuffix(c.Name, "-status") || c.Name == "timestamp"):
			// Offline: no registry; no timestamp authority in the sealer.
		default:
			t.Errorf("check %s: %s: %s", c.Name, c.Result, c.Detail)
		}
	}
	if reps[0].Indication != outcome.TotalPassed || passed < 20 {
		t.Fatalf("%s with %d checks PASSED", reps[0].Indication, passed)
	}
	t.Logf("pledgectl ofd verify: %s, %d checks PASSED of %d", reps[0].Indication, passed, len(reps[0].Checks))

	// Without the seal root the chain is unknown: not PASSED.
	if code, msg = pledgectl("ofd", "verify", out); code == 0 {
		t.Fatalf("ofd verify without anchors passed:\n%s", msg)
	}
	// Refusals.
	var p pledge.Package
	_ = json.Unmarshal(pkgBytes, &p)
	p.AgencySeal.DocumentNo = "朝市监许〔2026〕8号"
	forged, _ := json.Marshal(p)
	signed, _, err := e.Service.SignWithEventCertificate(t.Context(), verifytest.Applicant, e.Request("cli-ofd-000002"))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		args []string
		code int
		has  string
	}{
		"forged package": {exportArgs(write("forged.json", forged), cert, filepath.Join(dir, "f.ofd")), 1, "does not verify"},
		"not accepted":   {exportArgs(write("signed.json", e.Package(t, signed)), cert, filepath.Join(dir, "s.ofd")), 3, "not an accepted"},
		"another cert":   {exportArgs(pkg, write("maker.pem", pemOf(e.Maker.Cert)), filepath.Join(dir, "m.ofd")), 3, "counter-sealed"},
	} {
		code, msg := pledgectl(c.args...)
		if code != c.code || !strings.Contains(msg, c.has) {
			t.Errorf("%s: exit %d (want %d), output lacks %q:\n%s", name, code, c.code, c.has, msg)
		}
		if _, err := os.Stat(c.args[3]); err == nil {
			t.Errorf("%s: an OFD was written", name)
		}
	}
}
