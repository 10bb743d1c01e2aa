package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string      `json:"type"`
	Title     string      `json:"title"`
	Status    int         `json:"status"`
	Detail    string      `json:"detail,omitempty"`
	Instance  string      `json:"instance,omitempty"`
	Code      apperr.Code `json:"code,omitempty"`
	RequestID string      `json:"requestId,omitempty"`
}

// ProblemTypeBase prefixes every problem type; the kind slug completes it.
const ProblemTypeBase = "urn:pledgeseal:problem:"

// statusOf is the single mapping from error kinds to HTTP status codes.
func statusOf(k apperr.Kind) int {
	switch k {
	case apperr.Malformed:
		return http.StatusBadRequest
	case apperr.Unauthorized:
		return http.StatusUnauthorized
	case apperr.Forbidden:
		return http.StatusForbidden
	case apperr.NotFound:
		return http.StatusNotFound
	case apperr.Conflict:
		return http.StatusConflict
	case apperr.TooLarge:
		return http.StatusRequestEntityTooLarge
	case apperr.Unsupported:
		return http.StatusUnsupportedMediaType
	case apperr.Unavailable:
		return http.StatusServiceUnavailable
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	default:
		return http.StatusInternalServerError
	}
}

// writeProblem renders err as application/problem+json. It is the only
// place the service writes an error response. Internal errors are logged
// with their cause and shown to clients without it.
func writeProblem(c *gin.Context, log *slog.Logger, err error) {
	e := apperr.As(err)
	if e == nil {
		e = apperr.Wrap(apperr.Internal, err, "internal error")
	}
	status := statusOf(e.Kind)
	p := Problem{
		Type:      ProblemTypeBase + e.Kind.String(),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    e.Detail,
		Instance:  c.Request.URL.Path,
		Code:      e.Code,
		RequestID: requestID(c),
	}
	switch e.Kind {
	case apperr.Internal:
		p.Detail = "an internal error occurred; quote the request ID when reporting it"
		log.ErrorContext(c.Request.Context(), "internal error", "request_id", p.RequestID, "route", c.FullPath(), "err", err.Error())
	case apperr.Unavailable:
		c.Header("Retry-After", "5")
		log.WarnContext(c.Request.Context(), "dependency unavailable", "request_id", p.RequestID, "route", c.FullPath(), "err", err.Error())
	case apperr.Unauthorized:
		c.Header("WWW-Authenticate", `Bearer realm="pledgeseal"`)
	case apperr.RateLimited:
		if c.Writer.Header().Get("Retry-After") == "" {
			c.Header("Retry-After", "1")
		}
	}
	c.Header("Content-Type", "application/problem+json")
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(status, p)
}
