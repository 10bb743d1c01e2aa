package httpapi

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// Attack: anyone reads GET /v1/log/entries. Registry changes carry the
// acting officer's ID and organisation, free-text reasons, notes and
// decision document numbers; certificates are subjects by digest. None of
// that may be readable there, nor guessable from the entry (a commitment
// to a short text must not be brute-forceable: the same record logged
// twice must not give the same commitment). The private parts stay in
// Redis and open against the commitments.
func TestLogEntriesPublishNoPrivateData(t *testing.T) {
	key, signer := newLogSigner(t)
	h := newHarness(t, func(d *Deps) {})
	tl := store.NewTransLog(h.store)
	h.srv = New(Deps{Clock: h.clock, Auth: h.tokens, Tokens: h.tokens, TransLog: testLog{tl, signer}}, Options{})
	ctx := context.Background()

	const (
		officer  = "inspector-110101199003074514"
		org      = "11110000MB0000001X"
		reason   = "举报人李四称其私钥已泄露"
		note     = "电话 13800138000 联系"
		docNo    = "京市监撤字〔2026〕17号"
		sealID   = "11010000000017"
		pledgeID = "PL-PRIVACY-0001"
	)
	certDigest := sm3.Sum([]byte("applicant certificate"))
	reg := store.NewRegistry(h.store)
	change := func(items []status.Subject, to status.Code) {
		t.Helper()
		if _, err := reg.Apply(ctx, registry.Change{Action: "revocation.revoke", Actor: registry.Actor{ID: officer, Role: "officer", Org: org},
			To: to, From: []status.Code{status.Unknown}, Reason: reason, DocumentNo: docNo, Note: note, Effective: h.clock.Now(),
			Items: items, Data: map[string]string{"caseRef": "案件-2026-0042"}}); err != nil {
			t.Fatal(err)
		}
	}
	change([]status.Subject{{Kind: status.KindCertificate, ID: "cert-serial-77", Digest: certDigest}}, status.Revoked)
	change([]status.Subject{{Kind: status.KindCertificate, ID: "cert-serial-78", Digest: sm3.Sum([]byte("other"))}}, status.Revoked)
	change([]status.Subject{{Kind: status.KindSeal, ID: sealID, Digest: sm3.Sum([]byte("seal"))}}, status.Revoked)
	change([]status.Subject{{Kind: status.KindPledge, ID: pledgeID}}, status.Revoked)
	if rec := h.do(http.MethodPost, "/v1/log/checkpoint", auth.RoleAdmin, nil); rec.Code != http.StatusOK {
		t.Fatalf("sign: %d %s", rec.Code, rec.Body)
	}
	cp, err := translog.OpenCheckpointWithKey(h.do(http.MethodGet, "/v1/log/checkpoint", auth.RolePublic, nil).Body.Bytes(), &key.PublicKey)
	if err != nil || cp.Size < 4 {
		t.Fatalf("checkpoint %+v: %v", cp, err)
	}
	rec := h.do(http.MethodGet, fmt.Sprintf("/v1/log/entries?start=0&end=%d", cp.Size), auth.RolePublic, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("entries: %d %s", rec.Code, rec.Body)
	}
	var ents LogEntries
	if err := json.Unmarshal(rec.Body.Bytes(), &ents); err != nil || uint64(len(ents.Entries)) != cp.Size {
		t.Fatalf("entries: %v %s", err, rec.Body)
	}
	privs, err := tl.PrivateRecords(ctx, 0, cp.Size)
	if err != nil {
		t.Fatal(err)
	}
	commits := map[string]bool{}
	registryEntries := 0
	for i, e := range ents.Entries {
		raw, err := base64.StdEncoding.DecodeString(e)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range []string{officer, org, reason, note, docNo, "cert-serial-7", fmt.Sprintf("%x", certDigest), "案件", "caseRef", "13800138000"} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("public entry %d discloses %q: %s", i, secret, raw)
			}
		}
		le, err := translog.ParseEntry(raw)
		if err != nil {
			t.Fatal(err)
		}
		pb, err := translog.ParsePublicBody(le.Body)
		if err != nil {
			t.Fatalf("entry %d is not a public body: %v: %s", i, err, le.Body)
		}
		if pb.Source == "registry" {
			registryEntries++
			if pb.Action != "revocation.revoke" || pb.Data["code"] != string(status.Revoked) {
				t.Errorf("entry %d lost its machine codes: %s", i, le.Body)
			}
		}
		if commits[pb.Commit] {
			t.Errorf("two entries share a commitment: it is not salted")
		}
		commits[pb.Commit] = true
		// The private record stays in Redis and opens against the commitment.
		record, err := translog.OpenPrivate(pb, privs[i])
		if err != nil || (pb.Source == "registry" && (!strings.Contains(string(record), officer) || !strings.Contains(string(record), reason))) {
			t.Fatalf("entry %d: private record %q: %v", i, record, err)
		}
		// Without the salt the commitment is not the hash of the record.
		if h := sm3.Sum(record); fmt.Sprintf("%x", h) == pb.Commit {
			t.Fatal("the commitment is an unsalted hash")
		}
		forged := append(bytes.Clone(privs[i]), ' ')
		if _, err := translog.OpenPrivate(pb, forged); err == nil {
			t.Fatal("a rewritten private record opens")
		}
	}
	if registryEntries != 4 {
		t.Fatalf("%d registry entries, want 4", registryEntries)
	}
	// Subjects that are public anyway stay readable.
	all := rec.Body.String()
	for _, want := range []string{sealID, pledgeID} {
		found := false
		for _, e := range ents.Entries {
			raw, _ := base64.StdEncoding.DecodeString(e)
			found = found || bytes.Contains(raw, []byte(want))
		}
		if !found {
			t.Errorf("the public subject %s is not in the log: %s", want, all)
		}
	}
}
