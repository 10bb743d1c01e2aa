package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/skip2/go-qrcode"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// PledgeRecords reads stored pledges without an ownership check
// (store.PledgeRepo implements it); handlers check ownership.
type PledgeRecords interface {
	GetPledge(ctx context.Context, id string) (pledge.Record, error)
}

// PledgeAPI holds the pledge domain behind the catalogue, notice, pledge and
// verification routes (catalogue.go, notices.go, pledges.go,
// verifications.go). A nil PledgeAPI leaves those routes unregistered.
type PledgeAPI struct {
	Catalogue *pledge.Catalogue
	Notices   *pledge.Notices
	Service   *pledge.Service
	Records   PledgeRecords
	Verifier  *verify.Verifier
	// OFD writes and verifies sealed OFD files (ofd.go); nil leaves those
	// routes unregistered.
	OFD *OFDAPI
	// Findings is the registry (store.Registry) whose findings and
	// revocations of pledges outrank the workflow state in listings and
	// the OFD route (pledgestate.go); nil: the workflow state alone.
	Findings status.Source
}

// QRSize is the side of the status QR code PNG in pixels.
const QRSize = 256

func (s *Server) pledgeRoutes() {
	if s.deps.Pledges == nil {
		return
	}
	applicant := only(auth.RoleApplicant)
	agency := only(auth.RoleAgency)
	s.handle(http.MethodPost, "/v1/pledges", applicant, s.createPledge)
	s.handle(http.MethodPost, "/v1/pledges/{id}/signature", applicant, s.submitSignature)
	s.handle(http.MethodPost, "/v1/pledges/{id}/signature-check", applicant, s.checkSignature)
	s.handle(http.MethodPost, "/v1/pledges/{id}/event-signature", applicant, s.signDraftWithEventCertificate)
	s.handle(http.MethodGet, "/v1/pledges/{id}", only(auth.RoleApplicant, auth.RoleAgency), s.getPledge)
	s.handle(http.MethodPost, "/v1/pledges/{id}/withdraw", applicant, s.withdrawPledge)
	s.handle(http.MethodPost, "/v1/pledges/{id}/accept", agency, s.acceptPledge)
	s.handle(http.MethodPost, "/v1/pledges/{id}/return", agency, s.returnPledge)
	s.handle(http.MethodGet, "/v1/pledges/{id}/package", only(auth.RoleApplicant, auth.RoleAgency), s.pledgePackage)
	s.handle(http.MethodGet, "/v1/pledges/{id}/qr", anyone(), s.pledgeQR)
	s.handle(http.MethodGet, "/v1/me/pledges", applicant, s.listMyPledges)
	s.handle(http.MethodGet, "/v1/agency/pledges", agency, s.listAgencyPledges)
	s.handle(http.MethodGet, "/v1/me/eligibility", only(auth.RoleApplicant), s.myEligibility)
}

// applicantOf is the pledge applicant from the authenticated identity.
func applicantOf(p auth.Principal) (pledge.Applicant, error) {
	if p.Identity == nil {
		return pledge.Applicant{}, apperr.New(apperr.Unauthorized, "the token carries no applicant identity").WithCode(apperr.CodeIdentityInvalid)
	}
	kind := pledge.ApplicantPerson
	if p.Identity.IDType == pledge.IDCreditCode {
		kind = pledge.ApplicantOrganisation
	}
	return pledge.Applicant{Kind: kind, Name: p.Identity.Name, IDType: p.Identity.IDType, IDNumber: p.Identity.IDNumber}, nil
}

func officerOf(p auth.Principal) pledge.Officer {
	return pledge.Officer{Agency: p.Org, ID: p.Actor()}
}

// statusURL is the public status link of a pledge: its verification report.
func (s *Server) statusURL(id string) string { return pledge.StatusURL(s.opts.BaseURL, id) }

type createPledgeRequest struct {
	Notice  pledge.NoticeRef `json:"notice"`
	Facts   []pledge.Fact    `json:"facts"`
	Channel string           `json:"channel"`
	// Way is EVENT_CERTIFICATE (the service signs with a one-time event
	// certificate) or OWN_CERTIFICATE (the service returns the draft to sign).
	Way string `json:"way"`
	// PrepareOnly, with EVENT_CERTIFICATE, returns the draft for review
	// instead of signing at once; POST /v1/pledges/{id}/event-signature
	// then signs the reviewed draft. OWN_CERTIFICATE always returns a draft.
	PrepareOnly bool `json:"prepareOnly"`
}

