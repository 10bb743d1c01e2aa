package store

import (
	"context"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// Durability is what one Redis master says about how it keeps data, read
// from INFO persistence and INFO memory. Whether that is acceptable is the
// caller's rule (internal/app), not the store's.
type Durability struct {
	Addr            string // the master's address as the client reaches it
	AOFEnabled      bool   // aof_enabled
	MaxmemoryPolicy string // maxmemory_policy, e.g. noeviction
}

// Durability reads INFO persistence and memory from every master the
// client writes to: the single node, the Sentinel's current master, or
// each Cluster master. An unreadable or incomplete answer is an error,
// never a default.
func (s *Store) Durability(ctx context.Context) ([]Durability, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		var (
			mu  sync.Mutex
			out []Durability
		)
		err := cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			d, err := readDurability(ctx, c)
			if err != nil {
				return err
			}
			mu.Lock()
			out = append(out, d)
			mu.Unlock()
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(out) == 0 {
			return nil, apperr.New(apperr.Unavailable, "the Redis Cluster reports no master").WithCode(apperr.CodeTryLater)
		}
		return out, nil
	}
	d, err := readDurability(ctx, s.rdb)
	if err != nil {
		return nil, err
	}
	return []Durability{d}, nil
}

// infoer is the one call readDurability needs from a client.
type infoer interface {
	Info(ctx context.Context, section ...string) *redis.StringCmd
}

func readDurability(ctx context.Context, c infoer) (Durability, error) {
	addr := ""
	if cl, ok := c.(*redis.Client); ok {
		addr = cl.Options().Addr
	}
	info, err := c.Info(ctx, "persistence", "memory").Result()
	if err != nil {
		return Durability{Addr: addr}, mapErr(err, "info")
	}
	d, err := ParseDurability(info)
	d.Addr = addr
	if err != nil {
		return d, apperr.Wrap(apperr.Unavailable, err, "cannot read Redis INFO persistence/memory of %s", addr).WithCode(apperr.CodeTryLater)
	}
	return d, nil
}

// ParseDurability reads aof_enabled and maxmemory_policy from the text of
// INFO (the persistence and memory sections). Both must be present and
// well-formed; a field given twice must not disagree.
func ParseDurability(info string) (Durability, error) {
	var d Durability
	var aof, policy string
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimRight(line, "\r"), ":")
		if !ok {
			continue
		}
		var dst *string
		switch k {
		case "aof_enabled":
			dst = &aof
		case "maxmemory_policy":
			dst = &policy
		default:
			continue
		}
		if *dst != "" && *dst != v {
			return Durability{}, apperr.New(apperr.Internal, "INFO gives %s twice with different values", k)
		}
		*dst = v
	}
	switch aof {
	case "1":
		d.AOFEnabled = true
	case "0":
	case "":
		return Durability{}, apperr.New(apperr.Internal, "INFO persistence has no aof_enabled")
	default:
		return Durability{}, apperr.New(apperr.Internal, "INFO aof_enabled is %q, not 0 or 1", aof)
	}
	if policy == "" || strings.ContainsFunc(policy, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '-') }) {
		return Durability{}, apperr.New(apperr.Internal, "INFO memory has no valid maxmemory_policy")
	}
	d.MaxmemoryPolicy = policy
	return d, nil
}
