package app

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

const devPass = "app-test-passphrase"

// pledgedBinary builds cmd/pledged once per test binary, the way `make
// build` does (scripts/lib.sh go_build: version stamped in).
var pledgedBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "pledged-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "pledged")
	cmd := exec.Command("bash", "-c", `. scripts/lib.sh && go_build "$1" ./cmd/pledged`, "go_build", dir)
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// repoRoot is the repository's top directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func binary(t *testing.T) string {
	t.Helper()
	bin, err := pledgedBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// generated holds two independent dev trust sets, made once (key
// derivation is deliberately slow); each test works on its own copy.
var generated = sync.OnceValues(func() ([2]string, error) {
	var out [2]string
	base, err := os.MkdirTemp("", "pledgeseal-trust")
	if err != nil {
		return out, err
	}
	for i := range out {
		out[i] = filepath.Join(base, fmt.Sprint(i))
		if err := trust.GenerateDevWith(out[i], []byte(devPass), clock.Real{}, false, trust.GenerateOptions{KDFIterations: 10_000}); err != nil {
			return out, err
		}
	}
	return out, nil
})

// devMaterial returns a private copy of dev trust set n (0 or 1).
func devMaterialN(t *testing.T, n int) string {
	t.Helper()
	sets, err := generated()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.CopyFS(dir, os.DirFS(sets[n])); err != nil {
		t.Fatal(err)
	}
	return dir
}

func devMaterial(t *testing.T) string { return devMaterialN(t, 0) }

// runPledged starts the binary with env and returns the command and a
// buffer collecting its stderr.
func runPledged(t *testing.T, env ...string) (*exec.Cmd, *syncBuf) {
	t.Helper()
	cmd := exec.Command(binary(t))
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	buf := &syncBuf{}
	cmd.Stderr = buf
	cmd.Stdout = buf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd, buf
}

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func exitCode(t *testing.T, cmd *exec.Cmd, within time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			return 0
		}
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		t.Fatalf("wait: %v", err)
	case <-time.After(within):
		_ = cmd.Process.Kill()
		t.Fatalf("pledged did not exit within %s", within)
	}
	return -1
}

func baseEnv(keys, redisAddr string, port int) []string {
	return []string{
		"PLEDGESEAL_KEYS_DIR=" + keys,
		"PLEDGESEAL_KEY_PASSPHRASE=" + devPass,
		"PLEDGESEAL_REDIS_ADDRS=" + redisAddr,
		"PLEDGESEAL_REDIS_PREFIX=apptest" + fmt.Sprint(port) + ":",
		fmt.Sprintf("PLEDGESEAL_LISTEN=127.0.0.1:%d", port),
		"PLEDGESEAL_SHUTDOWN_TIMEOUT=3s",
	}
}

// sharedRedisEnv is baseEnv on make test's shared Redis, which runs with
// --appendonly no (throwaway data): such tests must say so with the
// durability override, as docs/operations.md tells.
func sharedRedisEnv(t *testing.T, keys string, port int) []string {
	t.Helper()
	return append(baseEnv(keys, testredis.Addr(t), port), "PLEDGESEAL_REDIS_ALLOW_UNSAFE=true")
}

