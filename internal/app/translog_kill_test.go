package app

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// TestPledgedKilledMidLoad: pledged, which runs the sequencer and signs
// checkpoints, is SIGKILLed while applicants sign pledges through it.
// After a restart every acknowledged signing is in the log exactly once,
// every logged pledge has its record, and the checkpoint after the
// restart is consistent with one taken before the kill (a consistency
// proof from the service, verified here with the pinned log key).
func TestPledgedKilledMidLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs pledged")
	}
	keys := devMaterial(t)
	prefix := "tlogkill" + fmt.Sprint(testredis.FreePort(t)) + ":"
	common := []string{
		"PLEDGESEAL_KEYS_DIR=" + keys,
		"PLEDGESEAL_KEY_PASSPHRASE=" + devPass,
		"PLEDGESEAL_REDIS_ADDRS=" + testredis.Addr(t),
		"PLEDGESEAL_REDIS_PREFIX=" + prefix,
		"PLEDGESEAL_REDIS_ALLOW_UNSAFE=true", // make test's Redis runs without AOF; pledged is killed, not Redis
		"PLEDGESEAL_SHUTDOWN_TIMEOUT=3s",
		"PLEDGESEAL_LOG_INTEGRATE_INTERVAL=100ms",
		"PLEDGESEAL_LOG_CHECKPOINT_INTERVAL=1s",
		"PLEDGESEAL_LOG_LEVEL=warn",
	}
	pemLog, err := os.ReadFile(filepath.Join(keys, "log.pem"))
	if err != nil {
		t.Fatal(err)
	}
	logKey, err := translog.ParseSM2CertificatePEM(pemLog)
	if err != nil {
		t.Fatal(err)
	}

	// Set-up through the application built in process (no sequencer runs
	// in it: it is never Run).
	c, agency, applicant, pub := setUpInProcess(t, common)
	admin := c.token(auth.CreateRequest{Role: auth.RoleAdmin})

	start := func() *instance {
		port := testredis.FreePort(t)
		cmd, out := runPledged(t, append(append([]string(nil), common...), fmt.Sprintf("PLEDGESEAL_LISTEN=127.0.0.1:%d", port))...)
		in := &instance{base: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd, out: out}
		waitReady(t, in.base, out)
		return in
	}
	client := &http.Client{Timeout: 20 * time.Second}
	checkpoint := func(in *instance) translog.Checkpoint {
		t.Helper()
		code, body, err := in.do(client, "GET", "/v1/log/checkpoint", "", "", nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("checkpoint: %d %v %s", code, err, body)
		}
		cp, err := translog.OpenCheckpointWithKey(body, logKey)
		if err != nil {
			t.Fatalf("checkpoint does not verify with the pinned log key: %v", err)
		}
		return cp
	}

	a := start()
	const workers, perWorker, killAfter = 3, 12, 15
	run := make([]byte, 4)
	_, _ = rand.Read(run)
	var (
		mu       sync.Mutex
		acked    []string
		killOnce sync.Once
		killed   = make(chan struct{})
		wg       sync.WaitGroup
	)
	sign := func(k int) {
		key := fmt.Sprintf("tlogkill-%s-%04d", hex.EncodeToString(run), k)
		code, body, err := a.do(client, "POST", "/v1/pledges", applicant, key, map[string]any{
			"notice": pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.Digest}, "channel": "WEB", "way": "EVENT_CERTIFICATE"})
		if err != nil || code/100 != 2 {
			return // not acknowledged: nothing is promised
		}
		var made struct{ Pledge struct{ ID string } }
		if json.Unmarshal(body, &made) != nil || made.Pledge.ID == "" {
			t.Errorf("2xx signing without a pledge ID: %s", body)
			return
		}
		mu.Lock()
		acked = append(acked, made.Pledge.ID)
		n := len(acked)
		mu.Unlock()
		if n == killAfter {
			killOnce.Do(func() {
				_ = a.cmd.Process.Signal(syscall.SIGKILL)
				close(killed)
			})
		}
	}
	// A first few signings, and a witness takes the checkpoint the
	// sequencer signs for them.
	for k := range 4 {
		sign(1000 + k)
	}
	var before translog.Checkpoint
	for range 100 {
		if code, body, err := a.do(client, "GET", "/v1/log/checkpoint", "", "", nil); err == nil && code == http.StatusOK {
			if cp, err := translog.OpenCheckpointWithKey(body, logKey); err == nil && cp.Size > 0 {
				before = cp
				break
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if before.Size == 0 {
		t.Fatalf("pledged signed no checkpoint:\n%s", a.out)
	}
	// The load; pledged is killed after killAfter acknowledged signings.
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				sign(w*perWorker + i)
			}
		}()
	}
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("fewer than %d signings succeeded (%d): the kill never happened", killAfter, len(acked))
	}
	_ = a.cmd.Wait()

	// Restart; an admin asks for a checkpoint now (integrates everything).
	b := start()
	code, body, err := b.do(client, "POST", "/v1/log/checkpoint", admin, "", nil)
	if err != nil || code != http.StatusOK {
		t.Fatalf("sign after the restart: %d %v %s", code, err, body)
	}
	after := checkpoint(b)
	if after.Size < before.Size {
		t.Fatalf("the log shrank across the kill: %d → %d", before.Size, after.Size)
	}
	code, body, err = b.do(client, "GET", fmt.Sprintf("/v1/log/proofs/consistency?from=%d&to=%d", before.Size, after.Size), "", "", nil)
	var proof struct{ Hashes []string }
	if err != nil || code != http.StatusOK || json.Unmarshal(body, &proof) != nil {
		t.Fatalf("consistency proof: %d %v %s", code, err, body)
	}
	hashes := make([][]byte, len(proof.Hashes))
	for i, h := range proof.Hashes {
		hashes[i], _ = hex.DecodeString(h)
	}
	if err := translog.VerifyConsistency(before.Size, after.Size, hashes, before.Root, after.Root); err != nil {
		t.Fatalf("the checkpoint after the restart is not consistent with the one before the kill: %v", err)
	}

	// Every acknowledged signing is in the log once; every logged pledge
	// has its record.
	signedIn := map[string]int{}
	leaves := map[string]bool{}
	for s := uint64(0); s < after.Size; s += 1000 {
		code, body, err := b.do(client, "GET", fmt.Sprintf("/v1/log/entries?start=%d&end=%d", s, min(after.Size, s+1000)), "", "", nil)
		var page struct{ Entries []string }
		if err != nil || code != http.StatusOK || json.Unmarshal(body, &page) != nil {
			t.Fatalf("entries: %d %v %s", code, err, body)
		}
		for _, e := range page.Entries {
			raw, _ := base64.StdEncoding.DecodeString(e)
			if leaves[string(raw)] {
				t.Fatal("an entry was integrated twice")
			}
			leaves[string(raw)] = true
			le, err := translog.ParseEntry(raw)
			if err != nil {
				t.Fatal(err)
			}
			pb, err := translog.ParsePublicBody(le.Body)
			if err != nil {
				t.Fatal(err)
			}
			if pb.Source == "pledge" && pb.Data["status"] == string(pledge.StatusSigned) {
				signedIn[pb.Data["pledge"]]++
			}
		}
	}
	for _, id := range acked {
		if signedIn[id] != 1 {
			t.Fatalf("acknowledged signing of %s is in the log %d times", id, signedIn[id])
		}
	}
	for id := range signedIn {
		if code, body, err := b.do(client, "GET", "/v1/pledges/"+id, agency, "", nil); err != nil || code != http.StatusOK {
			t.Fatalf("logged pledge %s has no record: %d %v %s", id, code, err, body)
		}
	}
	t.Logf("%d signings acknowledged, pledged killed after %d; checkpoint %d before the kill, %d after the restart (%d signings logged)",
		len(acked), killAfter, before.Size, after.Size, len(signedIn))
}
