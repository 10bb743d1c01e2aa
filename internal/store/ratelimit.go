package store

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// RateLimiter keeps token buckets in Redis, so that every pledged
// instance sharing the store draws from the same bucket of a client. A
// bucket is one key, prefix{rl:SCOPE:CLIENT}, holding the GCRA
// "theoretical arrival time" in microseconds with an expiry at the moment
// the bucket is full again: an idle client costs nothing. Each key is its
// own hash tag, so buckets spread over a cluster and a take touches one
// slot. One Take is one round trip (EVALSHA; EVAL once per connection
// lifetime of the script cache).
type RateLimiter struct {
	st     *Store
	script *redis.Script
}

// NewRateLimiter returns the limiter over s.
func NewRateLimiter(s *Store) *RateLimiter {
	return &RateLimiter{st: s, script: redis.NewScript(gcraLua)}
}

// gcraLua is the generic cell rate algorithm (the token bucket of
// go-redis/redis_rate, with the caller's clock). KEYS[1] bucket; ARGV now
// (µs), emission interval (µs per token), burst, cost. The stored value is
// the time at which the bucket would be full again; a cost is allowed when
// that time, moved on by cost × interval, is at most burst × interval ahead
// of now. Returns {allowed, remaining, retry µs}.
const gcraLua = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local tolerance = interval * burst
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
local new = tat + interval * cost
local ahead = new - now
if ahead > tolerance then
  return {0, math.floor((tolerance - (tat - now)) / interval), math.ceil(ahead - tolerance)}
end
redis.call('SET', KEYS[1], string.format('%d', new), 'PX', math.ceil(ahead / 1000) + 1)
return {1, math.floor((tolerance - ahead) / interval), 0}
`

// Take takes cost tokens from the bucket of client in scope at now; the
// bucket refills at rate tokens a second up to burst tokens. retryAfter is
// zero when the take is allowed, otherwise how long until that cost would
// be (a refused take takes nothing); remaining is how many tokens are left.
// A cost above the burst is never allowed (retryAfter is then the time to
// fill a whole bucket). Redis errors are apperr.Unavailable.
func (l *RateLimiter) Take(ctx context.Context, scope, client string, rate float64, burst, cost int, now time.Time) (retryAfter time.Duration, remaining int, err error) {
	if rate <= 0 || burst < 1 || cost < 1 {
		return 0, 0, apperr.New(apperr.Internal, "invalid rate limit %g/%d or cost %d", rate, burst, cost)
	}
	interval := max(int64(float64(time.Second/time.Microsecond)/rate), 1)
	if cost > burst {
		return time.Duration(interval*int64(burst)) * time.Microsecond, 0, nil
	}
	ctx, cancel := l.st.ctx(ctx)
	defer cancel()
	key := l.st.prefix + "{rl:" + scope + ":" + client + "}"
	res, err := l.script.Run(ctx, l.st.rdb, []string{key}, now.UnixMicro(), interval, burst, cost).Int64Slice()
	if err != nil {
		return 0, 0, mapErr(err, "rate limit")
	}
	if len(res) != 3 {
		return 0, 0, apperr.New(apperr.Internal, "rate limit script returned %d values", len(res))
	}
	if res[0] == 1 {
		return 0, int(max(res[1], 0)), nil
	}
	return max(time.Duration(res[2])*time.Microsecond, time.Microsecond), int(max(res[1], 0)), nil
}
