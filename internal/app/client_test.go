package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
)

// appClient drives a built App over its HTTP handler, as a client would.
type appClient struct {
	t *testing.T
	a *App
	h http.Handler
}

func newAppClient(t *testing.T, a *App) *appClient {
	return &appClient{t: t, a: a, h: a.API.Handler()}
}

// token issues a token for an hour and returns its secret.
func (c *appClient) token(req auth.CreateRequest) string {
	c.t.Helper()
	req.TTL = time.Hour
	iss, err := c.a.Tokens.Create(context.Background(), req)
	if err != nil {
		c.t.Fatal(err)
	}
	return iss.Secret
}

// do sends one JSON request; token and key ("" for none) go in the
// Authorization and Idempotency-Key headers.
func (c *appClient) do(method, path, token, key string, body any) *httptest.ResponseRecorder {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec
}

// must fails the test unless rec has the status code.
func (c *appClient) must(rec *httptest.ResponseRecorder, code int) *httptest.ResponseRecorder {
	c.t.Helper()
	if rec.Code != code {
		c.t.Fatalf("status %d, want %d: %s", rec.Code, code, rec.Body)
	}
	return rec
}
