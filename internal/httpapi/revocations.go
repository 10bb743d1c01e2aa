package httpapi

import (
	"context"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// RevocationService is the revocation registry (seal.Revocations implements it).
type RevocationService interface {
	Revoke(ctx context.Context, p auth.Principal, req seal.RevokeRequest) (seal.Receipt, error)
	Reverse(ctx context.Context, p auth.Principal, req seal.RevokeRequest) (seal.Receipt, error)
	Get(ctx context.Context, sub status.Subject) (seal.Record, error)
	Lookup(ctx context.Context, at time.Time, subs []status.Subject) (status.Answer, error)
}

// maxLookupSubjects bounds one public batch lookup.
const maxLookupSubjects = 100

func (s *Server) revocationRoutes() {
	if s.deps.Revocations == nil {
		return
	}
	revokers := only(auth.RoleAdmin, auth.RoleSealMaker, auth.RoleEnforcement)
	s.handle(http.MethodPost, "/v1/revocations", revokers, s.revoke)
	s.handle(http.MethodPost, "/v1/revocations/reversals", revokers, s.reverseRevocation)
	s.handle(http.MethodGet, "/v1/revocations", anyone(), s.getRevocation)
	s.handle(http.MethodPost, "/v1/revocations/batch", anyone(), s.batchStatus)
	s.registerLookupMetrics()
}

// lookupCounter is implemented by a revocation registry that counts its
// batch lookups and their Redis round trips (seal.Revocations does).
type lookupCounter interface {
	LookupStats() (lookups, roundTrips int64, ok bool)
}

// registerLookupMetrics exports the registry's lookup counters, so that
// "one verification, one round trip" can be watched in production.
func (s *Server) registerLookupMetrics() {
	lc, ok := s.deps.Revocations.(lookupCounter)
	if !ok {
		return
	}
	if _, _, ok := lc.LookupStats(); !ok {
		return
	}
	s.deps.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pledgeseal_status_lookups_total",
			Help: "Registry reads answered (batch status lookups and histories; each reads all its subjects at once)."},
			func() float64 { n, _, _ := lc.LookupStats(); return float64(n) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "pledgeseal_status_lookup_round_trips_total",
			Help: "Redis calls made by those reads (one each, plus one after Redis lost its script cache)."},
			func() float64 { _, n, _ := lc.LookupStats(); return float64(n) }),
	)
}

type subjectBody struct {
	Kind   status.Kind `json:"kind"`
	ID     string      `json:"id,omitempty"`
	Digest string      `json:"digest,omitempty"`
}

func (b subjectBody) subject() (status.Subject, error) {
	sub := status.Subject{Kind: b.Kind, ID: b.ID}
	switch b.Kind {
	case status.KindPledge, status.KindSeal, status.KindCertificate:
	default:
		return sub, apperr.New(apperr.Malformed, "kind must be pledge, seal or certificate")
	}
	if b.Digest != "" {
		d, err := parseDigest("digest", b.Digest)
		if err != nil {
			return sub, err
		}
		sub.Digest = d
	}
	if sub.ID == "" && b.Digest == "" {
		return sub, apperr.New(apperr.Malformed, "a subject needs an id or a digest")
	}
	return sub, nil
}

func viewSubject(s status.Subject) subjectBody {
	v := subjectBody{Kind: s.Kind, ID: s.ID}
	if s.Digest != ([32]byte{}) {
		v.Digest = hex.EncodeToString(s.Digest[:])
	}
	return v
}

type revokeBody struct {
	Subjects   []subjectBody `json:"subjects"`
	Reason     seal.Reason   `json:"reason"`
	DocumentNo string        `json:"documentNo"`
	Effective  string        `json:"effective,omitempty"`
	Note       string        `json:"note,omitempty"`
}

