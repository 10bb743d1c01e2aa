package app

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/notify"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// hookReceiver is a webhook endpoint over TLS on loopback that records
// every delivery it is sent (by the X-PledgeSeal-Delivery header).
type hookReceiver struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen map[string]int    // delivery ID → POSTs received
	body map[string]string // delivery ID → body
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{seen: map[string]int{}, body: map[string]string{}}
	h.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		id := r.Header.Get(notify.HeaderDelivery)
		h.mu.Lock()
		h.seen[id]++
		h.body[id] = string(b)
		h.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// caFile writes the receiver's certificate where pledged's Go TLS stack
// finds it (SSL_CERT_FILE): the hook stays https as production requires.
func (h *hookReceiver) caFile(t *testing.T) string {
	p := filepath.Join(t.TempDir(), "hook-ca.pem")
	b := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.srv.Certificate().Raw})
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// delivered returns, for each pledge ID of ids, the delivery IDs whose
// body names it, and the deliveries received more than once.
func (h *hookReceiver) delivered(ids []string) (byPledge map[string][]string, dup []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	byPledge = map[string][]string{}
	for d, n := range h.seen {
		if n > 1 {
			dup = append(dup, fmt.Sprintf("%s×%d", d, n))
		}
		for _, id := range ids {
			if strings.Contains(h.body[d], id) {
				byPledge[id] = append(byPledge[id], d)
			}
		}
	}
	return byPledge, dup
}

// instance is one pledged process of the scale-out test.
type instance struct {
	base string
	cmd  *exec.Cmd
	out  *syncBuf
}

func (in *instance) do(c *http.Client, method, path, token, key string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, in.base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// TestScaleOut (issue 20): three pledged processes share one Redis. Under
// a bounded signing and acceptance load spread over all three, one is
// SIGKILLed mid-load. Afterwards every acknowledged (2xx) signing and
// acceptance is readable through the survivors; every accepted pledge's
// webhook event was delivered, each delivery ID exactly once although
// three workers poll the same due set; a seal suspended through one
// instance fails verification on another at once (no instance-local cache
// answers the status); and the verification rate limit is one bucket for
// all instances, not one per instance.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three pledged processes")
	}
	_ = scaleOut(t, "PLEDGESEAL_REDIS_ADDRS="+testredis.Addr(t))
}

// TestScaleOutSentinel is TestScaleOut with the three instances on Redis
// Sentinel: a master (AOF, appendfsync always) with one replica, found
// through a Sentinel the test starts (redis-server --sentinel); every
// instance asks the Sentinel for the master (go-redis FailoverClient
// through store.Options.MasterName).
func TestScaleOutSentinel(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three pledged processes and a Sentinel")
	}
	const name = "pledgeseal-scaleout"
	master := testredis.Start(t)
	testredis.StartReplica(t, master)
	sen := testredis.StartSentinel(t, name, master)
	_ = scaleOut(t, "PLEDGESEAL_REDIS_ADDRS="+sen.Addr, "PLEDGESEAL_REDIS_MASTER_NAME="+name)
}

// TestScaleOutCluster is TestScaleOut with the three instances on the
// 3-master Redis Cluster make test starts: the keys (pledge shards, the
// registry slot, deliveries, rate-limit buckets) spread over the masters
// by hash slot, and each instance's cluster client routes by slot.
func TestScaleOutCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three pledged processes")
	}
	seeds := testredis.ClusterAddrs(t)
	prefix := scaleOut(t, "PLEDGESEAL_REDIS_ADDRS="+strings.Join(seeds, ","), "PLEDGESEAL_REDIS_CLUSTER=true")
	// The run's keys really are spread over the masters (the seeds are
	// the three masters of make test's cluster).
	holding := 0
	for _, a := range seeds {
		host, port, _ := strings.Cut(a, ":")
		out, err := exec.Command("redis-cli", "-h", host, "-p", port, "--scan", "--pattern", prefix+"*").Output()
		if err != nil {
			t.Fatalf("redis-cli --scan on %s: %v", a, err)
		}
		if len(strings.TrimSpace(string(out))) > 0 {
			holding++
		}
	}
	if holding < 2 {
		t.Fatalf("the run's keys sit on %d of %d masters: the cluster variant did not spread them", holding, len(seeds))
	}
}

