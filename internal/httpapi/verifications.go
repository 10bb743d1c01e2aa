package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

func (s *Server) verificationRoutes() {
	if s.deps.Pledges == nil || s.deps.Pledges.Verifier == nil {
		return
	}
	s.handle(http.MethodPost, "/v1/verifications", anyone(), s.verifyPackages)
	s.handle(http.MethodGet, "/v1/pledges/{id}/verification", anyone(), s.pledgeVerification)
}

// verifyRequest carries one package or a batch. Packages are embedded as
// JSON objects and parsed strictly by pledge.ParsePackage.
type verifyRequest struct {
	Package  json.RawMessage   `json:"package"`
	Packages []json.RawMessage `json:"packages"`
}

func (r *verifyRequest) Validate() error {
	switch {
	case len(r.Package) > 0 && r.Packages != nil:
		return apperr.New(apperr.Malformed, "give either package or packages, not both").WithCode(apperr.CodeFieldInvalid)
	case len(r.Package) == 0 && len(r.Packages) == 0:
		return apperr.New(apperr.Malformed, "give package (one) or packages (1 to %d)", verify.MaxBatch).WithCode(apperr.CodeFieldInvalid)
	case len(r.Packages) > verify.MaxBatch:
		return apperr.New(apperr.Malformed, "at most %d packages per batch", verify.MaxBatch).WithCode(apperr.CodeBatchSize)
	}
	return nil
}

// viewerOf is who reads a report: the applicant (identity from the token)
// or the agency (organisation from the token) see personal data of their
// own pledges; everyone else sees it masked.
func viewerOf(p auth.Principal) verify.Viewer {
	switch p.Role {
	case auth.RoleAgency:
		return verify.Viewer{Agency: p.Org}
	case auth.RoleApplicant:
		if a, err := applicantOf(p); err == nil {
			return verify.Viewer{Applicant: &a}
		}
	}
	return verify.Public()
}

type batchView struct {
	Indication outcome.Indication `json:"indication"`
	Reports    []verify.Report    `json:"reports"`
}

func worst(rs []verify.Report) outcome.Indication {
	out := make([]outcome.Report, len(rs))
	for i, r := range rs {
		out[i] = outcome.Report{Indication: r.Indication}
	}
	return outcome.Worst(out)
}

// verifyPackages verifies one package (the report) or a batch (every
// report and the worst indication). A package that does not parse is a
// TOTAL_FAILED / FORMAT_FAILURE report, not a 400: the request was valid.
func (s *Server) verifyPackages(c *gin.Context, p auth.Principal) error {
	req, err := readVerifyRequest(c)
	if err != nil {
		return err
	}
	cost := max(len(req.Packages), 1) // a batch takes a token per package
	if err := s.takeTokens(c, scopeVerify, cost); err != nil {
		return err
	}
	v, viewer := s.deps.Pledges.Verifier, viewerOf(p)
	if len(req.Package) > 0 {
		rs := []verify.Report{v.Verify(c.Request.Context(), req.Package, viewer)}
		s.attachLogProofs(c.Request.Context(), rs)
		s.localizeReports(c, rs)
		c.JSON(http.StatusOK, rs[0])
		return nil
	}
	pkgs := make([][]byte, len(req.Packages))
	for i, b := range req.Packages {
		pkgs[i] = b
	}
	rs, err := v.VerifyBatch(c.Request.Context(), pkgs, viewer)
	if err != nil {
		return err
	}
	s.attachLogProofs(c.Request.Context(), rs)
	s.localizeReports(c, rs)
	c.JSON(http.StatusOK, batchView{Indication: worst(rs), Reports: rs})
	return nil
}

// readVerifyRequest reads the body of POST /v1/verifications by
// decodeJSON's rules into one buffer of the announced size.
func readVerifyRequest(c *gin.Context) (verifyRequest, error) {
	var req verifyRequest
	if err := checkJSONMediaType(c); err != nil {
		return req, err
	}
	body, err := readBody(c.Request)
	if err != nil {
		return req, jsonError(err)
	}
	return req, decodeJSONBytes(body, &req)
}

// readBody reads a request body into one buffer of the announced size
// (limitBody has refused a Content-Length over the limit; net/http ends the
// body there), or, without a length, as io.ReadAll does.
func readBody(r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n > 0 {
		buf := make([]byte, n)
		if _, err := io.ReadFull(r.Body, buf); err != nil {
			return nil, err
		}
		return buf, nil
	}
	return io.ReadAll(r.Body)
}

// pledgeVerification verifies the current package of a stored pledge: the
// status link of every package and QR code. Anyone may ask; personal data
// is masked except for the applicant and the agency.
func (s *Server) pledgeVerification(c *gin.Context, p auth.Principal) error {
	id := c.Param("id")
	r, err := s.findPledge(c.Request.Context(), id)
	if err != nil {
		return err
	}
	if wantsPage(c) {
		// A phone that scanned the QR code asks for HTML: show the report page,
		// which reads this same resource as JSON.
		c.Redirect(http.StatusSeeOther, "/app/verify?id="+url.QueryEscape(r.ID))
		return nil
	}
	b, err := s.deps.Pledges.Service.Package(c.Request.Context(), r, s.statusURL(r.ID))
	if err != nil {
		return err
	}
	rs := []verify.Report{s.deps.Pledges.Verifier.Verify(c.Request.Context(), b, viewerOf(p))}
	s.attachLogProofs(c.Request.Context(), rs)
	s.localizeReports(c, rs)
	c.JSON(http.StatusOK, rs[0])
	return nil
}

// wantsPage reports whether the client prefers an HTML page to JSON, as a
// browser opening a link does.
func wantsPage(c *gin.Context) bool {
	accept := c.GetHeader("Accept")
	return strings.Contains(accept, "text/html") &&
		c.NegotiateFormat(gin.MIMEHTML, gin.MIMEJSON) == gin.MIMEHTML
}
