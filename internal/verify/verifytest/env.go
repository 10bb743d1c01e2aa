// Package verifytest builds a complete pledge domain over a real Redis for
// tests of internal/verify and the HTTP layer: certificate authorities, a
// seal made and filed in the seal registry, the catalogue, notices, the
// pledge service and a verifier whose status source is the real
// registry and pledge repository, read together (store.StatusBatch) — all
// built by domain.New, as the server builds them. It must only be imported
// by tests.
package verifytest

import (
	"context"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/internal/app/domain"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/jcs"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/pledge/pledgesample"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// CA is a key and certificate that can issue.
type CA struct {
	Cert *smx509.Certificate
	Key  *sm2.PrivateKey
}

// Issuer returns the pki issuer of c.
func (c CA) Issuer() *pki.Issuer { return &pki.Issuer{Cert: c.Cert, Key: c.Key} }

// NewCA issues a CA certificate (self-signed when parent is nil).
func NewCA(t testing.TB, cn string, parent *CA, from, to time.Time) CA {
	t.Helper()
	var iss *pkitest.Cert // nil: self-signed
	if parent != nil {
		iss = &pkitest.Cert{Cert: parent.Cert, Key: parent.Key}
	}
	c := iss.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: cn}, NotBefore: from, NotAfter: to, IsCA: true, MaxPathLen: -1})
	return CA{Cert: c.Cert, Key: c.Key}
}

// NewLeaf issues a signing certificate; serial becomes the subject
// serialNumber when given.
func NewLeaf(t testing.TB, cn string, parent CA, from, to time.Time, serial string) CA {
	t.Helper()
	c := (&pkitest.Cert{Cert: parent.Cert, Key: parent.Key}).Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: cn, SerialNumber: serial}, NotBefore: from, NotAfter: to})
	return CA{Cert: c.Cert, Key: c.Key}
}

// Agency is the demo agency of the environment.
const Agency = "110105-SCJGJ"

// ESID is the agency seal's identifier.
const ESID = "11010599990001"

// Key is the catalogue entry the environment uses.
var Key = pledge.EntryKey{Region: "110105", Matter: "M-0001", Certificate: "C-NO-CRIME"}

// Applicant is the demo applicant (matches the HTTP harness identity).
var Applicant = pledge.Applicant{Kind: pledge.ApplicantPerson, Name: "张三丰", IDType: pledge.IDResidentCard, IDNumber: "110101199001061234"}

// Env is a complete pledge domain over a real Redis, built as the server
// builds it (domain.New); the fields below are its parts.
type Env struct {
	Domain    *domain.Domain
	Clock     *clock.Fake
	Store     *store.Store
	Protector *pii.Protector
	Registry  *store.Registry
	Seals     *seal.Seals
	Revoc     *seal.Revocations
	Catalogue *pledge.Catalogue
	Notices   *pledge.Notices
	Service   *pledge.Service
	Pledges   *store.PledgeRepo
	Status    *store.StatusBatch
	// Bars holds the bars put directly; the pledge service reads them
	// together with the enforcement and withdrawal bars (Domain.Bars).
	Bars     *store.BarRepo
	Sealer   *pledge.SESSealer
	Verifier *verify.Verifier
	Metrics  *prometheus.Registry

	ApplicantRoot, EventCA, CitizenCA, OutsideCA CA
	SealRoot, Maker, SealSigner                  CA
	ApplicantTrust, SealTrust                    *pki.TrustStore
	Seal                                         *ses.Seal
	AgencySeal                                   pledge.AgencySeal
	Published                                    pledge.PublishedNotice
}

// SealMaker is the principal that files the environment's seal.
var SealMaker = auth.Principal{Role: auth.RoleSealMaker, TokenID: "verifytest"}

// OnRedis builds the environment on a store over the test Redis (a prefix
// of its own, closed when the test ends) and publishes its notice (Ready).
func OnRedis(t testing.TB, clk *clock.Fake) *Env {
	t.Helper()
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t), Timeout: time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := New(t, st, clk)
	e.Ready(t)
	return e
}

