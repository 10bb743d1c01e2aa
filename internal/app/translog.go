package app

import (
	"context"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/logthrottle"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// TransLog runs the transparency log (docs/transparency.md): the sequencer
// that integrates pending entries and the checkpoint signer. It implements
// httpapi.TransparencyLog.
type TransLog struct {
	*store.TransLog
	signer   *translog.NoteSigner
	interval time.Duration
	clock    clock.Clock
}

// buildTransLog returns the log when the trust material has a log identity
// (nil otherwise: the log routes answer 404 LOG_NOT_CONFIGURED).
func buildTransLog(c *core, origin string, interval time.Duration, clk clock.Clock) (*TransLog, error) {
	if c.mat.Log == nil {
		return nil, nil
	}
	signer, err := translog.NewNoteSigner(origin, c.mat.Log.Key)
	if err != nil {
		return nil, &StartupError{Step: "transparency log (PLEDGESEAL_LOG_ORIGIN)", Err: err}
	}
	return &TransLog{TransLog: store.NewTransLog(c.store), signer: signer, interval: interval, clock: clk}, nil
}

// SignNow integrates what is pending and signs a checkpoint now (on
// demand, POST /v1/log/checkpoint).
func (t *TransLog) SignNow(ctx context.Context) ([]byte, error) {
	if err := t.IntegrateAll(ctx); err != nil {
		return nil, err
	}
	return t.SignCheckpoint(ctx, t.signer, 0, true)
}

// CheckpointFor returns a signed checkpoint holding entry index, signing
// one on demand when the latest does not and it is at least the
// checkpoint interval old (verify.LogSource).
func (t *TransLog) CheckpointFor(ctx context.Context, index uint64) ([]byte, bool, error) {
	return t.CheckpointCovering(ctx, index, t.signer, t.interval)
}

// tick integrates pending entries (of every slot when full, else of the
// slots this process wrote to or integrated from before) and signs a checkpoint when the last is
// older than the interval and the log grew.
func (t *TransLog) tick(ctx context.Context, full bool) error {
	if full {
		if err := t.IntegrateAll(ctx); err != nil {
			return err
		}
	} else {
		for range 1000 {
			n, err := t.Integrate(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
		}
	}
	_, err := t.SignCheckpoint(ctx, t.signer, t.interval, false)
	return err
}

// runTransLog runs the sequencer until ctx ends: every integrate interval
// it moves pending entries into the log (reading every slot once every
// store.FullSweepInterval) and signs a checkpoint at most every
// checkpoint interval. Failures (Redis down) are logged and retried
// on the next tick; several pledged may run it at once.
func (a *App) runTransLog(ctx context.Context) {
	if a.TransLog == nil {
		return
	}
	throttle := logthrottle.New(a.clock, time.Minute)
	go func() {
		tk := time.NewTicker(a.Config.LogIntegrateInterval)
		defer tk.Stop()
		var lastFull time.Time
		for {
			full := a.clock.Now().Sub(lastFull) >= store.FullSweepInterval
			err := a.TransLog.tick(ctx, full)
			if full && err == nil {
				lastFull = a.clock.Now()
			}
			if err != nil && ctx.Err() == nil {
				if ok, held := throttle.Allow("translog"); ok {
					a.Log.Warn("transparency log step failed; retrying", "suppressed", held, "err", err.Error())
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-tk.C:
			}
		}
	}()
}

// transLogAPI is the log for httpapi.Deps: a nil interface when there is
// no log (never a typed nil).
func (a *App) transLogAPI() httpapi.TransparencyLog {
	if a.TransLog == nil {
		return nil
	}
	return a.TransLog
}
