package sescli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

const testPass = "correct horse battery staple"

type fixture struct {
	dir                                                           string
	rootPEM, makerKey, makerCert, signerKey, signerCert, passFile string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{dir: dir}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	root := pkitest.NewCA(t, "CLI Test Root", t0.AddDate(0, -1, 0), t0.AddDate(5, 0, 0), 0)
	leaf := func(cn string) (keyPEM, certDER []byte) {
		l := root.Leaf(t, cn, t0.AddDate(0, -1, 0), t0.AddDate(2, 0, 0))
		kp, err := pki.EncryptPrivateKeyPEM(l.Key, []byte(testPass))
		if err != nil {
			t.Fatal(err)
		}
		return kp, l.DER
	}
	f.rootPEM = write("root.pem", pki.EncodeCertificatePEM(root.DER))
	mk, mc := leaf("Seal Maker")
	sk, sc := leaf("Agency Signer")
	f.makerKey, f.makerCert = write("maker.key", mk), write("maker.pem", pki.EncodeCertificatePEM(mc))
	f.signerKey, f.signerCert = write("signer.key", sk), write("signer.der", sc)
	f.passFile = write("pass.txt", []byte(testPass+"\n"))
	return f
}

// run executes the commands as pledgectl would and returns the outputs and
// the exit status (-1 for an error without one).
func run(t *testing.T, vars map[string]string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{stdout: &out, stderr: &errb, clk: clock.NewFake(t0), getenv: func(k string) string { return vars[k] }}
	root := &cobra.Command{Use: "pledgectl", SilenceErrors: true, SilenceUsage: true}
	root.SetOut(&out)
	root.SetErr(&errb)
	root.AddCommand(commands(e)...)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return out.String(), errb.String(), 0
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.Msg, ee.Code
	}
	return out.String(), err.Error(), -1
}

