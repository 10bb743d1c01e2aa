// Command revbench measures the revocation registry at scale: it loads
// revoked certificates (by SM3 digest, in batches of registry.MaxItems, each
// batch one audited change) into an otherwise empty Redis, and at each
// checkpoint prints Redis memory per item (INFO used_memory before and
// after) and the p50/p99 latency of the batch status lookup a verification
// makes. It is a benchmark, not a test: run it against a throwaway Redis.
//
//	go run ./cmd/revbench -addr 127.0.0.1:6379 -sizes 10000,100000,1000000
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "Redis address (comma-separated seeds with -cluster)")
	cluster := flag.Bool("cluster", false, "connect as a cluster client")
	sizes := flag.String("sizes", "10000,100000,1000000", "checkpoints: total revoked items")
	lookups := flag.Int("lookups", 5000, "batch lookups timed at each checkpoint")
	batch := flag.Int("batch", 3, "subjects per lookup (a seal verification asks about 3: seal, maker cert, signer cert)")
	prefix := flag.String("prefix", "revbench:", "key prefix")
	flag.Parse()
	if err := run(*addr, *cluster, *sizes, *lookups, *batch, *prefix); err != nil {
		fmt.Fprintln(os.Stderr, "revbench:", err)
		os.Exit(1)
	}
}

// digest returns the digest of certificate number i (a stand-in for SM3 of
// its DER: SM3 of the number, so it is uniform like a real digest).
func digest(i int) [32]byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	return pki.Digest(b[:])
}

func run(addr string, cluster bool, sizesFlag string, nLookups, batch int, prefix string) error {
	var sizes []int
	for _, s := range strings.Split(sizesFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			return fmt.Errorf("bad size %q", s)
		}
		sizes = append(sizes, n)
	}
	sort.Ints(sizes)
	ctx := context.Background()
	clk := clock.Real{}
	st, err := store.New(store.Options{Addrs: strings.Split(addr, ","), Cluster: cluster, Prefix: prefix, Timeout: 30 * time.Second}, clk)
	if err != nil {
		return err
	}
	defer st.Close()
	reg := store.NewRegistry(st)
	if seq, err := st.AuditHead(ctx); err != nil {
		return err
	} else if seq != 0 {
		return fmt.Errorf("prefix %q already holds data: use an empty Redis or another -prefix", prefix)
	}
	base, err := st.MemoryUsed(ctx)
	if err != nil {
		return err
	}
	actor := registry.Actor{ID: "revbench", Role: "admin"}
	eff := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	fmt.Printf("%-10s %-14s %-11s %-9s %-9s %-9s %-12s %-11s\n", "items", "used_memory", "bytes/item", "p50", "p99", "max", "round trips", "server µs/call")
	loaded := 0
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range sizes {
		start := clk.Now()
		for loaded < size {
			n := min(registry.MaxItems, size-loaded)
			items := make([]status.Subject, n)
			for i := range items {
				items[i] = status.Subject{Kind: status.KindCertificate, Digest: digest(loaded + i)}
			}
			if _, err := reg.Apply(ctx, registry.Change{Action: "revocation.revoke", Actor: actor, To: status.Revoked,
				From: []status.Code{status.Unknown, status.Active}, Reason: "CA_COMPROMISE", DocumentNo: "BENCH-" + strconv.Itoa(loaded),
				Effective: eff, Items: items}); err != nil {
				return err
			}
			loaded += n
		}
		loadTime := clk.Now().Sub(start)
		used, err := st.MemoryUsed(ctx)
		if err != nil {
			return err
		}
		lat := make([]time.Duration, 0, nLookups)
		if err := st.ResetServerStats(ctx); err != nil {
			return err
		}
		before := reg.Stats()
		for i := 0; i < nLookups; i++ {
			subs := make([]status.Subject, batch)
			ks := make([]int, batch)
			for j := range subs {
				ks[j] = rng.IntN(2 * loaded) // half revoked, half never seen
				subs[j] = status.Subject{Kind: status.KindCertificate, Digest: digest(ks[j])}
			}
			t := clk.Now()
			ans, err := reg.Lookup(ctx, eff.Add(time.Hour), subs)
			lat = append(lat, clk.Now().Sub(t))
			if err != nil {
				return err
			}
			for j, r := range ans.Results {
				want := status.Unknown
				if ks[j] < loaded {
					want = status.Revoked
				}
				if r.At.Code != want {
					return fmt.Errorf("item %d: got %s, want %s", ks[j], r.At.Code, want)
				}
			}
		}
		after := reg.Stats()
		srv, err := st.ServerScriptStats(ctx)
		if err != nil {
			return err
		}
		sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
		pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
		fmt.Printf("%-10d %-14d %-11.1f %-9s %-9s %-9s %-12d %-11.1f (load %s)\n", loaded, used-base, float64(used-base)/float64(loaded),
			pct(0.50).Round(time.Microsecond), pct(0.99).Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond),
			after.LookupRoundTrips-before.LookupRoundTrips, srv.UsecPerCall, loadTime.Round(time.Millisecond))
	}
	rep, err := st.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("audit entries: %d, complete=%v\n", rep.HeadSeq, rep.Intact)
	return nil
}
