package app

import (
	"log/slog"
	"os"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/stamp"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// stamping is where the tokens put into signatures come from, and the
// anchors their TSA chains to (for the verifier).
type stamping struct {
	stamper *stamp.Stamper
	trust   *pki.TrustStore
}

// buildStamping chooses the token source: the external TSA of
// PLEDGESEAL_TSA_URL (its anchors from PLEDGESEAL_TSA_TRUST) when set,
// else the built-in TSA when the trust material has one, else none (then
// PLEDGESEAL_TSA_REQUIRED refuses every signing). The verifier trusts
// the configured roots (the built-in TSA's) and the external anchors.
func buildStamping(c *core, cfg config.Config, local httpapi.TimeStamper, log *slog.Logger) (stamping, error) {
	anchors := append([]*smx509.Certificate(nil), c.mat.Roots...)
	var src tsa.Source
	if s, ok := local.(tsa.Source); ok && s != nil {
		src = s
	}
	if cfg.TSAURL != "" {
		pemBytes, err := os.ReadFile(cfg.TSATrust)
		if err != nil {
			return stamping{}, &StartupError{Step: "external TSA trust anchors (PLEDGESEAL_TSA_TRUST)", Err: err}
		}
		ext, err := pki.ParseCertificatesPEM(pemBytes)
		if err != nil || len(ext) == 0 {
			return stamping{}, &StartupError{Step: "external TSA trust anchors (PLEDGESEAL_TSA_TRUST)", Err: errNoAnchors(err)}
		}
		cl, err := tsa.NewClient(tsa.ClientConfig{URL: cfg.TSAURL, Trust: pki.NewTrustStore(ext, nil), Timeout: 5 * time.Second, Attempts: 3})
		if err != nil {
			return stamping{}, &StartupError{Step: "external TSA (PLEDGESEAL_TSA_URL)", Err: err}
		}
		src = cl
		anchors = append(anchors, ext...)
	}
	if src == nil && cfg.TSARequired {
		log.Warn("PLEDGESEAL_TSA_REQUIRED is set but no TSA is configured: every signing will be refused")
	}
	var st *stamp.Stamper
	if src != nil || cfg.TSARequired {
		st = stamp.New(src, cfg.TSARequired, log)
	}
	return stamping{stamper: st, trust: pki.NewTrustStore(anchors, nil)}, nil
}

type noAnchorsError struct{ err error }

func (e noAnchorsError) Error() string {
	if e.err != nil {
		return "no PEM certificate can be read: " + e.err.Error()
	}
	return "the file holds no PEM certificate"
}

func errNoAnchors(err error) error { return noAnchorsError{err} }
