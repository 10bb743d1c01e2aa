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

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// SealService is the seal registry (seal.Seals implements it).
type SealService interface {
	Make(ctx context.Context, p auth.Principal, req seal.MakeRequest) (seal.Seal, error)
	Import(ctx context.Context, p auth.Principal, req seal.ImportRequest) (seal.Seal, error)
	Get(ctx context.Context, esID string) (seal.Seal, error)
	List(ctx context.Context, p auth.Principal, f seal.ListFilter) (seal.Page, error)
	ChangeStatus(ctx context.Context, p auth.Principal, esID string, c seal.StatusChange) (seal.Seal, error)
	StatusAt(ctx context.Context, esID string, at time.Time) (seal.StatusAnswer, error)
}

// maxSealBytes bounds a seal (DER) accepted for import, and a picture.
const maxSealBytes = 512 << 10

func (s *Server) sealRoutes() {
	if s.deps.Seals == nil {
		return
	}
	managers := only(auth.RoleSealMaker, auth.RoleAdmin)
	s.handle(http.MethodPost, "/v1/seals", managers, s.makeSeal)
	s.handle(http.MethodPost, "/v1/seals/import", managers, s.importSeal)
	s.handle(http.MethodGet, "/v1/seals", only(auth.RoleSealMaker, auth.RoleAdmin, auth.RoleAgency), s.listSeals)
	s.handle(http.MethodGet, "/v1/seals/{id}", anyone(), s.getSeal)
	s.handle(http.MethodGet, "/v1/seals/{id}/history", anyone(), s.sealHistory)
	s.handle(http.MethodGet, "/v1/seals/{id}/status", anyone(), s.sealStatusAt)
	s.handle(http.MethodPost, "/v1/seals/{id}/status", only(auth.RoleSealMaker, auth.RoleAdmin, auth.RoleAgency), s.changeSealStatus)
}

