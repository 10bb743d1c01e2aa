package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// testLog is the log as the app wires it: the store's log and a signer.
type testLog struct {
	*store.TransLog
	signer *translog.NoteSigner
}

func (l testLog) SignNow(ctx context.Context) ([]byte, error) {
	if err := l.IntegrateAll(ctx); err != nil {
		return nil, err
	}
	return l.SignCheckpoint(ctx, l.signer, 0, true)
}

func (l testLog) CheckpointFor(ctx context.Context, index uint64) ([]byte, bool, error) {
	return l.CheckpointCovering(ctx, index, l.signer, 0)
}

func decodeHashes(t *testing.T, hs []string) [][]byte {
	t.Helper()
	out := make([][]byte, len(hs))
	for i, s := range hs {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func TestLogRoutes(t *testing.T) {
	key, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewNoteSigner("pledgeseal.test/log", key)
	if err != nil {
		t.Fatal(err)
	}
	var tl *store.TransLog
	h := newHarness(t, func(d *Deps) {})
	tl = store.NewTransLog(h.store)
	h.srv = New(Deps{Clock: h.clock, Auth: h.tokens, Tokens: h.tokens, TransLog: testLog{tl, signer}}, Options{})
	ctx := context.Background()

	if rec := h.do(http.MethodGet, "/v1/log/checkpoint", auth.RolePublic, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("checkpoint before the first: %d", rec.Code)
	}
	reg := store.NewRegistry(h.store)
	for i := range 7 {
		d := sm3.Sum([]byte(fmt.Sprint(i)))
		if _, err := reg.Apply(ctx, registry.Change{Action: "revocation.revoke", Actor: registry.Actor{ID: "t", Role: "admin"}, To: status.Revoked,
			From: []status.Code{status.Unknown}, Reason: "KEY_COMPROMISE", Effective: h.clock.Now(),
			Items: []status.Subject{{Kind: status.KindCertificate, ID: fmt.Sprint("c", i), Digest: d}}}); err != nil {
			t.Fatal(err)
		}
	}
	if rec := h.do(http.MethodPost, "/v1/log/checkpoint", auth.RolePublic, nil); rec.Code != http.StatusUnauthorized {
		t.Fatalf("public signing: %d", rec.Code)
	}
	if rec := h.do(http.MethodPost, "/v1/log/checkpoint", auth.RoleAgency, nil); rec.Code != http.StatusForbidden {
		t.Fatalf("agency signing: %d", rec.Code)
	}
	rec := h.do(http.MethodPost, "/v1/log/checkpoint", auth.RoleAdmin, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("sign: %d %s", rec.Code, rec.Body)
	}
	rec = h.do(http.MethodGet, "/v1/log/checkpoint", auth.RolePublic, nil)
	cp, err := translog.OpenCheckpointWithKey(rec.Body.Bytes(), &key.PublicKey)
	if err != nil || cp.Size < 7 {
		t.Fatalf("checkpoint: %v %+v", err, cp)
	}

	rec = h.do(http.MethodGet, fmt.Sprintf("/v1/log/entries?start=0&end=%d", cp.Size), auth.RolePublic, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("entries: %d %s", rec.Code, rec.Body)
	}
	var ents LogEntries
	if err := json.Unmarshal(rec.Body.Bytes(), &ents); err != nil || uint64(len(ents.Entries)) != cp.Size {
		t.Fatalf("entries: %v %d", err, len(ents.Entries))
	}
	for i, e := range ents.Entries {
		raw, _ := base64.StdEncoding.DecodeString(e)
		lh := translog.Hasher{}.HashLeaf(raw)
		rec := h.do(http.MethodGet, fmt.Sprintf("/v1/log/proofs/inclusion?leaf=%x&size=%d", lh, cp.Size), auth.RolePublic, nil)
		var p LogProof
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.LeafIndex == nil || *p.LeafIndex != uint64(i) {
			t.Fatalf("inclusion %d: %d %s", i, rec.Code, rec.Body)
		}
		if err := translog.VerifyInclusion(uint64(i), cp.Size, lh, decodeHashes(t, p.Hashes), cp.Root); err != nil {
			t.Fatal(err)
		}
	}
	rec = h.do(http.MethodGet, fmt.Sprintf("/v1/log/proofs/consistency?from=3&to=%d", cp.Size), auth.RolePublic, nil)
	var p LogProof
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || len(p.Hashes) == 0 {
		t.Fatalf("consistency: %d %s", rec.Code, rec.Body)
	}
	for _, bad := range []string{
		"/v1/log/entries?start=5&end=2", "/v1/log/entries?start=0&end=5000", "/v1/log/entries?start=x&end=1",
		"/v1/log/proofs/inclusion?leaf=zz&size=1", fmt.Sprintf("/v1/log/proofs/inclusion?leaf=%064d&size=1", 0),
		"/v1/log/proofs/consistency?from=0&to=1", "/v1/log/proofs/consistency?from=5&to=2", "/v1/log/proofs/consistency?from=1&to=99999",
		"/v1/log/proofs/consistency?from=01&to=2",
	} {
		rec := h.do(http.MethodGet, bad, auth.RolePublic, nil)
		if rec.Code != http.StatusBadRequest && rec.Code != http.StatusNotFound {
			t.Errorf("%s: %d %s", bad, rec.Code, rec.Body)
		}
	}
}
