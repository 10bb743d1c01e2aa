package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	appdomain "github.com/pledgeseal/pledgeseal/internal/app/domain"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/bench"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/stamp"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/trust"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// countingCMS counts the SM2 signatures and verifications the pledge CMS
// code performs (one each per call of pki's SignedData code with one signer).
type countingCMS struct {
	inner          pledge.CMS
	signs, verifys atomic.Int64
}

func (c *countingCMS) SignDetached(content []byte, cert *smx509.Certificate, key *sm2.PrivateKey, at time.Time) ([]byte, error) {
	c.signs.Add(1)
	return c.inner.SignDetached(content, cert, key, at)
}

func (c *countingCMS) VerifyDetached(sig, content []byte) (*smx509.Certificate, []*smx509.Certificate, error) {
	c.verifys.Add(1)
	return c.inner.VerifyDetached(sig, content)
}

// countingSigner counts SM2 signatures made through a pki.Signer.
type countingSigner struct {
	inner pki.Signer
	n     atomic.Int64
}

func (s *countingSigner) Public() *ecdsa.PublicKey { return s.inner.Public() }

func (s *countingSigner) SignMessage(msg []byte) ([]byte, error) {
	s.n.Add(1)
	return s.inner.SignMessage(msg)
}

// domain is the pledge domain built in process over the benchmark's Redis
// (its own key prefix) from the same dev trust material pledged loads, with
// counting wrappers where SM2 work happens.
type domain struct {
	clk      clock.Clock
	st       *store.Store
	reg      *store.Registry
	pledges  *store.PledgeRepo
	status   *store.StatusBatch
	svc      *pledge.Service
	verifier *verify.Verifier
	cms      *countingCMS
	sealSig  *countingSigner
	// tsaSig counts the built-in TSA's token signatures (nil: the dev
	// material has no TSA, and nothing is stamped, as in pledged).
	tsaSig *countingSigner
	// appTrust validates applicant chains; its Stats().LinksSkipped are
	// chain links whose SM2 check came from its cache.
	appTrust  *pki.TrustStore
	agency    string
	published pledge.PublishedNotice
	seq       atomic.Int64
	runID     string
}

func newDomain(ctx context.Context, clk clock.Clock, mat *trust.Material, redisAddr, prefix, runID string) (*domain, error) {
	st, err := store.New(store.Options{Addrs: []string{redisAddr}, Prefix: prefix, Timeout: 10 * time.Second}, clk)
	if err != nil {
		return nil, err
	}
	d := &domain{clk: clk, st: st, runID: runID}
	prot, err := pii.New(mat.DataKeys.Enc, mat.DataKeys.Index)
	if err != nil {
		return nil, err
	}
	if len(mat.Agencies) == 0 {
		return nil, fmt.Errorf("the dev material has no agency")
	}
	ag := mat.Agencies[0]
	d.agency = ag.Code
	d.cms = &countingCMS{inner: pledge.PKICMS{}}
	now := clk.Now()
	tr := appdomain.TrustFrom(mat, prot)
	stamper, err := d.stamper(mat, st, clk)
	if err != nil {
		return nil, err
	}
	if stamper != nil {
		tr.TSA = pki.NewTrustStore(mat.Roots, nil) // as pledged: the configured roots hold the built-in TSA's
	}
	built, err := appdomain.New(st, tr, clk, appdomain.Config{CMS: d.cms, Stamp: stamper, Sealer: func(b *appdomain.Domain) (pledge.Sealer, error) {
		filed, err := b.Seals.Make(ctx, auth.Principal{Role: auth.RoleSealMaker, TokenID: "pledgebench"}, seal.MakeRequest{
			Filing: seal.Filing{Agency: ag.Code, Category: seal.CategoryStatutoryName, TypeCode: seal.TypeStatutoryName,
				DocumentNo: "BENCH-" + ag.Code, Note: "benchmark seal"},
			ESID: "BENCH-" + ag.Code, Name: ag.Name, SignerCerts: [][]byte{ag.CertDER},
			ValidStart: now.Add(-time.Minute), ValidEnd: now.AddDate(1, 0, 0),
			Picture: ses.Picture{Type: "PNG", Data: []byte("\x89PNG\r\n\x1a\n"), Width: 40, Height: 40},
		})
		if err != nil {
			return nil, fmt.Errorf("file the benchmark seal: %w", err)
		}
		parsed, err := ses.ParseSeal(filed.DER)
		if err != nil {
			return nil, err
		}
		d.sealSig = &countingSigner{inner: ag.Signer()}
		return pledge.NewSESSealer(map[string]pledge.AgencySeal{ag.Code: {Seal: parsed, Signer: ses.Signer{Signer: d.sealSig, Cert: ag.CertDER}}}, b.Registry, clk), nil
	}})
	if err != nil {
		return nil, err
	}
	d.reg, d.pledges, d.status, d.svc, d.verifier = built.Registry, built.Pledges, built.Status, built.Service, built.Verifier
	d.appTrust = tr.Applicants
	cat, notices := built.Catalogue, built.Notices
	if _, err := cat.Record(ctx, pledge.Editor{Agency: ag.Code, Actor: "pledgebench"}, benchEntry(ag.Code, now.Add(-30*time.Second)), 0); err != nil {
		return nil, fmt.Errorf("record the catalogue entry: %w", err)
	}
	if d.published, err = notices.Publish(ctx, ag.Code, benchNotice(ag.Code)); err != nil {
		return nil, fmt.Errorf("publish the notice: %w", err)
	}
	return d, nil
}

