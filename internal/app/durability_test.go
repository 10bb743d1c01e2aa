package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// TestStartRefusesNonDurableRedis: the attack of issue 19: a Redis with
// AOF off or an evicting maxmemory-policy would lose or evict acknowledged
// revocations. pledged refuses to start on it, naming what to fix.
func TestStartRefusesNonDurableRedis(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"AOF off and LRU eviction", []string{"--appendonly", "no", "--maxmemory-policy", "allkeys-lru"},
			[]string{"AOF off", "appendonly yes", "maxmemory_policy:allkeys-lru", "noeviction"}},
		{"volatile eviction with AOF on", []string{"--maxmemory-policy", "volatile-lru"},
			[]string{"maxmemory_policy:volatile-lru"}},
	}
	keys := devMaterial(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := testredis.Start(t, tc.args...)
			cmd, out := runPledged(t, baseEnv(keys, srv.Addr, testredis.FreePort(t))...)
			if code := exitCode(t, cmd, 30*time.Second); code != ExitRuntime {
				t.Fatalf("exit %d on a non-durable Redis:\n%s", code, out)
			}
			for _, w := range append(tc.want, "refusing to start", "Redis durability", srv.Addr) {
				if !strings.Contains(out.String(), w) {
					t.Errorf("message lacks %q:\n%s", w, out)
				}
			}
		})
	}
	t.Run("unreachable Redis", func(t *testing.T) {
		cmd, out := runPledged(t, append(baseEnv(keys, fmt.Sprintf("127.0.0.1:%d", testredis.FreePort(t)), testredis.FreePort(t)), "PLEDGESEAL_REDIS_TIMEOUT=300ms")...)
		if code := exitCode(t, cmd, 30*time.Second); code != ExitRuntime || !strings.Contains(out.String(), "Redis durability") {
			t.Fatalf("exit %d with Redis unreachable:\n%s", code, out)
		}
	})
}

// TestAllowUnsafeOverrideWarns: the test-only override starts anyway, says
// so in a warning, and /readyz passes.
func TestAllowUnsafeOverrideWarns(t *testing.T) {
	srv := testredis.Start(t, "--appendonly", "no")
	port := testredis.FreePort(t)
	cmd, out := runPledged(t, append(baseEnv(devMaterial(t), srv.Addr, port), "PLEDGESEAL_REDIS_ALLOW_UNSAFE=true")...)
	waitReady(t, fmt.Sprintf("http://127.0.0.1:%d", port), out)
	_ = cmd.Process.Kill()
	if !strings.Contains(out.String(), `"level":"WARN"`) || !strings.Contains(out.String(), "PLEDGESEAL_REDIS_ALLOW_UNSAFE") ||
		!strings.Contains(out.String(), "AOF off") {
		t.Fatalf("no warning about the override:\n%s", out)
	}
}

// TestReadyzReportsDurability: /readyz lists the redis_durability check;
// when an operator switches eviction on at run time the service stops
// being ready until it is switched off again.
func TestReadyzReportsDurability(t *testing.T) {
	srv := testredis.Start(t)
	port := testredis.FreePort(t)
	_, out := runPledged(t, baseEnv(devMaterial(t), srv.Addr, port)...)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	waitReady(t, base, out)
	code, body := get(t, base+"/readyz")
	var ready struct {
		Checks []struct {
			Name string `json:"name"`
			OK   bool   `json:"ok"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(body, &ready); err != nil || code != 200 {
		t.Fatalf("readyz: %d %s", code, body)
	}
	found := false
	for _, c := range ready.Checks {
		found = found || (c.Name == "redis_durability" && c.OK)
	}
	if !found {
		t.Fatalf("readyz lacks a passing redis_durability check: %s", body)
	}
	redisCLI(t, srv, "config", "set", "maxmemory-policy", "allkeys-lru")
	code, body = get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.Contains(string(body), "redis_durability") {
		t.Fatalf("readyz with eviction on: %d %s", code, body)
	}
	redisCLI(t, srv, "config", "set", "maxmemory-policy", "noeviction")
	waitReady(t, base, out)
}

// TestDurabilityRuleEveryMaster: the rule names each master at fault.
func TestDurabilityRuleEveryMaster(t *testing.T) {
	got := DurabilityProblems([]store.Durability{
		{Addr: "10.0.0.1:6379", AOFEnabled: true, MaxmemoryPolicy: "noeviction"},
		{Addr: "10.0.0.2:6379", AOFEnabled: false, MaxmemoryPolicy: "noeviction"},
		{Addr: "10.0.0.3:6379", AOFEnabled: true, MaxmemoryPolicy: "allkeys-random"},
	})
	if len(got) != 2 || !strings.Contains(got[0], "10.0.0.2:6379") || !strings.Contains(got[1], "10.0.0.3:6379") {
		t.Fatalf("problems: %q", got)
	}
	if p := DurabilityProblems([]store.Durability{{Addr: "a", AOFEnabled: true, MaxmemoryPolicy: "noeviction"}}); len(p) != 0 {
		t.Fatalf("durable master refused: %q", p)
	}
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// redisCLI runs a command against srv with the real redis-cli.
func redisCLI(t *testing.T, srv *testredis.Server, args ...string) {
	t.Helper()
	out, err := exec.Command("redis-cli", append([]string{"-p", fmt.Sprint(srv.Port)}, args...)...).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "OK") {
		t.Fatalf("redis-cli %v: %v %s", args, err, out)
	}
}

// TestAllowUnsafeRefusedInProduction: the test-only override must not let a
// production deployment run on a Redis that loses acknowledged revocations.
// With trust material whose manifest is not dev, pledged refuses to start.
func TestAllowUnsafeRefusedInProduction(t *testing.T) {
	keys := devMaterial(t)
	path := filepath.Join(keys, "manifest.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var man map[string]any
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	if man["dev"] != true {
		t.Fatalf("dev material's manifest says dev=%v", man["dev"])
	}
	man["dev"] = false
	raw, _ = json.Marshal(man)
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := testredis.Start(t, "--appendonly", "no")
	cmd, out := runPledged(t, append(baseEnv(keys, srv.Addr, testredis.FreePort(t)), "PLEDGESEAL_REDIS_ALLOW_UNSAFE=true")...)
	if code := exitCode(t, cmd, 30*time.Second); code != ExitRuntime || !strings.Contains(out.String(), "refused with production trust material") {
		t.Fatalf("exit %d with the override and production material:\n%s", code, out)
	}
}
