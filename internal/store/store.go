// Package store is the only importer of go-redis. It owns every key, script and
// transaction the service keeps in Redis: tokens, seals, revocations, pledges,
// credit bars, the audit log. Domain packages see plain Go types and
// *apperr.Error values; a Redis failure is always apperr.Unavailable, never a
// default answer.
package store

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
)

// Options says how to reach Redis. One address gives a single node; several
// give a cluster; MasterName selects Sentinel.
type Options struct {
	Addrs      []string
	MasterName string
	Username   string
	Password   string
	DB         int
	// Prefix namespaces every key (tests give each run its own).
	Prefix string
	// Cluster forces a cluster client even with one seed address.
	Cluster bool
	// Timeout bounds every call.
	Timeout time.Duration
	// TLS, when not nil, wraps every connection (to nodes, masters and
	// Sentinels alike) in TLS with this client configuration.
	TLS *tls.Config
}

// Store is the Redis-backed system of record. It is safe for concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	prefix  string
	clock   clock.Clock
	timeout time.Duration
	// logHints names the slots this process appended log entries to since
	// the sequencer last read them (tlog_slots.go).
	logHints *slotHints
}

// New connects lazily: it does not fail when Redis is down (readiness tells).
func New(opts Options, clk clock.Clock) (*Store, error) {
	if len(opts.Addrs) == 0 {
		return nil, errors.New("store: no Redis address")
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 2 * time.Second
	}
	uo := &redis.UniversalOptions{
		Addrs:        opts.Addrs,
		MasterName:   opts.MasterName,
		Username:     opts.Username,
		Password:     opts.Password,
		DB:           opts.DB,
		DialTimeout:  opts.Timeout,
		ReadTimeout:  opts.Timeout,
		WriteTimeout: opts.Timeout,
		MaxRetries:   1,
		TLSConfig:    opts.TLS,
		// Cluster-mode routing needs no DB; UniversalClient picks the kind.
		IsClusterMode: opts.Cluster,
	}
	slotTagTable() // built once per process here, not inside the first write's deadline
	return &Store{rdb: redis.NewUniversalClient(uo), prefix: opts.Prefix, clock: clk, timeout: opts.Timeout, logHints: newSlotHints()}, nil
}

// Close releases connections.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping reports whether Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return unavailable(err)
	}
	return nil
}

// ctx bounds a call by the store timeout.
func (s *Store) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, s.timeout)
}

// key builds a key with the store prefix. tag (may be empty) becomes a hash tag
// so that all keys of one atomic change land in one cluster slot.
func (s *Store) key(tag string, parts ...string) string {
	k := s.prefix + "{" + tag + "}"
	for _, p := range parts {
		k += ":" + p
	}
	return k
}

// unavailable maps a Redis or network error to apperr.Unavailable.
func unavailable(err error) error {
	return apperr.Wrap(apperr.Unavailable, err, "the status store is unavailable; try again later").WithCode(apperr.CodeTryLater)
}

// mapErr turns a go-redis error into a project error: redis.Nil → NotFound
// (with the given detail), network and server errors → Unavailable.
func mapErr(err error, notFound string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, redis.Nil) {
		return apperr.New(apperr.NotFound, "%s", notFound)
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return unavailable(err)
	}
	return unavailable(fmt.Errorf("redis: %w", err))
}
