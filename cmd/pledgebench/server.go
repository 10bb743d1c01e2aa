package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/app"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/bench"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// server is the pledged process the benchmark started.
type server struct {
	cmd     *exec.Cmd
	base    string
	env     []string
	client  *http.Client
	logPath string
	done    chan error
	cancel  context.CancelFunc // in-process server only
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// serverEnv is the environment pledged, pledgectl and the in-process token
// service share.
func serverEnv(listen, redisAddr, keys, prefix string) []string {
	return []string{
		"PLEDGESEAL_LISTEN=" + listen,
		"PLEDGESEAL_REDIS_ADDRS=" + redisAddr,
		"PLEDGESEAL_REDIS_PREFIX=" + prefix,
		"PLEDGESEAL_KEYS_DIR=" + keys,
		"PLEDGESEAL_KEY_PASSPHRASE=" + devPassphrase,
		"PLEDGESEAL_LOG_LEVEL=warn",
		"PLEDGESEAL_BASE_URL=http://" + listen,
		// The load generator is one client measuring capacity: the
		// per-client rate limits would measure themselves.
		"PLEDGESEAL_RATELIMIT_VERIFY_RATE=0",
		"PLEDGESEAL_RATELIMIT_PUBLIC_RATE=0",
	}
}

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

// initKeys runs `pledgectl init --dev` into dir.
func initKeys(ctx context.Context, pledgectl, dir string) error {
	cmd := exec.CommandContext(ctx, pledgectl, "init", "--dev", "--dir", dir)
	cmd.Env = append(os.Environ(), "PLEDGESEAL_KEY_PASSPHRASE="+devPassphrase)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pledgectl init --dev: %v: %s", err, bytes.TrimSpace(out))
	}
	return nil
}

// newClient is the load generator's HTTP client: keep-alive connections
// for every request that may be in flight, and buffers that take a whole
// package (a 4 kB default buffer writes a 20 kB verification request in
// several system calls, which the generator's CPU profile showed).
func newClient(maxConns int) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConns: maxConns + 8, MaxIdleConnsPerHost: maxConns + 8, IdleConnTimeout: time.Minute,
		WriteBufferSize: 64 << 10, ReadBufferSize: 64 << 10,
	}}
}

// startServer starts pledged with env, its log in tmp, and waits for
// /readyz.
func startServer(ctx context.Context, clk clock.Clock, pledged string, env []string, listen, tmp string, maxConns int) (*server, error) {
	logPath := filepath.Join(tmp, "pledged.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(pledged)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + listen, env: env, logPath: logPath, done: make(chan error, 1),
		client: newClient(maxConns)}
	go func() { s.done <- cmd.Wait(); logf.Close() }()
	deadline := clk.Now().Add(60 * time.Second)
	for clk.Now().Before(deadline) {
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("pledged exited at start-up (%v): see %s", err, logPath)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		default:
		}
		if code, _, err := s.do(ctx, http.MethodGet, "/readyz", "", "", nil); err == nil && code == http.StatusOK {
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("pledged did not become ready within 60 s: see %s", logPath)
}

// startInProcess builds the same application pledged runs (app.Build from
// the same environment) inside this process and serves it on listen: for
// CPU profiles only, since the load generator then shares the process.
func startInProcess(ctx context.Context, clk clock.Clock, env []string, listen string, maxConns int) (*server, error) {
	cfg, err := config.Load(nil, env, io.Discard)
	if err != nil {
		return nil, err
	}
	a, err := app.Build(cfg, getenvOf(env), slog.New(slog.DiscardHandler), clk)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		_ = a.Close()
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	s := &server{base: "http://" + listen, env: env, done: make(chan error, 1), cancel: cancel,
		client: newClient(maxConns)}
	go func() { s.done <- a.Serve(sctx, ln); _ = a.Close() }()
	for range 100 {
		if code, _, err := s.do(ctx, http.MethodGet, "/readyz", "", "", nil); err == nil && code == http.StatusOK {
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.stop()
	return nil, errors.New("the in-process server did not become ready within 10 s")
}

// cpu returns the CPU time the server used so far: pledged's from /proc,
// or this whole process's when the server runs in process.
func (s *server) cpu() time.Duration {
	if s.cmd == nil || s.cmd.Process == nil {
		return selfCPU()
	}
	d, err := procCPU(s.cmd.Process.Pid)
	if err != nil {
		return 0
	}
	return d
}

// stop ends the pledged process this benchmark started (SIGINT, then kill).
func (s *server) stop() {
	if s == nil {
		return
	}
	if s.cancel != nil {
		s.cancel()
		<-s.done
		return
	}
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// do sends one request; body is JSON-encoded unless it is already []byte.
func (s *server) do(ctx context.Context, method, path, token, idemKey string, body any) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(ctx, method, s.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// expect sends one request and fails unless the status is want.
func (s *server) expect(ctx context.Context, want int, method, path, token, idemKey string, body any) ([]byte, error) {
	code, out, err := s.do(ctx, method, path, token, idemKey, body)
	if err != nil {
		return nil, err
	}
	if code != want {
		return nil, fmt.Errorf("%s %s: status %d, want %d: %.300s", method, path, code, want, out)
	}
	return out, nil
}

// tokens issues an agency token and one applicant token per applicant
// through the same token service pledged uses (same Redis, prefix and keys).
func tokens(ctx context.Context, clk clock.Clock, env []string, agency string, applicants []pledge.Applicant) (agencyTok string, applicantToks []string, err error) {
	cfg, err := config.Load(nil, env, io.Discard)
	if err != nil {
		return "", nil, err
	}
	toks, closer, err := app.OpenTokens(cfg, getenvOf(env), clk)
	if err != nil {
		return "", nil, err
	}
	defer closer.Close()
	issue := func(req auth.CreateRequest) (string, error) {
		req.TTL = 2 * time.Hour
		iss, err := toks.Create(ctx, req)
		if err != nil {
			return "", err
		}
		return iss.Secret, nil
	}
	if agencyTok, err = issue(auth.CreateRequest{Role: auth.RoleAgency, Org: agency}); err != nil {
		return "", nil, err
	}
	for _, a := range applicants {
		tok, err := issue(auth.CreateRequest{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: a.Name, IDType: a.IDType, IDNumber: a.IDNumber}})
		if err != nil {
			return "", nil, err
		}
		applicantToks = append(applicantToks, tok)
	}
	return agencyTok, applicantToks, nil
}

// warm opens n keep-alive connections to the server (n concurrent GET
// /healthz), so that a paced step with up to n requests in flight does not
// measure connection set-up in its tail.
func (s *server) warm(ctx context.Context, n int) error {
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := s.expect(ctx, http.StatusOK, http.MethodGet, "/healthz", "", "", nil)
			errs <- err
		}()
	}
	var first error
	for range n {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// metric reads one counter from GET /metrics.
func (s *server) metric(ctx context.Context, name string) (float64, error) {
	out, err := s.expect(ctx, http.StatusOK, http.MethodGet, "/metrics", "", "", nil)
	if err != nil {
		return 0, err
	}
	v, ok := bench.ParseMetric(string(out), name)
	if !ok {
		return 0, errors.New("/metrics has no " + name)
	}
	return v, nil
}
