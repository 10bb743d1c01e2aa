package store

import (
	"context"
)

// tsaTag is the hash tag of the time-stamping authority's keys.
const tsaTag = "tsa"

// NextTSASerial returns the next time-stamp token serial number: one
// Redis INCR, so numbers are unique across restarts and across servers
// sharing the Redis (persistence as configured for Redis: AOF keeps them
// unique across a Redis restart too). The first serial is 1.
func (s *Store) NextTSASerial(ctx context.Context) (int64, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.rdb.Incr(ctx, s.key(tsaTag, "serial")).Result()
	if err != nil {
		return 0, unavailable(err)
	}
	return n, nil
}
