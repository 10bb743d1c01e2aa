// Package app wires PledgeSeal together from a Config: it loads and checks
// the trust material, connects the store, builds the domain services and
// the HTTP server, and runs it until the context ends, shutting down within
// a bounded time. It is the only package that knows every other one.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/notify"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/trust"
	"github.com/pledgeseal/pledgeseal/internal/version"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// Env is what the process gives the application.
type Env struct {
	Args    []string // without the program name
	Environ []string
	Getenv  func(string) string
	Stdout  io.Writer
	Stderr  io.Writer
	Clock   clock.Clock
	// Reload, when not nil, delivers SIGHUP: each signal makes Main call
	// App.Reload (the listener certificate is read again).
	Reload <-chan os.Signal
}

// App is a built, not yet serving, service.
type App struct {
	Config   config.Config
	Log      *slog.Logger
	Store    *store.Store
	Material *trust.Material
	API      *httpapi.Server
	Tokens   *auth.Tokens
	Registry *prometheus.Registry
	clock    clock.Clock
	// Notify delivers webhooks (enforce.go); Serve runs its worker.
	Notify *notify.Service
	// Certs is the HTTPS listener's certificate (nil: plain HTTP, e.g.
	// behind a TLS-terminating reverse proxy).
	Certs *CertReloader
	// TransLog is the transparency log (translog.go; nil without a log
	// identity in the trust material); Serve runs its sequencer.
	TransLog *TransLog
}

// NewLogger returns the structured logger the configuration asks for.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// StartupError is a refusal to start; its message says what to fix.
type StartupError struct {
	Step string
	Err  error
}

func (e *StartupError) Error() string { return fmt.Sprintf("refusing to start: %s: %v", e.Step, e.Err) }
func (e *StartupError) Unwrap() error { return e.Err }

// core is what both the server and the operator CLI need: checked trust
// material, the store and the token service.
type core struct {
	mat    *trust.Material
	store  *store.Store
	tokens *auth.Tokens
	stamp  stamping // stamping.go: tokens put into signatures
	// data protects personal data (the one pii.Protector of the process).
	data *pii.Protector
}

func openCore(cfg config.Config, getenv func(string) string, clk clock.Clock) (*core, error) {
	pass, err := trust.Passphrase(getenv, false)
	if err != nil {
		return nil, &StartupError{Step: "key passphrase", Err: err}
	}
	mat, err := trust.Load(cfg.KeysDir, pass, clk.Now())
	if err != nil {
		return nil, &StartupError{Step: "trust material in " + cfg.KeysDir, Err: err}
	}
	prot, err := pii.New(mat.DataKeys.Enc, mat.DataKeys.Index)
	if err != nil {
		return nil, &StartupError{Step: "personal-data keys", Err: err}
	}
	st, err := store.New(store.OptionsFrom(cfg), clk)
	if err != nil {
		return nil, &StartupError{Step: "store", Err: err}
	}
	tokens, err := auth.NewTokens(st, mat.TokenKey, prot, clk)
	if err != nil {
		_ = st.Close()
		return nil, &StartupError{Step: "token key", Err: err}
	}
	tokens.CheckOrgs(orgDirectory{mat: mat, cat: pledge.NewCatalogue(store.NewCatalogueRepo(st), clk)})
	return &core{mat: mat, store: st, tokens: tokens, data: prot}, nil
}

// OpenTokens gives the operator CLI the token service of the deployment
// cfg describes. The closer releases the store.
func OpenTokens(cfg config.Config, getenv func(string) string, clk clock.Clock) (*auth.Tokens, io.Closer, error) {
	c, err := openCore(cfg, getenv, clk)
	if err != nil {
		return nil, nil, err
	}
	return c.tokens, c.store, nil
}

