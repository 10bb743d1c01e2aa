package httpapi

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
)

// publicRoutes are the public disclosure of decided pledges (公示): open to
// anyone, personal data masked by the enforcement service.
func (s *Server) publicRoutes() {
	s.handle(http.MethodGet, "/v1/public/pledges", anyone(), s.listPublicPledges)
	s.handle(http.MethodGet, "/v1/public/pledges/{id}", anyone(), s.getPublicPledge)
}

func (s *Server) listPublicPledges(c *gin.Context, _ auth.Principal) error {
	limit := 0
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > enforce.MaxPublicLimit {
			return apperr.New(apperr.Malformed, "limit must be 1 to %d", enforce.MaxPublicLimit).WithCode(apperr.CodeFieldInvalid)
		}
		limit = n
	}
	page, err := s.deps.Enforce.PublicPledges(c.Request.Context(), c.Query("region"), c.Query("matter"), c.Query("cursor"), limit)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, page)
	return nil
}

func (s *Server) getPublicPledge(c *gin.Context, _ auth.Principal) error {
	p, err := s.deps.Enforce.PublicPledge(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, p)
	return nil
}
