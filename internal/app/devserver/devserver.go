// Package devserver starts, for tests, a real pledged as `make run` does:
// app.Build over dev trust material made by `pledgectl init --dev`
// (trust.GenerateDevWith) and the test Redis, serving on a loopback port
// until the test ends, with a token store to mint tokens. It is test
// support, like internal/testredis: nothing in a binary imports it.
package devserver

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/app"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

// Passphrase encrypts the dev keys a Server makes.
const Passphrase = "pledgeseal-dev-only"

// Server is a running pledged.
type Server struct {
	// Base is its base URL (http://127.0.0.1:port); Keys the dev trust
	// material's directory (root-ca.pem, ...).
	Base, Keys string
	tokens     *auth.Tokens
}

// Start makes dev trust material, builds the application on clk and
// serves it until the test ends; it returns once /readyz answers 200.
func Start(t *testing.T, clk clock.Clock) *Server {
	t.Helper()
	keys := filepath.Join(t.TempDir(), "keys")
	if err := trust.GenerateDevWith(keys, []byte(Passphrase), clock.Real{}, false, trust.GenerateOptions{KDFIterations: 10_000}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	environ := []string{
		"PLEDGESEAL_KEYS_DIR=" + keys,
		"PLEDGESEAL_KEY_PASSPHRASE=" + Passphrase,
		"PLEDGESEAL_REDIS_ADDRS=" + testredis.Addr(t),
		"PLEDGESEAL_REDIS_PREFIX=" + testredis.Prefix(t),
		"PLEDGESEAL_LISTEN=" + ln.Addr().String(),
		"PLEDGESEAL_BASE_URL=" + base,
		"PLEDGESEAL_SHUTDOWN_TIMEOUT=3s",
		// make test's shared Redis runs without AOF (throwaway data).
		"PLEDGESEAL_REDIS_ALLOW_UNSAFE=true",
	}
	getenv := func(k string) string {
		for _, kv := range environ {
			if name, v, _ := strings.Cut(kv, "="); name == k {
				return v
			}
		}
		return ""
	}
	cfg, err := config.Load(nil, environ, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Build(cfg, getenv, slog.New(slog.DiscardHandler), clk)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		_ = a.Close()
	})
	toks, closer, err := app.OpenTokens(cfg, getenv, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = closer.Close() })
	for deadline := time.Now().Add(30 * time.Second); ; {
		if resp, err := http.Get(base + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("pledged never became ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return &Server{Base: base, Keys: keys, tokens: toks}
}

// Mint issues a token for req (an hour when req.TTL is zero) and returns
// its secret.
func (s *Server) Mint(t *testing.T, req auth.CreateRequest) string {
	t.Helper()
	if req.TTL == 0 {
		req.TTL = time.Hour
	}
	iss, err := s.tokens.Create(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return iss.Secret
}
