package httpapi

import (
	"encoding/base64"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func (s *Server) noticeRoutes() {
	if s.deps.Pledges == nil || s.deps.Pledges.Notices == nil {
		return
	}
	s.handle(http.MethodPost, "/v1/notices", only(auth.RoleAgency), s.publishNotice)
	s.handle(http.MethodGet, "/v1/notices/{id}", anyone(), s.getNotice)
}

// noticeView is a published notice with its seal, so an applicant can check
// it: canonical is the exact sealed bytes, seal the DER SES_Signature.
type noticeView struct {
	Notice    pledge.Notice `json:"notice"`
	Canonical string        `json:"canonical"`
	Digest    string        `json:"digest"`
	Seal      string        `json:"seal"`
}

func viewNotice(p pledge.PublishedNotice) noticeView {
	b64 := base64.StdEncoding.EncodeToString
	return noticeView{Notice: p.Notice, Canonical: b64(p.Canonical), Digest: p.DigestHex(), Seal: b64(p.Seal)}
}

// publishNotice publishes a new version of a notice for the token's agency
// and seals it with the agency's seal.
func (s *Server) publishNotice(c *gin.Context, p auth.Principal) error {
	var n pledge.Notice
	if err := decodeJSON(c, &n); err != nil {
		return err
	}
	pub, err := s.deps.Pledges.Notices.Publish(c.Request.Context(), p.Org, n)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, viewNotice(pub))
	return nil
}

// getNotice returns a notice version (default: the latest) with its seal.
func (s *Server) getNotice(c *gin.Context, _ auth.Principal) error {
	version := 0
	if q := c.Query("version"); q != "" {
		v, err := strconv.Atoi(q)
		if err != nil || v <= 0 {
			return apperr.New(apperr.Malformed, "version must be a positive integer").WithCode(apperr.CodeFieldInvalid)
		}
		version = v
	}
	pub, err := s.deps.Pledges.Notices.Get(c.Request.Context(), c.Param("id"), version)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewNotice(pub))
	return nil
}
