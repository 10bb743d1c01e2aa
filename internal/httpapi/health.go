package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pledgeseal/pledgeseal/api"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pii"
)

func (s *Server) healthRoutes() {
	s.handle(http.MethodGet, "/healthz", anyone(), func(c *gin.Context, _ auth.Principal) error {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
		return nil
	})
	s.handle(http.MethodGet, "/readyz", anyone(), s.readyz)
	metricsHandler := promhttp.HandlerFor(s.deps.Registry, promhttp.HandlerOpts{})
	s.handle(http.MethodGet, "/metrics", anyone(), func(c *gin.Context, _ auth.Principal) error {
		metricsHandler.ServeHTTP(c.Writer, c.Request)
		return nil
	})
	s.handle(http.MethodGet, "/v1/whoami", anyone(), s.whoami)
	spec := api.Spec()
	s.handle(http.MethodGet, "/openapi.yaml", anyone(), func(c *gin.Context, _ auth.Principal) error {
		c.Data(http.StatusOK, "application/yaml", spec)
		return nil
	})
}

// checkResult is one readiness check in the /readyz body.
type checkResult struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func (s *Server) readyz(c *gin.Context, _ auth.Principal) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	results := make([]checkResult, 0, len(s.deps.Ready))
	failed := ""
	for _, rc := range s.deps.Ready {
		r := checkResult{Name: rc.Name, OK: true}
		if err := rc.Check(ctx); err != nil {
			r.OK = false
			r.Error = "not ready"
			if e := apperr.As(err); e != nil {
				r.Error = e.Detail
			}
			if failed == "" {
				failed = rc.Name
			}
		}
		results = append(results, r)
	}
	if failed != "" {
		return apperr.New(apperr.Unavailable, "not ready: %s", failed)
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": results})
	return nil
}

// whoamiResponse describes the caller, with personal data masked.
type whoamiResponse struct {
	Role    auth.Role `json:"role"`
	Org     string    `json:"org,omitempty"`
	TokenID string    `json:"tokenId,omitempty"`
	Name    string    `json:"name,omitempty"`
	IDType  string    `json:"idType,omitempty"`
	ID      string    `json:"idNumber,omitempty"`
}

func (s *Server) whoami(c *gin.Context, p auth.Principal) error {
	r := whoamiResponse{Role: p.Role, Org: p.Org, TokenID: p.TokenID}
	if p.Identity != nil {
		r.Name = pii.MaskName(p.Identity.Name)
		r.IDType = p.Identity.IDType
		r.ID = pii.MaskID(p.Identity.IDNumber)
	}
	c.JSON(http.StatusOK, r)
	return nil
}
