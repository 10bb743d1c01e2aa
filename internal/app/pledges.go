package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/sealpicture"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/stamp"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/trust"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/version"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// startupPrincipal files the dev seals at start-up and reads the registry
// for the sealer (audited as such).
func startupPrincipal() auth.Principal {
	return auth.Principal{Role: auth.RoleSealMaker, TokenID: "startup"}
}

// buildPledgeAPI wires the pledge domain: catalogue, notices, bars and
// pledges over the store, the agency sealer over the seal registry, the
// event CA and applicant trust from the trust material, and the verifier
// whose status sources are the registry and the pledge repository.
// baseURL is the public base URL the status links sealed into decisions
// name.
func buildPledgeAPI(c *core, baseURL string, sealStore *store.Registry, maker *ses.Maker, reg prometheus.Registerer, log *slog.Logger, clk clock.Clock) (*httpapi.PledgeAPI, error) {
	prot, err := pii.New(c.mat.DataKeys.Enc, c.mat.DataKeys.Index)
	if err != nil {
		return nil, &StartupError{Step: "personal-data keys", Err: err}
	}
	seals := seal.NewRegistry(sealStore, seal.Config{Maker: maker, MakerTrust: c.mat.Trust}, clk)
	if c.mat.Dev {
		fileDevSeals(c.mat, seals, log, clk)
	}
	// Applicant signatures chain to the configured roots through the
	// applicant CA (event certificates) or any other configured CA.
	var inter []*smx509.Certificate
	if ca := c.mat.ApplicantCA.Cert; ca != nil {
		inter = append([]*smx509.Certificate{ca}, c.mat.ApplicantCA.Chain...)
	}
	applicantTrust := pki.NewTrustStore(c.mat.Roots, inter)
	registry := &registrySealer{mat: c.mat, seals: seals, src: sealStore, clk: clk}
	var sealer pledge.Sealer = registry
	var cmsStamp pledge.CMSStamper
	if c.stamp.stamper != nil { // stamping.go: seals and applicant CMS carry time-stamp tokens
		sealer, cmsStamp = stamp.Sealer{Inner: sealer, Stamper: c.stamp.stamper}, c.stamp.stamper
	}
	cat := pledge.NewCatalogue(store.NewCatalogueRepo(c.store), clk)
	notices := pledge.NewNotices(store.NewNoticeRepo(c.store), cat, sealer, clk)
	pledges := store.NewPledgeRepo(c.store, prot)
	svc := pledge.NewService(pledge.Deps{
		Catalogue: cat, Notices: notices, Bars: store.CombinedBars{Base: store.NewBarRepo(c.store), Registry: sealStore}, Pledges: pledges, Indexer: prot,
		Sealer: sealer, EventCA: c.mat.ApplicantCA.Issuer(), ApplicantTrust: applicantTrust, Clock: clk, BaseURL: baseURL, Stamp: cmsStamp,
	})
	v, err := verify.New(verify.Options{
		SealTrust: c.mat.Trust, ApplicantTrust: applicantTrust, TSATrust: c.stamp.trust, Registry: sealStore, Pledges: pledges,
		Status: store.NewStatusBatch(sealStore, pledges), Clock: clk, Registerer: reg, // Status: one Redis round trip
	})
	if err != nil {
		return nil, &StartupError{Step: "verifier", Err: err}
	}
	labels, err := web.Messages("zh-CN")
	if err != nil {
		return nil, &StartupError{Step: "OFD labels", Err: err}
	}
	// Signed OFD files of any product: seals chain to the seal trust, with
	// the registry's status; Type="Sign" (CMS) signers to the configured roots.
	ofdSES := ses.NewVerifier(ses.Options{SealTrust: c.mat.Trust, TSATrust: c.stamp.trust, Status: sealStore})
	signTrust := pki.NewTrustStore(c.mat.Roots, nil)
	ofdAPI := &httpapi.OFDAPI{
		// The OFD is sealed as pledges are (time-stamped when a TSA is
		// configured), with the seal the registry sealer chooses.
		Writer: &ofdmake.Writer{Sealer: ofdSealer{Sealer: sealer, active: registry}, Clock: clk}, Labels: labels, Version: version.Get().Version,
		Verify: func(ctx context.Context, data []byte, lim ofd.Limits) (*ofd.Result, error) {
			return ofd.Verify(ctx, data, ofd.Options{SES: ofdSES, SignTrust: signTrust, Limits: lim})
		},
	}
	return &httpapi.PledgeAPI{Catalogue: cat, Notices: notices, Service: svc, Records: pledges, Verifier: v, OFD: ofdAPI, Findings: sealStore}, nil
}

// devESID is the esID of a demo agency's dev seal.
func devESID(code string) string { return "DEV-" + code }

// fileDevSeals makes and files one seal per demo agency whose signing
// certificate has none in the registry yet (dev material only). A failure
// (e.g. Redis not up yet) is logged, not fatal: the agency then cannot seal
// until a seal is filed (pledgectl or POST /v1/seals) or the server restarts.
func fileDevSeals(m *trust.Material, seals *seal.Registry, log *slog.Logger, clk clock.Clock) {
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
	seals *seal.Registry
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
