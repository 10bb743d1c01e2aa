// Package domain builds the PledgeSeal domain — seal and revocation
// registries, catalogue, notices, pledges, credit bars, the verifier,
// enforcement and webhooks — over one store, from the trust material, a
// clock and the settings. It is the one place that wires the domain
// packages to the Redis repositories of internal/store: the server
// (internal/app), the test environments (internal/verify/verifytest) and
// the benchmark commands all call New, so they run the same code.
package domain

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
	"github.com/pledgeseal/pledgeseal/internal/notify"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/stamp"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/trust"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// Trust is the trust material the domain uses. The server takes it from
// internal/trust (TrustFrom); tests and benchmarks make their own.
type Trust struct {
	// Data protects personal data (pii.New over the data keys).
	Data *pii.Protector
	// Seals holds the anchors of seal-maker and seal-signer certificates.
	Seals *pki.TrustStore
	// Applicants holds the anchors (and CAs) applicant signatures chain to.
	Applicants *pki.TrustStore
	// EventCA issues event certificates.
	EventCA *pki.Issuer
	// Maker makes seals; nil: the service only imports seals.
	Maker *ses.Maker
	// TSA holds the anchors of the time-stamping authorities whose tokens
	// prove signing times (nil: the verifier's default, the seal anchors).
	TSA *pki.TrustStore
}

// TrustFrom takes the domain's trust from loaded trust material: applicant
// signatures chain to the configured roots through the applicant CA (event
// certificates) or any other configured CA.
func TrustFrom(m *trust.Material, data *pii.Protector) Trust {
	var inter []*smx509.Certificate
	if ca := m.ApplicantCA.Cert; ca != nil {
		inter = append([]*smx509.Certificate{ca}, m.ApplicantCA.Chain...)
	}
	return Trust{Data: data, Seals: m.Trust,
		Applicants: pki.NewTrustStore(m.Roots, inter), EventCA: m.ApplicantCA.Issuer(),
		Maker: &ses.Maker{Signer: m.SealMaker.Signer(), Cert: m.SealMaker.CertDER}}
}

// Config is what the domain needs besides the store, the trust and the clock.
type Config struct {
	// BaseURL is the public base URL the status links sealed into
	// decisions name.
	BaseURL string
	// ClockSkew bounds how far past now a revocation may take effect
	// (seal.DefaultClockSkew when zero).
	ClockSkew time.Duration
	// Calendar counts the working days of post-check due dates (nil:
	// enforce's default, weekends only).
	Calendar enforce.Calendar
	// WebhookAllow lists internal CIDRs or host names webhooks may target;
	// WebhookClient sends them (nil: a client with a 10 s timeout).
	WebhookAllow  []string
	WebhookClient *http.Client
	// Log receives the webhook worker's log lines (nil: discarded).
	Log *slog.Logger
	// Metrics receives the verifier's and the status lookups' counters
	// (nil: not exported).
	Metrics prometheus.Registerer
	// CMS makes and checks applicant signatures (nil: pledge.PKICMS).
	CMS pledge.CMS
	// Stamp, when set, puts time-stamp tokens into agency seals (SES
	// timeStamp) and applicant CMS signatures (id-aa-timeStampToken).
	Stamp *stamp.Stamper
	// Sealer returns the agencies' sealer once the registries exist (the
	// server's seals with the agency's newest active seal in the registry;
	// a test may file its own seal first). Required.
	Sealer func(d *Domain) (pledge.Sealer, error)
}

// Domain is the built domain. Its fields are read-only after New.
type Domain struct {
	Store     *store.Store
	Protector *pii.Protector
	Trust     Trust
	// Registry is the Redis side of the seal and revocation registry.
	Registry    *store.Registry
	Seals       *seal.Seals
	Revocations *seal.Revocations
	Catalogue   *pledge.Catalogue
	Notices     *pledge.Notices
	Pledges     *store.PledgeRepo
	// BarRepo holds the bars put directly; Bars is what the pledge service
	// reads: those, the enforcement consequences' and the withdrawal bars.
	BarRepo *store.BarRepo
	Bars    pledge.CombinedBars
	// Status answers every status question of one verification in one
	// Redis round trip.
	Status   *store.StatusBatch
	Sealer   pledge.Sealer
	Service  *pledge.Service
	Verifier *verify.Verifier
	Enforce  *enforce.Service
	Notify   *notify.Service
}

// New builds the domain over st.
func New(st *store.Store, tr Trust, clk clock.Clock, cfg Config) (*Domain, error) {
	if cfg.Sealer == nil || tr.Data == nil {
		return nil, apperr.New(apperr.Internal, "domain: a sealer and the personal-data protector are required")
	}
	prot := tr.Data
	d := &Domain{Store: st, Protector: prot, Trust: tr, Registry: store.NewRegistry(st)}
	var err error
	d.Seals = seal.NewSeals(d.Registry, seal.Config{Maker: tr.Maker, MakerTrust: tr.Seals}, clk)
	d.Catalogue = pledge.NewCatalogue(store.NewCatalogueRepo(st), clk)
	d.Pledges = store.NewPledgeRepo(st, prot, d.Catalogue)
	d.Revocations = seal.NewRevocations(d.Registry, clk, seal.RevocationOptions{Pledges: d.Pledges, ClockSkew: cfg.ClockSkew})
	d.BarRepo = store.NewBarRepo(st)
	d.Bars = store.AllBars(d.BarRepo, d.Registry)
	d.Status = store.NewStatusBatch(d.Registry, d.Pledges)
	if d.Sealer, err = cfg.Sealer(d); err != nil {
		return nil, err
	}
	var cmsStamp pledge.CMSStamper
	if cfg.Stamp != nil {
		d.Sealer, cmsStamp = stamp.Sealer{Inner: d.Sealer, Stamper: cfg.Stamp}, cfg.Stamp
	}
	d.Notices = pledge.NewNotices(store.NewNoticeRepo(st), d.Catalogue, d.Sealer, clk)
	d.Service = pledge.NewService(pledge.Deps{
		Catalogue: d.Catalogue, Notices: d.Notices, Bars: d.Bars, Pledges: d.Pledges, Indexer: prot,
		Sealer: d.Sealer, CMS: cfg.CMS, EventCA: tr.EventCA, ApplicantTrust: tr.Applicants, Clock: clk, BaseURL: cfg.BaseURL, Stamp: cmsStamp,
	})
	if d.Verifier, err = verify.New(verify.Options{SealTrust: tr.Seals, ApplicantTrust: tr.Applicants, TSATrust: tr.TSA, CMS: cfg.CMS,
		Status: d.Status, Clock: clk, Registerer: cfg.Metrics}); err != nil {
		return nil, err
	}
	if d.Enforce, err = enforce.New(enforce.Deps{Registry: d.Registry, Pledges: d.Pledges, Clock: clk,
		Tasks: store.NewTaskRepo(st), Policies: d.Catalogue, Calendar: cfg.Calendar}); err != nil {
		return nil, err
	}
	client := cfg.WebhookClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	d.Notify = notify.New(store.NewNotifications(st), prot, clk, client, cfg.Log,
		notify.Options{Allow: cfg.WebhookAllow, Owners: d.Pledges})
	if cfg.Metrics != nil {
		for _, c := range append(d.Registry.Collectors(), d.Status.Collectors()...) {
			if err := cfg.Metrics.Register(c); err != nil {
				return nil, apperr.Wrap(apperr.Internal, err, "domain: cannot register metrics")
			}
		}
	}
	return d, nil
}
