package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

const (
	headerRequestID = "X-Request-ID"
	ctxRequestID    = "pledgeseal.request_id"
)

var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// withRequestID takes a well-formed client request ID or makes one, and
// echoes it in the response.
func withRequestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(headerRequestID)
		if !clientRequestID.MatchString(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		c.Set(ctxRequestID, id)
		c.Header(headerRequestID, id)
		c.Next()
	}
}

func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

// recoverPanics turns a handler panic into a logged 500 problem; the
// process keeps serving.
func (s *Server) recoverPanics() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				s.metrics.panics.Inc()
				writeProblem(c, s.log, apperr.Wrap(apperr.Internal, fmt.Errorf("panic: %v", r), "internal error"))
			}
		}()
		c.Next()
	}
}

// accessLog writes one structured line per request. It logs the route
// template, the status, the duration in seconds (duration_s) and the client
// address (the peer, or the X-Forwarded-For address a trusted proxy passed
// on: Options.TrustedProxies), never headers, query strings or bodies (they
// may carry tokens or personal data). Methods outside the standard set are
// logged and counted as OTHER.
func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		elapsed := time.Since(start)
		status := c.Writer.Status()
		method := methodLabel(c.Request.Method)
		s.metrics.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(method, route).Observe(elapsed.Seconds())
		role := "-"
		if p, ok := c.Get(ctxPrincipal); ok {
			role = string(principalOf(p).Role)
		}
		s.log.LogAttrs(c.Request.Context(), levelFor(status), "request",
			slog.String("request_id", requestID(c)),
			slog.String("method", method),
			slog.String("route", route),
			slog.Int("status", status),
			slog.String("role", role),
			slog.Float64("duration_s", elapsed.Seconds()),
			slog.String("client", clientPrefix(c)),
			slog.Int("bytes", c.Writer.Size()),
		)
	}
}

// limitBody caps request bodies: a declared length over the limit is refused
// at once, and reading past the limit fails inside decodeJSON.
func (s *Server) limitBody() gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > s.opts.MaxBodyBytes {
			writeProblem(c, s.log, apperr.New(apperr.TooLarge, "the request body exceeds %d bytes", s.opts.MaxBodyBytes))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.opts.MaxBodyBytes)
		c.Next()
	}
}

// timeBudget bounds the handler's context.
func (s *Server) timeBudget() gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.RequestTimeout)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// securityHeaders sets conservative defaults on every response.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		c.Next()
	}
}

func levelFor(status int) slog.Level {
	switch {
	case status >= 500:
		return slog.LevelError
	case status >= 400:
		return slog.LevelWarn
	default:
		return slog.LevelInfo
	}
}