// Build loads trust material (refusing mismatched keys and unchained
// certificates), connects the store and builds the HTTP server.
func Build(cfg config.Config, getenv func(string) string, log *slog.Logger, clk clock.Clock) (*App, error) {
	c, err := openCore(cfg, getenv, clk)
	if err != nil {
		return nil, err
	}
	if c.mat.Dev {
		log.Warn("using DEV trust material: not for production", "keys_dir", cfg.KeysDir)
	}
	if cfg.RedisAllowUnsafe && !c.mat.Dev {
		_ = c.store.Close()
		return nil, &StartupError{Step: "Redis durability", Err: errors.New("PLEDGESEAL_REDIS_ALLOW_UNSAFE=true is refused with production trust material (it is for tests with dev material only)")}
	}
	guard := durabilityGuard{store: c.store, allowUnsafe: cfg.RedisAllowUnsafe}
	if err := guard.atStart(log); err != nil {
		_ = c.store.Close()
		return nil, err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := c.store.RegisterMetrics(reg); err != nil {
		_ = c.store.Close()
		return nil, &StartupError{Step: "Redis client metrics", Err: err}
	}
	a := &App{Config: cfg, Log: log, Store: c.store, Material: c.mat, Tokens: c.tokens, Registry: reg, clock: clk}
	if cfg.TLSCertFile != "" {
		if a.Certs, err = NewCertReloader(cfg.TLSCertFile, cfg.TLSKeyFile); err != nil {
			_ = c.store.Close()
			return nil, &StartupError{Step: "TLS listener (PLEDGESEAL_TLS_CERT_FILE, PLEDGESEAL_TLS_KEY_FILE)", Err: err}
		}
	}
	cal, err := loadCalendar(cfg.HolidaysFile, log, clk) // calendar.go
	if err != nil {
		_ = c.store.Close()
		return nil, err
	}
	stamper, err := buildTSA(c, cfg, clk) // timestamps.go
	if err != nil {
		_ = c.store.Close()
		return nil, err
	}
	if c.stamp, err = buildStamping(c, cfg, stamper, log); err != nil { // stamping.go
		_ = c.store.Close()
		return nil, err
	}
	d, chosen, err := buildDomain(c, cfg, cal, reg, log, clk) // pledges.go
	if err != nil {
		_ = c.store.Close()
		return nil, err
	}
	ofdAPI, err := buildOFD(c, d, chosen, clk) // pledges.go
	if err != nil {
		_ = c.store.Close()
		return nil, err
	}
	a.Notify = d.Notify
	a.TransLog, err = buildTransLog(c, cfg.LogOrigin, cfg.LogCheckpointInterval, clk) // translog.go
	if err != nil {
		_ = c.store.Close()
		return nil, err
	}
	statements, err := buildStatements(c, d, a.TransLog, cfg, clk) // statements.go
	if err != nil {
		_ = c.store.Close()
		return nil, err
	}
	pages, err := web.NewForSite(web.Site{ServiceName: cfg.ServiceName, OperatorContact: cfg.OperatorContact}) // the web pages (internal/web)
	if err != nil {
		_ = c.store.Close()
		return nil, &StartupError{Step: "web pages", Err: err}
	}
	a.API = httpapi.New(httpapi.Deps{
		Log:      log,
		Clock:    clk,
		Auth:     c.tokens,
		Tokens:   c.tokens,
		Registry: reg,
		Ready: []httpapi.ReadinessCheck{
			{Name: "redis", Check: c.store.Ping},
			{Name: "redis_durability", Check: guard.ready},
			{Name: "trust", Check: a.trustValidNow},
		},
		Seals:       d.Seals,
		Revocations: d.Revocations,
		Enforce:     d.Enforce,
		Webhooks:    d.Notify,
		TimeStamps:  stamper,
		TransLog:    a.transLogAPI(),
		Statements:  statements,
		Pledges: &httpapi.PledgeAPI{Catalogue: d.Catalogue, Notices: d.Notices, Service: d.Service, Records: d.Pledges, Verifier: d.Verifier,
			OFD: ofdAPI, Findings: d.Registry},
		Web:     pages,
		Limiter: store.NewRateLimiter(c.store),
	}, httpapi.Options{MaxBodyBytes: cfg.MaxBodyBytes, RequestTimeout: cfg.RequestTimeout, BaseURL: cfg.BaseURL,
		VerifyLimit:    httpapi.RateLimit{Rate: cfg.VerifyRate, Burst: cfg.VerifyBurst},
		PublicLimit:    httpapi.RateLimit{Rate: cfg.PublicRate, Burst: cfg.PublicBurst},
		TrustedProxies: cfg.TrustedProxies})
	return a, nil
}

// trustValidNow reports whether every loaded certificate is still within
// its validity period.
func (a *App) trustValidNow(context.Context) error {
	now := a.clock.Now()
	for _, c := range a.Material.Roots {
		if now.Before(c.NotBefore) || now.After(c.NotAfter) {
			return apperr.New(apperr.Unavailable, "trust anchor %q is outside its validity period", c.Subject.CommonName)
		}
	}
	for _, kp := range append([]trust.KeyPair{a.Material.SealMaker, a.Material.ApplicantCA}, agencyPairs(a.Material)...) {
		if kp.Cert == nil || now.Before(kp.Cert.NotBefore) || now.After(kp.Cert.NotAfter) {
			return apperr.New(apperr.Unavailable, "a service certificate is outside its validity period")
		}
	}
	return nil
}

func agencyPairs(m *trust.Material) []trust.KeyPair {
	out := make([]trust.KeyPair, 0, len(m.Agencies))
	for _, ag := range m.Agencies {
		out = append(out, ag.KeyPair)
	}
	return out
}

// Reload is what pledged does on SIGHUP: it reads the listener's
// certificate and key again (a failure keeps the one served and is
// returned). Without TLS there is nothing to reload.
func (a *App) Reload() error {
	if a.Certs == nil {
		a.Log.Info("SIGHUP: nothing to reload (no TLS listener)")
		return nil
	}
	if err := a.Certs.Reload(); err != nil {
		a.Log.Error("SIGHUP: TLS certificate reload failed; still serving the previous certificate", "err", err.Error())
		return err
	}
	leaf := a.Certs.Current().Leaf
	a.Log.Info("SIGHUP: TLS certificate reloaded", "subject", leaf.Subject.String(), "not_after", leaf.NotAfter.UTC().Format(time.RFC3339))
	return nil
}

// Close releases the store.
func (a *App) Close() error { return a.Store.Close() }

// Serve runs the HTTP server on ln until ctx ends, then shuts down within
// the configured time.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.API.Handler(),
		ReadTimeout:       a.Config.ReadTimeout,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      a.Config.WriteTimeout,
		IdleTimeout:       a.Config.IdleTimeout,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	a.runNotifier(ctx)
	a.runTransLog(ctx)
	errc := make(chan error, 1)
	if a.Certs != nil {
		srv.TLSConfig = a.Certs.TLSConfig()
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- srv.Serve(ln) }()
	}
	a.Log.Info("pledged listening", "addr", ln.Addr().String(), "tls", a.Certs != nil, "base_url", a.Config.BaseURL, "trust", a.Material)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "timeout", a.Config.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("graceful shutdown did not finish in %s: %w", a.Config.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	a.Log.Info("stopped")
	return nil
}

