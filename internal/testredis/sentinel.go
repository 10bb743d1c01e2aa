package testredis

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Sentinel is a redis-server running in Sentinel mode, owned by one test.
type Sentinel struct {
	Server
}

// StartReplica runs a private redis-server (AOF, appendfsync always) that
// replicates master.
func StartReplica(t testing.TB, master *Server) *Server {
	t.Helper()
	return Start(t, "--replicaof", "127.0.0.1", fmt.Sprint(master.Port))
}

// StartSentinel runs a Sentinel that monitors master under the given name
// with a quorum of one and short timeouts, so a test can fail over in
// seconds. Sentinel rewrites its configuration file, so it lives in the
// test's temp dir.
func StartSentinel(t testing.TB, name string, master *Server) *Sentinel {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		missing(t, "redis-server")
	}
	dir := t.TempDir()
	port := FreePort(t)
	conf := filepath.Join(dir, "sentinel.conf")
	body := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nlogfile %s\n"+
		"sentinel monitor %s 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds %s 5000\n"+
		"sentinel failover-timeout %s 10000\n"+
		"sentinel parallel-syncs %s 1\n",
		port, dir, filepath.Join(dir, "sentinel.log"), name, master.Port, name, name, name)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	s := &Sentinel{Server{Dir: dir, Port: port, Addr: fmt.Sprintf("127.0.0.1:%d", port),
		args: []string{conf, "--sentinel"}}}
	s.start(t, bin)
	t.Cleanup(func() { s.Stop() })
	return s
}
