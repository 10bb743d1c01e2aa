// Package testredis gives tests a real Redis: the one `make test` started
// (PLEDGESEAL_TEST_REDIS_ADDR), or a throwaway redis-server the test starts
// itself. Under `make test` (PLEDGESEAL_TEST_REQUIRE_REDIS=1) a missing Redis
// fails the test instead of skipping it.
package testredis

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// EnvAddr names the variable holding the shared test Redis address.
const EnvAddr = "PLEDGESEAL_TEST_REDIS_ADDR"

// EnvClusterAddrs names the variable holding comma-separated cluster seeds.
const EnvClusterAddrs = "PLEDGESEAL_TEST_REDIS_CLUSTER"

// EnvRequire makes a missing Redis a failure rather than a skip.
const EnvRequire = "PLEDGESEAL_TEST_REQUIRE_REDIS"

func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf("%s is required under make test but is not available", what)
	}
	t.Skipf("%s not available (run via make test)", what)
}

// Addr returns the address of the shared test Redis.
func Addr(t testing.TB) string {
	t.Helper()
	a := os.Getenv(EnvAddr)
	if a == "" {
		missing(t, "Redis ("+EnvAddr+")")
	}
	return a
}

// ClusterAddrs returns the seed addresses of the shared test cluster.
func ClusterAddrs(t testing.TB) []string {
	t.Helper()
	a := os.Getenv(EnvClusterAddrs)
	if a == "" {
		missing(t, "Redis Cluster ("+EnvClusterAddrs+")")
	}
	return strings.Split(a, ",")
}

// Prefix returns a random key prefix so tests sharing a Redis never collide.
func Prefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "t" + hex.EncodeToString(b) + ":"
}

// Server is a redis-server process owned by one test.
type Server struct {
	Addr string
	Dir  string
	Port int
	cmd  *exec.Cmd
	args []string
}

// FreePort asks the kernel for a free loopback port.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start runs a private redis-server in a temp dir with AOF (appendfsync
// always), so a test can kill and restart it. Extra args are appended.
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	return StartIn(t, t.TempDir(), extra...)
}

// StartIn is Start on a data directory the test prepared, e.g. one holding
// a restored AOF: the server loads it at start.
func StartIn(t testing.TB, dir string, extra ...string) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		missing(t, "redis-server")
	}
	port := FreePort(t)
	s := &Server{Dir: dir, Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port)}
	s.args = append([]string{"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
		"--protected-mode", "yes", "--logfile", filepath.Join(dir, "redis.log")}, extra...)
	s.start(t, bin)
	t.Cleanup(func() { s.Stop() })
	return s
}

func (s *Server) start(t testing.TB, bin string) {
	t.Helper()
	s.cmd = exec.Command(bin, s.args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ping(s.Addr) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("redis-server on %s did not answer PING", s.Addr)
}

// Kill sends SIGKILL and waits: a crash, no chance to flush.
func (s *Server) Kill() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}

// Stop terminates the server.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
		s.cmd = nil
	}
}

// Restart starts the server again on the same port and directory (from its AOF).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal(err)
	}
	s.start(t, bin)
}

// ping speaks just enough RESP to tell whether the server answers; a
// server that requires authentication (requirepass, ACL) answers NOAUTH.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && (strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH"))
}
