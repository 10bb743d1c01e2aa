package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

type fixture struct {
	reg *Registry
	clk *clock.Fake
}

func newFixture(t *testing.T, opts Options) fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	st, err := New(opts, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return fixture{reg: NewRegistry(st), clk: clk}
}

func singleNode(t *testing.T) fixture {
	return newFixture(t, Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t)})
}

func cluster(t *testing.T) fixture {
	return newFixture(t, Options{Addrs: testredis.ClusterAddrs(t), Cluster: true, Prefix: testredis.Prefix(t)})
}

// TestRegistrySingleNode runs the conformance suite on one Redis.
func TestRegistrySingleNode(t *testing.T) { conformance(t, singleNode) }

// TestRegistryCluster runs the same suite on the 3-master cluster.
func TestRegistryCluster(t *testing.T) { conformance(t, cluster) }

var officer = registry.Actor{ID: "enforcement:110000:tok1", Role: "enforcement", Org: "110000"}

func digestOf(s string) [32]byte { return sm3.Sum([]byte(s)) }

func revoke(sub status.Subject, eff time.Time, doc string) registry.Change {
	return registry.Change{Action: "revocation.revoke", Actor: officer, To: status.Revoked,
		From: []status.Code{status.Unknown, status.Active}, Reason: "KEY_COMPROMISE", DocumentNo: doc,
		Effective: eff, Items: []status.Subject{sub}}
}

func reverse(sub status.Subject, eff time.Time, doc string) registry.Change {
	return registry.Change{Action: "revocation.reverse", Actor: officer, To: status.Active,
		From: []status.Code{status.Revoked}, Reason: "APPEAL_UPHELD", DocumentNo: doc,
		Effective: eff, Items: []status.Subject{sub}}
}

func mustApply(t *testing.T, r *Registry, c registry.Change) registry.Applied {
	t.Helper()
	a, err := r.Apply(context.Background(), c)
	if err != nil {
		t.Fatalf("apply %v: %v", c, err)
	}
	return a
}

func mustVerify(t *testing.T, s *Store) AuditReport {
	t.Helper()
	rep, err := s.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Intact {
		t.Fatalf("audit entries broken at %d: %s", rep.FirstBad, rep.Problem)
	}
	return rep
}

