package pledgecli

import (
	"context"
	"encoding/pem"
	"github.com/pledgeseal/pledgeseal/internal/cli/clitest"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/statement"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// TestPledgeVerifyWithStatement: `pledge verify --status-statement` checks
// package and statement with no network. The attacks: another pledge's
// statement, a statement signed with the log key, an expired one, and
// the statement of a revoked pledge.
func TestPledgeVerifyWithStatement(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e := verifytest.OnRedis(t, clk)
	dir := t.TempDir()
	write := func(name string, b []byte) string { return clitest.WriteFile(t, dir, name, b) }
	trust := write("trust.pem", append(append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.SealRoot.Cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.ApplicantRoot.Cert.Raw})...),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.CitizenCA.Cert.Raw})...))
	now := clk.Now()
	root := pkitest.NewCA(t, "Root", now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0), 1)
	statusID := root.Leaf(t, "Status", now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0))
	logID := root.Leaf(t, "Log", now.AddDate(-1, 0, 0), now.AddDate(2, 0, 0))
	cert := write("status.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: statusID.DER}))
	logCert := write("log.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: logID.DER}))
	logSigner, err := translog.NewNoteSigner("pledgeseal.test/log", logID.Key)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := translog.SignCheckpoint(translog.Checkpoint{Origin: "pledgeseal.test/log", Size: 1, Root: make([]byte, translog.HashSize)}, logSigner)
	if err != nil {
		t.Fatal(err)
	}
	var checkpoints statement.CheckpointSource
	issuer := func(c *pkitest.Cert) *statement.Issuer {
		s, err := translog.NewNoteSigner("pledgeseal.test/status", c.Key)
		if err != nil {
			t.Fatal(err)
		}
		iss, err := statement.NewIssuer(statement.IssuerOptions{Status: e.Status, Signer: s, Validity: 24 * time.Hour, Clock: clk, Checkpoints: checkpoints})
		if err != nil {
			t.Fatal(err)
		}
		return iss
	}
	issue := func(c *pkitest.Cert, id, name string) string {
		b, _, err := issuer(c).Issue(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return write(name, b)
	}
	a, b := e.Accepted(t, "cli-stmt-a-0001"), e.Accepted(t, "cli-stmt-b-0001")
	pkgA, pkgB := write("a.json", e.Package(t, a)), write("b.json", e.Package(t, b))
	goodA := issue(statusID, a.ID, "a.txt")
	forgedA := issue(logID, a.ID, "a-log.txt")
	if _, err := e.Revoc.Revoke(context.Background(), auth.Principal{Role: auth.RoleEnforcement, Org: "110105", TokenID: "t"}, seal.RevokeRequest{
		Subjects: []status.Subject{verifytest.SubjectOfPledge(b.ID)}, Reason: seal.ReasonDecisionRevoked, DocumentNo: "朝市监撤〔2026〕9号"}); err != nil {
		t.Fatal(err)
	}
	revokedB := issue(statusID, b.ID, "b.txt")
	checkpoints = fixedCheckpoint(cp)
	withCheckpointA := issue(statusID, a.ID, "a-cp.txt")

	cases := []struct {
		name string
		at   time.Time
		args []string
		code int
		has  string
	}{
		{"valid statement", now, []string{"--trust", trust, "--status-statement", goodA, "--status-cert", cert, pkgA}, exitstatus.Passed, "ACTIVE"},
		{"other pledge's statement", now, []string{"--trust", trust, "--status-statement", goodA, "--status-cert", cert, pkgB}, exitstatus.Failed, "STATUS_STATEMENT_MISMATCH"},
		{"log key", now, []string{"--trust", trust, "--status-statement", forgedA, "--status-cert", cert, pkgA}, exitstatus.Failed, "STATUS_STATEMENT_INVALID"},
		{"expired", now.Add(25 * time.Hour), []string{"--trust", trust, "--status-statement", goodA, "--status-cert", cert, pkgA}, exitstatus.Indeterminate, "TRY_LATER"},
		{"revoked", now, []string{"--trust", trust, "--status-statement", revokedB, "--status-cert", cert, pkgB}, exitstatus.Failed, "DECISION_REVOKED"},
		{"no cert", now, []string{"--trust", trust, "--status-statement", goodA, pkgA}, exitstatus.Usage, "--status-cert"},
		// One --log-cert checks the checkpoint a statement carries.
		{"checkpoint with the log key", now, []string{"--trust", trust, "--status-statement", withCheckpointA, "--status-cert", cert, "--log-cert", logCert, pkgA}, exitstatus.Passed, "ACTIVE"},
		{"checkpoint with another key", now, []string{"--trust", trust, "--status-statement", withCheckpointA, "--status-cert", cert, "--log-cert", cert, pkgA}, exitstatus.Failed, "STATUS_STATEMENT_INVALID"},
		{"no checkpoint but --log-cert", now, []string{"--trust", trust, "--status-statement", goodA, "--status-cert", cert, "--log-cert", logCert, pkgA}, exitstatus.Failed, "STATUS_STATEMENT_INVALID"},
		{"cert alone", now, []string{"--trust", trust, "--status-cert", cert, pkgA}, exitstatus.Usage, "--status-statement"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := run(t, clock.NewFake(c.at), c.args...)
			if code != c.code || !strings.Contains(out, c.has) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s", code, c.code, c.has, out)
			}
		})
	}
}

// fixedCheckpoint is a log that always has the same signed checkpoint.
type fixedCheckpoint []byte

func (f fixedCheckpoint) Checkpoint(context.Context) ([]byte, error) { return f, nil }
