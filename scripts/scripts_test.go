// Package scripts_test checks the shipped Redis configuration and the pid-file
// handling of the dev scripts against real processes.
package scripts_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// TestRedisConf starts redis-server from scripts/redis.conf the way run.sh
// does and reads back the settings the durability and exposure promises rest on.
func TestRedisConf(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(testredis.EnvRequire) == "1" {
			t.Fatal("redis-server is required under make test")
		}
		t.Skip("redis-server not installed")
	}
	dir := t.TempDir()
	port := testredis.FreePort(t)
	conf, _ := filepath.Abs("redis.conf")
	cmd := exec.Command(bin, conf, "--port", fmt.Sprint(port), "--dir", dir,
		"--pidfile", filepath.Join(dir, "redis.pid"), "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_, _ = cmd.Process.Wait()
	})
	get := func(key string) string {
		out, err := exec.Command("redis-cli", "-h", "127.0.0.1", "-p", fmt.Sprint(port), "config", "get", key).Output()
		if err != nil {
			return "error: " + err.Error()
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) < 2 {
			return ""
		}
		return lines[1]
	}
	deadline := time.Now().Add(10 * time.Second)
	for get("port") != fmt.Sprint(port) {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server did not start from redis.conf:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	want := map[string]string{
		"bind":               "127.0.0.1",
		"protected-mode":     "yes",
		"appendonly":         "yes",
		"appendfsync":        "always",
		"save":               "",
		"maxmemory-policy":   "noeviction",
		"aof-load-truncated": "yes",
	}
	for k, v := range want {
		if got := get(k); got != v {
			t.Errorf("CONFIG GET %s = %q, want %q", k, got, v)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "appendonly")); err != nil {
		t.Errorf("no AOF directory under --dir: %v", err)
	}
}

// TestStopLeavesStrangersAlone points stop.sh's pid files at a process that
// is not ours (a recycled pid) and checks it survives, while the stale pid
// files are removed.
func TestStopLeavesStrangersAlone(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"stop.sh", "lib.sh"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "scripts", f), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	stranger := exec.Command("sleep", "30")
	if err := stranger.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stranger.Process.Kill(); _, _ = stranger.Process.Wait() })
	varDir := filepath.Join(root, "var")
	if err := os.MkdirAll(varDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"pledged.pid", "redis.pid"} {
		if err := os.WriteFile(filepath.Join(varDir, f), []byte(fmt.Sprint(stranger.Process.Pid)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command("bash", filepath.Join(root, "scripts", "stop.sh")).CombinedOutput()
	if err != nil {
		t.Fatalf("stop.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "nothing to stop") {
		t.Errorf("stop.sh output: %s", out)
	}
	if err := stranger.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("stop.sh signalled a process that was not ours: %v", err)
	}
	for _, f := range []string{"pledged.pid", "redis.pid"} {
		if _, err := os.Stat(filepath.Join(varDir, f)); err == nil {
			t.Errorf("stale %s left behind", f)
		}
	}
	// A real match is stopped: a process whose command line says redis-server.
	fake := exec.Command("bash", "-c", "exec -a redis-server sleep 30")
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Process.Kill() })
	if err := os.WriteFile(filepath.Join(varDir, "redis.pid"), []byte(fmt.Sprint(fake.Process.Pid)), 0o644); err != nil {
		t.Fatal(err)
	}
	// Reap it as soon as it dies, so stop.sh does not wait on a zombie.
	done := make(chan error, 1)
	go func() { _, err := fake.Process.Wait(); done <- err }()
	time.Sleep(100 * time.Millisecond) // let exec -a take effect
	out, err = exec.Command("bash", filepath.Join(root, "scripts", "stop.sh")).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "stopping Redis") || strings.Contains(string(out), "killing") {
		t.Fatalf("stop.sh did not stop our process with TERM: %v\n%s", err, out)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("our process is still running after stop.sh")
	}
}

// TestMissingPackagesNamed: a user who may not install packages is told
// exactly which Debian packages to install (make test and make run stop
// there); only root gets them installed. Run as root, the check runs as
// nobody.
func TestMissingPackagesNamed(t *testing.T) {
	lib, err := os.ReadFile("lib.sh")
	if err != nil {
		t.Fatal(err)
	}
	script := string(lib) + "\nSCRIPT_NAME='make test'\nensure_packages bash:bash no-such-command-e19:no-such-package-e19 other-missing-e19:other-package-e19\necho installed\n"
	cmd := exec.Command("bash", "-c", script)
	if os.Geteuid() == 0 {
		runuser, err := exec.LookPath("runuser")
		if err != nil {
			t.Skip("running as root without runuser: cannot check the non-root path")
		}
		cmd = exec.Command(runuser, "-u", "nobody", "--", "bash", "-c", script)
	}
	cmd.Dir = os.TempDir()
	out, err := cmd.CombinedOutput()
	if err == nil || strings.Contains(string(out), "installed\n") {
		t.Fatalf("missing packages did not stop the script: %v\n%s", err, out)
	}
	msg := string(out)
	if !strings.Contains(msg, "apt-get install -y no-such-package-e19 other-package-e19") || strings.Contains(msg, " bash ") {
		t.Fatalf("the message does not name exactly the missing packages:\n%s", msg)
	}
}