// Validate checks the shape.
func (r revokeBody) Validate() error {
	if len(r.Subjects) == 0 || r.Reason == "" || r.DocumentNo == "" {
		return apperr.New(apperr.Malformed, "subjects, reason and documentNo are required")
	}
	if len(r.Subjects) > seal.MaxSubjects {
		return apperr.New(apperr.Malformed, "at most %d subjects per request", seal.MaxSubjects)
	}
	return nil
}

func (r revokeBody) request() (seal.RevokeRequest, error) {
	req := seal.RevokeRequest{Reason: r.Reason, DocumentNo: r.DocumentNo, Note: r.Note}
	for _, b := range r.Subjects {
		sub, err := b.subject()
		if err != nil {
			return req, err
		}
		req.Subjects = append(req.Subjects, sub)
	}
	eff, err := parseTime("effective", r.Effective)
	req.Effective = eff
	return req, err
}

type receiptView struct {
	Seq       uint64      `json:"seq"`
	Hash      string      `json:"hash"`
	Recorded  time.Time   `json:"recorded"`
	Effective time.Time   `json:"effective"`
	State     status.Code `json:"state"`
}

func (s *Server) revocationChange(c *gin.Context, p auth.Principal, fn func(context.Context, auth.Principal, seal.RevokeRequest) (seal.Receipt, error)) error {
	var body revokeBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.request()
	if err != nil {
		return err
	}
	r, err := fn(c.Request.Context(), p, req)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, receiptView{Seq: r.Seq, Hash: r.Hash, Recorded: r.Recorded.UTC(), Effective: r.Effective.UTC(), State: r.State})
	return nil
}

func (s *Server) revoke(c *gin.Context, p auth.Principal) error {
	return s.revocationChange(c, p, s.deps.Revocations.Revoke)
}

func (s *Server) reverseRevocation(c *gin.Context, p auth.Principal) error {
	return s.revocationChange(c, p, s.deps.Revocations.Reverse)
}

func (s *Server) getRevocation(c *gin.Context, p auth.Principal) error {
	sub, err := subjectBody{Kind: status.Kind(c.Query("kind")), ID: c.Query("id"), Digest: c.Query("digest")}.subject()
	if err != nil {
		return err
	}
	rec, err := s.deps.Revocations.Get(c.Request.Context(), sub)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"subject": viewSubject(rec.Subject), "now": viewState(rec.Now), "events": viewEvents(rec.History, p)})
	return nil
}

type batchBody struct {
	At       string        `json:"at,omitempty"`
	Subjects []subjectBody `json:"subjects"`
}

// Validate checks the shape.
func (r batchBody) Validate() error {
	if len(r.Subjects) == 0 || len(r.Subjects) > maxLookupSubjects {
		return apperr.New(apperr.Malformed, "name 1 to %d subjects", maxLookupSubjects)
	}
	return nil
}

type resultView struct {
	Subject subjectBody `json:"subject"`
	At      stateView   `json:"at"`
	Now     stateView   `json:"now"`
}

func (s *Server) batchStatus(c *gin.Context, _ auth.Principal) error {
	var body batchBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.takeTokens(c, scopeVerify, batchCost(len(body.Subjects))); err != nil {
		return err
	}
	at, err := parseTime("at", body.At)
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = s.deps.Clock.Now()
	}
	subs := make([]status.Subject, 0, len(body.Subjects))
	for _, b := range body.Subjects {
		sub, err := b.subject()
		if err != nil {
			return err
		}
		subs = append(subs, sub)
	}
	ans, err := s.deps.Revocations.Lookup(c.Request.Context(), at, subs)
	if err != nil {
		return err
	}
	out := make([]resultView, len(ans.Results))
	for i, r := range ans.Results {
		out[i] = resultView{Subject: viewSubject(r.Subject), At: viewState(r.At), Now: viewState(r.Now)}
	}
	c.JSON(http.StatusOK, gin.H{"atTime": at.UTC(), "readAt": ans.ReadAt.UTC(), "results": out})
	return nil
}