func TestMakeSignVerifyFlow(t *testing.T) {
	f := newFixture(t)
	seal := filepath.Join(f.dir, "seal.esl")
	sig := filepath.Join(f.dir, "sig.dat")
	data := filepath.Join(f.dir, "pledge.json")
	if err := os.WriteFile(data, []byte(`{"承诺":"属实"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(f.dir, "seal.svg")
	os.WriteFile(pic, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o600)
	envPass := map[string]string{PassphraseEnv: testPass}

	out, msg, code := run(t, nil, "seal", "make", "--maker-key", f.makerKey, "--maker-cert", f.makerCert,
		"--passphrase-file", f.passFile, "--signer-cert", f.signerCert, "--name", "测试局公章", "--type", "1",
		"--valid-from", "2026-02-01", "--valid-to", "2027-01-31", "--picture", pic, "--width", "42", "--height", "42",
		"--esid", "T0001", "-o", seal)
	if code != 0 || !strings.Contains(out, "T0001") {
		t.Fatalf("seal make: %d %s %s", code, out, msg)
	}
	tests := []struct {
		name string
		vars map[string]string
		args []string
		code int
		has  string
	}{
		{"seal verify trusted", nil, []string{"seal", "verify", "--trust", f.rootPEM, seal}, 0, "TOTAL_PASSED"},
		{"seal verify untrusted", nil, []string{"seal", "verify", seal}, 2, "NO_CERTIFICATE_CHAIN_FOUND"},
		{"seal verify out of window", nil, []string{"seal", "verify", "--trust", f.rootPEM, "--at", "2028-01-01T00:00:00Z", seal}, 1, "SEAL_OUT_OF_VALIDITY"},
		{"ses sign (env passphrase)", envPass, []string{"ses", "sign", "--seal", seal, "--key", f.signerKey, "--cert", f.signerCert, "--data", data, "--property-info", "pledge/1", "-o", sig}, 0, "Signed"},
		{"ses verify trusted", nil, []string{"ses", "verify", "--data", data, "--trust", f.rootPEM, sig}, 0, "TOTAL_PASSED"},
		{"ses verify untrusted", nil, []string{"ses", "verify", "--data", data, sig}, 2, "INDETERMINATE"},
		{"ses verify other data", nil, []string{"ses", "verify", "--data", f.passFile, "--trust", f.rootPEM, sig}, 1, "HASH_FAILURE"},
		{"ses inspect signature", nil, []string{"ses", "inspect", sig}, 0, "测试局公章"},
		{"ses inspect seal", nil, []string{"ses", "inspect", seal}, 0, "vid PledgeSeal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, msg, code := run(t, tt.vars, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.has) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s\n%s", code, tt.code, tt.has, out, msg)
			}
		})
	}
	// --data-hash is the same as --data.
	d := pki.Digest([]byte(`{"承诺":"属实"}`))
	if _, msg, code := run(t, nil, "ses", "verify", "--data-hash", hex.EncodeToString(d[:]), "--trust", f.rootPEM, sig); code != 0 {
		t.Fatalf("--data-hash: %d %s", code, msg)
	}
	// The --json shape of the issue.
	out, _, code = run(t, nil, "ses", "verify", "--data", data, "--trust", f.rootPEM, "--json", sig)
	if code != 0 {
		t.Fatalf("json exit %d", code)
	}
	var doc map[string][]map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	s0 := doc["signatures"][0]
	if s0["id"] != "T0001" || s0["version"] != "v4" || s0["indication"] != "TOTAL_PASSED" || s0["subIndication"] != "" {
		t.Fatalf("json fields %v", s0)
	}
	for _, c := range s0["checks"].([]any) {
		m := c.(map[string]any)
		if len(m) != 3 || m["name"] == "" || m["result"] == "" || m["detail"] == nil {
			t.Fatalf("check shape %v", m)
		}
	}
	// Extraction writes the picture.
	x := filepath.Join(f.dir, "x")
	if _, msg, code := run(t, nil, "ses", "inspect", "--extract", x, "--json", sig); code != 0 {
		t.Fatalf("extract: %s", msg)
	}
	if b, err := os.ReadFile(filepath.Join(x, "picture.svg")); err != nil || !bytes.Contains(b, []byte("<svg")) {
		t.Fatalf("picture not extracted: %v", err)
	}
}

func TestUsageAndInputErrors(t *testing.T) {
	f := newFixture(t)
	garbage := filepath.Join(f.dir, "garbage")
	os.WriteFile(garbage, []byte("not a seal"), 0o600)
	tests := []struct {
		name string
		vars map[string]string
		args []string
	}{
		{"verify without data", nil, []string{"ses", "verify", garbage}},
		{"verify with both", nil, []string{"ses", "verify", "--data", garbage, "--data-hash", "00", garbage}},
		{"bad data hash", nil, []string{"ses", "verify", "--data-hash", "xyz", garbage}},
		{"missing file", nil, []string{"seal", "verify", filepath.Join(f.dir, "nope.esl")}},
		{"bad trust file", nil, []string{"seal", "verify", "--trust", garbage, garbage}},
		{"inspect garbage", nil, []string{"ses", "inspect", garbage}},
		{"ofd not a zip", nil, []string{"ofd", "verify", garbage}},
		{"make without type", nil, []string{"seal", "make", "--maker-key", f.makerKey, "--maker-cert", f.makerCert, "--signer-cert", f.signerCert,
			"--name", "n", "--valid-from", "2026-01-01", "--valid-to", "2027-01-01", "-o", filepath.Join(f.dir, "s.esl")}},
		{"make wrong passphrase", map[string]string{PassphraseEnv: "wrong"}, []string{"seal", "make", "--maker-key", f.makerKey, "--maker-cert", f.makerCert, "--signer-cert", f.signerCert,
			"--name", "n", "--type", "1", "--valid-from", "2026-01-01", "--valid-to", "2027-01-01", "-o", filepath.Join(f.dir, "s.esl")}},
		{"make bad date", map[string]string{PassphraseEnv: testPass}, []string{"seal", "make", "--maker-key", f.makerKey, "--maker-cert", f.makerCert, "--signer-cert", f.signerCert,
			"--name", "n", "--type", "1", "--valid-from", "01/01/2026", "--valid-to", "2027-01-01", "-o", filepath.Join(f.dir, "s.esl")}},
		{"make reversed window", map[string]string{PassphraseEnv: testPass}, []string{"seal", "make", "--maker-key", f.makerKey, "--maker-cert", f.makerCert, "--signer-cert", f.signerCert,
			"--name", "n", "--type", "1", "--valid-from", "2027-01-01", "--valid-to", "2026-01-01", "-o", filepath.Join(f.dir, "s.esl")}},
		{"sign with garbage seal", map[string]string{PassphraseEnv: testPass}, []string{"ses", "sign", "--seal", garbage, "--key", f.signerKey, "--cert", f.signerCert, "--data", garbage, "-o", filepath.Join(f.dir, "x.dat")}},
		{"wrong arg count", nil, []string{"seal", "verify"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, msg, code := run(t, tt.vars, tt.args...)
			if code != ExitUsage && !(tt.name == "wrong arg count" && code == -1) {
				t.Fatalf("exit %d, want %d: %s %s", code, ExitUsage, out, msg)
			}
			if strings.Contains(msg+out, testPass) {
				t.Fatal("the passphrase was printed")
			}
		})
	}
}

func TestSESVerifyRealSignature(t *testing.T) {
	out, _, code := run(t, nil, "ses", "inspect", "testdata/aztsign-v4.sign0.dat")
	if code != 0 || !strings.Contains(out, "vid Azt") || !strings.Contains(out, "bmp") {
		t.Fatalf("%d\n%s", code, out)
	}
	// Without its data the data-hash check cannot pass: the worst is INDETERMINATE.
	_, _, code = run(t, nil, "ses", "verify", "--data-hash", strings.Repeat("00", 32), "testdata/aztsign-v4.sign0.dat")
	if code != ExitFailed {
		t.Fatalf("wrong data hash: exit %d", code)
	}
}

func TestOFDVerifyCLI(t *testing.T) {
	dir := t.TempDir()
	// Trust the antchain sample's own certificates to reach TOTAL_PASSED.
	data, err := os.ReadFile("testdata/antchain-v4.ofd")
	if err != nil {
		t.Fatal(err)
	}
	pkg, err := ofd.Open(data, ofd.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sv, err := pkg.Read("Doc_0/Signs/Sign_0/SignedValue.dat")
	if err != nil {
		t.Fatal(err)
	}
	sig, err := ses.ParseSignature(sv)
	if err != nil {
		t.Fatal(err)
	}
	trust := filepath.Join(dir, "trust.pem")
	os.WriteFile(trust, append(pki.EncodeCertificatePEM(sig.Cert), pki.EncodeCertificatePEM(sig.TBS.Seal.MakerCert)...), 0o600)
	tests := []struct {
		args []string
		code int
		has  string
	}{
		{[]string{"ofd", "verify", "testdata/antchain-v4.ofd"}, ExitIndeterminate, "NO_CERTIFICATE_CHAIN_FOUND"},
		{[]string{"ofd", "verify", "--trust", trust, "testdata/antchain-v4.ofd"}, ExitPassed, "TOTAL_PASSED"},
		{[]string{"ofd", "verify", "testdata/tongz-v4-extdatas-rawsig.ofd"}, ExitFailed, "HASH_FAILURE"},
		{[]string{"ofd", "verify", "--json", "testdata/tongz-v4-extdatas-rawsig.ofd"}, ExitFailed, `"version":"cms"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, msg, code := run(t, nil, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.has) {
				t.Fatalf("exit %d (want %d), lacks %q:\n%s\n%s", code, tt.code, tt.has, out, msg)
			}
		})
	}
	out, _, _ := run(t, nil, "ofd", "verify", "--json", "testdata/tongz-v4-extdatas-rawsig.ofd")
	var doc jsonOut
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Signatures) != 2 {
		t.Fatalf("json %v: %s", err, out)
	}
}