// scaleOut runs the scale-out scenario of TestScaleOut with the Redis
// settings redisEnv (PLEDGESEAL_REDIS_* variables) and returns the key
// prefix the instances used.
func scaleOut(t *testing.T, redisEnv ...string) string {
	t.Helper()
	keys := devMaterial(t)
	prefix := "scaleout" + fmt.Sprint(testredis.FreePort(t)) + ":"
	hooks := newHookReceiver(t)
	common := append([]string{
		"PLEDGESEAL_KEYS_DIR=" + keys,
		"PLEDGESEAL_KEY_PASSPHRASE=" + devPass,
		"PLEDGESEAL_REDIS_PREFIX=" + prefix,
		"PLEDGESEAL_REDIS_ALLOW_UNSAFE=true", // make test's Redis runs without AOF
		"PLEDGESEAL_SHUTDOWN_TIMEOUT=3s",
		"PLEDGESEAL_WEBHOOK_ALLOW=127.0.0.1",
		"PLEDGESEAL_RATELIMIT_VERIFY_RATE=1",
		"PLEDGESEAL_RATELIMIT_VERIFY_BURST=100",
		"PLEDGESEAL_LOG_LEVEL=warn",
	}, redisEnv...)
	// The set-up (catalogue, notice, hook, tokens) goes through the same
	// application built in process on the same Redis and prefix; it
	// serves no requests and runs no notification worker.
	c, agency, applicant, pub := setUpInProcess(t, common)
	c.must(c.do("POST", "/v1/webhooks", agency, "", map[string]string{"url": hooks.srv.URL + "/hook", "secret": "scale-out-secret-0123"}), http.StatusCreated)

	// Three instances.
	ca := hooks.caFile(t)
	var ins []*instance
	for range 3 {
		port := testredis.FreePort(t)
		env := append(append([]string(nil), common...), fmt.Sprintf("PLEDGESEAL_LISTEN=127.0.0.1:%d", port), "SSL_CERT_FILE="+ca)
		cmd, out := runPledged(t, env...)
		ins = append(ins, &instance{base: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, out: out})
	}
	for _, in := range ins {
		waitReady(t, in.base, in.out)
	}
	client := &http.Client{Timeout: 20 * time.Second}

	// Bounded load: 3 workers, 8 pledges each, signed on one instance and
	// accepted on the next; instance 2 is killed after 6 signings.
	const workers, perWorker, killAfter = 3, 8, 6
	var mu sync.Mutex
	var signed, accepted []string
	killed := make(chan struct{})
	var killOnce sync.Once
	var wg sync.WaitGroup
	run := make([]byte, 4)
	_, _ = rand.Read(run)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				k := w*perWorker + i
				key := fmt.Sprintf("scaleout-%s-%04d", hex.EncodeToString(run), k)
				code, body, err := ins[k%3].do(client, "POST", "/v1/pledges", applicant, key, map[string]any{
					"notice": pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.Digest}, "channel": "WEB", "way": "EVENT_CERTIFICATE"})
				if err != nil || code/100 != 2 {
					continue // not acknowledged: nothing is promised
				}
				var made struct{ Pledge struct{ ID string } }
				if json.Unmarshal(body, &made) != nil || made.Pledge.ID == "" {
					t.Errorf("2xx signing without a pledge ID: %s", body)
					continue
				}
				mu.Lock()
				signed = append(signed, made.Pledge.ID)
				if len(signed) == killAfter {
					killOnce.Do(func() {
						_ = ins[2].cmd.Process.Signal(syscall.SIGKILL)
						close(killed)
					})
				}
				mu.Unlock()
				code, _, err = ins[(k+1)%3].do(client, "POST", "/v1/pledges/"+made.Pledge.ID+"/accept", agency, "",
					map[string]string{"documentNo": "SO-" + fmt.Sprint(k), "date": pledge.CivilDate(time.Now())})
				if err == nil && code/100 == 2 {
					mu.Lock()
					accepted = append(accepted, made.Pledge.ID)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("fewer than %d signings succeeded (%d): the kill never happened", killAfter, len(signed))
	}
	_ = ins[2].cmd.Wait()
	live := ins[:2]
	if len(accepted) < workers*perWorker/3 {
		t.Fatalf("only %d of %d pledges accepted: the survivors did not carry the load", len(accepted), workers*perWorker)
	}
	t.Logf("%d signings and %d acceptances acknowledged; instance 2 killed after %d signings", len(signed), len(accepted), killAfter)

	// No acknowledged write lost: each is readable through each survivor.
	isAccepted := map[string]bool{}
	for _, id := range accepted {
		isAccepted[id] = true
	}
	for _, id := range signed {
		for _, in := range live {
			code, body, err := in.do(client, "GET", "/v1/pledges/"+id, agency, "", nil)
			if err != nil || code != http.StatusOK {
				t.Fatalf("acknowledged pledge %s not readable through %s: %d %v %s", id, in.base, code, err, body)
			}
			if isAccepted[id] && !strings.Contains(string(body), "ACCEPTED") {
				t.Fatalf("acknowledged acceptance of %s lost: %s", id, body)
			}
		}
	}

	// Webhooks: every accepted pledge's event arrives, each delivery once.
	deadline := time.Now().Add(45 * time.Second) // a delivery claimed by the killed instance is free again after 30 s
	for {
		byPledge, dup := hooks.delivered(accepted)
		if len(dup) > 0 {
			t.Fatalf("deliveries received more than once: %v", dup)
		}
		missing := 0
		for _, id := range accepted {
			if len(byPledge[id]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d accepted pledges' events never reached the webhook", missing, len(accepted))
		}
		time.Sleep(200 * time.Millisecond)
	}
	// Two more worker rounds: nothing arrives a second time.
	time.Sleep(5 * time.Second)
	if _, dup := hooks.delivered(accepted); len(dup) > 0 {
		t.Fatalf("deliveries received more than once: %v", dup)
	}

	// Caches coherent: the seal is suspended through instance 0; at once
	// instance 1's verification reports it suspended now (a pledge sealed
	// while the seal was valid still passes, docs/verification.md) and
	// instance 1 refuses to counter-seal with it.
	sealNow := func(in *instance, id string) verify.Check {
		t.Helper()
		code, body, err := in.do(client, "GET", "/v1/pledges/"+id+"/verification", "", "", nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("verification through %s: %d %v %s", in.base, code, err, body)
		}
		var r verify.Report
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatal(err)
		}
		if r.Indication != outcome.TotalPassed {
			t.Fatalf("verification of %s through %s: %s/%s", id, in.base, r.Indication, r.SubIndication)
		}
		c, ok := r.Find(verify.CheckSealNow)
		if !ok {
			t.Fatalf("no %s check: %s", verify.CheckSealNow, body)
		}
		return c
	}
	id := accepted[0]
	if c := sealNow(live[1], id); !strings.Contains(c.Detail, string(status.Active)) {
		t.Fatalf("before the suspension: %+v", c)
	}
	code, body, err := live[0].do(client, "POST", "/v1/pledges", applicant, fmt.Sprintf("scaleout-%s-late", hex.EncodeToString(run)), map[string]any{
		"notice": pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.Digest}, "channel": "WEB", "way": "EVENT_CERTIFICATE"})
	var late struct{ Pledge struct{ ID string } }
	if err != nil || code != http.StatusCreated || json.Unmarshal(body, &late) != nil {
		t.Fatalf("signing through %s: %d %v %s", live[0].base, code, err, body)
	}
	code, body, err = live[0].do(client, "GET", "/v1/seals", agency, "", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("seal list: %d %v %s", code, err, body)
	}
	var seals struct {
		Seals []string `json:"seals"`
	}
	if err := json.Unmarshal(body, &seals); err != nil || len(seals.Seals) == 0 {
		t.Fatalf("seal list %s (%v)", body, err)
	}
	for _, s := range seals.Seals {
		code, body, err = live[0].do(client, "POST", "/v1/seals/"+s+"/status", agency, "", map[string]any{"action": "suspend", "reason": "印章更换", "documentNo": "SO-S-1"})
		if err != nil || code != http.StatusOK {
			t.Fatalf("suspend %s: %d %v %s", s, code, err, body)
		}
	}
	if c := sealNow(live[1], id); !strings.Contains(c.Detail, string(status.Suspended)) {
		t.Fatalf("instance 1 does not see the suspension made through instance 0: %+v", c)
	}
	code, body, err = live[1].do(client, "POST", "/v1/pledges/"+late.Pledge.ID+"/accept", agency, "",
		map[string]string{"documentNo": "SO-late", "date": pledge.CivilDate(time.Now())})
	if err != nil || code/100 == 2 {
		t.Fatalf("instance 1 counter-sealed with a seal suspended through instance 0: %d %v %s", code, err, body)
	}

	// One rate-limit bucket for all instances: 150 status reads from one
	// client alternating over the two survivors get about the burst (100)
	// plus 1/s through, not twice the burst.
	start := time.Now()
	ok, limited := 0, 0
	for i := range 150 {
		code, _, err := live[i%2].do(client, "GET", "/v1/seals/"+seals.Seals[0]+"/status", "", "", nil)
		switch {
		case err != nil:
			t.Fatal(err)
		case code == http.StatusOK:
			ok++
		case code == http.StatusTooManyRequests:
			limited++
		default:
			t.Fatalf("status read: %d", code)
		}
	}
	if most := 100 + int(time.Since(start).Seconds()) + 1; ok > most || limited == 0 {
		t.Fatalf("%d reads allowed and %d limited over two instances: the bucket allows at most %d", ok, limited, most)
	}
	return prefix
}

