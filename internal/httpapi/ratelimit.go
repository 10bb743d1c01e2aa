package httpapi

import (
	"context"
	"math"
	"net"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
)

// RateLimiter takes tokens from a client's bucket, shared by every
// instance (store.RateLimiter implements it): retryAfter is zero when the
// take is allowed, else how long until it would be.
type RateLimiter interface {
	Take(ctx context.Context, scope, client string, rate float64, burst, cost int, now time.Time) (retryAfter time.Duration, remaining int, err error)
}

// RateLimit is a per-client token bucket: Rate tokens a second, at most
// Burst. A zero Rate turns the limit off.
type RateLimit struct {
	Rate  float64
	Burst int
}

// The rate-limit scopes: each client has one bucket per scope.
const (
	// scopeVerify: verifying packages, reading status and time-stamps (one
	// token a package, one a lookup, one a time-stamp).
	scopeVerify = "verify"
	// scopePublic: the public listings (公示).
	scopePublic = "public"
)

// limitOf names the scope of a limited route; byHandler is true when the
// handler takes the tokens itself once the body is read (POST
// /v1/verifications, one token a package; POST /v1/revocations/batch, see
// subjectsPerToken; POST /v1/ofd/verifications, one for the OFD and one
// for an attached pledge package). Other routes are not limited.
func limitOf(method, path string) (scope string, byHandler bool) {
	switch method + " " + path {
	case "POST /v1/verifications", "POST /v1/revocations/batch", "POST /v1/ofd/verifications":
		return scopeVerify, true
	case "GET /v1/pledges/{id}/verification", "GET /v1/revocations", "GET /v1/seals/{id}/status":
		return scopeVerify, false
	case "GET /v1/log/checkpoint", "GET /v1/log/proofs/inclusion", "GET /v1/log/proofs/consistency", "GET /v1/log/entries":
		// The transparency log: public reads, one token a request.
		return scopeVerify, false
	case "POST /v1/pledges/{id}/signature-check":
		// An applicant's check of their own signature before submitting:
		// a chain validation and an SM2 verification, like a verification.
		return scopeVerify, false
	case "POST /v1/timestamps":
		// One token a time-stamp: like a verification, it costs an SM2
		// operation and a Redis round trip.
		return scopeVerify, false
	case "GET /v1/public/pledges", "GET /v1/public/pledges/{id}", "GET /v1/enforcement/false-pledges":
		return scopePublic, false
	}
	return "", false
}

// subjectsPerToken is how many subjects of a batch status lookup cost one
// token. A subject is one pipelined Redis read and no signature, about a
// twentieth of a package verification (three SM2 operations and a lookup),
// so a full batch of 1000 costs 51 tokens: one request can no longer read
// a thousand statuses for the price of one.
const subjectsPerToken = 20

// batchCost is the tokens a batch status lookup of n subjects takes.
func batchCost(n int) int { return 1 + n/subjectsPerToken }

func (s *Server) limitFor(scope string) RateLimit {
	if scope == scopeVerify {
		return s.opts.VerifyLimit
	}
	return s.opts.PublicLimit
}

// clientKey identifies the client a bucket belongs to: its address as
// gin's ClientIP sees it (X-Forwarded-For only from Options.TrustedProxies),
// an IPv6 address by its /64, since one host commonly holds a whole /64.
func clientKey(c *gin.Context) string { return clientNetwork(c, 32, 64) }

// clientPrefix is the network the client's address belongs to, as the
// access log records it: an IPv4 address by its /24, an IPv6 address by
// its /48. The log needs the network to follow abuse, not the person's
// own address, which is personal information (PIPL Art 4) and is kept
// out of the log like the other personal data.
func clientPrefix(c *gin.Context) string { return clientNetwork(c, 24, 48) }

// clientNetwork is the client's address masked to its first v4 or v6
// bits, in CIDR notation.
func clientNetwork(c *gin.Context, v4, v6 int) string {
	ip := net.ParseIP(c.ClientIP())
	switch {
	case ip == nil:
		return "unknown"
	case ip.To4() != nil:
		return ip.To4().Mask(net.CIDRMask(v4, 32)).String() + "/" + strconv.Itoa(v4)
	default:
		return ip.Mask(net.CIDRMask(v6, 128)).String() + "/" + strconv.Itoa(v6)
	}
}

// takeTokens takes cost tokens of scope for the request's client: nil when
// allowed, a RateLimited error with Retry-After set when not. A limiter
// that cannot answer (Redis down) lets the request through: every limited
// route reads Redis itself and fails closed there (503, or a report that
// reports nothing valid), so failing open adds no answer Redis could not
// give, and an outage is never a 500. It is counted and logged, throttled.
func (s *Server) takeTokens(c *gin.Context, scope string, cost int) error {
	lim := s.limitFor(scope)
	if s.deps.Limiter == nil || lim.Rate <= 0 {
		return nil
	}
	retry, _, err := s.deps.Limiter.Take(c.Request.Context(), scope, clientKey(c), lim.Rate, lim.Burst, cost, s.deps.Clock.Now())
	if err != nil {
		s.metrics.rateLimitErrors.Inc()
		if ok, held := s.logOnce.Allow("rate-limiter"); ok {
			s.log.WarnContext(c.Request.Context(), "rate limiter unavailable; request let through", "route", c.FullPath(),
				"suppressed", held, "err", err.Error())
		}
		return nil
	}
	if retry == 0 {
		return nil
	}
	s.metrics.rateLimited.WithLabelValues(scope).Inc()
	c.Header("Retry-After", strconv.FormatInt(int64(math.Ceil(retry.Seconds())), 10))
	if cost > lim.Burst {
		return apperr.New(apperr.RateLimited, "%d items exceed the limit of %d per client; send smaller batches / 批量过大", cost, lim.Burst).WithCode(apperr.CodeRateLimited)
	}
	return apperr.New(apperr.RateLimited, "too many requests from this client; retry after the time in Retry-After / 请求过于频繁，请稍后重试").WithCode(apperr.CodeRateLimited)
}

// limited wraps a handler of a route limitOf names with a fixed cost of one.
func (s *Server) limited(method, path string, h Handler) Handler {
	scope, byHandler := limitOf(method, path)
	if scope == "" || byHandler {
		return h
	}
	return func(c *gin.Context, p auth.Principal) error {
		if err := s.takeTokens(c, scope, 1); err != nil {
			return err
		}
		return h(c, p)
	}
}
