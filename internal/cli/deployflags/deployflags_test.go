package deployflags

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// load registers the flags on a fresh command, parses args and loads.
func load(t *testing.T, env map[string]string, defaults map[string]string, args ...string) (string, error) {
	t.Helper()
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	f := Register(cmd, true, defaults)
	if err := cmd.ParseFlags(args); err != nil {
		t.Fatal(err)
	}
	c, err := f.Config(func(k string) string { return env[k] })
	if err != nil {
		return "", err
	}
	return strings.Join([]string{strings.Join(c.RedisAddrs, ","), c.RedisUsername, c.RedisTimeout.String(),
		map[bool]string{true: "cluster", false: "single"}[c.RedisCluster], c.KeysDir}, " "), nil
}

// TestFlagsOverVariablesOverDefaults: the precedence pledged has, a
// command's own default only where neither a flag nor a variable is set,
// and a bare boolean flag meaning true.
func TestFlagsOverVariablesOverDefaults(t *testing.T) {
	env := map[string]string{"PLEDGESEAL_REDIS_ADDRS": "10.0.0.1:6379", "PLEDGESEAL_REDIS_USERNAME": "ops", "PLEDGESEAL_KEYS_DIR": "/k"}
	got, err := load(t, env, map[string]string{"redis-timeout": "10s"})
	if err != nil || got != "10.0.0.1:6379 ops 10s single /k" {
		t.Fatalf("variables and command default: %q %v", got, err)
	}
	got, err = load(t, env, map[string]string{"redis-timeout": "10s"}, "--redis-addrs", "10.0.0.2:6379", "--redis-timeout", "3s", "--redis-cluster")
	if err != nil || got != "10.0.0.2:6379 ops 3s cluster /k" {
		t.Fatalf("flags: %q %v", got, err)
	}
	env["PLEDGESEAL_REDIS_TIMEOUT"] = (5 * time.Second).String()
	if got, err = load(t, env, map[string]string{"redis-timeout": "10s"}); err != nil || !strings.Contains(got, " 5s ") {
		t.Fatalf("a variable beats the command default: %q %v", got, err)
	}
	// Errors name the setting, as pledged's do.
	if _, err := load(t, nil, nil, "--redis-password-file", "/nonexistent"); err == nil || !strings.Contains(err.Error(), "-redis-password-file") {
		t.Fatalf("bad password file: %v", err)
	}
}