// stamper is what pledged stamps with when its trust material has a TSA
// (internal/app buildTSA, buildStamping): the built-in TSA with the
// default policy and accuracy, its serials in the store, tokens in applicant CMS
// signatures and agency seals. Its signatures are counted (d.tsaSig).
func (d *domain) stamper(mat *trust.Material, st *store.Store, clk clock.Clock) (*stamp.Stamper, error) {
	if mat.TSA == nil {
		return nil, nil
	}
	defaults, err := config.Load(nil, nil, io.Discard) // pledged's default TSA policy and accuracy
	if err != nil {
		return nil, fmt.Errorf("default configuration: %w", err)
	}
	d.tsaSig = &countingSigner{inner: mat.TSA.Signer()}
	a, err := tsa.New(tsa.Config{Cert: mat.TSA.Cert, Signer: d.tsaSig, Policy: defaults.TSAPolicy, Accuracy: defaults.TSAAccuracy, Serials: st, Clock: clk})
	if err != nil {
		return nil, fmt.Errorf("built-in TSA: %w", err)
	}
	return stamp.New(a, false, nil), nil
}

// tokens is the number of token signatures made so far.
func (d *domain) tokens() int64 {
	if d.tsaSig == nil {
		return 0
	}
	return d.tsaSig.n.Load()
}

func (d *domain) Close() error { return d.st.Close() }

func (d *domain) request() pledge.SignRequest {
	return pledge.SignRequest{
		Notice:         pledge.NoticeRef{ID: d.published.Notice.ID, Version: d.published.Notice.Version, Digest: d.published.DigestHex()},
		Facts:          []pledge.Fact{{Code: "ORG_NAME", Label: pledge.Text{Zh: "社会团体名称"}, Value: "北京市围棋协会"}},
		Channel:        pledge.ChannelWeb,
		IdempotencyKey: fmt.Sprintf("ip-%s-%08d", d.runID, d.seq.Add(1)),
	}
}

func (d *domain) sign(ctx context.Context) (pledge.Record, error) {
	rec, _, err := d.svc.SignWithEventCertificate(ctx, benchApplicant(), d.request())
	return rec, err
}

func (d *domain) accept(ctx context.Context, id string) (pledge.Record, error) {
	return d.svc.Accept(ctx, pledge.Officer{Agency: d.agency, ID: "officer-bench"}, id, "BENCH-1", d.clk.Now().Format(time.DateOnly))
}

func result(name string, r testing.BenchmarkResult, ops bench.Ops, cpu time.Duration, calls int64) bench.InProcess {
	out := bench.InProcess{Name: name, NsPerOp: r.NsPerOp(), AllocsPerOp: r.AllocsPerOp(), BytesPerOp: r.AllocedBytesPerOp(), N: r.N, SM2: ops}
	if calls > 0 {
		out.CPUNsPerOp = int64(cpu) / calls
	}
	return out
}

// perOp divides counted work by the calls it was counted over.
func perOp(n, calls int64) float64 {
	if calls == 0 {
		return 0
	}
	return float64(n) / float64(calls)
}

