package tsa_test

import (
	"context"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// tsaServer serves a real Authority over HTTP as POST /v1/timestamps does;
// before may answer instead (returning true) to inject a fault.
func tsaServer(t *testing.T, a *tsa.Authority, before func(w http.ResponseWriter, n int64) bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if before != nil && before(w, n) {
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
	return srv, &calls
}

func client(t *testing.T, url string, trust *pki.TrustStore) *tsa.Client {
	t.Helper()
	c, err := tsa.NewClient(tsa.ClientConfig{URL: url, Trust: trust, Timeout: 300 * time.Millisecond, Attempts: 3, Backoff: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestClient: an external TSA (a real Authority behind HTTP) gives a token
// that verifies and covers the data; transient failures are retried a
// bounded number of times; a rejection, a token from an untrusted TSA, a
// replayed reply (another nonce) and a hung TSA give no token.
func TestClient(t *testing.T) {
	clk := clock.NewFake(t0)
	m := newMaterial(t, pki.TimeStampingExtension())
	a := newAuthority(t, m, newStore(t, clk), clk)
	data := []byte("signature value")
	ctx := context.Background()

	t.Run("granted", func(t *testing.T) {
		srv, calls := tsaServer(t, a, nil)
		der, err := client(t, srv.URL, m.trust).Stamp(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := tsa.VerifyToken(der, m.trust)
		if err != nil || tok.Covers(data) != nil || calls.Load() != 1 {
			t.Fatalf("%v, %d calls", err, calls.Load())
		}
	})
	t.Run("retried after 503s", func(t *testing.T) {
		srv, calls := tsaServer(t, a, func(w http.ResponseWriter, n int64) bool {
			if n < 3 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		if _, err := client(t, srv.URL, m.trust).Stamp(ctx, data); err != nil || calls.Load() != 3 {
			t.Fatalf("%v, %d calls", err, calls.Load())
		}
	})
	t.Run("gives up after the attempts", func(t *testing.T) {
		srv, calls := tsaServer(t, a, func(w http.ResponseWriter, _ int64) bool {
			http.Error(w, "busy", http.StatusBadGateway)
			return true
		})
		_, err := client(t, srv.URL, m.trust).Stamp(ctx, data)
		if apperr.KindOf(err) != apperr.Unavailable || apperr.As(err).Code != apperr.CodeTryLater || calls.Load() != 3 {
			t.Fatalf("%v, %d calls", err, calls.Load())
		}
	})
	t.Run("hung TSA times out", func(t *testing.T) {
		release := make(chan struct{})
		srv, calls := tsaServer(t, a, func(w http.ResponseWriter, _ int64) bool {
			select {
			case <-release:
			case <-time.After(5 * time.Second):
			}
			return true
		})
		start := time.Now()
		_, err := client(t, srv.URL, m.trust).Stamp(ctx, data)
		close(release)
		if apperr.KindOf(err) != apperr.Unavailable || calls.Load() != 3 || time.Since(start) > 4*time.Second {
			t.Fatalf("%v, %d calls in %s", err, calls.Load(), time.Since(start))
		}
	})
	t.Run("rejection is not retried", func(t *testing.T) {
		srv, calls := tsaServer(t, a, func(w http.ResponseWriter, _ int64) bool {
			reply, _ := a.Respond(context.Background(), []byte("not a request"))
			w.Header().Set("Content-Type", "application/timestamp-reply")
			_, _ = w.Write(reply)
			return true
		})
		if _, err := client(t, srv.URL, m.trust).Stamp(ctx, data); apperr.KindOf(err) != apperr.Unavailable || calls.Load() != 1 {
			t.Fatalf("%v, %d calls", err, calls.Load())
		}
	})
	t.Run("untrusted TSA", func(t *testing.T) {
		srv, _ := tsaServer(t, a, nil)
		other := newMaterial(t, pki.TimeStampingExtension())
		if _, err := client(t, srv.URL, other.trust).Stamp(ctx, data); !errors.Is(err, tsa.ErrNoChain) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("replayed reply", func(t *testing.T) {
		// A man in the middle answers with a genuine reply to an earlier
		// request for the same data: its nonce is not this request's.
		old, err := a.Respond(context.Background(), mustMarshal(t, &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: digest(data), CertReq: true, Nonce: bigInt(42)}))
		if err != nil {
			t.Fatal(err)
		}
		srv, _ := tsaServer(t, a, func(w http.ResponseWriter, _ int64) bool {
			w.Header().Set("Content-Type", "application/timestamp-reply")
			_, _ = w.Write(old)
			return true
		})
		if _, err := client(t, srv.URL, m.trust).Stamp(ctx, data); apperr.KindOf(err) != apperr.Unavailable {
			t.Fatalf("%v", err)
		}
	})
	t.Run("no trust anchors", func(t *testing.T) {
		if _, err := tsa.NewClient(tsa.ClientConfig{URL: "http://127.0.0.1:1/"}); err == nil {
			t.Fatal("a client without trust anchors was made")
		}
	})
}

func digest(b []byte) []byte {
	d := pki.Digest(b)
	return d[:]
}

func bigInt(n int64) *big.Int { return big.NewInt(n) }
