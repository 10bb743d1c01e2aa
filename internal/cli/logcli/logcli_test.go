package logcli

import (
	"bytes"
	"context"
	"crypto/x509/pkix"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"github.com/transparency-dev/merkle/compact"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// logService is a pledged reduced to its log: a registry writing changes,
// the log with its signer, and the HTTP API serving it.
type logService struct {
	t       *testing.T
	redis   *testredis.Server
	prefix  string
	st      *store.Store
	reg     *store.Registry
	tl      *store.TransLog
	key     *sm2.PrivateKey
	signer  *translog.NoteSigner
	http    *httptest.Server
	n       int
	certPEM string
}

type apiLog struct {
	*store.TransLog
	signer *translog.NoteSigner
}

func (l apiLog) SignNow(ctx context.Context) ([]byte, error) {
	if err := l.IntegrateAll(ctx); err != nil {
		return nil, err
	}
	return l.SignCheckpoint(ctx, l.signer, 0, true)
}

func (l apiLog) CheckpointFor(ctx context.Context, index uint64) ([]byte, bool, error) {
	return l.CheckpointCovering(ctx, index, l.signer, 0)
}

func newLogService(t *testing.T) *logService {
	t.Helper()
	key, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s := &logService{t: t, redis: testredis.Start(t), prefix: testredis.Prefix(t), key: key}
	s.signer, err = translog.NewNoteSigner("pledgeseal.test/log", key)
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.Issue(pki.CertRequest{Subject: pkix.Name{CommonName: "PledgeSeal test log"}, PublicKey: key, NotBefore: t0.Add(-time.Hour), NotAfter: t0.AddDate(20, 0, 0), IsCA: true, MaxPathLen: 0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.certPEM = filepath.Join(t.TempDir(), "log.pem")
	if err := os.WriteFile(s.certPEM, pki.EncodeCertificatePEM(der), 0o644); err != nil {
		t.Fatal(err)
	}
	s.connect()
	return s
}

// connect (re)opens the store and the HTTP server on the Redis server.
func (s *logService) connect() {
	s.t.Helper()
	if s.st != nil {
		_ = s.st.Close()
		s.http.Close()
	}
	st, err := store.New(store.Options{Addrs: []string{s.redis.Addr}, Prefix: s.prefix}, clock.NewFake(t0))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { _ = st.Close() })
	s.st, s.reg, s.tl = st, store.NewRegistry(st), store.NewTransLog(st)
	s.http = httptest.NewServer(httpapi.New(httpapi.Deps{TransLog: apiLog{s.tl, s.signer}}, httpapi.Options{}).Handler())
	s.t.Cleanup(s.http.Close)
}

// change revokes a new certificate (tag names the history branch).
func (s *logService) change(tag string, count int) {
	s.t.Helper()
	for range count {
		s.n++
		d := sm3.Sum([]byte(tag + strconv.Itoa(s.n)))
		if _, err := s.reg.Apply(context.Background(), registry.Change{Action: "revocation.revoke",
			Actor: registry.Actor{ID: "admin:" + tag, Role: "admin"}, To: status.Revoked, From: []status.Code{status.Unknown},
			Reason: "KEY_COMPROMISE", DocumentNo: fmt.Sprint(tag, "-", s.n), Effective: t0,
			Items: []status.Subject{{Kind: status.KindCertificate, ID: fmt.Sprint(tag, "-", s.n), Digest: d}}}); err != nil {
			s.t.Fatal(err)
		}
	}
	if err := s.st.PutToken(context.Background(), auth.TokenRecord{ID: fmt.Sprint("tok-", tag, s.n), Hash: []byte{1}, Role: auth.RoleAdmin,
		CreatedAt: t0, ExpiresAt: t0.AddDate(5, 0, 0)}); err != nil {
		s.t.Fatal(err)
	}
}

// sign integrates and signs a checkpoint, as the service does.
func (s *logService) sign() translog.Checkpoint {
	s.t.Helper()
	cp, err := apiLog{s.tl, s.signer}.SignNow(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	c, err := translog.OpenCheckpointWithKey(cp, &s.key.PublicKey)
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

func (s *logService) rdb() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: s.redis.Addr})
	s.t.Cleanup(func() { _ = c.Close() })
	return c
}

func runCLI(t *testing.T, args ...string) (string, int) {
	t.Helper()
	var out bytes.Buffer
	root := &cobra.Command{Use: "pledgectl", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(Commands(&out, func(string) string { return "" })...)
	root.SetArgs(args)
	root.SetOut(&out)
	err := root.Execute()
	if err == nil {
		return out.String(), 0
	}
	if e, ok := err.(exitError); ok {
		return out.String() + e.msg, e.code
	}
	return out.String() + err.Error(), 99
}

func (s *logService) witness(state string) (string, int) {
	return runCLI(s.t, "log", "verify", "--base-url", s.http.URL, "--state", state, "--log-cert", s.certPEM)
}

func (s *logService) audit(extra ...string) (string, int) {
	return runCLI(s.t, append([]string{"log", "audit", "--log-cert", s.certPEM, "--redis-addrs", s.redis.Addr, "--redis-prefix", s.prefix}, extra...)...)
}

func expect(t *testing.T, what string, out string, code, wantCode int, wantText string) {
	t.Helper()
	if code != wantCode || !strings.Contains(out, wantText) {
		t.Fatalf("%s: exit %d (want %d), want %q in:\n%s", what, code, wantCode, wantText, out)
	}
}

// recomputeTree rebuilds every node, the leaf index and the size from the
// stored entries: all an attacker with Redis access can compute without
// the log key.
func (s *logService) recomputeTree(c *redis.Client, entries [][]byte) {
	s.t.Helper()
	ctx := context.Background()
	k := func(p string) string { return s.prefix + "{tlog}:" + p }
	if err := c.Del(ctx, k("n"), k("lx"), k("e")).Err(); err != nil {
		s.t.Fatal(err)
	}
	rng := translog.EmptyRange()
	for i, e := range entries {
		lh := translog.Hasher{}.HashLeaf(e)
		c.HSet(ctx, k("e"), strconv.Itoa(i), e)
		c.HSet(ctx, k("lx"), string(lh), strconv.Itoa(i))
		if err := rng.Append(lh, func(id compact.NodeID, h []byte) {
			var b [9]byte
			b[0] = byte(id.Level)
			for j := range 8 {
				b[1+j] = byte(id.Index >> (56 - 8*j))
			}
			c.HSet(ctx, k("n"), string(b[:]), h)
		}); err != nil {
			s.t.Fatal(err)
		}
	}
	c.HSet(ctx, k("meta"), "size", len(entries))
}

func (s *logService) entries() [][]byte {
	s.t.Helper()
	n, err := s.tl.Size(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	got, err := s.tl.Entries(context.Background(), 0, n)
	if err != nil {
		s.t.Fatal(err)
	}
	return got
}

func TestWitnessDetectsRewrittenHistory(t *testing.T) {
	s := newLogService(t)
	state := filepath.Join(t.TempDir(), "witness.json")
	s.change("a", 10)
	s.sign()
	out, code := s.witness(state)
	expect(t, "first run", out, code, ExitConsistent, "CONSISTENT")
	out, code = s.audit("--deep")
	expect(t, "audit of the honest log", out, code, ExitConsistent, "pledge records agree")

	// Attack 1: rewrite entry 3's actor in its private record and in the
	// audit entry it is, leaving the public entry alone: the record no
	// longer opens against the entry's commitment.
	c := s.rdb()
	ctx := context.Background()
	ents := s.entries()
	e3, _ := translog.ParseEntry(ents[3])
	pb, err := translog.ParsePublicBody(e3.Body)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := c.HGet(ctx, s.prefix+"{tlog}:p", "3").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	record, err := translog.OpenPrivate(pb, priv)
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Replace(record, []byte(`"admin:a"`), []byte(`"admin:x"`), 1)
	if bytes.Equal(forged, record) {
		t.Fatal("the test did not change entry 3")
	}
	seq, _ := store.AuditSeqFromLogBody(record)
	c.HSet(ctx, s.prefix+"{reg}:audit:e", strconv.FormatUint(seq, 10), forged)
	salt := priv[:translog.CommitSaltSize]
	c.HSet(ctx, s.prefix+"{tlog}:p", "3", append(bytes.Clone(salt), forged...))
	out, code = s.audit()
	expect(t, "audit after rewriting a private record", out, code, ExitBad, "does not match the entry's commitment")

	// Attack 2: also commit to the forged record in the public entry, then
	// recompute every node and index, as anyone with Redis access can.
	forgedPriv, commit := translog.SealPrivate(salt, forged)
	c.HSet(ctx, s.prefix+"{tlog}:p", "3", forgedPriv)
	pb.Commit = commit
	e3.Body, _ = pb.Marshal()
	ents[3] = e3.Marshal()
	s.recomputeTree(c, ents)

	// The stored checkpoint no longer matches the entries: log audit.
	out, code = s.audit()
	expect(t, "audit after the rewrite", out, code, ExitBad, "MISMATCH")
	// The service goes on and signs the rewritten tree: the witness holding
	// the earlier checkpoint names the fork.
	s.change("a", 3)
	s.sign()
	out, code = s.witness(state)
	expect(t, "witness after the rewrite", out, code, ExitBad, "FORKED")

	// A checkpoint signed with another key: BAD_SIGNATURE.
	other, _ := pki.GenerateKey()
	os2, _ := translog.NewNoteSigner("pledgeseal.test/log", other)
	fake, _ := translog.SignCheckpoint(translog.Checkpoint{Origin: "pledgeseal.test/log", Size: 99, Root: make([]byte, 32)}, os2)
	c.Set(context.Background(), s.prefix+"{tlog}:cp", fake, 0)
	out, code = s.witness(state)
	expect(t, "witness of a foreign signature", out, code, ExitBad, "BAD_SIGNATURE")
	out, code = s.audit()
	expect(t, "audit of a foreign signature", out, code, ExitBad, "BAD_SIGNATURE")
}

func TestWitnessDetectsRollbackAndFork(t *testing.T) {
	s := newLogService(t)
	state := filepath.Join(t.TempDir(), "witness.json")
	s.change("a", 5)
	s.sign()
	expectOK := func(what string) {
		t.Helper()
		out, code := s.witness(state)
		expect(t, what, out, code, ExitConsistent, "CONSISTENT")
	}
	expectOK("first run")

	// Stop Redis and keep a copy of its data.
	s.redis.Stop()
	backup := filepath.Join(t.TempDir(), "backup")
	if err := os.CopyFS(backup, os.DirFS(filepath.Join(s.redis.Dir, "appendonlydir"))); err != nil {
		t.Fatal(err)
	}
	s.redis.Restart(t)
	s.connect()
	s.change("a", 6)
	s1 := s.sign()
	expectOK("after more changes")

	// Restore the old copy: the witness sees the tree shrink.
	s.redis.Stop()
	if err := os.RemoveAll(filepath.Join(s.redis.Dir, "appendonlydir")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(s.redis.Dir, "appendonlydir"), os.DirFS(backup)); err != nil {
		t.Fatal(err)
	}
	s.redis.Restart(t)
	s.connect()
	s.sign()
	out, code := s.witness(state)
	expect(t, "witness after the restore", out, code, ExitBad, "ROLLED_BACK")

	// Different changes until the tree is larger than the one witnessed.
	for {
		s.change("b", 4)
		if s.sign().Size > s1.Size {
			break
		}
	}
	out, code = s.witness(state)
	expect(t, "witness of the regrown fork", out, code, ExitBad, "FORKED")
	// The log itself is consistent with its own checkpoint: only a witness
	// can tell the fork.
	out, code = s.audit("--deep")
	expect(t, "audit of the fork", out, code, ExitConsistent, "CONSISTENT")

	// Unreachable: exit 2, the state file untouched.
	before, _ := os.ReadFile(state)
	s.http.Close()
	out, code = s.witness(state)
	expect(t, "unreachable", out, code, ExitUnreachable, "UNREACHABLE")
	after, _ := os.ReadFile(state)
	if !bytes.Equal(before, after) {
		t.Fatal("a failed run changed the state file")
	}
}

func TestAuditDetectsDroppedReorderedAndFlipped(t *testing.T) {
	ctx := context.Background()
	t.Run("dropped tail", func(t *testing.T) {
		s := newLogService(t)
		s.change("a", 8)
		s.sign()
		state := filepath.Join(t.TempDir(), "w.json")
		if _, code := s.witness(state); code != 0 {
			t.Fatal("witness")
		}
		c := s.rdb()
		ents := s.entries()
		s.recomputeTree(c, ents[:len(ents)-3])
		out, code := s.audit()
		expect(t, "audit of a cut log", out, code, ExitBad, "MISMATCH")
		// Re-signed by the service, the cut log is smaller than witnessed.
		c.HDel(ctx, s.prefix+"{tlog}:meta", "cps")
		s.sign()
		out, code = s.witness(state)
		expect(t, "witness of a cut log", out, code, ExitBad, "ROLLED_BACK")
	})
	t.Run("reordered", func(t *testing.T) {
		s := newLogService(t)
		s.change("a", 8)
		s.sign()
		c := s.rdb()
		ents := s.entries()
		ents[2], ents[5] = ents[5], ents[2]
		s.recomputeTree(c, ents)
		out, code := s.audit()
		expect(t, "audit of a reordered log", out, code, ExitBad, "MISMATCH")
	})
	t.Run("audit entry deleted", func(t *testing.T) {
		s := newLogService(t)
		s.change("a", 4)
		s.sign()
		c := s.rdb()
		c.HDel(ctx, s.prefix+"{reg}:audit:e", "2")
		out, code := s.audit()
		expect(t, "audit of a deleted audit entry", out, code, ExitBad, "audit entry 2 differs")
	})
	t.Run("private record deleted", func(t *testing.T) {
		s := newLogService(t)
		s.change("a", 4)
		s.sign()
		s.rdb().HDel(ctx, s.prefix+"{tlog}:p", "1")
		out, code := s.audit()
		expect(t, "audit of a deleted private record", out, code, ExitBad, "entry 1 has no private record")
	})
	t.Run("status byte flipped", func(t *testing.T) {
		s := newLogService(t)
		s.change("a", 4)
		s.sign()
		c := s.rdb()
		keys, err := c.Keys(ctx, s.prefix+"{reg}:ix:ci:*").Result()
		if err != nil || len(keys) == 0 {
			t.Fatalf("no index bucket: %v", err)
		}
		fields, _ := c.HGetAll(ctx, keys[0]).Result()
		for f, v := range fields {
			b := []byte(v)
			b[len(b)-11] = b[len(b)-11] ^ 0x07 // the state byte of the last event
			c.HSet(ctx, keys[0], f, b)
			break
		}
		out, code := s.audit()
		expect(t, "audit without --deep", out, code, ExitConsistent, "CONSISTENT")
		out, code = s.audit("--deep")
		expect(t, "audit --deep of a flipped status byte", out, code, ExitBad, "status index inconsistent")
	})
}