// Exit codes of pledged.
const (
	ExitOK      = 0
	ExitRuntime = 1 // failed while running, or refused to start (trust, listen)
	ExitConfig  = 2 // invalid configuration
)

// Main is pledged's whole life: configuration, build, serve. It returns
// the process exit status and prints a one-line reason on failure.
// `pledged --version` prints the build (internal/version) and exits 0.
func Main(ctx context.Context, env Env) int {
	build := version.Get()
	if len(env.Args) == 1 && (env.Args[0] == "--version" || env.Args[0] == "-version") {
		fmt.Fprintln(env.Stdout, "pledged", build.String())
		return ExitOK
	}
	cfg, err := config.Load(env.Args, env.Environ, env.Stderr)
	if err != nil {
		fmt.Fprintln(env.Stderr, "pledged:", err)
		return ExitConfig
	}
	log := NewLogger(cfg, env.Stderr)
	log.Info("pledged starting", "version", build.Version, "commit", build.Commit, "modified", build.Modified, "go", build.Go)
	store.RouteDriverLogs(log)
	a, err := Build(cfg, env.Getenv, log, env.Clock)
	if err != nil {
		log.Error("start-up failed", "err", err.Error())
		fmt.Fprintln(env.Stderr, "pledged:", err)
		var se *StartupError
		if errors.As(err, &se) && se.Step == "key passphrase" {
			return ExitConfig
		}
		return ExitRuntime
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		fmt.Fprintf(env.Stderr, "pledged: refusing to start: cannot listen on %s (PLEDGESEAL_LISTEN): %v\n", cfg.Listen, err)
		return ExitRuntime
	}
	if cfg.PprofAddr != "" {
		addr, stop, err := StartPprof(cfg.PprofAddr)
		if err != nil {
			_ = ln.Close()
			fmt.Fprintf(env.Stderr, "pledged: refusing to start: profiles (PLEDGESEAL_PPROF_ADDR): %v\n", err)
			return ExitRuntime
		}
		defer stop()
		log.Warn("serving Go runtime profiles on loopback (PLEDGESEAL_PPROF_ADDR)", "addr", addr.String())
	}
	if env.Reload != nil {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-env.Reload:
					_ = a.Reload()
				}
			}
		}()
	}
	if err := a.Serve(ctx, ln); err != nil {
		log.Error("server stopped with an error", "err", err.Error())
		fmt.Fprintln(env.Stderr, "pledged:", err)
		return ExitRuntime
	}
	return ExitOK
}

// StartPprof serves the Go runtime profiles of net/http/pprof (index and
// named profiles, CPU profile, symbols, execution trace; not the command
// line) on addr, which must be a loopback address, and returns the address
// bound and a function that stops serving. It is opt-in
// (PLEDGESEAL_PPROF_ADDR) so production-like load can be profiled with
// go tool pprof; see docs/operations.md.
func StartPprof(addr string) (net.Addr, func(), error) {
	if err := config.CheckLoopback(addr); err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		_ = ln.Close()
		return nil, nil, fmt.Errorf("%s is not bound to a loopback address", ln.Addr())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/cmdline", http.NotFound) // arguments may name secret files
	// No write timeout: a CPU profile or trace streams for as long as asked.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	go func() { _ = srv.Serve(ln) }()
	return ln.Addr(), func() { _ = srv.Close() }, nil
}
