package auditcli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// run executes `audit verify` with args and returns stdout and the exit status.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	root := &cobra.Command{Use: "pledgectl", SilenceErrors: true, SilenceUsage: true}
	root.AddCommand(Commands(&out, func(string) string { return "" }, clock.NewFake(t0))...)
	root.SetArgs(append([]string{"audit", "verify"}, args...))
	root.SetOut(&out)
	err := root.ExecuteContext(context.Background())
	if err == nil {
		return out.String(), 0
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		return out.String() + err.Error(), coded.ExitCode()
	}
	return out.String() + err.Error(), 99
}

func TestAuditVerify(t *testing.T) {
	srv := testredis.Start(t)
	prefix := testredis.Prefix(t)
	st, err := store.New(store.Options{Addrs: []string{srv.Addr}, Prefix: prefix}, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := store.NewRegistry(st)
	for i := 0; i < 6; i++ {
		if _, err := reg.Apply(context.Background(), registry.Change{Action: "revocation.revoke",
			Actor: registry.Actor{ID: "admin:t", Role: "admin"}, To: status.Revoked, From: []status.Code{status.Unknown},
			Reason: "KEY_COMPROMISE", DocumentNo: fmt.Sprint("D-", i), Effective: t0,
			Items: []status.Subject{{Kind: status.KindCertificate, ID: fmt.Sprint("c", i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	base := []string{"--redis-addrs", srv.Addr, "--redis-prefix", prefix, "--redis-timeout", "500ms"}
	out, code := run(t, append(base, "--deep")...)
	if code != ExitIntact || !strings.Contains(out, "intact: 6 entries") || !strings.Contains(out, "consistent with the chain: 6 events") {
		t.Fatalf("intact chain: %d %s", code, out)
	}
	seq, hash, err := st.AuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cp := fmt.Sprintf("%d:%s", seq, hash)
	if !strings.Contains(out, "checkpoint: "+cp) {
		t.Fatalf("no checkpoint printed: %s", out)
	}
	if out, code := run(t, append(base, "--checkpoint", cp)...); code != ExitIntact {
		t.Fatalf("with checkpoint: %d %s", code, out)
	}
	if out, code := run(t, append(base, "--checkpoint", "3:"+strings.Repeat("0", 64))...); code != ExitBroken || !strings.Contains(out, "entry 3") {
		t.Fatalf("wrong checkpoint: %d %s", code, out)
	}
	if _, code := run(t, append(base, "--checkpoint", "bad")...); code == ExitIntact {
		t.Fatal("bad checkpoint accepted")
	}

	// Un-revoke certificate c2 by deleting its index entry: only --deep tells.
	cli := testCommand(t, srv.Addr)
	keys, err := cli(context.Background(), "--scan", "--pattern", prefix+"{reg}:ix:*")
	if err != nil || keys == "" {
		t.Fatalf("scan: %q %v", keys, err)
	}
	victim := strings.Split(keys, "\n")[0]
	if _, err := cli(context.Background(), "DEL", victim); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, base...); code != ExitIntact {
		t.Fatalf("chain alone: %d %s", code, out)
	}
	if out, code := run(t, append(base, "--deep")...); code != ExitBroken || !strings.Contains(out, "INCONSISTENT") {
		t.Fatalf("deleted index entry: %d %s", code, out)
	}

	// Cut the chain back by one entry, head included: only the checkpoint tells.
	entries := prefix + "{reg}:audit:e"
	head := prefix + "{reg}:audit:head"
	last, err := cli(context.Background(), "HGET", entries, "6")
	if err != nil {
		t.Fatal(err)
	}
	prevEntry, err := store.DecodeAuditEntry([]byte(last))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli(context.Background(), "HDEL", entries, "6"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli(context.Background(), "HSET", head, "seq", "5", "hash", prevEntry.Prev); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, base...); code != ExitIntact {
		t.Fatalf("a clean cut is invisible without a checkpoint, got %d %s", code, out)
	}
	if out, code := run(t, append(base, "--checkpoint", cp)...); code != ExitBroken || !strings.Contains(out, "cut off") {
		t.Fatalf("cut chain with checkpoint: %d %s", code, out)
	}

	// Edit entry 2: named as the broken link.
	body, err := cli(context.Background(), "HGET", entries, "2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli(context.Background(), "HSET", entries, "2", strings.Replace(body, "D-1", "D-X", 1)); err != nil {
		t.Fatal(err)
	}
	out, code = run(t, append(base, "--json")...)
	if code != ExitBroken || !strings.Contains(out, `"FirstBad": 3`) {
		t.Fatalf("edited entry: %d %s", code, out)
	}
	srv.Stop()
	if out, code := run(t, base...); code != ExitUnreadable {
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
