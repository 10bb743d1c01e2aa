package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/internal/app/domain"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/sealpicture"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/trust"
	"github.com/pledgeseal/pledgeseal/internal/version"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// startupPrincipal files the dev seals at start-up and reads the registry
// for the sealer (audited as such).
func startupPrincipal() auth.Principal {
	return auth.Principal{Role: auth.RoleSealMaker, TokenID: "startup"}
}

// buildDomain builds the domain (internal/app/domain) over the store from
// the trust material: the agencies seal with their newest active seal in
// the registry (registrySealer); with dev material, the demo agencies' dev
// seals are filed first.
func buildDomain(c *core, cfg config.Config, cal enforce.Calendar, reg prometheus.Registerer, log *slog.Logger, clk clock.Clock) (*domain.Domain, *registrySealer, error) {
	var chosen *registrySealer
	tr := domain.TrustFrom(c.mat, c.data)
	tr.TSA = c.stamp.trust
	d, err := domain.New(c.store, tr, clk, domain.Config{
		BaseURL: cfg.BaseURL, ClockSkew: cfg.ClockSkew, WebhookAllow: cfg.WebhookAllow, Calendar: cal, Log: log, Metrics: reg,
		Stamp: c.stamp.stamper,
		Sealer: func(d *domain.Domain) (pledge.Sealer, error) {
			if c.mat.Dev {
				fileDevSeals(c.mat, d.Seals, log, clk)
			}
			chosen = &registrySealer{mat: c.mat, seals: d.Seals, src: d.Registry, clk: clk}
			return chosen, nil
		},
	})
	if err != nil {
		return nil, nil, &StartupError{Step: "domain", Err: err}
	}
	return d, chosen, nil
}

// buildOFD wires the sealed OFD: the writer seals as pledges are
// (time-stamped when a TSA is configured) with the seal the registry
// sealer chooses, once per decision (the document is kept in Redis); verification takes signed OFD files of any product:
// seals chain to the seal trust, Type="Sign" (CMS) signers to the
// configured roots, and the seal registry answers the seal and
// certificate status checks.
func buildOFD(c *core, d *domain.Domain, chosen *registrySealer, clk clock.Clock) (*httpapi.OFDAPI, error) {
	labels, err := web.Messages("zh-CN")
	if err != nil {
		return nil, &StartupError{Step: "OFD labels", Err: err}
	}
	ofdSES := ses.NewVerifier(ses.Options{SealTrust: c.mat.Trust, TSATrust: c.stamp.trust})
	signTrust := pki.NewTrustStore(c.mat.Roots, nil)
	return &httpapi.OFDAPI{
		Documents: &ofdmake.Once{Writer: &ofdmake.Writer{Sealer: ofdSealer{Sealer: d.Sealer, active: chosen}, Clock: clk}, Repo: d.OFDs},
		Labels:    labels, Version: version.Get().Version,
		Verify: func(ctx context.Context, data []byte, lim ofd.Limits) (*ofd.Result, error) {
			return ofd.Verify(ctx, data, ofd.Options{SES: ofdSES, SignTrust: signTrust, Status: d.Registry, Limits: lim})
		},
	}, nil
}

// devESID is the esID of a demo agency's dev seal.
func devESID(code string) string { return "DEV-" + code }

