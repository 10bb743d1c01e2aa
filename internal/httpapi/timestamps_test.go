package httpapi

import (
	"bytes"
	"encoding/asn1"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

func withTSA(t *testing.T) harnessOption {
	return func(d *Deps) {
		clk := d.Clock.(*clock.Fake)
		now := clk.Now()
		rootCA := pkitest.NewCA(t, "root", now.Add(-time.Hour), now.AddDate(1, 0, 0), -1)
		tsaCert := rootCA.TSA(t, "TSA", now.Add(-time.Hour), now.AddDate(1, 0, 0))
		cert, k := tsaCert.Cert, tsaCert.Key
		st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t)}, clk)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		a, err := tsa.New(tsa.Config{Cert: cert, Signer: pki.NewKeySigner(k), Policy: asn1.ObjectIdentifier{2, 25, 1}, Serials: st, Clock: clk})
		if err != nil {
			t.Fatal(err)
		}
		d.TimeStamps = a
	}
}

func (h *harness) postTimestamp(contentType string, body []byte) *httptest.ResponseRecorder {
	h.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/timestamps", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.srv.Handler().ServeHTTP(rec, req)
	h.validate(req, rec)
	return rec
}

// TestTimestampsRoute: public, granted for SM3, rejection (200) for another
// hash, 415 for another media type, 413 over the cap, 404 without a TSA.
func TestTimestampsRoute(t *testing.T) {
	h := newHarness(t, withTSA(t))
	d := pki.Digest([]byte("data"))
	good, _ := tsa.MarshalRequest(&tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true})
	sha, _ := tsa.MarshalRequest(&tsa.Request{HashAlg: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}, Imprint: d[:]})

	rec := h.postTimestamp("application/timestamp-query", good)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/timestamp-reply" {
		t.Fatalf("granted: %d %s", rec.Code, rec.Body.String())
	}
	if r, err := tsa.ParseReply(rec.Body.Bytes()); err != nil || r.Status != tsa.StatusGranted {
		t.Fatalf("reply %+v %v", r, err)
	}
	rec = h.postTimestamp("application/timestamp-query", sha)
	if r, err := tsa.ParseReply(rec.Body.Bytes()); rec.Code != http.StatusOK || err != nil || r.Status != tsa.StatusRejected || !r.Failed(tsa.FailBadAlg) {
		t.Fatalf("sha256: %d %+v %v", rec.Code, r, err)
	}
	if rec := h.postTimestamp("application/octet-stream", good); rec.Code != http.StatusUnsupportedMediaType {
		t.Fatalf("media type: %d", rec.Code)
	}
	if rec := h.postTimestamp("application/timestamp-query", make([]byte, tsa.MaxRequest+1)); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("too large: %d", rec.Code)
	}
	if rec := newHarness(t).postTimestamp("application/timestamp-query", good); rec.Code != http.StatusNotFound {
		t.Fatalf("no TSA: %d", rec.Code)
	}
}

// TestTimestampsRateLimited: time-stamps take from the client's
// verification bucket.
func TestTimestampsRateLimited(t *testing.T) {
	var deps Deps
	h := newHarness(t, withTSA(t), func(d *Deps) { deps = *d })
	h.srv = New(limitedDeps(t, deps, testredis.Addr(t), testredis.Prefix(t)), Options{MaxBodyBytes: 64 << 10, VerifyLimit: RateLimit{Rate: 0.5, Burst: 2}, PublicLimit: RateLimit{Rate: 1, Burst: 100}})
	d := pki.Digest([]byte("data"))
	q, _ := tsa.MarshalRequest(&tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:]})
	for range 2 {
		if rec := h.postTimestamp("application/timestamp-query", q); rec.Code != http.StatusOK {
			t.Fatalf("under the limit: %d", rec.Code)
		}
	}
	want429(t, h.postTimestamp("application/timestamp-query", q), "2")
}
