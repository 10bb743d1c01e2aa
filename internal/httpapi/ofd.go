package httpapi

import (
	"context"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/ofdpledge"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// OFDVerificationFormat names the report of POST /v1/ofd/verifications.
const OFDVerificationFormat = "pledgeseal.ofd-verification/v1"

// OFDUploadLimits bound what an uploaded OFD may make the server read
// (uncompressed), far below ofd.DefaultLimits: the body itself is bounded
// by Options.MaxBodyBytes, these bound its expansion (zip bombs).
var OFDUploadLimits = ofd.Limits{MaxEntries: 1000, MaxEntrySize: 16 << 20, MaxTotalSize: 32 << 20}

// OFDAPI is the sealed-OFD side of the pledge routes (ofd.go). A nil
// Documents leaves GET /v1/pledges/{id}/ofd unregistered, a nil Verify
// POST /v1/ofd/verifications.
type OFDAPI struct {
	// Documents seals the OFD of a decision once and keeps it.
	Documents *ofdmake.Once
	// Labels is the zh-CN message catalogue the OFD's texts come from.
	Labels map[string]string
	// Version is written as the OFD signature's Provider version.
	Version string
	// Verify verifies every signature of a signed OFD within lim (ofd.Verify
	// with the service's seal trust and registry status); the handler
	// passes OFDUploadLimits.
	Verify func(ctx context.Context, data []byte, lim ofd.Limits) (*ofd.Result, error)
}

func (s *Server) ofdRoutes() {
	if s.deps.Pledges == nil || s.deps.Pledges.OFD == nil {
		return
	}
	o := s.deps.Pledges.OFD
	if o.Documents != nil {
		s.handle(http.MethodGet, "/v1/pledges/{id}/ofd", only(auth.RoleApplicant, auth.RoleAgency), s.pledgeOFD)
	}
	if o.Verify != nil {
		s.handle(http.MethodPost, "/v1/ofd/verifications", anyone(), s.verifyOFD)
	}
}

// pledgeOFD is the sealed OFD of a decided (accepted) pledge for its
// applicant or its agency (anyone else: 404, as for the package), sealed
// once per decision: the first download seals and keeps it, every later
// one gets the same bytes. It is the decided document and is given
// whatever happened since, as the package is: a pledge whose decision was
// revoked or that was found false still gets it, sealed then if it was
// never asked for before — the seal records the decision, and
// verification reports say the state now. A pledge never accepted (no
// decision) has none (409 PLEDGE_NOT_ACCEPTED).
func (s *Server) pledgeOFD(c *gin.Context, p auth.Principal) error {
	ctx := c.Request.Context()
	r, err := s.ownRecord(ctx, p, c.Param("id"))
	if err != nil {
		return err
	}
	if r.Decision == nil {
		return apperr.New(apperr.Conflict, "the pledge is %s and was never accepted: only a decided (accepted) pledge has a sealed OFD (仅已受理的承诺书提供盖章版式文件)", r.Status).WithCode(apperr.CodePledgeNotAccepted)
	}
	o := s.deps.Pledges.OFD
	b, err := o.Documents.Kept(ctx, r.ID, ofdmake.DecisionKey(r.Decision.AgencySES))
	if err != nil {
		return err
	}
	if b == nil {
		pkg, err := s.deps.Pledges.Service.Package(ctx, r, s.statusURL(r.ID))
		if err != nil {
			return err
		}
		// The caller is the applicant or the owning agency: the identity
		// is shown unmasked and the package is attached.
		if b, err = o.Documents.SealAndKeep(ctx, ofdmake.Input{Package: pkg, Labels: o.Labels, Version: o.Version}); err != nil {
			return err
		}
	}
	c.Header("Content-Disposition", `attachment; filename="`+r.ID+`.ofd"`)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, ofdmake.ContentType, b)
	return nil
}

// ofdVerificationView is the report of a signed OFD: every signature's
// checks, and, when the OFD carries a pledge package as an attachment (as
// the sealed OFD of a pledge does), that package's own report.
type ofdVerificationView struct {
	Format     string             `json:"format"`
	Indication outcome.Indication `json:"indication"`
	Signatures []outcome.Report   `json:"signatures"`
	Pledge     *verify.Report     `json:"pledge,omitempty"`
}

// ofdMediaTypes are the body types POST /v1/ofd/verifications accepts.
var ofdMediaTypes = []string{ofdmake.ContentType, "application/octet-stream", "application/zip"}

// verifyOFD verifies an uploaded signed OFD (any product's): public and
// rate limited like package verification (a token for the OFD and one
// for an attached pledge package). A body that is no readable OFD package
// is a 400 problem; a signature that fails is a FAILED report.
func (s *Server) verifyOFD(c *gin.Context, p auth.Principal) error {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	ok := false
	for _, t := range ofdMediaTypes {
		ok = ok || err == nil && mt == t
	}
	if !ok {
		return apperr.New(apperr.Unsupported, "send the OFD file as %s", strings.Join(ofdMediaTypes, ", "))
	}
	body, err := readBody(c.Request)
	if err != nil {
		return jsonError(err)
	}
	if len(body) == 0 {
		return apperr.New(apperr.Malformed, "the request body is empty: send the OFD file").WithCode(apperr.CodeFieldRequired)
	}
	if err := s.takeTokens(c, scopeVerify, 1); err != nil {
		return err
	}
	ctx := c.Request.Context()
	// One code path with pledgectl ofd verify: the signatures, then the
	// attached package (one more token) bound to the document's pledge.
	chk := ofdpledge.Checker{
		OFD: s.deps.Pledges.OFD.Verify,
		Pledge: func(ctx context.Context, pkg []byte) verify.Report {
			return s.deps.Pledges.Verifier.Verify(ctx, pkg, viewerOf(p))
		},
	}
	var refused error
	chk.Allow = func() error { refused = s.takeTokens(c, scopeVerify, 1); return refused }
	res, err := chk.Check(ctx, body, OFDUploadLimits)
	if refused != nil {
		return refused
	}
	if err != nil {
		switch apperr.KindOf(err) {
		case apperr.Internal:
			return err
		case apperr.TooLarge:
			return apperr.Wrap(apperr.TooLarge, err, "%s", clientDetail(err)).WithCode(apperr.CodeOFDTooLarge)
		}
		return apperr.Wrap(apperr.Malformed, err, "%s", clientDetail(err)).WithCode(apperr.CodeOFDUnreadable)
	}
	out := ofdVerificationView{Format: OFDVerificationFormat, Indication: res.Overall(), Signatures: res.Signatures}
	if res.Pledge != nil {
		rs := []verify.Report{*res.Pledge}
		s.attachLogProofs(ctx, rs)
		s.localizeReports(c, rs)
		out.Pledge = &rs[0]
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// clientDetail is the client-safe detail of an application error.
func clientDetail(err error) string {
	if e := apperr.As(err); e != nil {
		return e.Detail
	}
	return "the file is not a readable OFD package"
}
