package app

import (
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// externalTSA runs a second TSA (its own SM2 root and TSA certificate, a
// real tsa.Authority with serials in Redis) behind HTTP; down makes it
// answer 503. It returns the server and the PEM file of its root.
func externalTSA(t *testing.T, down *atomic.Bool) (*httptest.Server, string) {
	t.Helper()
	now := time.Now()
	rk, _ := pki.GenerateKey()
	rootDER, err := pki.Issue(pki.CertRequest{Subject: pkix.Name{CommonName: "Other TSA Root"}, PublicKey: rk, NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), IsCA: true, MaxPathLen: -1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := pki.ParseCertificate(rootDER)
	k, _ := pki.GenerateKey()
	der, err := pki.Issue(pki.CertRequest{Subject: pkix.Name{CommonName: "Other TSA", Organization: []string{"Other Time Authority"}}, PublicKey: k,
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), ExtraExtensions: []pkix.Extension{pki.TimeStampingExtension()}}, &pki.Issuer{Cert: root, Key: rk})
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := pki.ParseCertificate(der)
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t), Timeout: time.Second}, clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	a, err := tsa.New(tsa.Config{Cert: cert, Signer: pki.NewKeySigner(k), Policy: []int{1, 2, 156, 99999, 7}, Serials: st, Clock: clock.Real{}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, tsa.MaxRequest+1))
		reply, err := a.Respond(r.Context(), body)
		if err != nil {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		_, _ = w.Write(reply)
	}))
	t.Cleanup(srv.Close)
	file := filepath.Join(t.TempDir(), "tsa-root.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, file
}

// TestExternalTSARequired: with PLEDGESEAL_TSA_URL the application puts
// the external TSA's tokens into the applicant CMS, the notice seal and
// the counter-seal, and the report proves both times by that TSA; when the
// TSA is down and PLEDGESEAL_TSA_REQUIRED is set, signing and accepting
// answer 503 TRY_LATER and nothing changes.
func TestExternalTSARequired(t *testing.T) {
	var down atomic.Bool
	srv, trustFile := externalTSA(t, &down)
	env := append(sharedRedisEnv(t, devMaterial(t), testredis.FreePort(t)),
		"PLEDGESEAL_TSA_URL="+srv.URL, "PLEDGESEAL_TSA_TRUST="+trustFile, "PLEDGESEAL_TSA_REQUIRED=true")
	cfg, err := config.Load(nil, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Build(cfg, getenvOf(env), slog.New(slog.DiscardHandler), clock.Real{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	ag := a.Material.Agencies[0].Code
	c := newAppClient(t, a)
	agency := c.token(auth.CreateRequest{Role: auth.RoleAgency, Org: ag})
	applicant := c.token(auth.CreateRequest{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "张三丰", IDType: "RESIDENT_ID", IDNumber: "110101199001061234"}})
	entry := verifytest.Entry(time.Now())
	entry.Owner = ag
	c.must(c.do("POST", "/v1/catalogue/entries", agency, "", map[string]any{"entry": entry}), http.StatusCreated)
	n := verifytest.Notice()
	n.Agency = ag
	rec := c.must(c.do("POST", "/v1/notices", agency, "", n), http.StatusCreated)
	var pub struct {
		Notice pledge.Notice
		Digest string
		Seal   []byte // base64 in JSON
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &pub)
	// The notice seal carries the external TSA's token over its signature value.
	if ns, err := ses.ParseSignature(pub.Seal); err != nil || len(ns.TimeStamp) == 0 {
		t.Fatalf("notice seal: %v, timeStamp %d bytes", err, len(pub.Seal))
	} else if tok, err := tsa.VerifyToken(ns.TimeStamp, pki.NewTrustStore(a.Material.Roots, nil)); !errors.Is(err, tsa.ErrNoChain) || !strings.Contains(tok.TSAName, "Other TSA") || tok.Covers(ns.Value) != nil {
		t.Fatalf("notice seal token: %v", err)
	}
	sign := func(key string) *httptest.ResponseRecorder {
		return c.do("POST", "/v1/pledges", applicant, key, map[string]any{"notice": pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.Digest},
			"channel": "WEB", "way": "EVENT_CERTIFICATE"})
	}
	var made struct{ Pledge struct{ ID string } }
	_ = json.Unmarshal(c.must(sign("ext-tsa-000001"), http.StatusCreated).Body.Bytes(), &made)
	second := made.Pledge.ID
	_ = json.Unmarshal(c.must(sign("ext-tsa-000002"), http.StatusCreated).Body.Bytes(), &made)
	accept := func(id string) *httptest.ResponseRecorder {
		return c.do("POST", "/v1/pledges/"+id+"/accept", agency, "", map[string]string{"documentNo": "DEV-1", "date": pledge.CivilDate(time.Now())})
	}
	c.must(accept(made.Pledge.ID), http.StatusOK)
	var r verify.Report
	_ = json.Unmarshal(c.must(c.do("GET", "/v1/pledges/"+made.Pledge.ID+"/verification", "", "", nil), http.StatusOK).Body.Bytes(), &r)
	s := r.ValidAtSigning
	if r.Indication != outcome.TotalPassed || s.SignedAtSource == nil || s.SignedAtSource.Source != verify.SourceTSA || !strings.Contains(s.SignedAtSource.TSA, "Other TSA") ||
		s.SealedAtSource == nil || s.SealedAtSource.Source != verify.SourceTSA {
		t.Fatalf("report %s %s, sources %+v %+v", r.Indication, r.SubIndication, s.SignedAtSource, s.SealedAtSource)
	}

	// The TSA goes down: nothing is signed, sealed or changed.
	down.Store(true)
	for _, rec := range []*httptest.ResponseRecorder{sign("ext-tsa-000003"), accept(second)} {
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "TRY_LATER") {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	var got struct{ Status string }
	_ = json.Unmarshal(c.must(c.do("GET", "/v1/pledges/"+second, agency, "", nil), http.StatusOK).Body.Bytes(), &got)
	if got.Status != string(pledge.StatusSigned) {
		t.Fatalf("after a refused accept the pledge is %q", got.Status)
	}
	// Back up: the refused signing goes through on a retry with its key.
	down.Store(false)
	c.must(sign("ext-tsa-000003"), http.StatusCreated)
	c.must(accept(second), http.StatusOK)
}
