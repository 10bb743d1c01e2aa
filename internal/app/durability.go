package app

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// RequiredEvictionPolicy is the only maxmemory-policy pledged accepts:
// Redis is the system of record, and an evicted revocation would read as
// "not revoked".
const RequiredEvictionPolicy = "noeviction"

// DurabilityProblems applies the durability rule to what the Redis masters
// report: AOF on (appendonly yes) and maxmemory-policy noeviction on every
// master. It returns one sentence per violation, empty when all is well.
func DurabilityProblems(ds []store.Durability) []string {
	var out []string
	for _, d := range ds {
		who := "Redis"
		if d.Addr != "" {
			who = "Redis " + d.Addr
		}
		if !d.AOFEnabled {
			out = append(out, who+" has AOF off (aof_enabled:0): set appendonly yes")
		}
		if d.MaxmemoryPolicy != RequiredEvictionPolicy {
			out = append(out, fmt.Sprintf("%s evicts keys (maxmemory_policy:%s): set maxmemory-policy %s", who, d.MaxmemoryPolicy, RequiredEvictionPolicy))
		}
	}
	return out
}

// durabilityGuard checks the Redis masters at start and on /readyz.
type durabilityGuard struct {
	store       *store.Store
	allowUnsafe bool // PLEDGESEAL_REDIS_ALLOW_UNSAFE: warn instead of refusing
}

// check reads INFO from every master and applies the rule; an unreadable
// INFO fails closed like a violation.
func (g durabilityGuard) check(ctx context.Context) error {
	ds, err := g.store.Durability(ctx)
	if err != nil {
		return err
	}
	if p := DurabilityProblems(ds); len(p) > 0 {
		return apperr.New(apperr.Unavailable, "Redis is not durable: %s", strings.Join(p, "; "))
	}
	return nil
}

// atStart refuses to start on a Redis that is unreachable or not durable,
// unless the override is set, in which case it logs a warning and goes on.
func (g durabilityGuard) atStart(log *slog.Logger) error {
	err := g.check(context.Background())
	if err == nil {
		return nil
	}
	if g.allowUnsafe {
		log.Warn("PLEDGESEAL_REDIS_ALLOW_UNSAFE=true: starting on a Redis that fails the durability check; acknowledged changes may be lost or evicted (tests only)",
			"problem", detail(err))
		return nil
	}
	return &StartupError{Step: "Redis durability (see docs/operations.md; PLEDGESEAL_REDIS_ALLOW_UNSAFE=true is for tests only)", Err: err}
}

// ready is the /readyz check "redis_durability"; with the override it
// always passes (the start-up log carries the warning).
func (g durabilityGuard) ready(ctx context.Context) error {
	if g.allowUnsafe {
		return nil
	}
	return g.check(ctx)
}

// detail is the reader-facing text of err.
func detail(err error) string {
	if e := apperr.As(err); e != nil {
		return e.Detail
	}
	return err.Error()
}