func (r *createPledgeRequest) Validate() error {
	if r.Way != pledge.WayEventCertificate && r.Way != pledge.WayOwnCertificate {
		return apperr.New(apperr.Malformed, "way must be %s or %s", pledge.WayEventCertificate, pledge.WayOwnCertificate).WithCode(apperr.CodeFieldInvalid)
	}
	return nil
}

type pledgeEventView struct {
	To         pledge.Status `json:"to"`
	At         time.Time     `json:"at"`
	Reason     string        `json:"reason,omitempty"`
	DocumentNo string        `json:"documentNo,omitempty"`
}

type decisionView struct {
	DocumentNo string    `json:"documentNo"`
	Date       string    `json:"date"`
	DecidedAt  time.Time `json:"decidedAt"`
}

type pledgeView struct {
	ID        string            `json:"id"`
	Status    pledge.Status     `json:"status"`
	Digest    string            `json:"digest"`
	Agency    string            `json:"agency"`
	Notice    pledge.NoticeRef  `json:"notice"`
	Entry     pledge.EntryKey   `json:"entry"`
	Way       string            `json:"way"`
	CreatedAt time.Time         `json:"createdAt"`
	Events    []pledgeEventView `json:"events"`
	Decision  *decisionView     `json:"decision,omitempty"`
	Document  string            `json:"document"`
	StatusURL string            `json:"statusUrl"`
}

func (s *Server) viewPledge(r pledge.Record) pledgeView {
	v := pledgeView{ID: r.ID, Status: r.Status, Digest: hex.EncodeToString(r.Digest[:]), Agency: r.Agency, Notice: r.Notice,
		Entry: r.Entry, Way: r.Way, CreatedAt: r.CreatedAt.UTC(), Events: []pledgeEventView{},
		Document: base64.StdEncoding.EncodeToString(r.Document), StatusURL: s.statusURL(r.ID)}
	for _, e := range r.Events {
		// The actor is an internal token reference: not shown.
		v.Events = append(v.Events, pledgeEventView{To: e.To, At: e.At.UTC(), Reason: e.Reason, DocumentNo: e.DocumentNo})
	}
	if d := r.Decision; d != nil {
		v.Decision = &decisionView{DocumentNo: d.DocumentNo, Date: d.Date, DecidedAt: d.DecidedAt.UTC()}
	}
	return v
}

