package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/logthrottle"
)

// Authenticator resolves bearer secrets (auth.Tokens implements it).
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (auth.Principal, error)
}

// TokenAdmin manages tokens (auth.Tokens implements it).
type TokenAdmin interface {
	Create(ctx context.Context, req auth.CreateRequest) (auth.Issued, error)
	Revoke(ctx context.Context, id string) error
	List(ctx context.Context) ([]auth.TokenInfo, error)
}

// ReadinessCheck is one dependency /readyz asks about.
type ReadinessCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps are the services the HTTP layer calls. Nil services leave their
// routes unregistered.
type Deps struct {
	Log      *slog.Logger
	Clock    clock.Clock
	Auth     Authenticator
	Tokens   TokenAdmin
	Ready    []ReadinessCheck
	Registry *prometheus.Registry
	// Seals and Revocations are the seal and revocation registries (seals.go, revocations.go).
	Seals       SealService
	Revocations RevocationService
	// Pledges is the pledge domain: catalogue, notices, pledges,
	// packages and verification reports (pledges.go).
	Pledges *PledgeAPI
	// Enforce is the post-check service (enforce.go); Webhooks the
	// notification service (webhooks.go).
	Enforce  EnforceService
	Webhooks WebhookService
	// TimeStamps is the RFC 3161 time-stamping authority (timestamps.go);
	// nil: POST /v1/timestamps answers 404 TSA_NOT_CONFIGURED.
	TimeStamps TimeStamper
	// TransLog is the transparency log (translog.go); nil: its routes
	// answer 404 LOG_NOT_CONFIGURED.
	TransLog TransparencyLog
	// Statements signs status statements (statements.go); nil: the
	// statement route answers 404 STATUS_KEY_NOT_CONFIGURED and package
	// downloads carry none.
	Statements StatusStatements
	// Limiter keeps the per-client rate limits (ratelimit.go); nil limits
	// nothing.
	Limiter RateLimiter
	// Web serves the web pages (internal/web) at /, /app/ and /assets/
	// (web.go); nil serves no pages.
	Web http.Handler
}

// Options tune the HTTP layer.
type Options struct {
	MaxBodyBytes   int64
	RequestTimeout time.Duration
	BaseURL        string
	// VerifyLimit and PublicLimit are the per-client rate limits of
	// verification and status reads, and of the public listings
	// (ratelimit.go); a zero Rate is no limit.
	VerifyLimit, PublicLimit RateLimit
	// TrustedProxies are the IP addresses and CIDR ranges of reverse
	// proxies whose X-Forwarded-For names the client (the access log's
	// client field); none by default: the peer address is the client.
	TrustedProxies []string
}

// Route describes one registered route.
type Route struct {
	Method string
	Path   string // OpenAPI form: /v1/seals/{id}
	Roles  []auth.Role
}

// Allows reports whether role may call the route.
func (r Route) Allows(role auth.Role) bool {
	for _, x := range r.Roles {
		if x == role || x == auth.RolePublic {
			return true
		}
	}
	return false
}

// Server is the HTTP API.
type Server struct {
	engine  *gin.Engine
	deps    Deps
	opts    Options
	log     *slog.Logger
	routes  []Route
	metrics *metrics
	// logOnce throttles repeated warnings (the rate limiter's outages).
	logOnce *logthrottle.Throttle
}

// Handler is the signature of every route handler.
type Handler func(c *gin.Context, p auth.Principal) error

// New builds the server and registers every route.
func New(deps Deps, opts Options) *Server {
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 20 * time.Second
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if deps.Registry == nil {
		deps.Registry = prometheus.NewRegistry()
	}
	if deps.Clock == nil {
		deps.Clock = clock.Real{}
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	// ContextWithFallback stays off: a *gin.Context is pooled, so nothing may
	// use it as a context.Context; handlers pass c.Request.Context()
	// (TestHandlersNeverPassGinContextAsContext).
	trustProxies(e, opts.TrustedProxies, deps.Log)
	s := &Server{engine: e, deps: deps, opts: opts, log: deps.Log, metrics: newMetrics(deps.Registry),
		logOnce: logthrottle.New(deps.Clock, time.Minute)}
	e.Use(withRequestID(), s.accessLog(), s.recoverPanics(), securityHeaders(), s.limitBody(), s.timeBudget())
	e.NoRoute(func(c *gin.Context) {
		writeProblem(c, s.log, apperr.New(apperr.NotFound, "no such resource: %s", c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		c.Header("Content-Type", "application/problem+json")
		writeProblemStatus(c, http.StatusMethodNotAllowed, "method "+c.Request.Method+" is not allowed here")
	})
	s.registerRoutes()
	s.webRoutes()
	return s
}

// trustProxies makes gin take the client address from X-Forwarded-For only
// when the peer is one of proxies (config validated them; a list gin
// rejects is logged and trusts no proxy: fail closed).
func trustProxies(e *gin.Engine, proxies []string, log *slog.Logger) {
	e.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := e.SetTrustedProxies(proxies); err != nil {
		log.Error("ignoring the trusted proxy list: no proxy is trusted", "err", err.Error())
		_ = e.SetTrustedProxies(nil)
	}
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes returns every registered route.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// registerRoutes is the list of resource route groups.
func (s *Server) registerRoutes() {
	s.healthRoutes()
	s.tokenRoutes()
	s.sealRoutes()
	s.revocationRoutes()
	s.catalogueRoutes()
	s.noticeRoutes()
	s.pledgeRoutes()
	s.verificationRoutes()
	s.ofdRoutes()
	s.enforceRoutes()
	s.webhookRoutes()
	s.timestampRoutes()
	s.logRoutes()
	s.statementRoutes()
}

// ginPath turns /v1/seals/{id} into /v1/seals/:id.
func ginPath(p string) string {
	var b strings.Builder
	for _, seg := range strings.Split(p, "/") {
		if b.Len() > 0 || seg != "" {
			b.WriteByte('/')
		}
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			b.WriteString(":" + seg[1:len(seg)-1])
		} else {
			b.WriteString(seg)
		}
	}
	return b.String()
}

// handle registers a route: authentication, role check, then h; any error
// h returns is rendered by writeProblem.
func (s *Server) handle(method, path string, roles []auth.Role, h Handler) {
	s.routes = append(s.routes, Route{Method: method, Path: path, Roles: roles})
	route := Route{Method: method, Path: path, Roles: roles}
	h = s.limited(method, path, h)
	s.engine.Handle(method, ginPath(path), func(c *gin.Context) {
		p, err := s.authenticate(c)
		if err != nil {
			writeProblem(c, s.log, err)
			return
		}
		c.Set(ctxPrincipal, p)
		if !route.Allows(p.Role) {
			if p.Role == auth.RolePublic {
				writeProblem(c, s.log, apperr.New(apperr.Unauthorized, "this resource needs a bearer token"))
			} else {
				writeProblem(c, s.log, apperr.New(apperr.Forbidden, "role %s may not %s %s", p.Role, method, path))
			}
			return
		}
		if err := h(c, p); err != nil {
			writeProblem(c, s.log, err)
		}
	})
}

// anyone is the role list of public routes.
func anyone() []auth.Role { return []auth.Role{auth.RolePublic} }

// only lists the roles allowed on a protected route.
func only(roles ...auth.Role) []auth.Role { return roles }

func writeProblemStatus(c *gin.Context, status int, detail string) {
	c.AbortWithStatusJSON(status, Problem{Type: ProblemTypeBase + "method-not-allowed", Title: http.StatusText(status),
		Status: status, Detail: detail, Instance: c.Request.URL.Path, RequestID: requestID(c)})
}
