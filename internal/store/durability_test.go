package store

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

func openStore(t *testing.T, opts Options) *Store {
	t.Helper()
	st, err := New(opts, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// TestDurabilitySingleNode reads what two real servers say: one as
// docs/operations.md wants it, one with AOF off and LRU eviction.
func TestDurabilitySingleNode(t *testing.T) {
	ctx := context.Background()
	good := testredis.Start(t)
	bad := testredis.Start(t, "--appendonly", "no", "--maxmemory-policy", "allkeys-lru")
	got, err := openStore(t, Options{Addrs: []string{good.Addr}}).Durability(ctx)
	if err != nil || len(got) != 1 || !got[0].AOFEnabled || got[0].MaxmemoryPolicy != "noeviction" || got[0].Addr != good.Addr {
		t.Fatalf("durable server: %+v %v", got, err)
	}
	got, err = openStore(t, Options{Addrs: []string{bad.Addr}}).Durability(ctx)
	if err != nil || len(got) != 1 || got[0].AOFEnabled || got[0].MaxmemoryPolicy != "allkeys-lru" {
		t.Fatalf("non-durable server: %+v %v", got, err)
	}
	// Unreachable: an error, never a default answer.
	if got, err := openStore(t, Options{Addrs: []string{"127.0.0.1:1"}, Timeout: 200 * time.Millisecond}).Durability(ctx); err == nil {
		t.Fatalf("unreachable Redis gave %+v", got)
	}
}

// TestDurabilityClusterEveryMaster: on the cluster, one entry per master,
// each agreeing with what that node itself reports.
func TestDurabilityClusterEveryMaster(t *testing.T) {
	ctx := context.Background()
	seeds := testredis.ClusterAddrs(t)
	got, err := openStore(t, Options{Addrs: seeds, Cluster: true}).Durability(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(seeds) {
		t.Fatalf("%d entries for %d masters: %+v", len(got), len(seeds), got)
	}
	var addrs []string
	for _, d := range got {
		addrs = append(addrs, d.Addr)
		direct := redis.NewClient(&redis.Options{Addr: d.Addr})
		cfg, err := direct.ConfigGet(ctx, "*").Result()
		_ = direct.Close()
		if err != nil {
			t.Fatal(err)
		}
		if (cfg["appendonly"] == "yes") != d.AOFEnabled || cfg["maxmemory-policy"] != d.MaxmemoryPolicy {
			t.Fatalf("%s: store says %+v, the node says appendonly=%s maxmemory-policy=%s", d.Addr, d, cfg["appendonly"], cfg["maxmemory-policy"])
		}
	}
	sort.Strings(addrs)
	want := append([]string(nil), seeds...)
	sort.Strings(want)
	if strings.Join(addrs, ",") != strings.Join(want, ",") {
		t.Fatalf("masters %v, want %v", addrs, want)
	}
}

// TestDurabilitySentinelMaster: through Sentinel, the current master is
// the one read.
func TestDurabilitySentinelMaster(t *testing.T) {
	master := testredis.Start(t, "--maxmemory-policy", "volatile-lru")
	sen := testredis.StartSentinel(t, sentinelMaster, master)
	got, err := openStore(t, Options{Addrs: []string{sen.Addr}, MasterName: sentinelMaster}).Durability(context.Background())
	if err != nil || len(got) != 1 || !got[0].AOFEnabled || got[0].MaxmemoryPolicy != "volatile-lru" {
		t.Fatalf("sentinel master: %+v %v", got, err)
	}
}

func TestParseDurability(t *testing.T) {
	ok := "# Persistence\r\nloading:0\r\naof_enabled:1\r\n# Memory\r\nmaxmemory_policy:noeviction\r\n"
	d, err := ParseDurability(ok)
	if err != nil || !d.AOFEnabled || d.MaxmemoryPolicy != "noeviction" {
		t.Fatalf("%+v %v", d, err)
	}
	for name, info := range map[string]string{
		"empty":             "",
		"no aof field":      "maxmemory_policy:noeviction\r\n",
		"no policy":         "aof_enabled:1\r\n",
		"aof not a bit":     "aof_enabled:yes\r\nmaxmemory_policy:noeviction\r\n",
		"contradiction":     "aof_enabled:1\r\naof_enabled:0\r\nmaxmemory_policy:noeviction\r\n",
		"policy with space": "aof_enabled:1\r\nmaxmemory_policy:no eviction\r\n",
	} {
		if d, err := ParseDurability(info); err == nil {
			t.Errorf("%s: accepted as %+v", name, d)
		}
	}
}

// FuzzParseDurability: any INFO text gives a result or an error, never a
// panic, and an accepted result always came from both fields.
func FuzzParseDurability(f *testing.F) {
	f.Add("# Persistence\r\naof_enabled:1\r\n# Memory\r\nmaxmemory_policy:noeviction\r\n")
	f.Add("aof_enabled:0\nmaxmemory_policy:allkeys-lru\n")
	f.Add("aof_enabled:1\naof_enabled:0\n")
	f.Add(":\n::\naof_enabled\n")
	f.Fuzz(func(t *testing.T, info string) {
		d, err := ParseDurability(info)
		if err != nil {
			return
		}
		if d.MaxmemoryPolicy == "" || !strings.Contains(info, "maxmemory_policy:"+d.MaxmemoryPolicy) {
			t.Fatalf("accepted %+v from %q", d, info)
		}
		if d.AOFEnabled && !strings.Contains(info, "aof_enabled:1") {
			t.Fatalf("aof %v from %q", d.AOFEnabled, info)
		}
	})
}
