package auditcli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// TestRestoreDrill is the backup and restore drill of docs/operations.md,
// step for step, with the real redis-cli and redis-server: back up the AOF
// of a running Redis (automatic rewrites paused, no rewrite in progress,
// copy the append-only directory), keep writing, restore the copy into a
// fresh redis-server and check the history with `audit verify --deep`
// and the checkpoint recorded at backup time. A checkpoint recorded after
// the backup shows what the restore lost.
func TestRestoreDrill(t *testing.T) {
	ctx := context.Background()
	live := testredis.Start(t)
	prefix := testredis.Prefix(t)
	st, err := store.New(store.Options{Addrs: []string{live.Addr}, Prefix: prefix}, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	reg := store.NewRegistry(st)
	write := func(from, to int) {
		for i := from; i < to; i++ {
			if _, err := reg.Apply(ctx, registry.Change{Action: "revocation.revoke",
				Actor: registry.Actor{ID: "admin:drill", Role: "admin"}, To: status.Revoked, From: []status.Code{status.Unknown},
				Reason: "KEY_COMPROMISE", DocumentNo: fmt.Sprint("DRILL-", i), Effective: t0,
				Items: []status.Subject{{Kind: status.KindCertificate, ID: fmt.Sprint("drill-", i)}}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkpoint := func() string {
		seq, hash, err := st.AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%d:%s", seq, hash)
	}
	write(0, 5)
	cli := testCommand(t, live.Addr)
	must := func(args ...string) string {
		t.Helper()
		out, err := cli(ctx, args...)
		if err != nil {
			t.Fatalf("redis-cli %v: %v", args, err)
		}
		return out
	}

	// Backup (docs/operations.md, "Backup"): record the checkpoint, pause
	// automatic AOF rewrites, wait until none runs, copy the directory,
	// resume.
	atBackup := checkpoint()
	must("CONFIG", "SET", "auto-aof-rewrite-percentage", "0")
	for deadline := time.Now().Add(30 * time.Second); strings.Contains(must("INFO", "persistence"), "aof_rewrite_in_progress:1"); {
		if time.Now().After(deadline) {
			t.Fatal("an AOF rewrite did not finish")
		}
		time.Sleep(50 * time.Millisecond)
	}
	dir := must("CONFIG", "GET", "dir")
	aofDir := must("CONFIG", "GET", "appenddirname")
	dir = strings.Split(dir, "\n")[1]
	aofDir = strings.Split(aofDir, "\n")[1]
	backup := filepath.Join(t.TempDir(), "backup")
	if err := os.CopyFS(filepath.Join(backup, aofDir), os.DirFS(filepath.Join(dir, aofDir))); err != nil {
		t.Fatal(err)
	}
	must("CONFIG", "SET", "auto-aof-rewrite-percentage", "100")

	write(5, 8) // after the backup: lost by the restore
	afterBackup := checkpoint()

	// Restore into a fresh redis-server (AOF on, as production).
	restored := testredis.StartIn(t, backup)
	base := []string{"--redis-addrs", restored.Addr, "--redis-prefix", prefix, "--redis-timeout", "2s"}
	out, code := run(t, append(base, "--deep", "--checkpoint", atBackup)...)
	if code != ExitIntact || !strings.Contains(out, "intact: 5 entries") || !strings.Contains(out, "consistent with the chain: 5 events") {
		t.Fatalf("restored history: exit %d\n%s", code, out)
	}
	out, code = run(t, append(base, "--checkpoint", afterBackup)...)
	if code != ExitBroken || !strings.Contains(out, "cut off") {
		t.Fatalf("the later checkpoint must show the entries lost since the backup: exit %d\n%s", code, out)
	}
	// The live server still has all eight.
	if out, code := run(t, "--redis-addrs", live.Addr, "--redis-prefix", prefix, "--checkpoint", afterBackup); code != ExitIntact || !strings.Contains(out, "intact: 8 entries") {
		t.Fatalf("live history: exit %d\n%s", code, out)
	}
}
