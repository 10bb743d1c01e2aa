package auditcli

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// run executes `audit verify` with args and returns stdout, stderr and the
// exit status.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errs bytes.Buffer
	root := &cobra.Command{Use: "pledgectl", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(Commands(&out, func(string) string { return "" })...)
	root.SetArgs(append([]string{"audit", "verify"}, args...))
	root.SetOut(&out)
	root.SetErr(&errs)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return out.String(), errs.String(), 0
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return out.String() + err.Error(), errs.String(), coded.ExitCode()
	}
	return out.String() + err.Error(), errs.String(), 99
}

// logKeys is a keys directory holding only the log certificate, and the
// signer of its key (what pledged's sequencer signs checkpoints with).
type logKeys struct {
	dir    string
	key    *sm2.PrivateKey
	signer *translog.NoteSigner
}

func newLogKeys(t *testing.T) logKeys {
	t.Helper()
	key, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewNoteSigner("pledgeseal.test/log", key)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.Issue(pki.CertRequest{Subject: pkix.Name{CommonName: "PledgeSeal test log"}, PublicKey: key,
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.AddDate(20, 0, 0), IsCA: true, MaxPathLen: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, trust.LogCertFile), pki.EncodeCertificatePEM(der), 0o644); err != nil {
		t.Fatal(err)
	}
	return logKeys{dir: dir, key: key, signer: signer}
}

// sign integrates pending entries and signs a checkpoint, as the
// service's sequencer does.
func (k logKeys) sign(t *testing.T, st *store.Store) {
	t.Helper()
	tl := store.NewTransLog(st)
	if err := tl.IntegrateAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := tl.SignCheckpoint(context.Background(), k.signer, 0, true); err != nil {
		t.Fatal(err)
	}
}

func revokeCerts(t *testing.T, reg *store.Registry, tag string, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		if _, err := reg.Apply(context.Background(), registry.Change{Action: "revocation.revoke",
			Actor: registry.Actor{ID: "admin:" + tag, Role: "admin"}, To: status.Revoked, From: []status.Code{status.Unknown},
			Reason: "KEY_COMPROMISE", DocumentNo: fmt.Sprint(tag, "-", i), Effective: t0,
			Items: []status.Subject{{Kind: status.KindCertificate, ID: fmt.Sprint(tag, i)}}}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditVerifyIsLogAudit: the old command is `log audit` from Redis
// under its old name and flags: it says so on stderr, finds the log
// certificate in the keys directory, keeps --deep (the index against the
// logged audit entries) and its exit statuses, ignores the old chain's
// --checkpoint, and its --json keeps chain.Intact.
func TestAuditVerifyIsLogAudit(t *testing.T) {
	srv := testredis.Start(t)
	prefix := testredis.Prefix(t)
	st, err := store.New(store.Options{Addrs: []string{srv.Addr}, Prefix: prefix}, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	keys := newLogKeys(t)
	revokeCerts(t, store.NewRegistry(st), "c", 0, 6)
	base := []string{"--redis-addrs", srv.Addr, "--redis-prefix", prefix, "--redis-timeout", "2s", "--keys-dir", keys.dir}

	// Before the first checkpoint nothing is proven: not intact.
	if out, _, code := run(t, base...); code != ExitBroken || !strings.Contains(out, "no checkpoint") {
		t.Fatalf("no checkpoint: %d %s", code, out)
	}
	keys.sign(t, st)
	out, errs, code := run(t, append(base, "--deep", "--checkpoint", "6:"+strings.Repeat("0", 64))...)
	if code != ExitIntact || !strings.Contains(out, "CONSISTENT") || !strings.Contains(out, "status index consistent with the audit entries: 6 events") {
		t.Fatalf("honest history: %d %s", code, out)
	}
	if strings.Count(errs, "\n") != 2 || !strings.HasPrefix(errs, Deprecation+"\n") || !strings.Contains(errs, "--checkpoint is ignored") {
		t.Fatalf("stderr: %q", errs)
	}
	if _, errs, _ := run(t, base...); errs != Deprecation+"\n" {
		t.Fatalf("the notice is one line: %q", errs)
	}

	// Un-revoke certificate c2 by deleting an index entry: only --deep tells.
	cli := testCommand(t, srv.Addr)
	ixKeys, err := cli(context.Background(), "--scan", "--pattern", prefix+"{reg}:ix:*")
	if err != nil || ixKeys == "" {
		t.Fatalf("scan: %q %v", ixKeys, err)
	}
	if _, err := cli(context.Background(), "DEL", strings.Split(ixKeys, "\n")[0]); err != nil {
		t.Fatal(err)
	}
	if out, _, code := run(t, base...); code != ExitIntact {
		t.Fatalf("without --deep: %d %s", code, out)
	}
	if out, _, code := run(t, append(base, "--deep")...); code != ExitBroken || !strings.Contains(out, "status index inconsistent") {
		t.Fatalf("deleted index entry: %d %s", code, out)
	}

	// Edit audit entry 2 (as walking the old chain caught): named.
	entries := prefix + "{reg}:audit:e"
	body, err := cli(context.Background(), "HGET", entries, "2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli(context.Background(), "HSET", entries, "2", strings.Replace(body, "c-1", "c-X", 1)); err != nil {
		t.Fatal(err)
	}
	out, _, code = run(t, append(base, "--json")...)
	var rep jsonReport
	if err := json.Unmarshal([]byte(out[:strings.IndexByte(out, '\n')]), &rep); err != nil {
		t.Fatalf("--json: %v in %s", err, out)
	}
	if code != ExitBroken || rep.Chain.Intact || rep.Log.Exit != ExitBroken || !strings.Contains(rep.Log.Error, "audit entry 2 differs") {
		t.Fatalf("edited entry: %d %+v", code, rep)
	}

	// Another key's certificate: not intact.
	other := newLogKeys(t)
	if out, _, code := run(t, append(base, "--log-cert", filepath.Join(other.dir, trust.LogCertFile))...); code != ExitBroken || !strings.Contains(out, "BAD_SIGNATURE") {
		t.Fatalf("other log key: %d %s", code, out)
	}
	// No certificate: no verdict.
	if out, _, code := run(t, append(base, "--keys-dir", t.TempDir())...); code != ExitUnreadable {
		t.Fatalf("missing log certificate: %d %s", code, out)
	}
	srv.Stop()
	if out, _, code := run(t, base...); code != ExitUnreadable {
		t.Fatalf("redis down: %d %s", code, out)
	}
}

// testCommand runs raw Redis commands with the real redis-cli, the way an
// attacker with access to Redis would.
func testCommand(t *testing.T, addr string) func(ctx context.Context, args ...string) (string, error) {
	t.Helper()
	host, port, ok := strings.Cut(addr, ":")
	if !ok {
		t.Fatalf("bad address %q", addr)
	}
	return func(ctx context.Context, args ...string) (string, error) {
		out, err := exec.CommandContext(ctx, "redis-cli", append([]string{"-h", host, "-p", port}, args...)...).Output()
		return strings.TrimSuffix(string(out), "\n"), err
	}
}
