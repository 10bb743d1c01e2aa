package app

import (
	"encoding/asn1"
	"strconv"
	"strings"

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
	policy, err := parseOID(cfg.TSAPolicy)
	if err != nil {
		return nil, &StartupError{Step: "tsa policy", Err: err}
	}
	a, err := tsa.New(tsa.Config{Cert: c.mat.TSA.Cert, Signer: c.mat.TSA.Signer(), Policy: policy,
		Accuracy: cfg.TSAAccuracy, Serials: c.store, Clock: clk})
	if err != nil {
		return nil, &StartupError{Step: "tsa", Err: err}
	}
	return a, nil
}

// parseOID reads a dotted OID (config has checked its shape).
func parseOID(s string) (asn1.ObjectIdentifier, error) {
	var oid asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			return nil, err
		}
		oid = append(oid, n)
	}
	return oid, nil
}
