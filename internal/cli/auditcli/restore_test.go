package auditcli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// TestRestoreDrill is the backup and restore drill of docs/operations.md,
// step for step, with the real redis-cli and redis-server: back up the AOF
// of a running Redis (automatic rewrites paused, no rewrite in progress,
// copy the append-only directory), keep writing, restore the copy into a
// fresh redis-server and check the history with `audit verify --deep`
// (that is, `log audit --deep`): the restored log is consistent with its
// own signed checkpoint, and a checkpoint signed after the backup (as a
// witness keeps it) is larger than the restored log — what `log verify`
// reports as ROLLED_BACK (logcli.TestWitnessDetectsRollbackAndFork).
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
	keys := newLogKeys(t)
	checkpoint := func(st *store.Store) translog.Checkpoint {
		t.Helper()
		signed, err := store.NewTransLog(st).Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cp, err := translog.OpenCheckpointWithKey(signed, &keys.key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return cp
	}
	revokeCerts(t, reg, "drill-", 0, 5)
	keys.sign(t, st)
	cli := testCommand(t, live.Addr)
	must := func(args ...string) string {
		t.Helper()
		out, err := cli(ctx, args...)
		if err != nil {
			t.Fatalf("redis-cli %v: %v", args, err)
		}
		return out
	}

	// Backup (docs/operations.md, "Backup"): pause automatic AOF rewrites,
	// wait until none runs, copy the directory, resume.
	atBackup := checkpoint(st)
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

	revokeCerts(t, reg, "drill-", 5, 8) // after the backup: lost by the restore
	keys.sign(t, st)
	afterBackup := checkpoint(st)

	// Restore into a fresh redis-server (AOF on, as production).
	restored := testredis.StartIn(t, backup)
	base := []string{"--redis-addrs", restored.Addr, "--redis-prefix", prefix, "--redis-timeout", "2s", "--keys-dir", keys.dir}
	out, _, code := run(t, append(base, "--deep")...)
	if code != ExitIntact || !strings.Contains(out, "registry audit entries agree with the log: 5 logged") || !strings.Contains(out, "consistent with the audit entries: 5 events") {
		t.Fatalf("restored history: exit %d\n%s", code, out)
	}
	rst, err := store.New(store.Options{Addrs: []string{restored.Addr}, Prefix: prefix}, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer rst.Close()
	if got := checkpoint(rst); got.Size != atBackup.Size || afterBackup.Size <= got.Size {
		t.Fatalf("restored checkpoint %d, at backup %d, after %d: a witness holding the later one must see a rollback", got.Size, atBackup.Size, afterBackup.Size)
	}
	// The live server still has all eight.
	if out, _, code := run(t, "--redis-addrs", live.Addr, "--redis-prefix", prefix, "--keys-dir", keys.dir, "--deep"); code != ExitIntact || !strings.Contains(out, "8 events") {
		t.Fatalf("live history: exit %d\n%s", code, out)
	}
}
