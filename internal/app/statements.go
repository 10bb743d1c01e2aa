package app

import (
	"github.com/pledgeseal/pledgeseal/internal/app/domain"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/statement"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// buildStatements returns the status statement issuer when the trust
// material has a status identity (nil otherwise: the statement route
// answers 404 STATUS_KEY_NOT_CONFIGURED). It reads the pledge's state
// through the domain's one-round-trip status source, as the verifier
// does, and adds the transparency log's latest checkpoint when the
// service runs a log (docs/status-statements.md).
func buildStatements(c *core, d *domain.Domain, tl *TransLog, cfg config.Config, clk clock.Clock) (httpapi.StatusStatements, error) {
	if c.mat.Status == nil {
		return nil, nil
	}
	signer, err := translog.NewNoteSigner(cfg.StatusKeyName, c.mat.Status.Key)
	if err != nil {
		return nil, &StartupError{Step: "status statements (PLEDGESEAL_STATUS_KEY_NAME)", Err: err}
	}
	o := statement.IssuerOptions{Status: d.Status, Signer: signer, Validity: cfg.StatusValidity, Clock: clk}
	if tl != nil {
		// The log's checkpoint and per-pledge index (the one verification
		// reports prove the state now with).
		o.Checkpoints, o.Index = tl, tl
	}
	iss, err := statement.NewIssuer(o)
	if err != nil {
		return nil, &StartupError{Step: "status statements", Err: err}
	}
	return iss, nil
}
