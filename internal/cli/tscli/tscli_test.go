package tscli

import (
	"context"
	"encoding/asn1"
	"encoding/json"
	"io"
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
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	return clitest.Run(func(w io.Writer) *cobra.Command { return Commands(w)[0] }, args...)
}

// TestQueryAndVerify: `ts query` makes a query openssl reads; the TSA's
// reply to it verifies over the file (0), not over another file (1), not
// without trust anchors (2); a missing file is a usage error (3).
func TestQueryAndVerify(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clk := clock.NewFake(t0)
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	write := func(n string, b []byte) {
		if err := os.WriteFile(p(n), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("data.bin", []byte("pledge bytes"))
	write("other.bin", []byte("other bytes"))
	if code, out := run(t, "query", p("data.bin"), "--out", p("q.tsq")); code != 0 {
		t.Fatalf("query: %d %s", code, out)
	}
	text, err := exec.Command("openssl", "ts", "-query", "-in", p("q.tsq"), "-text").CombinedOutput()
	if err != nil || !strings.Contains(string(text), "Hash Algorithm: sm3") || !strings.Contains(string(text), "Certificate required: yes") {
		t.Fatalf("openssl: %v\n%s", err, text)
	}

	root := pkitest.NewCA(t, "root", t0.Add(-time.Hour), t0.AddDate(1, 0, 0), -1)
	tsaCert := root.TSA(t, "TSA", t0.Add(-time.Hour), t0.AddDate(1, 0, 0))
	cert, k, rootDER := tsaCert.Cert, tsaCert.Key, root.DER
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t), Timeout: time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	a, err := tsa.New(tsa.Config{Cert: cert, Signer: pki.NewKeySigner(k), Policy: asn1.ObjectIdentifier{2, 25, 7}, Serials: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := os.ReadFile(p("q.tsq"))
	reply, err := a.Respond(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	write("r.tsr", reply)
	write("root.pem", pki.EncodeCertificatePEM(rootDER))

	code, out := run(t, "verify", "--data", p("data.bin"), "--reply", p("r.tsr"), "--trust", p("root.pem"), "--json")
	var o Output
	if code != 0 || json.Unmarshal([]byte(out), &o) != nil || o.Indication != "TOTAL_PASSED" || o.GenTime == nil || !o.GenTime.Equal(t0) || o.Policy != "2.25.7" {
		t.Fatalf("verify: %d %s", code, out)
	}
	if code, out := run(t, "verify", "--data", p("other.bin"), "--reply", p("r.tsr"), "--trust", p("root.pem")); code != exitstatus.Failed || !strings.Contains(out, "HASH_FAILURE") {
		t.Fatalf("other data: %d %s", code, out)
	}
	if code, out := run(t, "verify", "--data", p("data.bin"), "--reply", p("r.tsr")); code != exitstatus.Indeterminate {
		t.Fatalf("no trust: %d %s", code, out)
	}
	if code, out := run(t, "verify", "--data", p("missing.bin"), "--reply", p("r.tsr")); code != exitstatus.Usage {
		t.Fatalf("missing file: %d %s", code, out)
	}
	// A rejection reply fails.
	d := pki.Digest([]byte("x"))
	sha, _ := tsa.MarshalRequest(&tsa.Request{HashAlg: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, Imprint: d[:]})
	rej, _ := a.Respond(context.Background(), sha)
	write("rej.tsr", rej)
	if code, out := run(t, "verify", "--data", p("data.bin"), "--reply", p("rej.tsr"), "--trust", p("root.pem")); code != exitstatus.Failed {
		t.Fatalf("rejection: %d %s", code, out)
	}
}
