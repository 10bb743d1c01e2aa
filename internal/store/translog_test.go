package store

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// cmdCounter counts the round trips a client makes (a pipeline is one).
type cmdCounter struct {
	n     atomic.Int64
	names []string
}

func (c *cmdCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *cmdCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		c.names = append(c.names, cmd.Name())
		return next(ctx, cmd)
	}
}
func (c *cmdCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

func TestTransLogSingleNode(t *testing.T) { transLogSuite(t, singleNode) }
func TestTransLogCluster(t *testing.T)    { transLogSuite(t, cluster) }

// logRoot recomputes the root of entries with translog's hasher from the
// entry bytes alone.
func logRoot(t *testing.T, entries [][]byte) []byte {
	t.Helper()
	r := translog.EmptyRange()
	for _, e := range entries {
		if err := r.Append(translog.Hasher{}.HashLeaf(e), nil); err != nil {
			t.Fatal(err)
		}
	}
	root, err := translog.RootOf(r)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func allEntries(t *testing.T, l *TransLog) [][]byte {
	t.Helper()
	ctx := context.Background()
	n, err := l.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for s := uint64(0); s < n; s += MaxLogEntriesPerRead {
		got, err := l.Entries(ctx, s, min(n, s+MaxLogEntriesPerRead))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, got...)
	}
	return out
}

func transLogSuite(t *testing.T, mk func(*testing.T) fixture) {
	ctx := context.Background()
	key, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewNoteSigner("pledgeseal.test/log", key)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("every change is appended in its own script, without a round trip", func(t *testing.T) {
		f := mk(t)
		st := f.reg.Store()
		cnt := &cmdCounter{}
		st.rdb.AddHook(cnt)
		sub := status.Subject{Kind: status.KindCertificate, ID: "cert-a", Digest: digestOf("a")}
		mustApply(t, f.reg, revoke(status.Subject{Kind: status.KindCertificate, ID: "warm", Digest: digestOf("warm")}, t0, "doc-0"))
		cnt.names = nil
		before := cnt.n.Load()
		mustApply(t, f.reg, revoke(sub, t0, "doc-1"))
		// HMGET of the audit head and one EVALSHA, as before the log existed.
		if got := cnt.n.Load() - before; got != 2 {
			t.Fatalf("a registry change took %d round trips, want 2: %v", got, cnt.names)
		}
		if err := st.PutToken(ctx, auth.TokenRecord{ID: "tok1", Hash: []byte{1, 2}, Role: "admin", CreatedAt: t0, ExpiresAt: t0.AddDate(5, 0, 0)}); err != nil {
			t.Fatal(err)
		}
		if err := st.RevokeToken(ctx, "tok1", t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		before = cnt.n.Load()
		if err := st.RevokeToken(ctx, "tok1", t0.Add(2*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := cnt.n.Load() - before; got != 1 {
			t.Fatalf("revoking a token took %d round trips", got)
		}
		l := NewTransLog(st)
		if n, _ := l.PendingCount(ctx); n != 4 {
			t.Fatalf("pending %d, want 4 (two revocations, token issued, token revoked once)", n)
		}
		moved, err := l.Integrate(ctx)
		if err != nil || moved != 4 {
			t.Fatalf("integrated %d: %v", moved, err)
		}
		if n, _ := l.PendingCount(ctx); n != 0 {
			t.Fatalf("pending after integration: %d", n)
		}
		entries := allEntries(t, l)
		privs, err := l.PrivateRecords(ctx, 0, uint64(len(entries)))
		if err != nil {
			t.Fatal(err)
		}
		bodies := map[string]bool{}
		for i, raw := range entries {
			e, err := translog.ParseEntry(raw)
			if err != nil {
				t.Fatal(err)
			}
			pb, err := translog.ParsePublicBody(e.Body)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := translog.OpenPrivate(pb, privs[i])
			if err != nil {
				t.Fatal(err)
			}
			bodies[string(rec)] = true
		}
		audit, _ := st.AuditEntries(ctx, 1, 2)
		if !bodies[string(audit[0])] || !bodies[string(audit[1])] {
			t.Fatal("the registry's audit entry is not committed to by the log")
		}
	})

	t.Run("concurrent integrators and writers build one log", func(t *testing.T) {
		f := mk(t)
		st := f.reg.Store()
		l := NewTransLog(st)
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := NewTransLog(st).Integrate(ctx); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		var sizes []uint64
		var cps [][]byte
		for i := range 60 {
			sub := status.Subject{Kind: status.KindCertificate, ID: fmt.Sprintf("c-%d", i), Digest: digestOf(fmt.Sprint(i))}
			mustApply(t, f.reg, revoke(sub, t0, "d"))
			if err := st.PutToken(ctx, auth.TokenRecord{ID: fmt.Sprintf("t%d", i), Hash: []byte{1}, Role: "admin", CreatedAt: t0, ExpiresAt: t0.AddDate(5, 0, 0)}); err != nil {
				t.Fatal(err)
			}
			if i%15 == 14 {
				cp, err := l.SignCheckpoint(ctx, signer, 0, true)
				if err != nil {
					t.Fatal(err)
				}
				c, err := translog.OpenCheckpointWithKey(cp, &key.PublicKey)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, c.Size)
				cps = append(cps, cp)
			}
		}
		close(stop)
		wg.Wait()
		for {
			n, err := l.Integrate(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
		}
		entries := allEntries(t, l)
		if len(entries) != 120 {
			t.Fatalf("log has %d entries, want 120", len(entries))
		}
		seen := map[string]bool{}
		last := map[uint16]translog.StreamID{}
		for _, raw := range entries {
			if seen[string(raw)] {
				t.Fatal("an entry was integrated twice")
			}
			seen[string(raw)] = true
			e, _ := translog.ParseEntry(raw)
			id, _ := translog.ParseStreamID(e.ID)
			if p, ok := last[e.Slot]; ok && !p.Less(id) {
				t.Fatalf("slot %d out of order", e.Slot)
			}
			last[e.Slot] = id
		}
		cp, err := l.SignCheckpoint(ctx, signer, time.Hour, true)
		if err != nil {
			t.Fatal(err)
		}
		c, err := translog.OpenCheckpointWithKey(cp, &key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != 120 || !bytes.Equal(c.Root, logRoot(t, entries)) {
			t.Fatalf("checkpoint %d %x does not commit to the entries", c.Size, c.Root)
		}
		// Every earlier checkpoint is consistent with the last; every entry
		// is included.
		for i, old := range cps {
			oc, _ := translog.OpenCheckpointWithKey(old, &key.PublicKey)
			if oc.Size == 0 {
				continue
			}
			p, err := l.ConsistencyProof(ctx, oc.Size, c.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := translog.VerifyConsistency(oc.Size, c.Size, p, oc.Root, c.Root); err != nil {
				t.Fatalf("checkpoint %d (size %d): %v", i, sizes[i], err)
			}
		}
		for i, raw := range entries {
			lh := translog.Hasher{}.HashLeaf(raw)
			idx, err := l.LeafIndex(ctx, lh)
			if err != nil || idx != uint64(i) {
				t.Fatalf("leaf %d found at %d: %v", i, idx, err)
			}
			p, err := l.InclusionProof(ctx, idx, c.Size)
			if err != nil {
				t.Fatal(err)
			}
			if err := translog.VerifyInclusion(idx, c.Size, lh, p, c.Root); err != nil {
				t.Fatal(err)
			}
		}
		// Throttled: a younger checkpoint is returned unchanged.
		mustApply(t, f.reg, revoke(status.Subject{Kind: status.KindCertificate, ID: "late", Digest: digestOf("late")}, t0, "d"))
		if _, err := l.Integrate(ctx); err != nil {
			t.Fatal(err)
		}
		again, err := l.SignCheckpoint(ctx, signer, time.Hour, false)
		if err != nil || !bytes.Equal(again, cp) {
			t.Fatalf("a checkpoint was signed within the interval: %v", err)
		}
	})

	t.Run("entries of another process in a new slot wait for the full sweep", func(t *testing.T) {
		f := mk(t)
		st := f.reg.Store()
		other, err := New(Options{Addrs: optsOf(st).Addrs, Cluster: optsOf(st).Cluster, Prefix: st.prefix}, f.clk)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := other.PutToken(ctx, auth.TokenRecord{ID: "tok-other", Hash: []byte{1}, Role: "admin", CreatedAt: t0, ExpiresAt: t0.AddDate(5, 0, 0)}); err != nil {
			t.Fatal(err)
		}
		l := NewTransLog(st)
		if n, err := l.Integrate(ctx); err != nil || n != 0 {
			t.Fatalf("a hinted step read a slot nobody hinted: %d %v", n, err)
		}
		if n, err := l.IntegrateFull(ctx); err != nil || n != 1 {
			t.Fatalf("the full sweep moved %d: %v", n, err)
		}
		// Now the slot has a cursor: later entries are read by hinted steps.
		if err := other.RevokeToken(ctx, "tok-other", t0); err != nil {
			t.Fatal(err)
		}
		if n, err := l.Integrate(ctx); err != nil || n != 1 {
			t.Fatalf("a slot with a cursor was not read: %d %v", n, err)
		}
	})

	t.Run("a foreign-typed pending key writes nothing", func(t *testing.T) {
		f := mk(t)
		st := f.reg.Store()
		if err := st.rdb.Set(ctx, st.tlogPendingKey(st.auditEntriesKey()), "x", 0).Err(); err != nil {
			t.Fatal(err)
		}
		sub := status.Subject{Kind: status.KindCertificate, ID: "cert-x", Digest: digestOf("x")}
		if _, err := f.reg.Apply(ctx, revoke(sub, t0, "doc")); err == nil {
			t.Fatal("a change was applied without its log entry")
		}
		if seq, _ := st.AuditHead(ctx); seq != 0 {
			t.Fatal("the change was written")
		}
	})
}

// optsOf recovers the connection options of a test store.
func optsOf(st *Store) Options {
	if c, ok := st.rdb.(*redis.ClusterClient); ok {
		return Options{Addrs: c.Options().Addrs, Cluster: true}
	}
	return Options{Addrs: []string{st.rdb.(*redis.Client).Options().Addr}}
}
