package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// sentCounter is a go-redis hook counting what the client hands to the
// network: single commands and pipelines (on a cluster client, one
// pipeline before go-redis splits it per node).
type sentCounter struct {
	cmds, pipelines atomic.Int64
}

func (c *sentCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *sentCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.cmds.Add(1)
		return next(ctx, cmd)
	}
}

func (c *sentCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.pipelines.Add(1)
		return next(ctx, cmds)
	}
}

// batchFixture is a registry, a pledge repository and the combined source
// over one store, with a hook counting what the client sends.
type batchFixture struct {
	f     fixture
	pl    *PledgeRepo
	batch *StatusBatch
	sent  *sentCounter
}

func newBatchFixture(t *testing.T, opts Options) batchFixture {
	t.Helper()
	opts.Prefix = testredis.Prefix(t)
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Second
	}
	f := newFixture(t, opts)
	pl := testPledgeRepo(f.reg.st, testProtector(t))
	sc := &sentCounter{}
	f.reg.st.rdb.AddHook(sc)
	return batchFixture{f: f, pl: pl, batch: NewStatusBatch(f.reg, pl), sent: sc}
}

// testProtector is the personal-data protector of these tests (fixed test
// keys).
func testProtector(t testing.TB) *pii.Protector {
	t.Helper()
	enc, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	p, err := pii.New(enc, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// seedStatus records registry events and pledges in several states, and
// returns the registry subjects and the pledge IDs to ask about.
func seedStatus(t *testing.T, b batchFixture) ([]status.Subject, []string) {
	t.Helper()
	ctx := context.Background()
	cert := status.Subject{Kind: status.KindCertificate, ID: "CN=Agency Signer/0x7f", Digest: digestOf("signer-cert")}
	mustApply(t, b.f.reg, revoke(cert, t0.Add(time.Hour), "京公(2026)3号"))
	b.f.clk.Advance(48 * time.Hour)
	mustApply(t, b.f.reg, reverse(cert, t0.Add(24*time.Hour), "京复(2026)4号"))
	flagged := status.Subject{Kind: status.KindPledge, ID: "PB-ACCEPTED"}
	mustApply(t, b.f.reg, revoke(flagged, t0.Add(30*time.Hour), "朝市监撤〔2026〕5号"))

	var ids []string
	// Pledge IDs spread over shards (and so, on a cluster, over nodes).
	for i, to := range []pledge.Status{pledge.StatusAccepted, pledge.StatusWithdrawn, pledge.StatusSigned, pledge.StatusAccepted, pledge.StatusReturned} {
		id := fmt.Sprintf("PB-%d", i)
		if i == 0 {
			id = "PB-ACCEPTED"
		}
		rec := plRecord(id)
		rec.Events[0].At = t0
		if _, _, err := b.pl.CreatePledge(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if to != pledge.StatusSigned {
			if _, err := b.pl.Transition(ctx, id, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
				Event: pledge.Event{To: to, At: t0.Add(2 * time.Hour), Actor: "o", DocumentNo: "D-" + id}}); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, id)
	}
	ids = append(ids, "PB-NONE")
	reg := []status.Subject{
		flagged,
		{Kind: status.KindSeal, ID: "11010599990001", Digest: digestOf("seal")},
		{Kind: status.KindCertificate, Digest: cert.Digest},
		{Kind: status.KindCertificate, ID: cert.ID},
		{Kind: status.KindCertificate, Digest: digestOf("unknown cert")},
	}
	return reg, ids
}

// combined is the subject list a verifier sends: registry subjects, then
// pledge workflow states.
func combined(reg []status.Subject, ids []string) []status.Subject {
	subs := append([]status.Subject(nil), reg...)
	for _, id := range ids {
		subs = append(subs, status.Subject{Kind: status.KindPledgeState, ID: id})
	}
	return subs
}

func TestStatusBatchSingleNode(t *testing.T) {
	statusBatchConformance(t, func(t *testing.T) batchFixture {
		return newBatchFixture(t, Options{Addrs: []string{testredis.Addr(t)}})
	})
}

func TestStatusBatchCluster(t *testing.T) {
	statusBatchConformance(t, func(t *testing.T) batchFixture {
		return newBatchFixture(t, Options{Addrs: testredis.ClusterAddrs(t), Cluster: true})
	})
}

// statusBatchConformance: the combined source gives exactly the answers
// the registry and the pledge repository give separately, from one
// pipeline, and counts one round trip per lookup.
func statusBatchConformance(t *testing.T, mk func(*testing.T) batchFixture) {
	ctx := context.Background()
	b := mk(t)
	reg, ids := seedStatus(t, b)
	pledgeSubs := make([]status.Subject, len(ids))
	for i, id := range ids {
		pledgeSubs[i] = status.Subject{Kind: status.KindPledge, ID: id}
	}

	for _, at := range []time.Time{t0.Add(-time.Hour), t0.Add(90 * time.Minute), t0.Add(3 * time.Hour), t0.Add(31 * time.Hour)} {
		t.Run("same answers at "+at.Format(time.RFC3339), func(t *testing.T) {
			wantReg, err := b.f.reg.Lookup(ctx, at, reg)
			if err != nil {
				t.Fatal(err)
			}
			wantPl, err := b.pl.Lookup(ctx, at, pledgeSubs)
			if err != nil {
				t.Fatal(err)
			}
			before, regBefore := b.batch.Stats(), b.f.reg.Stats()
			cmds, pipes := b.sent.cmds.Load(), b.sent.pipelines.Load()
			got, err := b.batch.Lookup(ctx, at, combined(reg, ids))
			if err != nil {
				t.Fatal(err)
			}
			if n := b.sent.pipelines.Load() - pipes; n != 1 {
				t.Errorf("sent %d pipelines, want 1", n)
			}
			if n := b.sent.cmds.Load() - cmds; n != 0 {
				t.Errorf("sent %d commands outside the pipeline, want 0", n)
			}
			after, regAfter := b.batch.Stats(), b.f.reg.Stats()
			if after.RoundTrips-before.RoundTrips != 1 || after.Lookups-before.Lookups != 1 {
				t.Errorf("round trips: counted %d", after.RoundTrips-before.RoundTrips)
			}
			if regAfter.LookupRoundTrips-regBefore.LookupRoundTrips != 1 || regAfter.Lookups-regBefore.Lookups != 1 {
				t.Errorf("registry counters: %+v → %+v", regBefore, regAfter)
			}
			if want := wantBatches(t, b, ids); after.Batches-before.Batches != int64(want) {
				t.Errorf("node batches: counted %d, want %d", after.Batches-before.Batches, want)
			}
			if len(got.Results) != len(reg)+len(ids) {
				t.Fatalf("%d results for %d subjects", len(got.Results), len(reg)+len(ids))
			}
			for i := range reg {
				if !reflect.DeepEqual(got.Results[i], wantReg.Results[i]) {
					t.Errorf("registry subject %d: got %+v, want %+v", i, got.Results[i], wantReg.Results[i])
				}
			}
			for i := range ids {
				g, w := got.Results[len(reg)+i], wantPl.Results[i]
				if g.Subject.Kind != status.KindPledgeState || g.Subject.ID != ids[i] || g.At != w.At || g.Now != w.Now {
					t.Errorf("pledge %s: got %+v, want %+v", ids[i], g, w)
				}
			}
		})
	}

	t.Run("the states it reads", func(t *testing.T) {
		got, err := b.batch.Lookup(ctx, t0.Add(3*time.Hour), combined(reg, ids))
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			at, now status.Code
		}{
			{status.Unknown, status.Revoked},         // the accepted pledge, flagged in the registry later
			{status.Unknown, status.Unknown},         // seal without events
			{status.Revoked, status.Active},          // certificate by digest (revoked, reversed from t0+24h)
			{status.Revoked, status.Active},          // the same certificate by ID
			{status.Unknown, status.Unknown},         // unknown certificate
			{status.Active, status.Active},           // PB-ACCEPTED
			{status.Withdrawn, status.Withdrawn},     // PB-1
			{PledgeCodeSigned, PledgeCodeSigned},     // PB-2
			{status.Active, status.Active},           // PB-3
			{PledgeCodeReturned, PledgeCodeReturned}, // PB-4
			{status.Unknown, status.Unknown},         // PB-NONE
		}
		for i, w := range want {
			if r := got.Results[i]; r.At.Code != w.at || r.Now.Code != w.now {
				t.Errorf("subject %d (%+v): at %s now %s, want %s / %s", i, r.Subject, r.At.Code, r.Now.Code, w.at, w.now)
			}
		}
	})

	t.Run("status trail: no personal data, and records without one read from meta", func(t *testing.T) {
		at := t0.Add(3 * time.Hour)
		want, err := b.batch.Lookup(ctx, at, combined(reg, ids))
		if err != nil {
			t.Fatal(err)
		}
		rdb := b.f.reg.st.rdb
		for _, id := range ids[:len(ids)-1] {
			sx, err := rdb.HGet(ctx, b.pl.recordKey(id), "sx").Result()
			if err != nil {
				t.Fatalf("%s has no status trail: %v", id, err)
			}
			var events []map[string]any
			if err := json.Unmarshal([]byte(sx), &events); err != nil || len(events) == 0 {
				t.Fatalf("%s trail %q: %v", id, sx, err)
			}
			for _, e := range events {
				for k := range e {
					if k != "t" && k != "a" && k != "d" {
						t.Errorf("%s: the trail carries %q (only state, time and document number may be in the clear)", id, k)
					}
				}
			}
			if err := rdb.HDel(ctx, b.pl.recordKey(id), "sx").Err(); err != nil {
				t.Fatal(err)
			}
		}
		got, err := b.batch.Lookup(ctx, at, combined(reg, ids))
		if err != nil {
			t.Fatal(err)
		}
		for i := range got.Results {
			g, w := got.Results[i], want.Results[i]
			if g.At.Code != w.At.Code || g.Now.Code != w.Now.Code || !g.At.Since.Equal(w.At.Since) || g.Now.DocumentNo != w.Now.DocumentNo {
				t.Errorf("subject %d without the trail: %+v, with it %+v", i, g, w)
			}
		}
	})

	t.Run("only pledges, only registry, nothing", func(t *testing.T) {
		for _, subs := range [][]status.Subject{
			combined(nil, ids[:1]),
			reg[:1],
			{{Kind: status.KindPledgeState}},
			nil,
		} {
			before := b.batch.Stats()
			got, err := b.batch.Lookup(ctx, t0, subs)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Results) != len(subs) {
				t.Fatalf("%d results for %d subjects", len(got.Results), len(subs))
			}
			wantTrips := 1
			if len(subs) == 0 || subs[0].ID == "" && subs[0].Kind == status.KindPledgeState {
				wantTrips = 0
			}
			if n := b.batch.Stats().RoundTrips - before.RoundTrips; n != int64(wantTrips) {
				t.Errorf("%v: %d round trips, want %d", subs, n, wantTrips)
			}
		}
	})

	t.Run("refuses what it cannot ask", func(t *testing.T) {
		for name, subs := range map[string][]status.Subject{
			"unknown kind": {{Kind: "document", ID: "x"}},
			"too many":     make([]status.Subject, registry.MaxBatch+1),
		} {
			if _, err := b.batch.Lookup(ctx, t0, subs); apperr.KindOf(err) != apperr.Malformed {
				t.Errorf("%s: got %v, want Malformed", name, err)
			}
		}
	})
}