// stateView is a status.State on the wire.
type stateView struct {
	Code       status.Code `json:"code"`
	Since      *time.Time  `json:"since,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	DocumentNo string      `json:"documentNo,omitempty"`
}

func viewState(st status.State) stateView {
	v := stateView{Code: st.Code, Reason: st.Reason, DocumentNo: st.DocumentNo}
	if !st.Since.IsZero() {
		t := st.Since.UTC()
		v.Since = &t
	}
	return v
}

type actorView struct {
	Role string `json:"role"`
	Org  string `json:"org,omitempty"`
	ID   string `json:"id,omitempty"`
}

type eventView struct {
	Seq        uint64      `json:"seq"`
	Code       status.Code `json:"code"`
	Effective  time.Time   `json:"effective"`
	Recorded   time.Time   `json:"recorded"`
	Action     string      `json:"action"`
	Actor      actorView   `json:"actor"`
	Reason     string      `json:"reason,omitempty"`
	DocumentNo string      `json:"documentNo,omitempty"`
	Note       string      `json:"note,omitempty"`
}

// viewEvents renders a history. The public sees who acted by role and
// organisation only, not which token.
func viewEvents(h []registry.Event, p auth.Principal) []eventView {
	out := make([]eventView, 0, len(h))
	for _, e := range h {
		a := actorView{Role: e.Actor.Role, Org: e.Actor.Org}
		if p.Role != auth.RolePublic {
			a.ID = e.Actor.ID
		}
		out = append(out, eventView{Seq: e.Seq, Code: e.Code, Effective: e.Effective.UTC(), Recorded: e.Recorded.UTC(),
			Action: e.Action, Actor: a, Reason: e.Reason, DocumentNo: e.DocumentNo, Note: e.Note})
	}
	return out
}

type sealView struct {
	ESID        string        `json:"esId"`
	Digest      string        `json:"digest"`
	Agency      string        `json:"agency"`
	Name        string        `json:"name"`
	Category    seal.Category `json:"category"`
	TypeCode    seal.TypeCode `json:"typeCode"`
	SignerCerts []string      `json:"signerCerts"`
	MakerCert   string        `json:"makerCert"`
	Origin      string        `json:"origin"`
	Version     string        `json:"version"`
	ValidStart  time.Time     `json:"validStart"`
	ValidEnd    time.Time     `json:"validEnd"`
	Created     time.Time     `json:"created"`
	Status      stateView     `json:"status"`
	Seal        string        `json:"seal"`
}

func viewSeal(x seal.Seal) sealView {
	v := sealView{ESID: x.ESID, Digest: hex.EncodeToString(x.Digest[:]), Agency: x.Agency, Name: x.Name,
		Category: x.Category, TypeCode: x.TypeCode, SignerCerts: []string{}, MakerCert: hex.EncodeToString(x.MakerCert[:]),
		Origin: x.Origin, Version: x.Version, ValidStart: x.ValidStart.UTC(), ValidEnd: x.ValidEnd.UTC(),
		Created: x.Created.UTC(), Status: viewState(x.Status), Seal: base64.StdEncoding.EncodeToString(x.DER)}
	for _, c := range x.SignerCerts {
		v.SignerCerts = append(v.SignerCerts, hex.EncodeToString(c[:]))
	}
	return v
}

func decodeB64(what, s string, max int) ([]byte, error) {
	if len(s) > max*4/3+4 {
		return nil, apperr.New(apperr.TooLarge, "%s exceeds %d bytes", what, max)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) == 0 {
		return nil, apperr.New(apperr.Malformed, "%s must be non-empty standard base64", what)
	}
	return b, nil
}

func parseTime(what, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, apperr.New(apperr.Malformed, "%s must be an RFC 3339 time such as 2026-03-01T08:00:00Z", what)
	}
	return t, nil
}

type filingBody struct {
	Agency     string        `json:"agency"`
	Category   seal.Category `json:"category"`
	TypeCode   seal.TypeCode `json:"typeCode"`
	DocumentNo string        `json:"documentNo"`
	Note       string        `json:"note,omitempty"`
}

func (f filingBody) filing() seal.Filing {
	return seal.Filing{Agency: f.Agency, Category: f.Category, TypeCode: f.TypeCode, DocumentNo: f.DocumentNo, Note: f.Note}
}

type pictureBody struct {
	Type   string `json:"type"`
	Data   string `json:"data"`
	Width  int64  `json:"width"`
	Height int64  `json:"height"`
}

type makeSealRequest struct {
	filingBody
	ESID        string      `json:"esId"`
	Name        string      `json:"name"`
	SignerCerts []string    `json:"signerCerts"`
	ValidStart  string      `json:"validStart"`
	ValidEnd    string      `json:"validEnd"`
	Picture     pictureBody `json:"picture"`
}

// Validate checks the shape; the seal registry checks the meaning.
func (r makeSealRequest) Validate() error {
	if r.ESID == "" || r.Name == "" || r.Agency == "" || r.DocumentNo == "" || len(r.SignerCerts) == 0 ||
		r.ValidStart == "" || r.ValidEnd == "" || r.Picture.Data == "" {
		return apperr.New(apperr.Malformed, "esId, name, agency, category, typeCode, documentNo, signerCerts, validStart, validEnd and picture are required")
	}
	if len(r.SignerCerts) > 16 {
		return apperr.New(apperr.Malformed, "at most 16 signer certificates")
	}
	return nil
}

func (s *Server) makeSeal(c *gin.Context, p auth.Principal) error {
	var body makeSealRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	req := seal.MakeRequest{Filing: body.filing(), ESID: body.ESID, Name: body.Name}
	for i, cs := range body.SignerCerts {
		der, err := decodeB64("signerCerts["+strconv.Itoa(i)+"]", cs, 64<<10)
		if err != nil {
			return err
		}
		req.SignerCerts = append(req.SignerCerts, der)
	}
	var err error
	if req.ValidStart, err = parseTime("validStart", body.ValidStart); err != nil {
		return err
	}
	if req.ValidEnd, err = parseTime("validEnd", body.ValidEnd); err != nil {
		return err
	}
	pic, err := decodeB64("picture.data", body.Picture.Data, maxSealBytes)
	if err != nil {
		return err
	}
	req.Picture = ses.Picture{Type: body.Picture.Type, Data: pic, Width: body.Picture.Width, Height: body.Picture.Height}
	x, err := s.deps.Seals.Make(c.Request.Context(), p, req)
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/seals/"+x.ESID)
	c.JSON(http.StatusCreated, viewSeal(x))
	return nil
}

type importSealRequest struct {
	filingBody
	Seal string `json:"seal"`
}

// Validate checks the shape.
func (r importSealRequest) Validate() error {
	if r.Seal == "" || r.Agency == "" || r.DocumentNo == "" {
		return apperr.New(apperr.Malformed, "seal (base64 DER .esl), agency, category, typeCode and documentNo are required")
	}
	return nil
}

func (s *Server) importSeal(c *gin.Context, p auth.Principal) error {
	var body importSealRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	der, err := decodeB64("seal", body.Seal, maxSealBytes)
	if err != nil {
		return err
	}
	x, err := s.deps.Seals.Import(c.Request.Context(), p, seal.ImportRequest{Filing: body.filing(), DER: der})
	if err != nil {
		return err
	}
	c.Header("Location", "/v1/seals/"+x.ESID)
	c.JSON(http.StatusCreated, viewSeal(x))
	return nil
}

func (s *Server) listSeals(c *gin.Context, p auth.Principal) error {
	f := seal.ListFilter{Agency: c.Query("agency"), Cursor: c.Query("cursor")}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n <= 0 {
			return apperr.New(apperr.Malformed, "limit must be a positive integer")
		}
		f.Limit = n
	}
	if sc := c.Query("signerCert"); sc != "" {
		d, err := parseDigest("signerCert", sc)
		if err != nil {
			return err
		}
		f.SignerCert = d
	}
	pg, err := s.deps.Seals.List(c.Request.Context(), p, f)
	if err != nil {
		return err
	}
	ids := pg.IDs
	if ids == nil {
		ids = []string{}
	}
	resp := gin.H{"seals": ids}
	if pg.Next != "" {
		resp["next"] = pg.Next
	}
	c.JSON(http.StatusOK, resp)
	return nil
}

func (s *Server) getSeal(c *gin.Context, _ auth.Principal) error {
	x, err := s.deps.Seals.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewSeal(x))
	return nil
}

func (s *Server) sealHistory(c *gin.Context, p auth.Principal) error {
	x, err := s.deps.Seals.Get(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"esId": x.ESID, "events": viewEvents(x.History, p)})
	return nil
}

type sealStatusView struct {
	At             stateView `json:"at"`
	Now            stateView `json:"now"`
	AtTime         time.Time `json:"atTime"`
	WithinValidity bool      `json:"withinValidity"`
	UsableAt       bool      `json:"usableAt"`
	ReadAt         time.Time `json:"readAt"`
}

func (s *Server) sealStatusAt(c *gin.Context, _ auth.Principal) error {
	at, err := parseTime("at", c.Query("at"))
	if err != nil {
		return err
	}
	if at.IsZero() {
		at = s.deps.Clock.Now()
	}
	a, err := s.deps.Seals.StatusAt(c.Request.Context(), c.Param("id"), at)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sealStatusView{At: viewState(a.At), Now: viewState(a.Now), AtTime: at.UTC(),
		WithinValidity: a.WithinValidity, UsableAt: a.UsableAt, ReadAt: a.ReadAt.UTC()})
	return nil
}

type changeSealStatusRequest struct {
	Action     seal.Action `json:"action"`
	Reason     string      `json:"reason"`
	DocumentNo string      `json:"documentNo"`
	Effective  string      `json:"effective,omitempty"`
	Note       string      `json:"note,omitempty"`
}

// Validate checks the shape.
func (r changeSealStatusRequest) Validate() error {
	if r.Action == "" || strings.TrimSpace(r.Reason) == "" || strings.TrimSpace(r.DocumentNo) == "" {
		return apperr.New(apperr.Malformed, "action, reason and documentNo are required")
	}
	return nil
}

func (s *Server) changeSealStatus(c *gin.Context, p auth.Principal) error {
	var body changeSealStatusRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	eff, err := parseTime("effective", body.Effective)
	if err != nil {
		return err
	}
	x, err := s.deps.Seals.ChangeStatus(c.Request.Context(), p, c.Param("id"),
		seal.StatusChange{Action: body.Action, Reason: body.Reason, DocumentNo: body.DocumentNo, Effective: eff, Note: body.Note})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewSeal(x))
	return nil
}

// parseDigest reads a 64-hex-digit SM3 digest.
func parseDigest(what, s string) ([32]byte, error) {
	var d [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return d, apperr.New(apperr.Malformed, "%s must be an SM3 digest in 64 hex digits", what)
	}
	copy(d[:], b)
	return d, nil
}
