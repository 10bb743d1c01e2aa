package logcli

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/notify/queue"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// TestAuditCoversWebhooks: registering and deleting a webhook are state
// changes, so each leaves one log entry (a delete of a missing hook none);
// `log audit` from Redis opens them against their commitments, and the
// public entries name neither the hook, its agency, its URL (nor the URL's
// digest) nor anything of its secret. Rewriting the private record of the
// registration (pointing the hook at another agency) is caught.
func TestAuditCoversWebhooks(t *testing.T) {
	ctx := context.Background()
	s := newLogService(t)
	s.change("a", 1)
	n := store.NewNotifications(s.st)
	const (
		url    = "https://hooks.example.test/private-path-7f3a?tenant=acme"
		secret = "sealed-secret-b64-QmFzZTY0U2VjcmV0"
		agency = "AG-PRIVATE-42"
		hookID = "H0123456789abcdef"
	)
	body, _ := json.Marshal(map[string]string{"id": hookID, "agency": agency, "url": url, "secret": secret})
	if err := n.PutHook(ctx, queue.HookRef{ID: hookID, Agency: agency, URL: url}, body); err != nil {
		t.Fatal(err)
	}
	if err := n.PutHook(ctx, queue.HookRef{ID: hookID, Agency: agency, URL: url}, body); err == nil {
		t.Fatal("a second hook under a taken id was stored")
	}
	if gone, err := n.DeleteHook(ctx, hookID); err != nil || !gone {
		t.Fatalf("delete: %v %v", gone, err)
	}
	if gone, err := n.DeleteHook(ctx, hookID); err != nil || gone {
		t.Fatalf("repeated delete: %v %v", gone, err)
	}
	s.sign()
	out, code := s.audit("--deep")
	expect(t, "audit with webhook entries", out, code, ExitConsistent, "CONSISTENT")

	var actions []string
	for i, raw := range s.entries() {
		e, err := translog.ParseEntry(raw)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := translog.ParsePublicBody(e.Body)
		if err != nil {
			t.Fatal(err)
		}
		if pub.Source != "webhook" {
			continue
		}
		actions = append(actions, pub.Action)
		for _, private := range []string{url, "private-path", "hooks.example", secret, agency, hookID, "urlSM3", sm3Hex(url)} {
			if strings.Contains(string(raw), private) {
				t.Fatalf("public log entry %d shows %q: %s", i, private, raw)
			}
		}
		// The private record commits to the hook, by the URL's digest only.
		recs, err := s.tl.PrivateRecords(ctx, uint64(i), uint64(i)+1)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := translog.OpenPrivate(pub, recs[0])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(rec), hookID) || strings.Contains(string(rec), url) || strings.Contains(string(rec), secret) {
			t.Fatalf("private record %d: %s", i, rec)
		}
		if pub.Action == "webhook.registered" && !strings.Contains(string(rec), sm3Hex(url)) {
			t.Fatalf("the registration does not commit to the URL: %s", rec)
		}
	}
	if strings.Join(actions, ",") != "webhook.registered,webhook.deleted" {
		t.Fatalf("webhook entries %v, want one registration and one deletion", actions)
	}

	// Attack: move the registration to another agency in the private
	// record; the commitment no longer opens.
	c := s.rdb()
	recs, _ := c.HGetAll(ctx, s.prefix+"{tlog}:p").Result()
	for f, v := range recs {
		if strings.Contains(v, "webhook.registered") {
			c.HSet(ctx, s.prefix+"{tlog}:p", f, strings.Replace(v, agency, "AG-OTHER-42", 1))
		}
	}
	out, code = s.audit()
	expect(t, "audit of a rewritten webhook record", out, code, ExitBad, "the record was rewritten in Redis")
}

func sm3Hex(s string) string {
	d := sm3.Sum([]byte(s))
	return hex.EncodeToString(d[:])
}
