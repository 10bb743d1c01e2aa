package httpapi

import (
	"context"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// TimeStamper answers RFC 3161 time-stamp requests (*tsa.Authority).
type TimeStamper interface {
	Respond(ctx context.Context, der []byte) ([]byte, error)
}

// Media types of RFC 3161 over HTTP (§3.4).
const (
	mediaTimestampQuery = "application/timestamp-query"
	mediaTimestampReply = "application/timestamp-reply"
)

// timestampRoutes is the built-in time-stamping authority: public, rate
// limited in the verification scope (ratelimit.go).
func (s *Server) timestampRoutes() {
	s.handle(http.MethodPost, "/v1/timestamps", anyone(), s.timestamp)
}

// timestamp answers a DER TimeStampReq with a DER TimeStampResp. A request
// the TSA does not grant (malformed, a hash other than SM3, another policy)
// is a 200 with a rejection status, as RFC 3161 §3.4 has it; only a wrong
// media type (415), a body over the cap (413), no TSA (404), too many
// requests (429) or no serial (503 TRY_LATER) are problems.
func (s *Server) timestamp(c *gin.Context, _ auth.Principal) error {
	if s.deps.TimeStamps == nil {
		return apperr.New(apperr.NotFound, "this service runs no time-stamping authority (no tsa identity in the trust material)").WithCode(apperr.CodeTSANotConfigured)
	}
	if mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type")); err != nil || mt != mediaTimestampQuery {
		return apperr.New(apperr.Unsupported, "send the request as %s", mediaTimestampQuery)
	}
	body, err := io.ReadAll(io.LimitReader(c.Request.Body, tsa.MaxRequest+1))
	if err != nil {
		return apperr.Wrap(apperr.Malformed, err, "the request body cannot be read")
	}
	if len(body) > tsa.MaxRequest {
		return apperr.New(apperr.TooLarge, "a time-stamp request has at most %d bytes", tsa.MaxRequest)
	}
	reply, err := s.deps.TimeStamps.Respond(c.Request.Context(), body)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, mediaTimestampReply, reply)
	return nil
}