// benchSign: one way-(a) signing. Sign = one key generation and one
// event-certificate signature per call (pledge.SignWithEventCertificate)
// plus the CMS signatures counted; Verify = the issuing library's check of
// the certificate it just signed (smx509 signTBS) plus the CMS
// verifications counted plus one signature check per chain link
// (the stored chain's length − 1) less the links the trust store's chain
// cache answered without SM2 (its Stats().LinksSkipped).
func (d *domain) benchSign(ctx context.Context) (bench.InProcess, error) {
	var calls, links atomic.Int64
	var failure atomic.Value
	s0, v0, k0, t0 := d.cms.signs.Load(), d.cms.verifys.Load(), d.appTrust.Stats().LinksSkipped, d.tokens()
	cpu0 := selfCPU()
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			rec, err := d.sign(ctx)
			if err != nil {
				failure.Store(err)
				b.Fatal(err)
			}
			calls.Add(1)
			links.Add(int64(len(rec.Certificates) - 1))
		}
	})
	if err, ok := failure.Load().(error); ok {
		return bench.InProcess{}, fmt.Errorf("sign: %w", err)
	}
	c := calls.Load()
	ops := bench.Ops{
		Sign:   2 + perOp(d.cms.signs.Load()-s0+d.tokens()-t0, c),
		Verify: 1 + perOp(d.cms.verifys.Load()-v0+links.Load()-int64(d.appTrust.Stats().LinksSkipped-k0), c),
		How:    "CMS sign/verify counted through a counting pledge.CMS; the built-in TSA's token signatures through a counting pki.Signer; chain links from the stored chain less those the trust store's chain cache skipped (pki Stats().LinksSkipped); +1 key generation, +1 event-certificate signature and +1 smx509 post-signing check per call (code structure)",
	}
	return result(bench.BenchSign, r, ops, selfCPU()-cpu0, c), nil
}

// benchCounterSeal: the agency accepts a signed pledge (SES v4 counter-seal
// and the atomic status change). A fresh signed pledge is made for each
// iteration with the timer stopped.
func (d *domain) benchCounterSeal(ctx context.Context) (bench.InProcess, error) {
	var calls atomic.Int64
	var failure atomic.Value
	// Signing a pledge uses no SES signer, so the seal signer's counter
	// only sees the acceptances.
	s0, v0, t0 := d.sealSig.n.Load(), d.verifier.Stats().SM2Performed, d.tokens()
	var signTokens atomic.Int64
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			b.StopTimer()
			before := d.tokens()
			rec, err := d.sign(ctx)
			if err != nil {
				failure.Store(err)
				b.Fatal(err)
			}
			signTokens.Add(d.tokens() - before) // the applicant's, not the seal's
			b.StartTimer()
			if _, err := d.accept(ctx, rec.ID); err != nil {
				failure.Store(err)
				b.Fatal(err)
			}
			calls.Add(1)
		}
	})
	if err, ok := failure.Load().(error); ok {
		return bench.InProcess{}, fmt.Errorf("counter-seal: %w", err)
	}
	c := calls.Load()
	ops := bench.Ops{
		Sign:   perOp(d.sealSig.n.Load()-s0+d.tokens()-t0-signTokens.Load(), c),
		Verify: perOp(int64(d.verifier.Stats().SM2Performed-v0), c),
		How:    "SES signatures counted through a counting pki.Signer for the agency key, the seal's token through one for the TSA key; no SM2 verification runs on this path",
	}
	// CPU time would include the signing done with the timer stopped.
	return result("counter-seal", r, ops, 0, 0), nil
}

// accepted signs and accepts one pledge and returns its package.
func (d *domain) accepted(ctx context.Context) (pledge.Record, []byte, error) {
	rec, err := d.sign(ctx)
	if err != nil {
		return pledge.Record{}, nil, err
	}
	if rec, err = d.accept(ctx, rec.ID); err != nil {
		return pledge.Record{}, nil, err
	}
	pkg, err := d.svc.Package(ctx, rec, "http://127.0.0.1/v1/pledges/"+rec.ID)
	return rec, pkg, err
}

