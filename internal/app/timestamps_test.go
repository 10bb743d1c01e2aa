package app

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// TestDevTSAServes: with dev material (which has a tsa identity) the
// server answers POST /v1/timestamps with a token that verifies against
// the dev trust bundle and names the configured policy.
func TestDevTSAServes(t *testing.T) {
	a := buildTestApp(t)
	d := pki.Digest([]byte("data"))
	q, err := tsa.MarshalRequest(&tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/timestamps", bytes.NewReader(q))
	req.Header.Set("Content-Type", "application/timestamp-query")
	rec := httptest.NewRecorder()
	a.API.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
	r, err := tsa.ParseReply(rec.Body.Bytes())
	if err != nil || r.Status != tsa.StatusGranted {
		t.Fatalf("reply %+v %v", r, err)
	}
	tok, err := tsa.VerifyToken(r.Token, a.Material.Trust)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.Covers([]byte("data")); err != nil || !tok.Policy.Equal(a.Config.TSAPolicy) {
		t.Fatalf("token: %v, policy %s", err, tok.Policy)
	}
}