// New builds the environment on st (whose clock must be clk).
func New(t testing.TB, st *store.Store, clk *clock.Fake) *Env {
	t.Helper()
	e := &Env{Clock: clk, Store: st, Metrics: prometheus.NewRegistry()}
	encKey, _ := hex.DecodeString("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
	idxKey, _ := hex.DecodeString("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0")
	var err error
	if e.Protector, err = pii.New(encKey, idxKey); err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	from, to := now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0)
	e.ApplicantRoot = NewCA(t, "Test Applicant Root", nil, from, to)
	e.EventCA = NewCA(t, "Test Applicant Event CA", &e.ApplicantRoot, from, to)
	e.CitizenCA = NewCA(t, "Test Citizen CA", nil, from, to)
	e.OutsideCA = NewCA(t, "Untrusted CA", nil, from, to)
	e.ApplicantTrust = pki.NewTrustStore([]*smx509.Certificate{e.ApplicantRoot.Cert, e.CitizenCA.Cert}, []*smx509.Certificate{e.EventCA.Cert})
	e.SealRoot = NewCA(t, "Test Seal Root", nil, from, to)
	e.Maker = NewLeaf(t, "Test Seal Maker", e.SealRoot, from, to, "")
	e.SealSigner = NewLeaf(t, "Test Agency Signer", e.SealRoot, from, to, Agency) // its subject serialNumber names the agency, as the dev material does
	e.SealTrust = pki.NewTrustStore([]*smx509.Certificate{e.SealRoot.Cert}, nil)

	e.Domain, err = domain.New(st, domain.Trust{Data: e.Protector, Seals: e.SealTrust, Applicants: e.ApplicantTrust,
		EventCA: e.EventCA.Issuer(), Maker: &ses.Maker{Signer: pki.NewKeySigner(e.Maker.Key), Cert: e.Maker.Cert.Raw}},
		clk, domain.Config{BaseURL: BaseURL, Metrics: e.Metrics, Sealer: func(d *domain.Domain) (pledge.Sealer, error) {
			// The agency's seal, made and filed in the seal registry.
			filed, err := d.Seals.Make(context.Background(), SealMaker, seal.MakeRequest{
				Filing: seal.Filing{Agency: Agency, Category: seal.Category("statutory_name"), TypeCode: seal.TypeCode("01"), DocumentNo: "朝市监印备〔2026〕1号"},
				ESID:   ESID, Name: "北京市朝阳区市场监督管理局", SignerCerts: [][]byte{e.SealSigner.Cert.Raw},
				ValidStart: now.Add(-time.Hour), ValidEnd: now.AddDate(2, 0, 0),
				Picture: ses.Picture{Type: "PNG", Data: []byte("\x89PNG\r\n\x1a\n"), Width: 40, Height: 40},
			})
			if err != nil {
				return nil, err
			}
			if e.Seal, err = ses.ParseSeal(filed.DER); err != nil {
				return nil, err
			}
			e.AgencySeal = pledge.AgencySeal{Seal: e.Seal, Signer: ses.Signer{Signer: pki.NewKeySigner(e.SealSigner.Key), Cert: e.SealSigner.Cert.Raw}}
			e.Sealer = pledge.NewSESSealer(map[string]pledge.AgencySeal{Agency: e.AgencySeal}, d.Registry, clk)
			return e.Sealer, nil
		}})
	if err != nil {
		t.Fatalf("build the domain: %v", err)
	}
	d := e.Domain
	e.Registry, e.Seals, e.Revoc, e.Catalogue, e.Notices = d.Registry, d.Seals, d.Revocations, d.Catalogue, d.Notices
	e.Bars, e.Pledges, e.Status, e.Service, e.Verifier = d.BarRepo, d.Pledges, d.Status, d.Service, d.Verifier
	return e
}