// benchVerify: a full verification of one accepted package with the seal
// and chain caches warm. Verify = CMS verifications counted + chain links
// of the applicant certificate + the SES verifier's own SM2 counter.
func (d *domain) benchVerify(ctx context.Context) (bench.InProcess, error) {
	rec, pkg, err := d.accepted(ctx)
	if err != nil {
		return bench.InProcess{}, err
	}
	if rep := d.verifier.Verify(ctx, pkg, verify.Public()); rep.Indication != outcome.TotalPassed {
		return bench.InProcess{}, fmt.Errorf("verify: the benchmark package is %s/%s", rep.Indication, rep.SubIndication)
	}
	var calls atomic.Int64
	var bad atomic.Value
	v0, st0, k0 := d.cms.verifys.Load(), d.verifier.Stats(), d.appTrust.Stats().LinksSkipped
	cpu0 := selfCPU()
	r := testing.Benchmark(func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if rep := d.verifier.Verify(ctx, pkg, verify.Public()); rep.Indication != outcome.TotalPassed {
				bad.Store(string(rep.Indication))
				b.Fatal(rep.Indication)
			}
			calls.Add(1)
		}
	})
	if s, ok := bad.Load().(string); ok {
		return bench.InProcess{}, fmt.Errorf("verify: %s", s)
	}
	c := calls.Load()
	cpu := selfCPU() - cpu0
	st := d.verifier.Stats()
	links := int64(len(rec.Certificates) - 1)
	skipped := perOp(int64(d.appTrust.Stats().LinksSkipped-k0), c)
	appTokens := applicantTokens(rec.ApplicantCMS)
	ops := bench.Ops{
		Verify: perOp(d.cms.verifys.Load()-v0, c) + float64(links) - skipped + perOp(int64(st.SM2Performed-st0.SM2Performed), c) + float64(appTokens),
		How: fmt.Sprintf("CMS verifications counted (pledge.CMS wrapper) + %d applicant chain links − %.2f/op from the trust store's chain cache (pki Stats().LinksSkipped) + ses Verifier Stats().SM2Performed (seal signatures and SES tokens; from cache: %.2f skipped/op) + %d applicant time-stamp token (verified by internal/verify; code structure)",
			links, skipped, perOp(int64(st.SM2Skipped-st0.SM2Skipped), c), appTokens),
	}
	return result(bench.BenchVerify, r, ops, cpu, c), nil
}

// applicantTokens is the number of time-stamp tokens internal/verify
// verifies for an applicant CMS: one when it carries any (the first).
func applicantTokens(cms []byte) int {
	sd, err := pki.ParseCMS(cms)
	if err != nil || len(sd.Signers) != 1 {
		return 0
	}
	if toks, err := sd.Signers[0].TimeStampTokens(); err == nil && len(toks) > 0 {
		return 1
	}
	return 0
}

// lookup times the status lookup of one verification as the verifier makes
// it (store.StatusBatch): the registry subjects (pledge, seal, maker,
// signer and applicant certificates) and the pledge's workflow state, and
// counts its round trips.
func (d *domain) lookup(ctx context.Context, n int) (*bench.Lookup, error) {
	rec, pkg, err := d.accepted(ctx)
	if err != nil {
		return nil, err
	}
	p, err := pledge.ParsePackage(pkg)
	if err != nil {
		return nil, err
	}
	sig, err := ses.ParseSignature(p.AgencySES)
	if err != nil {
		return nil, err
	}
	subs := []status.Subject{{Kind: status.KindPledge, ID: rec.ID},
		{Kind: status.KindSeal, ID: sig.TBS.Seal.Info.ESID, Digest: pki.Digest(sig.TBS.Seal.Raw)},
		{Kind: status.KindCertificate, Digest: pki.Digest(sig.TBS.Seal.MakerCert)},
		{Kind: status.KindCertificate, Digest: pki.Digest(sig.Cert)}}
	if len(rec.Certificates) > 0 {
		subs = append(subs, status.Subject{Kind: status.KindCertificate, Digest: pki.Digest(rec.Certificates[0])})
	}
	subs = append(subs, status.Subject{Kind: status.KindPledgeState, ID: rec.ID})
	lat := make([]time.Duration, 0, n)
	before := d.status.Stats()
	for range n {
		t := d.clk.Now()
		ans, err := d.status.Lookup(ctx, d.clk.Now(), subs)
		lat = append(lat, d.clk.Now().Sub(t))
		if err != nil {
			return nil, err
		}
		if len(ans.Results) != len(subs) {
			return nil, fmt.Errorf("lookup answered %d of %d subjects", len(ans.Results), len(subs))
		}
	}
	after := d.status.Stats()
	trips := after.RoundTrips - before.RoundTrips
	return &bench.Lookup{Subjects: len(subs), Lookups: n, RoundTrips: trips, RoundTripsPerCall: float64(trips) / float64(n), Latency: bench.Summarize(lat)}, nil
}
