package logcli

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// TestRedisKilledMidLoad SIGKILLs Redis (AOF, appendfsync always) while
// four writers change the registry and a sequencer integrates and signs:
// after a restart every acknowledged change is in the log, every logged
// change is in the registry (log audit --deep), and the checkpoint after
// the restart is consistent with the one a witness took before.
func TestRedisKilledMidLoad(t *testing.T) {
	s := newLogService(t)
	state := filepath.Join(t.TempDir(), "witness.json")
	s.change("warm", 3)
	s.sign()
	if out, code := s.witness(state); code != ExitConsistent {
		t.Fatalf("witness before: %s", out)
	}
	var mu sync.Mutex
	acked := map[uint64]bool{}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("kill-%d-%d", w, i)
				d := sm3.Sum([]byte(id))
				a, err := s.reg.Apply(context.Background(), store.Change{Action: "revocation.revoke",
					Actor: store.Actor{ID: "admin:kill", Role: "admin"}, To: status.Revoked, From: []status.Code{status.Unknown},
					Reason: "KEY_COMPROMISE", Effective: t0, Items: []status.Subject{{Kind: status.KindCertificate, ID: id, Digest: d}}})
				if err != nil {
					return // Redis is gone
				}
				mu.Lock()
				acked[a.Seq] = true
				mu.Unlock()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := (apiLog{s.tl, s.signer}).SignNow(context.Background()); err != nil {
				return
			}
		}
	}()
	time.Sleep(400 * time.Millisecond)
	s.redis.Kill()
	close(stop)
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no change was acknowledged before the kill")
	}

	s.redis.Restart(t)
	s.connect()
	s.sign()
	inLog := map[uint64]bool{}
	for _, raw := range s.entries() {
		e, err := translog.ParseEntry(raw)
		if err != nil {
			t.Fatal(err)
		}
		if seq, ok := store.AuditSeqFromLogBody(e.Body); ok {
			inLog[seq] = true
		}
	}
	for seq := range acked {
		if !inLog[seq] {
			t.Fatalf("acknowledged change %d is not in the log after the restart", seq)
		}
	}
	out, code := s.audit("--deep")
	expect(t, "audit after the kill", out, code, ExitConsistent, "pledge records agree")
	out, code = s.witness(state)
	expect(t, "witness after the kill", out, code, ExitConsistent, "CONSISTENT")
	t.Logf("%d acknowledged changes before SIGKILL, log of %d entries after the restart", len(acked), len(inLog))
}
