// Package statusclient is a status.Source over HTTP for the offline
// commands (pledgectl ofd verify --base-url): it asks a PledgeSeal
// service's public batch status route, POST /v1/revocations/batch, for
// seal, certificate and pledge subjects at a time and now. It fails
// closed: an unreachable service, an error status, or an answer that does
// not name exactly the subjects asked gives an error (apperr.Unavailable),
// never a default state.
package statusclient

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// Path is the route asked.
const Path = "/v1/revocations/batch"

// maxReply bounds the reply read (100 subjects of a few hundred bytes).
const maxReply = 1 << 20

// maxSubjects is the route's batch bound.
const maxSubjects = 100

// Client asks one service.
type Client struct {
	base string
	http *http.Client
}

var _ status.Source = (*Client)(nil)

// New returns a Client for the service at base (an https URL, or http to
// the loopback address).
func New(base string, timeout time.Duration) (*Client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, apperr.New(apperr.Malformed, "--base-url %q must be an http(s) URL such as http://127.0.0.1:8080", base)
	}
	// The answers are not signed: over plain http anyone on the path could
	// vouch for a revoked seal. Plain http only to this machine.
	if ip := net.ParseIP(u.Hostname()); u.Scheme == "http" && u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, apperr.New(apperr.Malformed, "--base-url %q: the status answers are not signed, so use https (plain http only to localhost)", base)
	}
	return &Client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: timeout}}, nil
}

type subjectJSON struct {
	Kind   status.Kind `json:"kind"`
	ID     string      `json:"id,omitempty"`
	Digest string      `json:"digest,omitempty"`
}

func subjectOf(s status.Subject) subjectJSON {
	v := subjectJSON{Kind: s.Kind, ID: s.ID}
	if s.Digest != ([32]byte{}) {
		v.Digest = hex.EncodeToString(s.Digest[:])
	}
	return v
}

type stateJSON struct {
	Code       status.Code `json:"code"`
	Since      *time.Time  `json:"since"`
	Reason     string      `json:"reason"`
	DocumentNo string      `json:"documentNo"`
}

func (s stateJSON) state() status.State {
	st := status.State{Code: s.Code, Reason: s.Reason, DocumentNo: s.DocumentNo}
	if s.Since != nil {
		st.Since = s.Since.UTC()
	}
	return st
}

type replyJSON struct {
	ReadAt  time.Time `json:"readAt"`
	Results []struct {
		Subject subjectJSON `json:"subject"`
		At      stateJSON   `json:"at"`
		Now     stateJSON   `json:"now"`
	} `json:"results"`
}

func unavailable(format string, args ...any) error {
	return apperr.New(apperr.Unavailable, format, args...)
}

// Lookup implements status.Source: one request per 100 subjects.
func (c *Client) Lookup(ctx context.Context, at time.Time, subjects []status.Subject) (status.Answer, error) {
	var out status.Answer
	for start := 0; start < len(subjects); start += maxSubjects {
		part := subjects[start:min(start+maxSubjects, len(subjects))]
		a, err := c.lookup(ctx, at, part)
		if err != nil {
			return status.Answer{}, err
		}
		out.Results = append(out.Results, a.Results...)
		if out.ReadAt.IsZero() || a.ReadAt.Before(out.ReadAt) {
			out.ReadAt = a.ReadAt
		}
	}
	return out, nil
}

func (c *Client) lookup(ctx context.Context, at time.Time, subjects []status.Subject) (status.Answer, error) {
	body := struct {
		At       string        `json:"at,omitempty"`
		Subjects []subjectJSON `json:"subjects"`
	}{}
	if !at.IsZero() {
		body.At = at.UTC().Format(time.RFC3339Nano)
	}
	for _, s := range subjects {
		body.Subjects = append(body.Subjects, subjectOf(s))
	}
	b, err := json.Marshal(body)
	if err != nil {
		return status.Answer{}, apperr.Wrap(apperr.Internal, err, "cannot encode the status request")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+Path, bytes.NewReader(b))
	if err != nil {
		return status.Answer{}, apperr.Wrap(apperr.Malformed, err, "cannot make the status request")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return status.Answer{}, unavailable("the status service at %s cannot be reached: %v", c.base, err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReply+1))
	if err != nil {
		return status.Answer{}, unavailable("the status service's reply cannot be read: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		return status.Answer{}, unavailable("the status service answered HTTP %d", resp.StatusCode)
	}
	return DecodeAnswer(reply, subjects)
}

// DecodeAnswer reads a reply of the batch route and checks that it answers
// exactly subjects, in order; anything else is an error (fail closed).
func DecodeAnswer(reply []byte, subjects []status.Subject) (status.Answer, error) {
	if len(reply) > maxReply {
		return status.Answer{}, unavailable("the status service's reply is larger than %d bytes", maxReply)
	}
	var r replyJSON
	if err := json.Unmarshal(reply, &r); err != nil {
		return status.Answer{}, unavailable("the status service's reply is not the batch status JSON: %v", err)
	}
	if len(r.Results) != len(subjects) {
		return status.Answer{}, unavailable("the status service answered %d subjects, %d were asked", len(r.Results), len(subjects))
	}
	out := status.Answer{ReadAt: r.ReadAt.UTC(), Results: make([]status.Result, len(subjects))}
	for i, res := range r.Results {
		if res.Subject != subjectOf(subjects[i]) {
			return status.Answer{}, unavailable("the status service answered another subject than asked (%s %s)", res.Subject.Kind, res.Subject.ID)
		}
		out.Results[i] = status.Result{Subject: subjects[i], At: res.At.state(), Now: res.Now.state()}
	}
	return out, nil
}
