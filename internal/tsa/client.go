package tsa

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// ClientConfig configures a Client of an external RFC 3161 TSA.
type ClientConfig struct {
	// URL receives POSTed application/timestamp-query bodies.
	URL string
	// Trust holds the anchors the TSA's certificate must chain to
	// (PLEDGESEAL_TSA_TRUST). Required: a token that does not verify is
	// no token.
	Trust *pki.TrustStore
	// HTTP is the client used (its Transport); nil: http.DefaultTransport.
	HTTP *http.Client
	// Timeout bounds each attempt (default 5 s).
	Timeout time.Duration
	// Attempts is how many times a request is tried on a network error,
	// a 5xx or a waiting status (default 3); a rejection is not retried.
	Attempts int
	// Backoff is the pause before the second attempt, doubled after each
	// (default 200 ms).
	Backoff time.Duration
}

// Client requests tokens from an external TSA over HTTP (RFC 3161 §3.4)
// and accepts only a token that verifies against its trust anchors
// (VerifyToken: key purpose, chain, ESS certificate), names the SM3 of the
// data and echoes the request's nonce.
type Client struct {
	cfg ClientConfig
}

// NewClient checks cfg and fills in the defaults.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.URL == "" || cfg.Trust.Empty() {
		return nil, errors.New("tsa: an external TSA needs a URL and trust anchors")
	}
	if cfg.HTTP == nil {
		cfg.HTTP = &http.Client{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = 3
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	return &Client{cfg: cfg}, nil
}

// errPermanent marks an answer that a retry would not change.
var errPermanent = errors.New("tsa: the TSA refused the request")

// Stamp implements Source. Every failure is apperr.Unavailable with code
// TRY_LATER (the caller's policy decides whether to go on without a token).
func (c *Client) Stamp(ctx context.Context, data []byte) ([]byte, error) {
	d := pki.Digest(data)
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "tsa: nonce")
	}
	nonce.Add(nonce, big.NewInt(1))
	req, err := MarshalRequest(&Request{HashAlg: pki.OIDSM3(), Imprint: d[:], Nonce: nonce, CertReq: true})
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "tsa: request")
	}
	wait := c.cfg.Backoff
	var last error
	for attempt := 1; attempt <= c.cfg.Attempts; attempt++ {
		if attempt > 1 {
			select {
			case <-ctx.Done():
				return nil, unavailable(ctx.Err())
			case <-time.After(wait):
			}
			wait *= 2
		}
		tok, err := c.try(ctx, req)
		if err == nil {
			return c.accept(tok, data, nonce)
		}
		last = err
		if errors.Is(err, errPermanent) || ctx.Err() != nil {
			break
		}
	}
	return nil, unavailable(last)
}

func unavailable(err error) error {
	return apperr.Wrap(apperr.Unavailable, err, "no time-stamp token can be had from the TSA now; try later").WithCode(apperr.CodeTryLater)
}

// try is one HTTP exchange; it returns the granted token's bytes.
func (c *Client) try(ctx context.Context, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errPermanent, err)
	}
	hr.Header.Set("Content-Type", "application/timestamp-query")
	resp, err := c.cfg.HTTP.Do(hr)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxToken+1))
	if err != nil {
		return nil, err
	}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return nil, fmt.Errorf("tsa: HTTP %d", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%w: HTTP %d", errPermanent, resp.StatusCode)
	case len(b) > MaxToken:
		return nil, fmt.Errorf("%w: the reply exceeds %d bytes", errPermanent, MaxToken)
	}
	r, err := ParseReply(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errPermanent, err)
	}
	switch r.Status {
	case StatusGranted, 1: // granted, grantedWithMods
		return r.Token, nil
	case 3: // waiting
		return nil, errors.New("tsa: the TSA asks to wait")
	}
	return nil, fmt.Errorf("%w: status %d: %s", errPermanent, r.Status, r.Text)
}

// accept verifies a granted token before anything is built on it.
func (c *Client) accept(tok, data []byte, nonce *big.Int) ([]byte, error) {
	t, err := VerifyToken(tok, c.cfg.Trust)
	if err != nil {
		return nil, unavailable(err)
	}
	if err := t.Covers(data); err != nil || !t.HashAlg.Equal(pki.OIDSM3()) {
		return nil, unavailable(fmt.Errorf("the token does not cover these data: %v", err))
	}
	if t.Nonce == nil || t.Nonce.Cmp(nonce) != 0 {
		return nil, unavailable(errors.New("the token does not echo the request's nonce"))
	}
	return tok, nil
}
