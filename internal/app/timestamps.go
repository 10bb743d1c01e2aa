package app

import (
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// buildTSA is the built-in RFC 3161 time-stamping authority when the trust
// material has a tsa identity (nil otherwise: POST /v1/timestamps answers
// 404). trust.Load has checked its key purpose; tsa.New checks it again.
func buildTSA(c *core, cfg config.Config, clk clock.Clock) (httpapi.TimeStamper, error) {
	if c.mat.TSA == nil {
		return nil, nil
	}
	a, err := tsa.New(tsa.Config{Cert: c.mat.TSA.Cert, Signer: c.mat.TSA.Signer(), Policy: cfg.TSAPolicy,
		Accuracy: cfg.TSAAccuracy, Serials: c.store, Clock: clk})
	if err != nil {
		return nil, &StartupError{Step: "tsa", Err: err}
	}
	return a, nil
}