// TestVendorCLIFixes (issue 14, item 6): a non-ASCII data file name signs
// without --property-info; seal verify --at takes YYYY-MM-DD and calls a
// seal a seal; inspect prints no certListType for a v1 seal; warnings are
// printed under their check and kept in the JSON.
func TestVendorCLIFixes(t *testing.T) {
	f := newFixture(t)
	seal := filepath.Join(f.dir, "seal.esl")
	sig := filepath.Join(f.dir, "sig.dat")
	data := filepath.Join(f.dir, "承诺书 申请表.json")
	if err := os.WriteFile(data, []byte(`{"承诺":"属实"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	pic := filepath.Join(f.dir, "seal.svg")
	os.WriteFile(pic, []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 0o600)
	if out, msg, code := run(t, nil, "seal", "make", "--maker-key", f.makerKey, "--maker-cert", f.makerCert,
		"--passphrase-file", f.passFile, "--signer-cert", f.signerCert, "--name", "测试局公章", "--type", "1",
		"--valid-from", "2026-02-01", "--valid-to", "2027-01-31", "--picture", pic, "--width", "42", "--height", "42",
		"--esid", "T0002", "-o", seal); code != 0 {
		t.Fatalf("seal make: %d %s %s", code, out, msg)
	}
	// Today: "… is not IA5 (ASCII) text", exit 2.
	if out, msg, code := run(t, nil, "ses", "sign", "--seal", seal, "--key", f.signerKey, "--cert", f.signerCert,
		"--passphrase-file", f.passFile, "--data", data, "-o", sig); code != 0 {
		t.Fatalf("ses sign with a non-ASCII file name: %d %s %s", code, out, msg)
	}
	b, err := os.ReadFile(sig)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ses.ParseSignature(b)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := url.PathUnescape(s.TBS.PropertyInfo); err != nil || back != "承诺书 申请表.json" {
		t.Fatalf("propertyInfo %q → %q %v", s.TBS.PropertyInfo, back, err)
	}
	if out, _, code := run(t, nil, "ses", "verify", "--data", data, "--trust", f.rootPEM, sig); code != 0 {
		t.Fatalf("verify: %d %s", code, out)
	}

	// seal verify --at DATE (today: "--at must be an RFC 3339 time"); a seal is labelled a seal.
	out, msg, code := run(t, nil, "seal", "verify", "--trust", f.rootPEM, "--at", "2026-03-02", seal)
	if code != 0 || !strings.HasPrefix(out, "印章 Seal T0002") || strings.Contains(out, "签章 Signature") {
		t.Fatalf("seal verify --at DATE: %d %s %s", code, out, msg)
	}
	if out, _, code := run(t, nil, "seal", "verify", "--trust", f.rootPEM, "--at", "2028-01-01", seal); code != ExitFailed || !strings.Contains(out, "SEAL_OUT_OF_VALIDITY") {
		t.Fatalf("seal verify --at later DATE: %d %s", code, out)
	}
	if _, _, code := run(t, nil, "seal", "verify", "--at", "01/03/2026", seal); code != ExitUsage {
		t.Fatalf("bad --at: exit %d", code)
	}

	// inspect: no certListType for v1 (today "certListType: 0"), 1 for v4.
	v1 := filepath.Join("..", "..", "ses", "testdata", "ofdrw-UserV1.esl")
	out, _, code = run(t, nil, "ses", "inspect", v1)
	if code != 0 || strings.Contains(out, "certListType") || !strings.Contains(out, "v1") {
		t.Fatalf("inspect v1: %d %s", code, out)
	}
	out, _, _ = run(t, nil, "ses", "inspect", "--json", v1)
	if strings.Contains(out, "certListType") {
		t.Fatalf("inspect v1 JSON: %s", out)
	}
	if out, _, _ = run(t, nil, "ses", "inspect", seal); !strings.Contains(out, "certListType: 1") {
		t.Fatalf("inspect v4: %s", out)
	}

	// Warnings: the tongz signer signature is raw r||s.
	out, _, _ = run(t, nil, "ofd", "verify", "testdata/tongz-v4-extdatas-rawsig.ofd")
	if !strings.Contains(out, "注意 Warning SIGNATURE_NOT_CANONICAL_DER: the signer signature value is raw r||s") {
		t.Fatalf("text warnings: %s", out)
	}
	out, _, _ = run(t, nil, "ofd", "verify", "--json", "testdata/tongz-v4-extdatas-rawsig.ofd")
	if !strings.Contains(out, `"warnings":[{"code":"SIGNATURE_NOT_CANONICAL_DER"`) {
		t.Fatalf("JSON warnings: %s", out)
	}
}
