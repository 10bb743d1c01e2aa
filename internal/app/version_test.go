package app

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/version"
)

// gitOutput runs git in the repository; ok is false outside a git checkout.
func gitOutput(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = repoRoot()
	out, err := cmd.Output()
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(out)), true
}

// TestVersionIsStampedFromGit: the binary built like `make build` names
// the `git describe` version and the commit in --version, and `go version
// -m` shows the link-time version and Go's own VCS stamp instead of a bare
// (devel).
func TestVersionIsStampedFromGit(t *testing.T) {
	bin := binary(t)
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("pledged --version: %v\n%s", err, out)
	}
	line := strings.TrimSpace(string(out))
	if !strings.HasPrefix(line, "pledged ") || strings.Contains(line, "devel") {
		t.Fatalf("pledged --version = %q, want a stamped version", line)
	}
	commit, ok := gitOutput(t, "rev-parse", "HEAD")
	if !ok {
		t.Skip("not a git checkout: nothing to compare the stamp with")
	}
	describe, _ := gitOutput(t, "describe", "--tags", "--always", "--dirty")
	// The tree may change between the build and this call (dirty or not);
	// the commit part of the description may not.
	if !strings.HasPrefix(line, "pledged "+strings.TrimSuffix(describe, "-dirty")) || !strings.Contains(line, "commit "+commit) {
		t.Fatalf("pledged --version = %q, want %s and commit %s", line, describe, commit)
	}
	mod, err := exec.Command("go", "version", "-m", bin).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, mod)
	}
	want := []string{"internal/version.version=" + strings.TrimSuffix(describe, "-dirty"), "internal/version.commit=" + commit}
	if fi, err := os.Stat(filepath.Join(repoRoot(), ".git")); err == nil && fi.IsDir() {
		// A clone: Go stamps the VCS information too, and the module
		// version becomes a pseudo-version instead of (devel).
		want = append(want, "vcs.revision="+commit)
	} else {
		t.Log("a git worktree (.git is a file): Go stamps no vcs.* settings there; checking the -ldflags stamp only")
	}
	for _, w := range want {
		if !strings.Contains(string(mod), w) {
			t.Errorf("go version -m lacks %q:\n%s", w, mod)
		}
	}
}

// TestMainPrintsVersion: --version prints the build and exits 0 without
// reading any configuration; the start-up log line carries the version.
func TestMainPrintsVersion(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Main(context.Background(), Env{Args: []string{"--version"}, Environ: []string{"PLEDGESEAL_NO_SUCH_THING=1"},
		Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr, Clock: clock.Real{}})
	if code != ExitOK || stdout.String() != "pledged "+version.Get().String()+"\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}

	// Without a passphrase start-up fails, after the version line.
	stderr.Reset()
	code = Main(context.Background(), Env{Environ: []string{"PLEDGESEAL_KEYS_DIR=/nonexistent"},
		Getenv: func(string) string { return "" }, Stdout: &stdout, Stderr: &stderr, Clock: clock.NewFake(time.Now())})
	if code == ExitOK {
		t.Fatal("started without trust material")
	}
	first, _, _ := strings.Cut(stderr.String(), "\n")
	if !strings.Contains(first, `"msg":"pledged starting"`) || !strings.Contains(first, `"version":"`+version.Get().Version+`"`) ||
		!strings.Contains(first, `"commit":"`) || !strings.Contains(first, `"go":"`) {
		t.Fatalf("first log line does not carry the version: %s", first)
	}
}
