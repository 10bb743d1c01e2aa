package statuscli

import (
	"bytes"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/cli/clitest"
	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/statement"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

var t0 = time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)

func run(t *testing.T, clk clock.Clock, args ...string) (int, string) {
	t.Helper()
	return clitest.Run(func(w io.Writer) *cobra.Command { return Commands(w, clk)[0] }, append([]string{"verify"}, args...)...)
}

// TestStatusVerify: exit 0 valid, 1 invalid (another key: the log's or an
// agency's; altered; malformed), 2 expired, 3 usage.
func TestStatusVerify(t *testing.T) {
	root := pkitest.NewCA(t, "Root", t0.AddDate(-1, 0, 0), t0.AddDate(5, 0, 0), 1)
	statusID := root.Leaf(t, "Status Statements", t0.AddDate(-1, 0, 0), t0.AddDate(2, 0, 0))
	logID := root.Leaf(t, "Transparency Log", t0.AddDate(-1, 0, 0), t0.AddDate(2, 0, 0))
	agencyID := root.Leaf(t, "Agency", t0.AddDate(-1, 0, 0), t0.AddDate(2, 0, 0))
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cert := write("status.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: statusID.DER}))
	st := statement.Statement{Issuer: "pledgeseal.test/status", PledgeID: "P0123456789abcdef0123456789abcdef", State: status.Revoked,
		Since: t0.Add(-time.Hour), Reference: &statement.Reference{Kind: statement.RefRevocation, DocumentNo: "朝市监撤〔2026〕3号"},
		ThisUpdate: t0, NextUpdate: t0.Add(24 * time.Hour)}
	sign := func(c *pkitest.Cert) []byte {
		s, err := translog.NewNoteSigner(st.Issuer, c.Key)
		if err != nil {
			t.Fatal(err)
		}
		b, err := statement.Sign(st, s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := sign(statusID)
	goodFile := write("good.txt", good)
	logCert := write("log.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: logID.DER}))
	logSigner, err := translog.NewNoteSigner("pledgeseal.test/log", logID.Key)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := translog.SignCheckpoint(translog.Checkpoint{Origin: "pledgeseal.test/log", Size: 42, Root: make([]byte, translog.HashSize)}, logSigner)
	if err != nil {
		t.Fatal(err)
	}
	idx := uint64(41)
	st.Checkpoint, st.LogIndex = cp, &idx
	withCP := write("cp.txt", sign(statusID))
	idx = 42
	beyondCP := write("beyond.txt", sign(statusID))
	clk := clock.NewFake(t0.Add(time.Hour))
	cases := []struct {
		name string
		args []string
		code int
		has  string
	}{
		{"valid", []string{"--status-cert", cert, goodFile}, exitstatus.Passed, "VALID"},
		{"valid json", []string{"--json", "--status-cert", cert, goodFile}, exitstatus.Passed, `"state": "REVOKED"`},
		{"at nextUpdate", []string{"--status-cert", cert, "--at", "2026-12-08T10:00:00+08:00", goodFile}, exitstatus.Passed, "VALID"},
		{"expired", []string{"--status-cert", cert, "--at", "2026-12-08T02:00:01Z", goodFile}, exitstatus.Indeterminate, "EXPIRED"},
		{"log key", []string{"--status-cert", cert, write("log.txt", sign(logID))}, exitstatus.Failed, "INVALID"},
		{"agency key", []string{"--status-cert", cert, write("agency.txt", sign(agencyID))}, exitstatus.Failed, "INVALID"},
		{"altered state exact", []string{"--status-cert", cert, write("alt2.txt", bytes.Replace(good, []byte("\nstate REVOKED\n"), []byte("\nstate FALSE\n"), 1))}, exitstatus.Failed, "INVALID"},
		{"malformed", []string{"--status-cert", cert, write("junk.txt", []byte("hello\n\n— x AAAA\n"))}, exitstatus.Failed, "INVALID"},
		{"empty", []string{"--status-cert", cert, write("empty.txt", nil)}, exitstatus.Failed, "INVALID"},
		{"too large", []string{"--status-cert", cert, write("big.txt", bytes.Repeat([]byte("a"), statement.MaxSize+10))}, exitstatus.Failed, "INVALID"},
		{"checkpoint with the log key", []string{"--status-cert", cert, "--log-cert", logCert, withCP}, exitstatus.Passed, "VALID"},
		{"no checkpoint but --log-cert", []string{"--status-cert", cert, "--log-cert", logCert, goodFile}, exitstatus.Failed, "no log checkpoint"},
		{"checkpoint of another log key", []string{"--status-cert", cert, "--log-cert", cert, withCP}, exitstatus.Failed, "INVALID"},
		{"log index beyond the checkpoint", []string{"--status-cert", cert, "--log-cert", logCert, beyondCP}, exitstatus.Failed, "not in the carried checkpoint"},
		{"no cert", []string{goodFile}, exitstatus.Usage, "--status-cert"},
		{"bad cert", []string{"--status-cert", write("bad.pem", []byte("x")), goodFile}, exitstatus.Usage, "PEM"},
		{"missing file", []string{"--status-cert", cert, filepath.Join(dir, "none.txt")}, exitstatus.Usage, "cannot read"},
		{"bad --at", []string{"--status-cert", cert, "--at", "tomorrow", goodFile}, exitstatus.Usage, "--at"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := run(t, clk, c.args...)
			if code != c.code || !strings.Contains(out, c.has) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s", code, c.code, c.has, out)
			}
		})
	}
}