// wantBatches works out, from the cluster's own slot map (CLUSTER KEYSLOT
// and CLUSTER SHARDS, not go-redis's routing), how many nodes hold the
// registry slot and the pledges' shard slots.
func wantBatches(t *testing.T, b batchFixture, ids []string) int {
	t.Helper()
	cc, ok := b.f.reg.st.rdb.(*redis.ClusterClient)
	if !ok {
		return 1
	}
	ctx := context.Background()
	shards, err := cc.ClusterShards(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{b.f.reg.st.auditEntriesKey()}
	for _, id := range ids {
		keys = append(keys, b.pl.recordKey(id))
	}
	nodes := map[int]bool{}
	for _, k := range keys {
		slot, err := cc.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i, sh := range shards {
			for _, r := range sh.Slots {
				if r.Start <= slot && slot <= r.End {
					nodes[i] = true
				}
			}
		}
	}
	t.Logf("%d keys on %d of %d nodes", len(keys), len(nodes), len(shards))
	return len(nodes)
}

// TestStatusBatchScriptReload: after Redis lost its scripts (SCRIPT FLUSH,
// and a restart of a private server), a lookup still answers, costs and
// counts two round trips, and the next one is back to one.
func TestStatusBatchScriptReload(t *testing.T) {
	srv := testredis.Start(t)
	b := newBatchFixture(t, Options{Addrs: []string{srv.Addr}, Timeout: 5 * time.Second})
	ctx := context.Background()
	reg, ids := seedStatus(t, b)
	subs := combined(reg, ids)
	want, err := b.batch.Lookup(ctx, t0, subs)
	if err != nil {
		t.Fatal(err)
	}
	lose := map[string]func(){
		"script flush": func() {
			if err := b.f.reg.st.rdb.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
		},
		"restart": func() {
			srv.Stop()
			srv.Restart(t)
		},
	}
	for _, name := range []string{"script flush", "restart"} {
		t.Run(name, func(t *testing.T) {
			lose[name]()
			for i, wantTrips := range []int{2, 1, 1} {
				before := b.batch.Stats()
				got, err := b.batch.Lookup(ctx, t0, subs)
				if err != nil {
					t.Fatalf("lookup %d: %v", i, err)
				}
				if n := b.batch.Stats().RoundTrips - before.RoundTrips; n != int64(wantTrips) {
					t.Errorf("lookup %d: counted %d round trips, want %d", i, n, wantTrips)
				}
				if !reflect.DeepEqual(got.Results, want.Results) {
					t.Errorf("lookup %d answers differently after the reload", i)
				}
			}
		})
	}
}

// TestStatusBatchFailClosed: Redis down or unreachable → Unavailable, never
// an answer.
func TestStatusBatchFailClosed(t *testing.T) {
	srv := testredis.Start(t)
	b := newBatchFixture(t, Options{Addrs: []string{srv.Addr}, Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	reg, ids := seedStatus(t, b)
	srv.Kill()
	for name, subs := range map[string][]status.Subject{
		"both":          combined(reg, ids),
		"registry only": reg,
		"pledges only":  combined(nil, ids),
	} {
		t.Run(name, func(t *testing.T) {
			ans, err := b.batch.Lookup(ctx, t0, subs)
			if apperr.KindOf(err) != apperr.Unavailable || len(ans.Results) != 0 {
				t.Fatalf("got %+v, %v; want Unavailable and no answer", ans, err)
			}
		})
	}
	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	st, err := New(Options{Addrs: []string{addr}, Timeout: 200 * time.Millisecond}, clock.NewFake(t0))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	nb := NewStatusBatch(NewRegistry(st), testPledgeRepo(st, b.pl.pii))
	if _, err := nb.Lookup(ctx, t0, combined(reg, ids)); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("unreachable: %v", err)
	}
}

// BenchmarkStatusBatch: one verification's status questions (five
// registry subjects and the pledge state) from the combined source, and
// the same from the two sources concurrently, as the verifier asked before.
// Run with PLEDGESEAL_TEST_REDIS_ADDR set.
func BenchmarkStatusBatch(b *testing.B) {
	st, err := New(Options{Addrs: []string{testredis.Addr(b)}, Prefix: testredis.Prefix(b), Timeout: 2 * time.Second}, clock.NewFake(t0))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	reg := NewRegistry(st)
	r := testPledgeRepo(st, testProtector(b))
	batch := NewStatusBatch(reg, r)
	ctx := context.Background()
	if _, _, err := r.CreatePledge(ctx, plRecord("PB-BENCH")); err != nil {
		b.Fatal(err)
	}
	regSubs := []status.Subject{{Kind: status.KindPledge, ID: "PB-BENCH"}, {Kind: status.KindSeal, ID: "S", Digest: digestOf("s")},
		{Kind: status.KindCertificate, Digest: digestOf("m")}, {Kind: status.KindCertificate, Digest: digestOf("g")},
		{Kind: status.KindCertificate, Digest: digestOf("a")}}
	subs := combined(regSubs, []string{"PB-BENCH"})
	b.Run("combined", func(b *testing.B) {
		for b.Loop() {
			if _, err := batch.Lookup(ctx, t0, subs); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("two sources", func(b *testing.B) {
		pl := []status.Subject{{Kind: status.KindPledge, ID: "PB-BENCH"}}
		for b.Loop() {
			done := make(chan error, 1)
			go func() { _, err := r.Lookup(ctx, t0, pl); done <- err }()
			if _, err := reg.Lookup(ctx, t0, regSubs); err != nil {
				b.Fatal(err)
			}
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	})
}