func conformance(t *testing.T, mk func(*testing.T) fixture) {
	t.Run("revoke and reverse with history and time travel", func(t *testing.T) {
		f := mk(t)
		ctx := context.Background()
		cert := status.Subject{Kind: status.KindCertificate, ID: "CN=Dev CA/0x1a2b", Digest: digestOf("cert-1")}
		mustApply(t, f.reg, revoke(cert, t0.Add(time.Hour), "京公(2026)1号"))
		f.clk.Advance(48 * time.Hour)
		mustApply(t, f.reg, reverse(cert, t0.Add(24*time.Hour), "京复(2026)9号"))
		cases := []struct {
			name string
			sub  status.Subject
			at   time.Time
			want status.Code
			doc  string
		}{
			{"by id before", status.Subject{Kind: status.KindCertificate, ID: cert.ID}, t0, status.Unknown, ""},
			{"by id during", status.Subject{Kind: status.KindCertificate, ID: cert.ID}, t0.Add(2 * time.Hour), status.Revoked, "京公(2026)1号"},
			{"by digest during", status.Subject{Kind: status.KindCertificate, Digest: cert.Digest}, t0.Add(2 * time.Hour), status.Revoked, "京公(2026)1号"},
			{"both at effective instant", cert, t0.Add(time.Hour), status.Revoked, "京公(2026)1号"},
			{"after reversal", cert, t0.Add(25 * time.Hour), status.Active, "京复(2026)9号"},
			{"other kind same digest", status.Subject{Kind: status.KindPledge, Digest: cert.Digest}, t0.Add(2 * time.Hour), status.Unknown, ""},
			{"unknown subject", status.Subject{Kind: status.KindCertificate, ID: "nope"}, t0.Add(2 * time.Hour), status.Unknown, ""},
		}
		subs := make([]status.Subject, len(cases))
		for i, c := range cases {
			subs[i] = c.sub
		}
		ans, err := f.reg.Lookup(ctx, t0, subs) // one batch, then per-case times below
		if err != nil {
			t.Fatal(err)
		}
		if len(ans.Results) != len(cases) || !ans.ReadAt.Equal(f.clk.Now()) {
			t.Fatalf("answer shape: %+v", ans)
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				a, err := f.reg.Lookup(ctx, c.at, []status.Subject{c.sub})
				if err != nil {
					t.Fatal(err)
				}
				got := a.Results[0].At
				if got.Code != c.want || got.DocumentNo != c.doc {
					t.Fatalf("at %s: got %+v, want %s %q", c.at, got, c.want, c.doc)
				}
				if c.want != status.Unknown && got.Since.IsZero() {
					t.Fatal("a known state must say since when")
				}
			})
		}
		now, err := f.reg.Lookup(ctx, t0.Add(2*time.Hour), []status.Subject{cert})
		if err != nil {
			t.Fatal(err)
		}
		if now.Results[0].Now.Code != status.Active || now.Results[0].At.Code != status.Revoked {
			t.Fatalf("now/at: %+v", now.Results[0])
		}
		h, err := f.reg.History(ctx, status.Subject{Kind: status.KindCertificate, Digest: cert.Digest})
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].Code != status.Revoked || h[1].Code != status.Active || h[0].Actor != officer ||
			h[1].Reason != "APPEAL_UPHELD" || !h[1].Recorded.Equal(t0.Add(48*time.Hour)) {
			t.Fatalf("history: %+v", h)
		}
		mustVerify(t, f.reg.Store())
	})

	t.Run("conflicts write nothing", func(t *testing.T) {
		f := mk(t)
		ctx := context.Background()
		p := status.Subject{Kind: status.KindPledge, ID: "PL-1"}
		mustApply(t, f.reg, revoke(p, t0, "doc-1"))
		seq0, err := f.reg.Store().AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			c    registry.Change
			code apperr.Code
		}{
			{"revoke twice", revoke(p, t0.Add(time.Hour), "doc-2"), "STATE_CONFLICT"},
			{"reverse unknown", reverse(status.Subject{Kind: status.KindPledge, ID: "PL-2"}, t0, "d"), "STATE_CONFLICT"},
			{"effective backwards", reverse(p, t0.Add(-time.Hour), "d"), "EFFECTIVE_TIME"},
			{"batch with one bad item", registry.Change{Action: "revocation.revoke", Actor: officer, To: status.Revoked,
				From: []status.Code{status.Unknown}, Effective: t0, Items: []status.Subject{
					{Kind: status.KindPledge, ID: "PL-3"}, p}}, "STATE_CONFLICT"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := f.reg.Apply(ctx, c.c)
				if apperr.KindOf(err) != apperr.Conflict || apperr.As(err).Code != c.code {
					t.Fatalf("got %v, want conflict %s", err, c.code)
				}
			})
		}
		seq1, err := f.reg.Store().AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if seq1 != seq0 {
			t.Fatalf("head moved on failed changes: %d→%d", seq0, seq1)
		}
		a, err := f.reg.Lookup(ctx, t0.Add(time.Hour), []status.Subject{{Kind: status.KindPledge, ID: "PL-3"}})
		if err != nil || a.Results[0].Now.Code != status.Unknown {
			t.Fatalf("first item of a failed batch was written: %+v %v", a, err)
		}
	})

	t.Run("ID and digest stay linked", func(t *testing.T) {
		f := mk(t)
		ctx := context.Background()
		both := status.Subject{Kind: status.KindPledge, ID: "PL-L1", Digest: digestOf("doc L1")}
		byID := status.Subject{Kind: status.KindPledge, ID: both.ID}
		byDigest := status.Subject{Kind: status.KindPledge, Digest: both.Digest}
		mustApply(t, f.reg, revoke(both, t0, "r1"))
		mustApply(t, f.reg, reverse(byDigest, t0.Add(time.Hour), "a1"))
		mustApply(t, f.reg, revoke(byID, t0.Add(2*time.Hour), "r2"))
		for _, sub := range []status.Subject{both, byID, byDigest} {
			h, err := f.reg.History(ctx, sub)
			if err != nil || len(h) != 3 || h[1].DocumentNo != "a1" || h[2].DocumentNo != "r2" {
				t.Fatalf("history by %+v: %+v %v", sub, h, err)
			}
		}
		if _, err := f.reg.Apply(ctx, reverse(byDigest, t0.Add(3*time.Hour), "a2")); err != nil {
			t.Fatal(err)
		}
		f.clk.Set(t0.Add(4 * time.Hour))
		a, err := f.reg.Lookup(ctx, t0.Add(90*time.Minute), []status.Subject{byID, byDigest})
		if err != nil || a.Results[0].Now.Code != status.Active || a.Results[1].At.Code != status.Active {
			t.Fatalf("lookup: %+v %v", a, err)
		}
		cases := []struct {
			name string
			c    registry.Change
			kind apperr.Kind
		}{
			{"ID bound to another digest", revoke(status.Subject{Kind: status.KindPledge, ID: both.ID, Digest: digestOf("other")}, t0.Add(5*time.Hour), "x"), apperr.Conflict},
			{"digest bound to another ID", revoke(status.Subject{Kind: status.KindPledge, ID: "PL-L2", Digest: both.Digest}, t0.Add(5*time.Hour), "x"), apperr.Conflict},
			{"one subject twice by its two names", func() registry.Change {
				c := revoke(byID, t0.Add(5*time.Hour), "x")
				c.Items = []status.Subject{byID, byDigest}
				return c
			}(), apperr.Malformed},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if _, err := f.reg.Apply(ctx, c.c); apperr.KindOf(err) != c.kind {
					t.Fatalf("got %v, want %s", err, c.kind)
				}
			})
		}
		mustVerify(t, f.reg.Store())
	})

	t.Run("malformed input", func(t *testing.T) {
		f := mk(t)
		good := revoke(status.Subject{Kind: status.KindPledge, ID: "x"}, t0, "d")
		cases := []struct {
			name   string
			mutate func(*registry.Change)
		}{
			{"no actor", func(c *registry.Change) { c.Actor = registry.Actor{} }},
			{"no items", func(c *registry.Change) { c.Items = nil }},
			{"bad kind", func(c *registry.Change) { c.Items = []status.Subject{{Kind: "car", ID: "x"}} }},
			{"empty subject", func(c *registry.Change) { c.Items = []status.Subject{{Kind: status.KindSeal}} }},
			{"duplicate item", func(c *registry.Change) { c.Items = append(c.Items, c.Items[0]) }},
			{"zero effective", func(c *registry.Change) { c.Effective = time.Time{} }},
			{"unrecordable state", func(c *registry.Change) { c.To = status.Unknown }},
			{"invalid utf8", func(c *registry.Change) { c.DocumentNo = "\xff" }},
			{"no from", func(c *registry.Change) { c.From = nil }},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				ch := good
				ch.Items = append([]status.Subject(nil), good.Items...)
				c.mutate(&ch)
				if _, err := f.reg.Apply(context.Background(), ch); apperr.KindOf(err) != apperr.Malformed {
					t.Fatalf("got %v, want malformed", err)
				}
			})
		}
		if _, err := f.reg.Lookup(context.Background(), t0, make([]status.Subject, registry.MaxBatch+1)); apperr.KindOf(err) != apperr.Malformed {
			t.Fatalf("oversized batch: %v", err)
		}
	})

	t.Run("batch lookup is one round trip", func(t *testing.T) {
		f := mk(t)
		ctx := context.Background()
		var subs []status.Subject
		for i := 0; i < 50; i++ {
			s := status.Subject{Kind: status.KindCertificate, Digest: digestOf(fmt.Sprint("c", i))}
			subs = append(subs, s)
		}
		c := revoke(subs[0], t0, "bulk-1")
		c.Items = subs[:25]
		mustApply(t, f.reg, c)
		subs = append(subs, status.Subject{Kind: status.KindSeal, ID: "ES-1"}, status.Subject{Kind: status.KindPledge, ID: "PL-9"})
		if _, err := f.reg.Lookup(ctx, t0, subs); err != nil { // warm the script cache
			t.Fatal(err)
		}
		before := f.reg.Stats()
		const n = 20
		for i := 0; i < n; i++ {
			ans, err := f.reg.Lookup(ctx, t0, subs)
			if err != nil {
				t.Fatal(err)
			}
			for j, r := range ans.Results {
				want := status.Unknown
				if j < 25 {
					want = status.Revoked
				}
				if r.At.Code != want {
					t.Fatalf("subject %d: %s, want %s", j, r.At.Code, want)
				}
			}
		}
		after := f.reg.Stats()
		if after.Lookups-before.Lookups != n || after.LookupRoundTrips-before.LookupRoundTrips != n {
			t.Fatalf("%d lookups took %d round trips", after.Lookups-before.Lookups, after.LookupRoundTrips-before.LookupRoundTrips)
		}
	})

	t.Run("seal records", func(t *testing.T) {
		f := mk(t)
		ctx := context.Background()
		der := []byte("0\x82seal-bytes")
		rec := registry.SealRecord{ESID: "11010000000001", Digest: sm3.Sum(der), DER: der, Agency: "110000-AMR", Name: "北京市市场监督管理局",
			Category: "statutory_name", TypeCode: "01", SignerCerts: [][32]byte{digestOf("signer")}, MakerCert: digestOf("maker"),
			Origin: "made", Version: "v4", ValidStart: t0, ValidEnd: t0.AddDate(3, 0, 0), Created: t0}
		c := registry.Change{Action: "seal.make", Actor: registry.Actor{ID: "seal_maker:tok", Role: "seal_maker"}, To: status.Active, Effective: t0}
		mustApply2 := func() error { _, err := f.reg.CreateSeal(ctx, rec, c); return err }
		if err := mustApply2(); err != nil {
			t.Fatal(err)
		}
		if err := mustApply2(); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("second filing: %v", err)
		}
		got, err := f.reg.GetSeal(ctx, rec.ESID)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.DER) != string(der) || got.Name != rec.Name || got.SignerCerts[0] != rec.SignerCerts[0] || !got.ValidEnd.Equal(rec.ValidEnd) {
			t.Fatalf("record: %+v", got)
		}
		if id, err := f.reg.SealIDByDigest(ctx, rec.Digest); err != nil || id != rec.ESID {
			t.Fatalf("by digest: %q %v", id, err)
		}
		// The lookup names the owner of exactly the registered seal, in the
		// same single script call; not of other bytes under its esID, not
		// of an unknown esID, not of another kind of subject.
		before := f.reg.Stats()
		ans, err := f.reg.Lookup(ctx, t0, []status.Subject{
			{Kind: status.KindSeal, ID: rec.ESID, Digest: rec.Digest},
			{Kind: status.KindSeal, ID: rec.ESID, Digest: digestOf("other seal bytes")},
			{Kind: status.KindSeal, ID: "missing", Digest: rec.Digest},
			{Kind: status.KindCertificate, ID: rec.ESID, Digest: rec.Digest},
			{Kind: status.KindSeal, Digest: rec.Digest},
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []string{rec.Agency, "", "", "", ""} {
			if ans.Results[i].Owner != want {
				t.Fatalf("subject %d: owner %q, want %q", i, ans.Results[i].Owner, want)
			}
		}
		if ans.Results[0].At.Code != status.Active {
			t.Fatalf("seal state: %+v", ans.Results[0])
		}
		if d := f.reg.Stats().LookupRoundTrips - before.LookupRoundTrips; d != 1 {
			t.Fatalf("owner lookup took %d round trips", d)
		}
		if _, err := f.reg.GetSeal(ctx, "missing"); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("missing seal: %v", err)
		}
		for _, q := range []struct {
			agency string
			cert   [32]byte
			want   int
		}{{"", [32]byte{}, 1}, {"110000-AMR", [32]byte{}, 1}, {"other", [32]byte{}, 0}, {"", digestOf("signer"), 1}} {
			p, err := f.reg.ListSeals(ctx, q.agency, q.cert, "", 10)
			if err != nil || len(p.IDs) != q.want {
				t.Fatalf("list %+v: %+v %v", q, p, err)
			}
		}
		a, err := f.reg.Lookup(ctx, t0, []status.Subject{{Kind: status.KindSeal, Digest: rec.Digest}})
		if err != nil || a.Results[0].At.Code != status.Active {
			t.Fatalf("seal status: %+v %v", a, err)
		}
		mustVerify(t, f.reg.Store())
		if rep, err := f.reg.Store().VerifyIndex(ctx); err != nil || !rep.Consistent {
			t.Fatalf("index: %+v %v", rep, err)
		}
		// Rebinding the seal to another agency behind the registry's back is caught.
		if err := f.reg.st.rdb.HSet(ctx, f.reg.st.sealKey(rec.ESID), "agency", "someone-else").Err(); err != nil {
			t.Fatal(err)
		}
		if rep, err := f.reg.Store().VerifyIndex(ctx); err != nil || rep.Consistent || rep.Seq != 1 {
			t.Fatalf("edited seal record not detected: %+v %v", rep, err)
		}
	})

	t.Run("concurrent writers keep one intact chain", func(t *testing.T) {
		f := mk(t)
		const workers, each = 8, 15
		var wg sync.WaitGroup
		errs := make(chan error, workers*each)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					sub := status.Subject{Kind: status.KindPledge, ID: fmt.Sprintf("W%d-%d", w, i)}
					if _, err := f.reg.Apply(context.Background(), revoke(sub, t0, "d")); err != nil {
						errs <- err
					}
				}
			}(w)
		}
		// Verifying while writers append must not cry wolf.
		stop := make(chan struct{})
		verified := make(chan error, 1)
		go func() {
			defer close(verified)
			for {
				select {
				case <-stop:
					return
				default:
				}
				rep, err := f.reg.Store().VerifyAudit(context.Background())
				if err != nil || !rep.Intact {
					verified <- fmt.Errorf("verify during writes: %+v %v", rep, err)
					return
				}
			}
		}()
		wg.Wait()
		close(stop)
		if err := <-verified; err != nil {
			t.Fatal(err)
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		rep := mustVerify(t, f.reg.Store())
		if rep.HeadSeq != workers*each {
			t.Fatalf("head %d, want %d", rep.HeadSeq, workers*each)
		}
	})

	t.Run("the old hash chain is not written", func(t *testing.T) {
		f := mk(t)
		st := f.reg.Store()
		ctx := context.Background()
		// A head left by a release that kept the chain: its hash goes.
		if err := st.rdb.HSet(ctx, st.auditHeadKey(), "hash", strings.Repeat("0", 64)).Err(); err != nil {
			t.Fatal(err)
		}
		a := mustApply(t, f.reg, revoke(status.Subject{Kind: status.KindCertificate, ID: "nochain"}, t0, "d"))
		body := st.rdb.HGet(ctx, st.auditEntriesKey(), "1").Val()
		if strings.Contains(body, `"prev"`) || a.Hash != sm3Hex([]byte(body)) {
			t.Fatalf("entry %s, receipt hash %s", body, a.Hash)
		}
		if h, err := st.rdb.HGetAll(ctx, st.auditHeadKey()).Result(); err != nil || len(h) != 1 || h["seq"] != "1" {
			t.Fatalf("head %v %v, want only seq 1", h, err)
		}
	})

	t.Run("tampering is detected", func(t *testing.T) {
		cases := []struct {
			name     string
			tamper   func(f fixture)
			firstBad uint64
		}{
			// An edit that keeps the canonical form is the signed log's to
			// catch (`log audit`: logcli.TestAuditDetectsDroppedReorderedAndFlipped,
			// auditcli.TestAuditVerifyIsLogAudit); the old unkeyed chain is gone.
			{"delete a middle entry", func(f fixture) { hdel(t, f, "2") }, 2},
			{"delete the first entry", func(f fixture) { hdel(t, f, "1") }, 1},
			{"delete the last entry", func(f fixture) { hdel(t, f, "5") }, 5},
			{"append an entry past the head", func(f fixture) {
				st := f.reg.Store()
				if err := st.rdb.HSet(context.Background(), st.auditEntriesKey(), "6", "{}").Err(); err != nil {
					t.Fatal(err)
				}
			}, 6},
			{"swap two entries", func(f fixture) {
				st := f.reg.Store()
				ctx := context.Background()
				a := st.rdb.HGet(ctx, st.auditEntriesKey(), "2").Val()
				b := st.rdb.HGet(ctx, st.auditEntriesKey(), "3").Val()
				st.rdb.HSet(ctx, st.auditEntriesKey(), "2", b, "3", a)
			}, 2},
			{"re-encode an entry", func(f fixture) { editEntry(t, f, 2, `"v":1`, `"v": 1`) }, 2},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f := mk(t)
				for i := 0; i < 5; i++ {
					mustApply(t, f.reg, revoke(status.Subject{Kind: status.KindCertificate, ID: strconv.Itoa(i)}, t0, "d"))
				}
				mustVerify(t, f.reg.Store())
				c.tamper(f)
				rep, err := f.reg.Store().VerifyAudit(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if rep.Intact || rep.FirstBad != c.firstBad || rep.Problem == "" {
					t.Fatalf("got %+v, want first bad link %d", rep, c.firstBad)
				}
			})
		}
	})

	t.Run("index tampering is detected", func(t *testing.T) {
		bulk := make([]status.Subject, 100)
		for i := range bulk {
			bulk[i] = status.Subject{Kind: status.KindCertificate, Digest: digestOf(fmt.Sprint("bulk", i))}
		}
		setup := func(t *testing.T) (fixture, indexEntry) {
			f := mk(t)
			c := revoke(bulk[0], t0, "bulk")
			c.Items = bulk
			mustApply(t, f.reg, c)
			linked := status.Subject{Kind: status.KindPledge, ID: "PL-T", Digest: digestOf("PL-T doc")}
			mustApply(t, f.reg, revoke(linked, t0, "p1"))
			mustApply(t, f.reg, reverse(status.Subject{Kind: status.KindPledge, ID: "PL-T"}, t0.Add(time.Hour), "p2"))
			rep, err := f.reg.Store().VerifyIndex(context.Background())
			if err != nil || !rep.Consistent || rep.Events != 103 {
				t.Fatalf("clean index: %+v %v", rep, err)
			}
			ents, err := f.reg.entriesOf(bulk[7])
			if err != nil {
				t.Fatal(err)
			}
			return f, ents[0]
		}
		ctx := context.Background()
		cases := []struct {
			name   string
			tamper func(f fixture, e indexEntry) error
		}{
			{"delete a revoked item", func(f fixture, e indexEntry) error { return f.reg.st.rdb.HDel(ctx, e.bucket, e.field).Err() }},
			{"flip its state", func(f fixture, e indexEntry) error {
				v := []byte(f.reg.st.rdb.HGet(ctx, e.bucket, e.field).Val())
				v[0] = 'A'
				return f.reg.st.rdb.HSet(ctx, e.bucket, e.field, v).Err()
			}},
			{"backdate it", func(f fixture, e indexEntry) error {
				v := []byte(f.reg.st.rdb.HGet(ctx, e.bucket, e.field).Val())
				v[6]--
				return f.reg.st.rdb.HSet(ctx, e.bucket, e.field, v).Err()
			}},
			{"revoke another subject by copying", func(f fixture, e indexEntry) error {
				v := f.reg.st.rdb.HGet(ctx, e.bucket, e.field).Val()
				other, _ := f.reg.entriesOf(status.Subject{Kind: status.KindCertificate, Digest: digestOf("innocent")})
				return f.reg.st.rdb.HSet(ctx, other[0].bucket, other[0].field, v).Err()
			}},
			{"link a revoked item to a reinstated pledge", func(f fixture, e indexEntry) error {
				// Forge links so that lookups of bulk item 7 merge PL-T's later reinstatement.
				pl, _ := f.reg.entriesOf(status.Subject{Kind: status.KindPledge, ID: "PL-T"})
				item, _ := f.reg.entriesOf(bulk[7])
				lb := func(x indexEntry) string { return strings.Replace(x.bucket, ":ix:", ":ln:", 1) }
				if err := f.reg.st.rdb.HSet(ctx, lb(item[0]), item[0].field, string(pl[0].raw)).Err(); err != nil {
					return err
				}
				return f.reg.st.rdb.HSet(ctx, lb(pl[0]), pl[0].field, string(item[0].raw)).Err()
			}},
			{"drop the reversal of a pledge", func(f fixture, _ indexEntry) error {
				ents, _ := f.reg.entriesOf(status.Subject{Kind: status.KindPledge, ID: "PL-T"})
				v := f.reg.st.rdb.HGet(ctx, ents[0].bucket, ents[0].field).Val()
				return f.reg.st.rdb.HSet(ctx, ents[0].bucket, ents[0].field, v[:eventSize]).Err()
			}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				f, e := setup(t)
				if err := c.tamper(f, e); err != nil {
					t.Fatal(err)
				}
				rep, err := f.reg.Store().VerifyIndex(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Consistent || rep.Problem == "" {
					t.Fatalf("not detected: %+v", rep)
				}
			})
		}
	})

	t.Run("a midway failure writes nothing", func(t *testing.T) {
		// A key the script writes last holds a foreign type: a naive script
		// would have written the first items before failing on it.
		f := mk(t)
		ctx := context.Background()
		st := f.reg.Store()
		items := []status.Subject{{Kind: status.KindPledge, ID: "A"}, {Kind: status.KindPledge, ID: "B"}, {Kind: status.KindPledge, ID: "C"}}
		ents, err := f.reg.entriesOf(items[2])
		if err != nil {
			t.Fatal(err)
		}
		if err := st.rdb.Set(ctx, ents[0].bucket, "not a hash", 0).Err(); err != nil {
			t.Fatal(err)
		}
		c := revoke(items[0], t0, "d")
		c.Items = items
		if _, err := f.reg.Apply(ctx, c); apperr.KindOf(err) != apperr.Internal {
			t.Fatalf("got %v, want internal", err)
		}
		if err := st.rdb.Del(ctx, ents[0].bucket).Err(); err != nil {
			t.Fatal(err)
		}
		a, err := f.reg.Lookup(ctx, t0, items)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range a.Results {
			if r.At.Code != status.Unknown {
				t.Fatalf("item %d written by a failed change: %s", i, r.At.Code)
			}
		}
		if seq, err := st.AuditHead(ctx); err != nil || seq != 0 {
			t.Fatalf("audit head moved: %d %v", seq, err)
		}
		// The same change goes through once the data is sane: whole.
		mustApply(t, f.reg, c)
		if a, err = f.reg.Lookup(ctx, t0, items); err != nil {
			t.Fatal(err)
		}
		for i, r := range a.Results {
			if r.At.Code != status.Revoked {
				t.Fatalf("item %d: %s", i, r.At.Code)
			}
		}
	})
}

func hdel(t *testing.T, f fixture, field string) {
	t.Helper()
	st := f.reg.Store()
	if n, err := st.rdb.HDel(context.Background(), st.auditEntriesKey(), field).Result(); err != nil || n != 1 {
		t.Fatalf("hdel %s: %d %v", field, n, err)
	}
}

func editEntry(t *testing.T, f fixture, seq int, from, to string) {
	t.Helper()
	st := f.reg.Store()
	ctx := context.Background()
	body, err := st.rdb.HGet(ctx, st.auditEntriesKey(), strconv.Itoa(seq)).Result()
	if err != nil {
		t.Fatal(err)
	}
	edited := replaceOnce(body, from, to)
	if edited == body {
		t.Fatalf("entry %d has no %q", seq, from)
	}
	if err := st.rdb.HSet(ctx, st.auditEntriesKey(), strconv.Itoa(seq), edited).Err(); err != nil {
		t.Fatal(err)
	}
}

func replaceOnce(s, from, to string) string {
	for i := 0; i+len(from) <= len(s); i++ {
		if s[i:i+len(from)] == from {
			return s[:i] + to + s[i+len(from):]
		}
	}
	return s
}
