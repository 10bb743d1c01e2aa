package httpapi

import (
	"context"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/notify"
)

// WebhookService registers webhooks and manages dead letters
// (notify.Service implements it).
type WebhookService interface {
	Register(ctx context.Context, p auth.Principal, url string, secret []byte) (notify.Hook, error)
	Hooks(ctx context.Context, p auth.Principal) ([]notify.Hook, error)
	Dead(ctx context.Context, p auth.Principal) ([]notify.DeadLetter, error)
	Replay(ctx context.Context, p auth.Principal, deliveryID string) error
	Delete(ctx context.Context, p auth.Principal, id string) error
}

func (s *Server) webhookRoutes() {
	if s.deps.Webhooks == nil {
		return
	}
	s.handle(http.MethodPost, "/v1/webhooks", only(auth.RoleAgency, auth.RoleAdmin), s.registerWebhook)
	s.handle(http.MethodGet, "/v1/webhooks", only(auth.RoleAgency, auth.RoleAdmin), s.listWebhooks)
	s.handle(http.MethodDelete, "/v1/webhooks/{id}", only(auth.RoleAgency, auth.RoleAdmin), s.deleteWebhook)
	s.handle(http.MethodGet, "/v1/webhooks/dead-letters", only(auth.RoleAdmin), s.listDeadLetters)
	s.handle(http.MethodPost, "/v1/webhooks/dead-letters/{id}/replay", only(auth.RoleAdmin), s.replayDelivery)
}

type webhookBody struct {
	URL    string `json:"url"`
	Secret string `json:"secret"`
}

// Validate checks the shape.
func (b webhookBody) Validate() error {
	if b.URL == "" || b.Secret == "" {
		return apperr.New(apperr.Malformed, "url and secret are required")
	}
	return nil
}

type hookView struct {
	ID      string `json:"id"`
	Agency  string `json:"agency,omitempty"`
	URL     string `json:"url"`
	Created string `json:"created"`
}

func viewHook(h notify.Hook) hookView {
	return hookView{ID: h.ID, Agency: h.Agency, URL: h.URL, Created: h.Created.UTC().Format("2006-01-02T15:04:05Z07:00")}
}

func (s *Server) registerWebhook(c *gin.Context, p auth.Principal) error {
	var b webhookBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	h, err := s.deps.Webhooks.Register(c.Request.Context(), p, b.URL, []byte(b.Secret))
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, viewHook(h))
	return nil
}

func (s *Server) listWebhooks(c *gin.Context, p auth.Principal) error {
	hs, err := s.deps.Webhooks.Hooks(c.Request.Context(), p)
	if err != nil {
		return err
	}
	out := make([]hookView, len(hs))
	for i, h := range hs {
		out[i] = viewHook(h)
	}
	c.JSON(http.StatusOK, gin.H{"webhooks": out})
	return nil
}

// deleteWebhook removes a hook (an agency its own, an admin any): 204, or
// 404 when there is no such hook for the caller, also on a repeat.
func (s *Server) deleteWebhook(c *gin.Context, p auth.Principal) error {
	if err := s.deps.Webhooks.Delete(c.Request.Context(), p, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

type deliveryView struct {
	ID        string `json:"id"`
	Hook      string `json:"hook"`
	State     string `json:"state"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"lastError,omitempty"`
}

func (s *Server) listDeadLetters(c *gin.Context, p auth.Principal) error {
	ds, err := s.deps.Webhooks.Dead(c.Request.Context(), p)
	if err != nil {
		return err
	}
	out := make([]deliveryView, len(ds))
	for i, d := range ds {
		out[i] = deliveryView{ID: d.ID, Hook: d.Hook, State: d.State, Attempts: d.Attempts, LastError: d.LastError}
	}
	c.JSON(http.StatusOK, gin.H{"deliveries": out})
	return nil
}

func (s *Server) replayDelivery(c *gin.Context, p auth.Principal) error {
	id := c.Param("id")
	if err := s.deps.Webhooks.Replay(c.Request.Context(), p, id); err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"id": id, "state": "PENDING"})
	return nil
}