type draftView struct {
	PledgeID  string    `json:"pledgeId"`
	Document  string    `json:"document"`
	Digest    string    `json:"digest"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// idempotencyKey reads the Idempotency-Key header (required: the pledge ID
// derives from it, so a repeat returns the same pledge).
func idempotencyKey(c *gin.Context) (string, error) {
	k := c.GetHeader("Idempotency-Key")
	if k == "" {
		return "", apperr.New(apperr.Malformed, "the Idempotency-Key header is required (8 to 64 characters)").WithCode(apperr.CodeIdempotencyKeyRequired)
	}
	return k, nil
}

// applicantRequest is the preamble of the applicant's write routes: the
// applicant from the token (never from the body) and the decoded body.
func applicantRequest[T any](c *gin.Context, p auth.Principal) (pledge.Applicant, T, error) {
	var req T
	a, err := applicantOf(p)
	if err != nil {
		return a, req, err
	}
	return a, req, decodeJSON(c, &req)
}

// writeSigned answers a signing route: 201 with the new pledge, or 200
// with the earlier one on a repeat.
func (s *Server) writeSigned(c *gin.Context, rec pledge.Record, created bool) {
	code := http.StatusCreated
	if !created {
		code = http.StatusOK
	}
	c.JSON(code, gin.H{"pledge": s.viewPledge(rec)})
}

func (s *Server) createPledge(c *gin.Context, p auth.Principal) error {
	a, req, err := applicantRequest[createPledgeRequest](c, p)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	sr := pledge.SignRequest{Notice: req.Notice, Facts: req.Facts, Channel: req.Channel, IdempotencyKey: key}
	svc := s.deps.Pledges.Service
	if req.Way == pledge.WayEventCertificate && !req.PrepareOnly {
		rec, created, err := svc.SignWithEventCertificate(c.Request.Context(), a, sr)
		if err != nil {
			return err
		}
		s.writeSigned(c, rec, created)
		return nil
	}
	prep, err := svc.Prepare(c.Request.Context(), a, sr)
	if err != nil {
		return err
	}
	if prep.Repeat != nil {
		c.JSON(http.StatusOK, gin.H{"pledge": s.viewPledge(*prep.Repeat)})
		return nil
	}
	d := prep.Draft
	c.JSON(http.StatusCreated, gin.H{"draft": draftView{PledgeID: d.ID, Document: base64.StdEncoding.EncodeToString(d.Document),
		Digest: hex.EncodeToString(d.Digest[:]), ExpiresAt: d.ExpiresAt.UTC()}})
	return nil
}

type signatureRequest struct {
	CMS string `json:"cms"`
}

func (s *Server) submitSignature(c *gin.Context, p auth.Principal) error {
	a, req, err := applicantRequest[signatureRequest](c, p)
	if err != nil {
		return err
	}
	cms, err := base64.StdEncoding.Strict().DecodeString(req.CMS)
	if err != nil || len(cms) == 0 {
		return apperr.New(apperr.Malformed, "cms must be the base64 of a DER CMS SignedData").WithCode(apperr.CodeCMSMalformed)
	}
	rec, created, err := s.deps.Pledges.Service.SubmitOwnSignature(c.Request.Context(), a, c.Param("id"), cms)
	if err != nil {
		return err
	}
	s.writeSigned(c, rec, created)
	return nil
}

type eventSignatureRequest struct {
	// Digest is the lowercase hex SM3 digest of the draft document the
	// applicant reviewed.
	Digest string `json:"digest"`
}

// signDraftWithEventCertificate signs a prepared draft with a one-time
// event certificate, only if the digest the applicant reviewed is the
// draft's (way a, in two steps: review, then sign).
func (s *Server) signDraftWithEventCertificate(c *gin.Context, p auth.Principal) error {
	a, req, err := applicantRequest[eventSignatureRequest](c, p)
	if err != nil {
		return err
	}
	digest, err := pledge.ParseDigestHex(req.Digest)
	if err != nil {
		return err
	}
	rec, created, err := s.deps.Pledges.Service.SignDraftWithEventCertificate(c.Request.Context(), a, c.Param("id"), digest)
	if err != nil {
		return err
	}
	s.writeSigned(c, rec, created)
	return nil
}

// findPledge reads a pledge by an ID taken from the path; an ID that
// cannot be a pledge ID is NotFound before any store access.
func (s *Server) findPledge(ctx context.Context, id string) (pledge.Record, error) {
	if !validPledgeID(id) {
		return pledge.Record{}, apperr.New(apperr.NotFound, "no such pledge").WithCode(apperr.CodePledgeNotFound)
	}
	return s.deps.Pledges.Records.GetPledge(ctx, id)
}

// validPledgeID reports whether id has the shape of a pledge ID
// ("P" and 32 lowercase hex digits).
func validPledgeID(id string) bool {
	if len(id) != 33 || id[0] != 'P' {
		return false
	}
	_, err := hex.DecodeString(id[1:])
	return err == nil && id[1:] == strings.ToLower(id[1:])
}

// ownRecord returns a pledge its applicant or its agency may read; anyone
// else gets NotFound (existence is not revealed).
func (s *Server) ownRecord(ctx context.Context, p auth.Principal, id string) (pledge.Record, error) {
	if p.Role == auth.RoleApplicant {
		a, err := applicantOf(p)
		if err != nil {
			return pledge.Record{}, err
		}
		return s.deps.Pledges.Service.Get(ctx, a, id)
	}
	r, err := s.findPledge(ctx, id)
	if err != nil {
		return pledge.Record{}, err
	}
	if p.Role != auth.RoleAgency || r.Agency != p.Org {
		return pledge.Record{}, apperr.New(apperr.NotFound, "no such pledge").WithCode(apperr.CodePledgeNotFound)
	}
	return r, nil
}

func (s *Server) getPledge(c *gin.Context, p auth.Principal) error {
	r, err := s.ownRecord(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.viewPledge(r))
	return nil
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) withdrawPledge(c *gin.Context, p auth.Principal) error {
	a, req, err := applicantRequest[reasonRequest](c, p)
	if err != nil {
		return err
	}
	r, err := s.deps.Pledges.Service.Withdraw(c.Request.Context(), a, c.Param("id"), req.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.viewPledge(r))
	return nil
}

type acceptRequest struct {
	DocumentNo string `json:"documentNo"`
	Date       string `json:"date"`
}

func (s *Server) acceptPledge(c *gin.Context, p auth.Principal) error {
	var req acceptRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := s.deps.Pledges.Service.Accept(c.Request.Context(), officerOf(p), c.Param("id"), req.DocumentNo, req.Date)
	if err != nil {
		return err
	}
	if s.deps.Enforce != nil {
		// The decision opens the post-check task (enforce.go). The decision
		// stands either way; a task that failed here is opened again with
		// POST /v1/enforcement/tasks.
		if _, err := s.deps.Enforce.OpenTask(c.Request.Context(), p, r.ID); err != nil {
			s.log.Warn("post-check task not opened", "pledge", r.ID, "err", err.Error())
		}
	}
	c.JSON(http.StatusOK, s.viewPledge(r))
	return nil
}

func (s *Server) returnPledge(c *gin.Context, p auth.Principal) error {
	var req reasonRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	r, err := s.deps.Pledges.Service.Return(c.Request.Context(), officerOf(p), c.Param("id"), req.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.viewPledge(r))
	return nil
}

func (s *Server) pledgePackage(c *gin.Context, p auth.Principal) error {
	r, err := s.ownRecord(c.Request.Context(), p, c.Param("id"))
	if err != nil {
		return err
	}
	b, err := s.deps.Pledges.Service.Package(c.Request.Context(), r, s.statusURL(r.ID))
	if err != nil {
		return err
	}
	s.attachStatement(c, r.ID) // statements.go
	c.Header("Content-Disposition", `attachment; filename="`+r.ID+`.pledge.json"`)
	c.Data(http.StatusOK, "application/json", b)
	return nil
}

// pledgeQR is a QR code of the pledge's public status URL. It reveals
// nothing but the URL, so it is public; an unknown pledge is 404.
func (s *Server) pledgeQR(c *gin.Context, _ auth.Principal) error {
	id := c.Param("id")
	if _, err := s.findPledge(c.Request.Context(), id); err != nil {
		return err
	}
	png, err := qrcode.Encode(s.statusURL(id), qrcode.Medium, QRSize)
	if err != nil {
		return apperr.Wrap(apperr.Internal, err, "cannot draw the QR code")
	}
	c.Data(http.StatusOK, "image/png", png)
	return nil
}

// listQuery reads cursor and limit from the query string.
func listQuery(c *gin.Context) (pledge.ListQuery, error) {
	q := pledge.ListQuery{Cursor: c.Query("cursor")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > pledge.MaxPageSize {
			return q, apperr.New(apperr.Malformed, "limit must be 1 to %d", pledge.MaxPageSize).WithCode(apperr.CodeFieldInvalid)
		}
		q.Limit = n
	}
	return q, nil
}

// applicantView is the applicant of a listed pledge for its agency.
// Following docs/verification.md, the agency that owns a pledge sees the
// identity unmasked (Masked false); the masked forms are given too, for
// screens that show a list in public view.
type applicantView struct {
	Kind           string `json:"kind"`
	Name           string `json:"name"`
	IDType         string `json:"idType"`
	IDNumber       string `json:"idNumber"`
	MaskedName     string `json:"maskedName"`
	MaskedIDNumber string `json:"maskedIdNumber"`
	Masked         bool   `json:"masked"`
}

// pledgeItem is one pledge in a listing: enough to show a row and link to
// the pledge (GET /v1/pledges/{id}).
type pledgeItem struct {
	ID          string           `json:"id"`
	Status      pledge.Status    `json:"status"`
	StatusSince time.Time        `json:"statusSince"`
	Agency      string           `json:"agency"`
	Entry       pledge.EntryKey  `json:"entry"`
	Notice      pledge.NoticeRef `json:"notice"`
	Way         string           `json:"way"`
	SignedAt    time.Time        `json:"signedAt"`
	Decision    *decisionView    `json:"decision,omitempty"`
	Applicant   *applicantView   `json:"applicant,omitempty"`
	StatusURL   string           `json:"statusUrl"`
	// StateNow is the state now as the status route reports it (the
	// registry's findings and revocations outrank Status); absent, with
	// StateUnavailable, when the registry cannot be read.
	StateNow         pledge.Status  `json:"stateNow,omitempty"`
	StateUnavailable bool           `json:"stateUnavailable,omitempty"`
	Downloads        *downloadsView `json:"downloads,omitempty"`
}

type pledgeList struct {
	Items      []pledgeItem `json:"items"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

// listItem builds a row; withApplicant adds the applicant from the
// document (for the owning agency).
func (s *Server) listItem(r pledge.Record, withApplicant bool) (pledgeItem, error) {
	it := pledgeItem{ID: r.ID, Status: r.Status, StatusSince: r.CreatedAt.UTC(), Agency: r.Agency, Entry: r.Entry,
		Notice: r.Notice, Way: r.Way, SignedAt: r.CreatedAt.UTC(), StatusURL: s.statusURL(r.ID)}
	if n := len(r.Events); n > 0 {
		it.StatusSince = r.Events[n-1].At.UTC()
	}
	if d := r.Decision; d != nil {
		it.Decision = &decisionView{DocumentNo: d.DocumentNo, Date: d.Date, DecidedAt: d.DecidedAt.UTC()}
	}
	doc, err := pledge.ParseDocument(r.Document)
	if err != nil {
		return pledgeItem{}, apperr.Wrap(apperr.Internal, err, "a stored pledge document does not parse")
	}
	it.SignedAt = doc.SignedAt.UTC()
	if withApplicant {
		a := doc.Applicant
		it.Applicant = &applicantView{Kind: a.Kind, Name: a.Name, IDType: a.IDType, IDNumber: a.IDNumber,
			MaskedName: pii.MaskName(a.Name), MaskedIDNumber: pii.MaskID(a.IDNumber)}
	}
	return it, nil
}

func (s *Server) writeList(c *gin.Context, page pledge.Page, withApplicant bool) error {
	out := pledgeList{Items: make([]pledgeItem, 0, len(page.Records)), NextCursor: page.Next}
	states, err := s.statesNow(c.Request.Context(), page.Records)
	if err != nil {
		s.log.WarnContext(c.Request.Context(), "pledge states now unreadable; listed without them", "err", err.Error())
	}
	for _, r := range page.Records {
		it, err := s.listItem(r, withApplicant)
		if err != nil {
			return err
		}
		if states == nil {
			it.StateUnavailable = true
		} else {
			it.StateNow = states[r.ID]
		}
		// The decided documents whatever the state now (not in force
		// unless it is ACCEPTED, an unreadable state included).
		it.Downloads = s.downloads(r, it.StateNow)
		out.Items = append(out.Items, it)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// listMyPledges lists the signed-in applicant's own pledges, newest first.
func (s *Server) listMyPledges(c *gin.Context, p auth.Principal) error {
	a, err := applicantOf(p)
	if err != nil {
		return err
	}
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	page, err := s.deps.Pledges.Service.ListMine(c.Request.Context(), a, q)
	if err != nil {
		return err
	}
	return s.writeList(c, page, false)
}

// listAgencyPledges lists the token's agency's pledges in one status
// (default SIGNED: awaiting the decision). The agency is the token's
// organisation; the query cannot name another.
func (s *Server) listAgencyPledges(c *gin.Context, p auth.Principal) error {
	q, err := listQuery(c)
	if err != nil {
		return err
	}
	q.Matter = c.Query("matter")
	page, err := s.deps.Pledges.Service.ListForAgency(c.Request.Context(), officerOf(p), pledge.Status(c.Query("status")), q)
	if err != nil {
		return err
	}
	return s.writeList(c, page, true)
}

// myEligibility tells the signed-in applicant whether a credit bar stops a
// pledge for the matter (region, matter) now; the identity is the token's.
func (s *Server) myEligibility(c *gin.Context, p auth.Principal) error {
	a, err := applicantOf(p)
	if err != nil {
		return err
	}
	out, err := s.deps.Pledges.Service.CheckEligibility(c.Request.Context(), a, pledge.EntryKey{Region: c.Query("region"), Matter: c.Query("matter")})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}