// Entry is the demo catalogue entry, effective from `from`.
func Entry(from time.Time) pledge.Entry {
	return pledgesample.Entry(Key, Agency, "北京市朝阳区市场监督管理局", from)
}

// Notice is the demo notice.
func Notice() pledge.Notice {
	return pledgesample.Notice("N-M0001-NOCRIME", Key, Agency, "北京市朝阳区市场监督管理局")
}

// Ready records the catalogue entry and publishes the notice.
func (e *Env) Ready(t testing.TB) pledge.PublishedNotice {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Catalogue.Record(ctx, pledge.Editor{Agency: Agency, Actor: "officer-1"}, Entry(e.Clock.Now()), 0); err != nil {
		t.Fatalf("record entry: %v", err)
	}
	e.Clock.Advance(time.Minute)
	p, err := e.Notices.Publish(ctx, Agency, Notice())
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	e.Published = p
	return p
}

// Request is a sign request for the published notice.
func (e *Env) Request(key string) pledge.SignRequest {
	return pledge.SignRequest{
		Notice:         pledge.NoticeRef{ID: e.Published.Notice.ID, Version: e.Published.Notice.Version, Digest: e.Published.DigestHex()},
		Facts:          []pledge.Fact{{Code: "ORG_NAME", Label: pledge.Text{Zh: "社会团体名称"}, Value: "北京市围棋协会"}},
		Channel:        pledge.ChannelWeb,
		IdempotencyKey: key,
	}
}

// BaseURL is the public base URL of the environment's service.
const BaseURL = "https://pledge.example.gov.cn"

// StatusURL is the status link of a pledge.
func StatusURL(id string) string { return pledge.StatusURL(BaseURL, id) }

// Package returns rec's package.
func (e *Env) Package(t testing.TB, rec pledge.Record) []byte {
	t.Helper()
	b, err := e.Service.Package(context.Background(), rec, StatusURL(rec.ID))
	if err != nil {
		t.Fatalf("package: %v", err)
	}
	return b
}

// Accepted signs (event certificate) and accepts a pledge, returning the record.
func (e *Env) Accepted(t testing.TB, key string) pledge.Record {
	t.Helper()
	ctx := context.Background()
	rec := e.signedForDecision(t, key)
	rec, err := e.Service.Accept(ctx, pledge.Officer{Agency: Agency, ID: "officer-1"}, rec.ID, "朝市监许〔2026〕7号", e.Clock.Now().Format(time.DateOnly))
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	e.Clock.Advance(time.Minute)
	return rec
}

// signedForDecision signs a pledge with an event certificate and moves the
// clock a minute on, the first half of Accepted and LegacyAccepted.
func (e *Env) signedForDecision(t testing.TB, key string) pledge.Record {
	t.Helper()
	rec, _, err := e.Service.SignWithEventCertificate(context.Background(), Applicant, e.Request(key))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	e.Clock.Advance(time.Minute)
	return rec
}

// LegacyAccepted signs (event certificate) and accepts a pledge the way
// the service did before decision statements: the agency's seal covers
// only the pledge ID, the document digest and the applicant signature's
// digest (pledge.SignedPledgeFormat), and the decision number and date are
// recorded beside it unsigned. It keeps that old code path for tests that
// packages made so still verify.
func (e *Env) LegacyAccepted(t testing.TB, key string) pledge.Record {
	t.Helper()
	ctx := context.Background()
	rec := e.signedForDecision(t, key)
	sd := pki.Digest(rec.ApplicantCMS)
	data, err := jcs.Marshal(map[string]string{
		"format":                   pledge.SignedPledgeFormat,
		"pledgeId":                 rec.ID,
		"documentDigest":           hex.EncodeToString(rec.Digest[:]),
		"applicantSignatureDigest": hex.EncodeToString(sd[:]),
	})
	if err != nil {
		t.Fatal(err)
	}
	seal, err := e.Sealer.SealData(ctx, Agency, data, "pledge:"+rec.ID)
	if err != nil {
		t.Fatalf("legacy seal: %v", err)
	}
	now, docNo := e.Clock.Now(), "朝市监许〔2025〕3号"
	rec, err = e.Pledges.Transition(ctx, rec.ID, pledge.Transition{
		From:  []pledge.Status{pledge.StatusSigned},
		Event: pledge.Event{To: pledge.StatusAccepted, At: now, Actor: "officer-1", DocumentNo: docNo},
		Decision: &pledge.Decision{DocumentNo: docNo, Date: pledge.CivilDate(now), Officer: "officer-1", DecidedAt: now,
			SealedData: data, AgencySES: seal},
	})
	if err != nil {
		t.Fatalf("legacy accept: %v", err)
	}
	e.Clock.Advance(time.Minute)
	return rec
}