func swap(t *testing.T, a, b string) {
	t.Helper()
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(a, db, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, da, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestStartRefusesBadTrustMaterial: a key that does not match its
// certificate, or a certificate from another root, stops start-up with a
// non-zero exit and a message naming the file.
func TestStartRefusesBadTrustMaterial(t *testing.T) {
	cases := []struct {
		name   string
		tamper func(t *testing.T, dir string)
		want   string
	}{
		{"swapped agency keys", func(t *testing.T, dir string) {
			swap(t, filepath.Join(dir, "agency-110105-SCJGJ.key.pem"), filepath.Join(dir, "agency-110105-MZJ.key.pem"))
		}, "agency-110105-"},
		{"seal-maker cert from another root", func(t *testing.T, dir string) {
			other := devMaterialN(t, 1)
			data, err := os.ReadFile(filepath.Join(other, "seal-maker.pem"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "seal-maker.pem"), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "seal-maker"},
		{"missing key file", func(t *testing.T, dir string) {
			if err := os.Remove(filepath.Join(dir, "applicant-ca.key.pem")); err != nil {
				t.Fatal(err)
			}
		}, "applicant-ca.key.pem"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := devMaterial(t)
			tc.tamper(t, dir)
			cmd, out := runPledged(t, baseEnv(dir, "127.0.0.1:1", testredis.FreePort(t))...)
			if code := exitCode(t, cmd, 30*time.Second); code == 0 {
				t.Fatalf("pledged started with bad trust material:\n%s", out)
			}
			if !strings.Contains(out.String(), "refusing to start") || !strings.Contains(out.String(), tc.want) {
				t.Fatalf("message does not say what is wrong (want %q):\n%s", tc.want, out)
			}
		})
	}
}

// TestInvalidConfigurationNamesTheSetting exits 2 with the setting's name.
func TestInvalidConfigurationNamesTheSetting(t *testing.T) {
	cases := map[string]string{
		"PLEDGESEAL_LISTEN=not-an-address": "PLEDGESEAL_LISTEN",
		"PLEDGESEAL_LOG_LEVEL=chatty":      "PLEDGESEAL_LOG_LEVEL",
		"PLEDGESEAL_NO_SUCH_THING=1":       "PLEDGESEAL_NO_SUCH_THING",
	}
	for env, want := range cases {
		t.Run(want, func(t *testing.T) {
			cmd, out := runPledged(t, "PLEDGESEAL_KEY_PASSPHRASE=x", env)
			if code := exitCode(t, cmd, 30*time.Second); code != ExitConfig {
				t.Fatalf("exit %d, want %d:\n%s", code, ExitConfig, out)
			}
			if !strings.Contains(out.String(), want) {
				t.Fatalf("message does not name %s:\n%s", want, out)
			}
		})
	}
	cmd, out := runPledged(t, "PLEDGESEAL_KEYS_DIR=/nonexistent")
	if code := exitCode(t, cmd, 30*time.Second); code != ExitConfig || !strings.Contains(out.String(), "PLEDGESEAL_KEY_PASSPHRASE") {
		t.Fatalf("missing passphrase: exit %d\n%s", code, out)
	}
}

func waitReady(t *testing.T, base string, out fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("pledged never became ready:\n%s", out)
}

// TestServeAndShutDownGracefully runs the real binary against the test
// Redis: ready, answers, stops on SIGTERM with exit 0, and its logs hold no
// passphrase or key material.
func TestServeAndShutDownGracefully(t *testing.T) {
	keys := devMaterial(t)
	port := testredis.FreePort(t)
	cmd, out := runPledged(t, sharedRedisEnv(t, keys, port)...)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitReady(t, base, out)

	// The server answers before it is asked to stop.
	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	resp.Body.Close()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM:\n%s", code, out)
	}
	logs := out.String()
	for _, l := range []string{"pledged listening", "shutting down", "stopped"} {
		if !strings.Contains(logs, l) {
			t.Errorf("log lacks %q", l)
		}
	}
	for _, secret := range []string{devPass, "PRIVATE KEY", "BEGIN"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log output contains %q", secret)
		}
	}
	// Every log line is JSON.
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "{") {
			t.Errorf("non-JSON log line: %s", line)
		}
	}
}

// TestReadyzFollowsRedis: with its Redis killed the server stays up and
// answers 503 on /readyz; with Redis back it is ready again.
func TestReadyzFollowsRedis(t *testing.T) {
	srv := testredis.Start(t)
	keys := devMaterial(t)
	port := testredis.FreePort(t)
	env := append(baseEnv(keys, srv.Addr, port), "PLEDGESEAL_REDIS_TIMEOUT=300ms")
	_, out := runPledged(t, env...)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitReady(t, base, out)
	srv.Kill()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(resp.Header.Get("Content-Type"), "problem+json") {
		t.Fatalf("readyz with Redis down: %d %s", resp.StatusCode, body)
	}
	srv.Restart(t)
	waitReady(t, base, out)
}

func TestMainInProcessStopsOnContext(t *testing.T) {
	keys := devMaterial(t)
	port := testredis.FreePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuf
	env := sharedRedisEnv(t, keys, port)
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, Env{Environ: env, Getenv: getenvOf(env), Stdout: &stderr, Stderr: &stderr, Clock: clock.Real{}})
	}()
	waitReady(t, fmt.Sprintf("http://127.0.0.1:%d", port), &stderr)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Main did not return after cancel")
	}
}

// getenvOf looks variables up in an environ slice, as os.Getenv would.
func getenvOf(env []string) func(string) string {
	return func(k string) string {
		for _, kv := range env {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				return v
			}
		}
		return ""
	}
}

// buildTestApp builds the real application in process on a private copy of
// dev trust material and the test Redis; it is closed when the test ends.
func buildTestApp(t *testing.T) *App {
	t.Helper()
	env := sharedRedisEnv(t, devMaterial(t), testredis.FreePort(t))
	cfg, err := config.Load(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Build(cfg, getenvOf(env), slog.New(slog.DiscardHandler), clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}
