package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
)

func (s *Server) tokenRoutes() {
	if s.deps.Tokens == nil {
		return
	}
	s.handle(http.MethodPost, "/v1/tokens", only(auth.RoleAdmin), s.createToken)
	s.handle(http.MethodGet, "/v1/tokens", only(auth.RoleAdmin), s.listTokens)
	s.handle(http.MethodDelete, "/v1/tokens/{id}", only(auth.RoleAdmin), s.revokeToken)
}

type createTokenRequest struct {
	Role     auth.Role      `json:"role"`
	Org      string         `json:"org,omitempty"`
	Identity *auth.Identity `json:"identity,omitempty"`
	Label    string         `json:"label,omitempty"`
	TTL      string         `json:"ttl,omitempty"` // Go duration, default 720h
}

func (r createTokenRequest) toDomain() (auth.CreateRequest, error) {
	ttl := 720 * time.Hour
	if r.TTL != "" {
		d, err := time.ParseDuration(r.TTL)
		if err != nil {
			return auth.CreateRequest{}, apperr.New(apperr.Malformed, "ttl must be a duration such as 720h")
		}
		ttl = d
	}
	req := auth.CreateRequest{Role: r.Role, Org: r.Org, Identity: r.Identity, Label: r.Label, TTL: ttl}
	return req, req.Validate()
}

type createTokenResponse struct {
	ID        string    `json:"id"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (s *Server) createToken(c *gin.Context, _ auth.Principal) error {
	var body createTokenRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	req, err := body.toDomain()
	if err != nil {
		return err
	}
	iss, err := s.deps.Tokens.Create(c.Request.Context(), req)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, createTokenResponse{ID: iss.ID, Token: iss.Secret, ExpiresAt: iss.ExpiresAt})
	return nil
}

func (s *Server) listTokens(c *gin.Context, _ auth.Principal) error {
	list, err := s.deps.Tokens.List(c.Request.Context())
	if err != nil {
		return err
	}
	if list == nil {
		list = []auth.TokenInfo{}
	}
	c.JSON(http.StatusOK, gin.H{"tokens": list})
	return nil
}

func (s *Server) revokeToken(c *gin.Context, _ auth.Principal) error {
	if err := s.deps.Tokens.Revoke(c.Request.Context(), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}
