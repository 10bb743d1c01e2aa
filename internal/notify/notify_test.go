package notify

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

var t0 = time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)

var (
	admin  = auth.Principal{Role: auth.RoleAdmin, TokenID: "adm"}
	agency = auth.Principal{Role: auth.RoleAgency, Org: "AG-1", TokenID: "ag1"}
	actor  = registry.Actor{ID: "enforcement:110000:t", Role: "enforcement", Org: "110000"}
	secret = []byte("0123456789abcdef-secret")
)

type rig struct {
	clk  *clock.Fake
	st   *store.Store
	reg  *store.Registry
	prot *pii.Protector
	svc  *Service
}

func newRig(t *testing.T, addr, prefix string, clk *clock.Fake, o Options) rig {
	t.Helper()
	return newRigOpts(t, store.Options{Addrs: []string{addr}, Prefix: prefix, Timeout: 2 * time.Second}, clk, o)
}

func newRigOpts(t *testing.T, so store.Options, clk *clock.Fake, o Options) rig {
	t.Helper()
	st, err := store.New(so, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	enc, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	prot, err := pii.New(enc, bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	o.AllowHTTP = true
	if o.Allow == nil { // the receivers are loopback servers (an empty, non-nil list allows nothing)
		o.Allow = []string{"127.0.0.0/8", "::1/128"}
	}
	if o.MaxAttempts == 0 {
		o.MaxAttempts = 3
	}
	o.BaseBackoff = time.Minute
	return rig{clk: clk, st: st, reg: store.NewRegistry(st), prot: prot,
		svc: New(store.NewNotifications(st), prot, clk, &http.Client{Timeout: 5 * time.Second}, nil, o)}
}

// change records one registry change for agency (in the audit data).
func (r rig) change(t *testing.T, i int, agency string) {
	t.Helper()
	_, err := r.reg.Apply(context.Background(), registry.Change{Action: "revocation.revoke", Actor: actor, To: status.False,
		From: []status.Code{status.Unknown}, Reason: "FALSE_PLEDGE", DocumentNo: "doc", Effective: r.clk.Now(),
		Items: []status.Subject{{Kind: status.KindPledge, ID: "PL-N-" + string(rune('a'+i))}}, Data: map[string]string{"agency": agency}})
	if err != nil {
		t.Fatal(err)
	}
}

// receiver is a loopback webhook receiver that checks every delivery.
type receiver struct {
	srv      *httptest.Server
	check    *Receiver
	fail     atomic.Bool
	mu       sync.Mutex
	accepted []uint64
	refused  []string
	calls    atomic.Int64
}

func newReceiver(t *testing.T, clk clock.Clock) *receiver {
	rc := &receiver{check: &Receiver{Secret: secret, Window: 5 * time.Minute, Now: clk.Now}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if rc.fail.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if why := rc.check.Check(r.Header.Get(HeaderDelivery), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body); why != "" {
			rc.refused = append(rc.refused, why)
			http.Error(w, why, http.StatusUnauthorized)
			return
		}
		var d struct {
			DeliveryID string `json:"deliveryId"`
			Seq        uint64 `json:"seq"`
		}
		if err := json.Unmarshal(body, &d); err != nil || d.DeliveryID != r.Header.Get(HeaderDelivery) {
			rc.refused = append(rc.refused, "body does not name the delivery")
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		rc.accepted = append(rc.accepted, d.Seq)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) seqs() []uint64 {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]uint64(nil), rc.accepted...)
}

// singleRig and clusterRig build a rig on the shared test Redis and on
// the 3-master cluster.
func singleRig(t *testing.T, clk *clock.Fake) rig {
	return newRig(t, testredis.Addr(t), testredis.Prefix(t), clk, Options{})
}

func clusterRig(t *testing.T, clk *clock.Fake) rig {
	return newRigOpts(t, store.Options{Addrs: testredis.ClusterAddrs(t), Cluster: true, Prefix: testredis.Prefix(t), Timeout: 2 * time.Second}, clk, Options{})
}

func TestDeliveries(t *testing.T) {
	deliveries(t, singleRig)
}

// TestDeliveriesCluster runs the same on the 3-master cluster.
func TestDeliveriesCluster(t *testing.T) {
	deliveries(t, clusterRig)
}

func deliveries(t *testing.T, mk func(*testing.T, *clock.Fake) rig) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	r := mk(t, clk)
	all := newReceiver(t, clk)
	mine := newReceiver(t, clk)
	if _, err := r.svc.Register(ctx, admin, all.srv.URL, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Register(ctx, agency, mine.srv.URL, secret); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		p      auth.Principal
		url    string
		secret []byte
		want   apperr.Kind
	}{
		"public":       {auth.Public(), all.srv.URL, secret, apperr.Forbidden},
		"enforcement":  {auth.Principal{Role: auth.RoleEnforcement, Org: "110000"}, all.srv.URL, secret, apperr.Forbidden},
		"short secret": {agency, all.srv.URL, []byte("short"), apperr.Malformed},
		"relative url": {agency, "/hook", secret, apperr.Malformed},
		"credentials":  {agency, "http://u:p@127.0.0.1/x", secret, apperr.Malformed},
		"ftp":          {agency, "ftp://127.0.0.1/x", secret, apperr.Malformed},
	} {
		if _, err := r.svc.Register(ctx, c.p, c.url, c.secret); apperr.KindOf(err) != c.want {
			t.Errorf("%s: %v", name, err)
		}
	}
	r.change(t, 0, "AG-1")
	r.change(t, 1, "AG-2")
	r.change(t, 2, "AG-1")
	if _, err := r.svc.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got := all.seqs(); len(got) != 3 {
		t.Fatalf("catch-all receiver got %v", got)
	}
	// deliveries carry their audit seq; they may arrive in any order
	got := mine.seqs()
	slices.Sort(got)
	if len(got) != 2 || got[0] != 1 || got[1] != 3 {
		t.Fatalf("agency receiver got %v", got)
	}
	// a second round sends nothing again
	if n, err := r.svc.Step(ctx); err != nil || n != 0 {
		t.Fatalf("second round: %d %v", n, err)
	}
	if len(all.refused)+len(mine.refused) != 0 {
		t.Fatalf("refused: %v %v", all.refused, mine.refused)
	}
	// the receiver's replay check: the same delivery again is refused,
	// so is a stale timestamp or a wrong signature
	body := []byte(`{"deliveryId":"dX","seq":1}`)
	ts := clk.Now().Unix()
	rc := &Receiver{Secret: secret, Window: 5 * time.Minute, Now: clk.Now}
	for _, c := range []struct {
		name, id string
		ts       int64
		sig      string
		want     string
	}{
		{"fresh", "dX", ts, Sign(secret, ts, body), ""},
		{"replay", "dX", ts, Sign(secret, ts, body), "replayed delivery"},
		{"stale", "dY", ts - 600, Sign(secret, ts-600, body), "timestamp outside the window"},
		{"forged", "dZ", ts, Sign([]byte("another-secret-0000"), ts, body), "bad signature"},
		{"timestamp swapped", "dW", ts + 1, Sign(secret, ts, body), "bad signature"},
	} {
		if got := rc.Check(c.id, fmtInt(c.ts), c.sig, body); got != c.want {
			t.Errorf("%s: %q", c.name, got)
		}
	}
}

func fmtInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestRetryDeadLetterReplay(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	r := newRig(t, testredis.Addr(t), testredis.Prefix(t), clk, Options{MaxAttempts: 3})
	rc := newReceiver(t, clk)
	rc.fail.Store(true)
	if _, err := r.svc.Register(ctx, admin, rc.srv.URL, secret); err != nil {
		t.Fatal(err)
	}
	r.change(t, 0, "AG-1")
	// attempt 1 now; attempt 2 after 1 min; attempt 3 after 2 more; then dead
	step := func(want int) {
		t.Helper()
		if n, err := r.svc.Step(ctx); err != nil || n != want {
			t.Fatalf("at %s: %d attempts (want %d), %v", clk.Now().Sub(t0), n, want, err)
		}
	}
	step(1)
	for _, w := range []time.Duration{time.Minute, 2 * time.Minute} {
		clk.Advance(w - time.Second)
		step(0)
		clk.Advance(time.Second)
		step(1)
	}
	if rc.calls.Load() != 3 {
		t.Fatalf("%d calls", rc.calls.Load())
	}
	dead, err := r.svc.Dead(ctx, admin)
	if err != nil || len(dead) != 1 || dead[0].Attempts != 3 || dead[0].LastError != "HTTP 503" {
		t.Fatalf("dead %+v %v", dead, err)
	}
	clk.Advance(24 * time.Hour)
	if n, _ := r.svc.Step(ctx); n != 0 {
		t.Fatal("a dead delivery was retried")
	}
	if err := r.svc.Replay(ctx, agency, dead[0].ID); apperr.KindOf(err) != apperr.Forbidden {
		t.Fatalf("agency replay: %v", err)
	}
	rc.fail.Store(false)
	if err := r.svc.Replay(ctx, admin, dead[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Replay(ctx, admin, dead[0].ID); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("second replay: %v", err)
	}
	if _, err := r.svc.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rc.seqs(); len(got) != 1 || got[0] != 1 {
		t.Fatalf("after replay %v", got)
	}
}

// TestRestartLosesNothing: a worker fails mid-retries, Redis is killed and
// restarted from its AOF, a new worker (a restarted server) takes over and
// every event is delivered exactly once to a receiver that dedupes.
func TestRestartLosesNothing(t *testing.T) {
	ctx := context.Background()
	srv := testredis.Start(t)
	prefix := testredis.Prefix(t)
	clk := clock.NewFake(t0)
	rc := newReceiver(t, clk)
	rc.fail.Store(true)
	r1 := newRig(t, srv.Addr, prefix, clk, Options{MaxAttempts: 10})
	if _, err := r1.svc.Register(ctx, admin, rc.srv.URL, secret); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		r1.change(t, i, "AG-1")
	}
	if _, err := r1.svc.Step(ctx); err != nil { // all three fail once
		t.Fatal(err)
	}
	r1.change(t, 3, "AG-1")
	// worker 1 reads the fourth event from the stream and dies before
	// fanning it out: it stays pending in the consumer group
	if _, err := r1.svc.st.Outbox(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if evs, err := r1.svc.st.Read(ctx, Group, "w1", 10); err != nil || len(evs) != 1 {
		t.Fatalf("read %v %v", evs, err)
	}
	r1.change(t, 4, "AG-1") // not yet in the stream
	srv.Kill()
	if _, err := r1.svc.Step(ctx); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("step on a dead Redis: %v", err)
	}
	srv.Restart(t)
	rc.fail.Store(false)
	clk.Advance(time.Hour)
	r2 := newRig(t, srv.Addr, prefix, clk, Options{MaxAttempts: 10})
	for i := 0; i < 3; i++ {
		if _, err := r2.svc.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got := rc.seqs()
	if len(got) != 5 {
		t.Fatalf("delivered %v", got)
	}
	seen := map[uint64]bool{}
	for _, s := range got {
		seen[s] = true
	}
	for s := uint64(1); s <= 5; s++ {
		if !seen[s] {
			t.Fatalf("event %d lost: %v", s, got)
		}
	}
}
