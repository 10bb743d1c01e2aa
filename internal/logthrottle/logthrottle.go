// Package logthrottle keeps a repeating failure from flooding the log: the
// first event of a key is logged, then at most one summary line per
// interval, carrying how many events were held back since the last line.
// (One dead webhook once wrote ~60,000 WARN lines in 15 minutes.) It knows
// nothing of what the keys name.
package logthrottle

import (
	"sync"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
)

// Throttle decides which events of each key are logged. It is safe for
// concurrent use.
type Throttle struct {
	clk   clock.Clock
	every time.Duration
	mu    sync.Mutex
	keys  map[string]*state
}

type state struct {
	logged     time.Time // when the last line of this key was allowed
	suppressed int       // events held back since then
}

// New returns a throttle that allows one line per key per interval every.
func New(clk clock.Clock, every time.Duration) *Throttle {
	return &Throttle{clk: clk, every: every, keys: map[string]*state{}}
}

// Allow records an event of key and reports whether to log it now; when
// it does, suppressed is how many events of key were held back before it.
func (t *Throttle) Allow(key string) (ok bool, suppressed int) {
	now := t.clk.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.keys[key]
	if s == nil {
		t.keys[key] = &state{logged: now}
		return true, 0
	}
	if now.Sub(s.logged) < t.every {
		s.suppressed++
		return false, 0
	}
	n := s.suppressed
	s.logged, s.suppressed = now, 0
	return true, n
}

// Forget ends the run of events of key (it recovered or is gone) and
// returns how many of its events were held back and never reported: the
// next event of key is logged at once.
func (t *Throttle) Forget(key string) (suppressed int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.keys[key]; s != nil {
		suppressed = s.suppressed
	}
	delete(t.keys, key)
	return suppressed
}
