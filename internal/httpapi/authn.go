package httpapi

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
)

const ctxPrincipal = "pledgeseal.principal"

func principalOf(v any) auth.Principal {
	p, _ := v.(auth.Principal)
	return p
}

// authenticate reads the Authorization header: none gives the public
// principal; a Bearer token must be valid; any other scheme is refused.
func (s *Server) authenticate(c *gin.Context) (auth.Principal, error) {
	h := c.GetHeader("Authorization")
	if h == "" {
		return auth.Public(), nil
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return auth.Principal{}, apperr.New(apperr.Unauthorized, "use 'Authorization: Bearer <token>'")
	}
	if s.deps.Auth == nil {
		return auth.Principal{}, apperr.New(apperr.Unavailable, "authentication is not configured")
	}
	return s.deps.Auth.Authenticate(c.Request.Context(), strings.TrimSpace(token))
}