// publishedNotice is a notice as POST /v1/notices answers it.
type publishedNotice struct {
	Notice pledge.Notice
	Digest string
}

// setUpInProcess builds the application in process on env (the same Redis
// and prefix the pledged processes use; it serves no requests and runs no
// sequencer or notification worker) and, through it, mints an agency and
// an applicant token and publishes a catalogue entry and its notice.
func setUpInProcess(t *testing.T, env []string) (c *appClient, agency, applicant string, pub publishedNotice) {
	t.Helper()
	env = append(append([]string(nil), env...), fmt.Sprintf("PLEDGESEAL_LISTEN=127.0.0.1:%d", testredis.FreePort(t)))
	cfg, err := config.Load(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	setup, err := Build(cfg, getenvOf(env), slog.New(slog.DiscardHandler), clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = setup.Close() })
	c = newAppClient(t, setup)
	ag := setup.Material.Agencies[0].Code
	agency = c.token(auth.CreateRequest{Role: auth.RoleAgency, Org: ag})
	applicant = c.token(auth.CreateRequest{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "李四", IDType: "RESIDENT_ID", IDNumber: "110101199001061234"}})
	entry := verifytest.Entry(time.Now())
	entry.Owner = ag
	c.must(c.do("POST", "/v1/catalogue/entries", agency, "", map[string]any{"entry": entry}), http.StatusCreated)
	n := verifytest.Notice()
	n.Agency = ag
	_ = json.Unmarshal(c.must(c.do("POST", "/v1/notices", agency, "", n), http.StatusCreated).Body.Bytes(), &pub)
	return c, agency, applicant, pub
}
