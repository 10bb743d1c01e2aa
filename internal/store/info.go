package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// MemoryUsed returns Redis's used_memory (bytes) from INFO memory. On a
// cluster it is the sum over the masters. Benchmarks use it to measure the
// cost of each stored item.
func (s *Store) MemoryUsed(ctx context.Context) (int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	info, err := s.rdb.Info(ctx, "memory").Result()
	if err != nil {
		return 0, mapErr(err, "info")
	}
	var total int64
	found := false
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return 0, apperr.Wrap(apperr.Internal, err, "cannot read INFO memory")
			}
			total += n
			found = true
		}
	}
	if !found {
		return 0, apperr.New(apperr.Internal, "INFO memory has no used_memory")
	}
	return total, nil
}

// ScriptStats is Redis's own account of the script calls it served (from
// INFO commandstats), free of client-side scheduling noise.
type ScriptStats struct {
	Calls       int64
	UsecPerCall float64
}

// ResetServerStats clears Redis's command statistics (CONFIG RESETSTAT).
// Only benchmarks call it, on a throwaway Redis.
func (s *Store) ResetServerStats(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return mapErr(s.rdb.ConfigResetStat(ctx).Err(), "config")
}

// ServerScriptStats returns Redis's statistics for EVALSHA and EVAL together.
func (s *Store) ServerScriptStats(ctx context.Context) (ScriptStats, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	info, err := s.rdb.Info(ctx, "commandstats").Result()
	if err != nil {
		return ScriptStats{}, mapErr(err, "info")
	}
	var out ScriptStats
	var usec float64
	for _, line := range strings.Split(info, "\n") {
		line = strings.TrimSpace(line)
		rest, ok := strings.CutPrefix(line, "cmdstat_evalsha:")
		if !ok {
			rest, ok = strings.CutPrefix(line, "cmdstat_eval:")
		}
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "calls":
				n, _ := strconv.ParseInt(v, 10, 64)
				out.Calls += n
			case "usec":
				n, _ := strconv.ParseFloat(v, 64)
				usec += n
			}
		}
	}
	if out.Calls > 0 {
		out.UsecPerCall = usec / float64(out.Calls)
	}
	return out, nil
}