// SignAt makes an SES_Signature v4 by the environment's agency seal over
// data with timeInfo `at`, bypassing the checks of ses.Sign (validity
// window, registry), as a forger or a faulty system would.
func (e *Env) SignAt(t testing.TB, data []byte, at time.Time, property string) []byte {
	t.Helper()
	return SignWith(t, e.AgencySeal, data, at, property)
}

// OtherAgencySeal makes and files (active) a seal of another agency, usable
// by the environment's agency signer certificate, as a second registered
// agency of the same service has.
func (e *Env) OtherAgencySeal(t testing.TB, agency, esID string) pledge.AgencySeal {
	t.Helper()
	now := e.Clock.Now()
	filed, err := e.Seals.Make(context.Background(), SealMaker, seal.MakeRequest{
		Filing: seal.Filing{Agency: agency, Category: seal.Category("statutory_name"), TypeCode: seal.TypeCode("01"), DocumentNo: "海市监印备〔2026〕2号"},
		ESID:   esID, Name: "北京市海淀区市场监督管理局", SignerCerts: [][]byte{e.SealSigner.Cert.Raw},
		ValidStart: now.Add(-time.Hour), ValidEnd: now.AddDate(2, 0, 0),
		Picture: ses.Picture{Type: "PNG", Data: []byte("\x89PNG\r\n\x1a\n"), Width: 40, Height: 40},
	})
	if err != nil {
		t.Fatalf("make seal: %v", err)
	}
	s, err := ses.ParseSeal(filed.DER)
	if err != nil {
		t.Fatal(err)
	}
	return pledge.AgencySeal{Seal: s, Signer: e.AgencySeal.Signer}
}

// SignWith makes an SES_Signature v4 by as over data with timeInfo `at`,
// bypassing the checks of ses.Sign (validity window, registry).
func SignWith(t testing.TB, as pledge.AgencySeal, data []byte, at time.Time, property string) []byte {
	t.Helper()
	tbs := ses.TBSSign{Version: 4, Seal: as.Seal, TimeInfo: at.UTC().Truncate(time.Second), DataHash: ses.DataDigest(data), PropertyInfo: property}
	der, err := ses.EncodeTBS(&tbs)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := as.Signer.Signer.SignMessage(der)
	if err != nil {
		t.Fatal(err)
	}
	if sig, err = pki.NormalizeSignature(sig); err != nil {
		t.Fatal(err)
	}
	s := &ses.Signature{Version: ses.V4, TBS: tbs, Cert: as.Signer.Cert, SignatureAlgID: ses.OIDSM2WithSM3(), Value: sig}
	out, err := s.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// SubjectOfPledge is the registry subject of a pledge.
func SubjectOfPledge(id string) status.Subject {
	return status.Subject{Kind: status.KindPledge, ID: id}
}

// MutatePackage decodes a package's JSON, lets f change it and encodes it
// again (for tests of tampered or malformed packages).
func MutatePackage(t testing.TB, pkg []byte, f func(p *pledge.Package)) []byte {
	t.Helper()
	var p pledge.Package
	if err := json.Unmarshal(pkg, &p); err != nil {
		t.Fatal(err)
	}
	f(&p)
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