// fileDevSeals makes and files one seal per demo agency whose signing
// certificate has none in the registry yet (dev material only). A failure
// (e.g. Redis not up yet) is logged, not fatal: the agency then cannot seal
// until a seal is filed (pledgectl or POST /v1/seals) or the server restarts.
func fileDevSeals(m *trust.Material, seals *seal.Seals, log *slog.Logger, clk clock.Clock) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now := clk.Now()
	for _, ag := range m.Agencies {
		pg, err := seals.List(ctx, startupPrincipal(), seal.ListFilter{Agency: ag.Code, SignerCert: pki.Digest(ag.CertDER), Limit: 1})
		if err != nil {
			log.Warn("cannot check the dev seals", "agency", ag.Code, "err", err.Error())
			return
		}
		if len(pg.IDs) > 0 {
			continue
		}
		end := ag.Cert.NotAfter
		if end.After(now.AddDate(3, 0, 0)) {
			end = now.AddDate(3, 0, 0)
		}
		picture, err := sealpicture.SVG(ag.Name, devPictureMM)
		if err != nil {
			log.Warn("cannot draw the dev seal picture", "err", err.Error())
			return
		}
		_, err = seals.Make(ctx, startupPrincipal(), seal.MakeRequest{
			Filing: seal.Filing{Agency: ag.Code, Category: seal.CategoryStatutoryName, TypeCode: seal.TypeStatutoryName,
				DocumentNo: "DEV-" + ag.Code, Note: "development seal filed at start-up"},
			ESID: devESID(ag.Code), Name: ag.Name, SignerCerts: [][]byte{ag.CertDER},
			ValidStart: now.Add(-time.Minute), ValidEnd: end,
			Picture: ses.Picture{Type: "SVG", Data: picture, Width: devPictureMM, Height: devPictureMM},
		})
		if err != nil && apperr.KindOf(err) != apperr.Conflict {
			log.Warn("cannot file the dev seal", "agency", ag.Code, "err", err.Error())
			continue
		}
		log.Info("filed a dev seal", "agency", ag.Code, "es_id", devESID(ag.Code))
	}
}

// devPictureMM is the printed edge of the dev seals' impression: an SVG
// naming the agency along the ring (sealpicture.SVG).
const devPictureMM = 40

// ofdSealer is the agency sealer (time-stamping when configured) with the
// registry sealer's choice of seal (ofdmake.Sealer).
type ofdSealer struct {
	pledge.Sealer
	active *registrySealer
}

// ActiveSeal implements ofdmake.Sealer.
func (o ofdSealer) ActiveSeal(ctx context.Context, agency string) (*ses.Seal, error) {
	return o.active.ActiveSeal(ctx, agency)
}

// registrySealer seals with the agency's newest seal in the registry that
// lists the agency's signing certificate and is ACTIVE now; it reads the
// registry on every sealing, so a seal filed, suspended or restored through
// the API takes effect at once.
type registrySealer struct {
	mat   *trust.Material
	seals *seal.Seals
	src   *store.Registry
	clk   clock.Clock
}

// SealData implements pledge.Sealer.
func (r *registrySealer) SealData(ctx context.Context, agency string, data []byte, propertyInfo string) ([]byte, error) {
	chosen, err := r.ActiveSeal(ctx, agency)
	if err != nil {
		return nil, err
	}
	ag, _ := r.mat.Agency(agency)
	s := pledge.NewSESSealer(map[string]pledge.AgencySeal{agency: {Seal: chosen, Signer: ses.Signer{Signer: ag.Signer(), Cert: ag.CertDER}}}, r.src, r.clk)
	return s.SealData(ctx, agency, data, propertyInfo)
}

// ActiveSeal returns the seal SealData uses for agency now: the newest
// ACTIVE seal in the registry listing the agency's signing certificate.
func (r *registrySealer) ActiveSeal(ctx context.Context, agency string) (*ses.Seal, error) {
	ag, ok := r.mat.Agency(agency)
	if !ok {
		return nil, apperr.New(apperr.Conflict, "the agency has no signing key on this service (机关无可用印章)").WithCode(apperr.CodeNoActiveSeal)
	}
	pg, err := r.seals.List(ctx, startupPrincipal(), seal.ListFilter{Agency: agency, SignerCert: pki.Digest(ag.CertDER), Limit: 100})
	if err != nil {
		return nil, err
	}
	for i := len(pg.IDs) - 1; i >= 0; i-- {
		s, err := r.seals.Get(ctx, pg.IDs[i])
		if err != nil {
			return nil, err
		}
		if s.Status.Code != status.Active {
			continue
		}
		chosen, err := ses.ParseSeal(s.DER)
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a registered seal does not parse")
		}
		return chosen, nil
	}
	return nil, apperr.New(apperr.Conflict, "the agency has no active seal (机关无可用印章)").WithCode(apperr.CodeSealNotActive)
}
