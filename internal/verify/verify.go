package verify

import (
	"github.com/emmansun/gmsm/smx509"

	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// MaxBatch is the most packages one VerifyBatch call accepts.
const MaxBatch = 100

// Options configures a Verifier.
type Options struct {
	// SealTrust holds the anchors of seal-maker certificates; SignerTrust
	// those of agency signer certificates (nil: SealTrust).
	SealTrust, SignerTrust *pki.TrustStore
	// ApplicantTrust holds the anchors applicant signatures must chain to.
	ApplicantTrust *pki.TrustStore
	// TSATrust holds the anchors of the TSAs whose tokens prove signing
	// and sealing times (poe.go); nil: SealTrust.
	TSATrust *pki.TrustStore
	// CMS verifies applicant signatures (default pledge.PKICMS).
	CMS pledge.CMS
	// Status answers every status question of one verification in one
	// call: seal, certificate and pledge (enforcement finding, decision
	// revocation) subjects as the registry does, and the pledge's workflow
	// state as a status.KindPledgeState subject (store.StatusBatch: one
	// Redis round trip; it counts the round trips). Nil: the verifier is
	// offline (pledgectl): status checks are NOT_PERFORMED and say so.
	Status status.Source
	Clock  clock.Clock
	// Registerer receives the counters (nil: not exported).
	Registerer prometheus.Registerer
	// CacheSize bounds the SES verifier's cache (0: its default).
	CacheSize int
}

// Viewer is who reads a report: the applicant and the owning agency see
// personal data; everyone else sees it masked.
type Viewer struct {
	Agency    string
	Applicant *pledge.Applicant
}

// Public is the anonymous viewer.
func Public() Viewer { return Viewer{} }

func (v Viewer) sees(d *pledge.Document) bool {
	if v.Agency != "" && v.Agency == d.Agency {
		return true
	}
	a := v.Applicant
	return a != nil && a.Kind == d.Applicant.Kind && a.IDType == d.Applicant.IDType &&
		a.IDNumber != "" && pii.Normalize(a.IDNumber) == pii.Normalize(d.Applicant.IDNumber)
}

// noticeCacheSize bounds the parsed notices a Verifier keeps.
const noticeCacheSize = 64

// Verifier makes verification reports. It is safe for concurrent use.
type Verifier struct {
	opts     Options
	ses      *ses.Verifier
	packages *pledge.PackageParser
	verifies *prometheus.CounterVec
}

// New returns a Verifier and registers its counters on opts.Registerer.
func New(opts Options) (*Verifier, error) {
	if opts.CMS == nil {
		opts.CMS = pledge.PKICMS{}
	}
	if opts.Clock == nil {
		return nil, apperr.New(apperr.Internal, "verify: a clock is required")
	}
	v := &Verifier{
		opts: opts,
		// One TSA trust store for the SES timestamp checks and the
		// report's proven times: the agency seal's token is verified once,
		// by ses, and its result is the report's (poe.go).
		ses: ses.NewVerifier(ses.Options{SealTrust: opts.SealTrust, SignerTrust: opts.SignerTrust, TSATrust: tsaTrust(opts), CacheSize: opts.CacheSize}),
		// Notice versions in circulation are few; 64 parses bound the cache
		// to 64 × the largest notice a package may carry.
		packages: pledge.NewPackageParser(noticeCacheSize),
		verifies: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pledgeseal_verifications_total", Help: "Pledge package verifications by overall indication.",
		}, []string{"indication"}),
	}
	if opts.Registerer != nil {
		stats := v.ses.Stats
		cs := []prometheus.Collector{v.verifies,
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "pledgeseal_verification_sm2_skipped_total", Help: "SM2 verifications answered from the cache (seal-maker signatures; the notice seal's signer signature and time-stamp token, the same bytes in every package of a notice).",
			}, func() float64 { return float64(stats().SM2Skipped) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "pledgeseal_verification_sm2_performed_total", Help: "SM2 verifications run for seals (maker, signer and SES time-stamp tokens).",
			}, func() float64 { return float64(stats().SM2Performed) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "pledgeseal_verification_chains_skipped_total", Help: "Seal certificate chains answered from the cache.",
			}, func() float64 { return float64(stats().ChainsSkipped) }),
		}
		for _, c := range cs {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, apperr.Wrap(apperr.Internal, err, "verify: cannot register metrics")
			}
		}
	}
	return v, nil
}

// Stats returns the SES verifier's counters (cache effect).
func (v *Verifier) Stats() ses.Stats { return v.ses.Stats() }

// Online reports whether status sources are configured.
func (v *Verifier) Online() bool {
	return v.opts.Status != nil
}

// VerifyBatch verifies up to MaxBatch packages; the seal and chain cache is
// shared, so a seal common to the batch costs one maker-signature check.
func (v *Verifier) VerifyBatch(ctx context.Context, pkgs [][]byte, viewer Viewer) ([]Report, error) {
	if len(pkgs) == 0 || len(pkgs) > MaxBatch {
		return nil, apperr.New(apperr.Malformed, "give 1 to %d packages", MaxBatch).WithCode(apperr.CodeBatchSize)
	}
	out := make([]Report, len(pkgs))
	for i, b := range pkgs {
		out[i] = v.Verify(ctx, b, viewer)
	}
	return out, nil
}

type builder struct {
	r *Report
}

func (b builder) add(scope, name string, res outcome.Result, sub outcome.SubIndication, format string, args ...any) {
	if res == outcome.Passed || res == outcome.NotPerformed {
		sub = outcome.None
	}
	c := Check{Name: name, Scope: scope, Result: res, SubIndication: sub, Detail: fmt.Sprintf(format, args...)}
	if scope == ScopeNow {
		b.r.StatusNow.Checks = append(b.r.StatusNow.Checks, c)
	} else {
		b.r.ValidAtSigning.Checks = append(b.r.ValidAtSigning.Checks, c)
	}
}

func detailOf(err error) string {
	if e := apperr.As(err); e != nil && e.Detail != "" {
		return e.Detail
	}
	return "invalid"
}

func codeOf(err error) apperr.Code {
	if e := apperr.As(err); e != nil {
		return e.Code
	}
	return ""
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Verify makes the report of one package. It never fails: a package that
// cannot be parsed is TOTAL_FAILED / FORMAT_FAILURE, a status that cannot
// be read INDETERMINATE / TRY_LATER.
func (v *Verifier) Verify(ctx context.Context, pkg []byte, viewer Viewer) (r Report) {
	r = Report{Format: Format, ValidAtSigning: AtSigning{Checks: []Check{}}, StatusNow: Now{Checks: []Check{}},
		Freshness: Freshness{VerifiedAt: v.opts.Clock.Now().UTC(), Online: v.Online()}}
	b := builder{&r}
	defer func() {
		r.finish()
		v.verifies.WithLabelValues(string(r.Indication)).Inc()
	}()

	p, err := v.packages.Parse(pkg)
	if err != nil {
		b.add(ScopeSigning, CheckPackage, outcome.Failed, outcome.FormatFailure, "%s", detailOf(err))
		return r
	}
	b.add(ScopeSigning, CheckPackage, outcome.Passed, "", "the package has the format %s", pledge.PackageFormat)
	doc := p.Doc
	docDigest := pki.Digest(p.Document)
	r.Pledge = summary(p, viewer, docDigest)

	// The applicant's signature, by the one shared verifier, at the time
	// a time-stamp proves when there is one (poe.go), else the claimed one.
	tok, sigValue, signer, terr := applicantToken(p.ApplicantCMS, p.Certificates)
	var stamp tokenCheck
	if tok != nil {
		stamp.tok, stamp.err = v.verifyToken(tok, sigValue)
	}
	signedAt, signedSrc, tsCheck := v.provenTime(CheckApplicantTimestamp, "the applicant signature", tok != nil, stamp, doc.SignedAt, signer, r.Freshness.VerifiedAt)
	if terr != nil {
		tsCheck = Check{Name: CheckApplicantTimestamp, Scope: ScopeSigning, Result: outcome.Failed, SubIndication: outcome.FormatFailure, Detail: "the applicant signature's unsigned attributes cannot be read"}
	}
	r.ValidAtSigning.SignedAt, r.ValidAtSigning.SignedAtSource = &signedAt, &signedSrc
	res, aerr := pledge.VerifyApplicantSignature(v.opts.CMS, v.opts.ApplicantTrust, doc.PledgeID, p.Document, p.ApplicantCMS, signedAt, p.Certificates...)
	v.applicantChecks(b, p, res, aerr)
	b.r.ValidAtSigning.Checks = append(b.r.ValidAtSigning.Checks, tsCheck)
	signerChecks(b, p, res, aerr == nil)

	// The notice the pledge binds and its seal. The notice seal is the
	// same bytes in every package of the notice: Shared keeps its parse and
	// signer-signature result by the SM3 of the whole signature (the data
	// hash, time and status are checked each time). The binding checks
	// read the parse the SES verification judged.
	nres := v.ses.VerifySignatureResult(ctx, p.NoticeSES, ses.Input{ID: "notice", Data: p.NoticeBytes, HasData: true, Shared: true})
	noticeHash := outcome.HashFailure
	if err := p.CheckNotice(nres.Signature, nres.ParseErr); err != nil {
		noticeHash = outcome.NoticeMismatch
		sub := outcome.NoticeMismatch
		if codeOf(err) == apperr.CodeSESMalformed {
			sub = outcome.FormatFailure
		}
		b.add(ScopeSigning, CheckNoticeBinding, outcome.Failed, sub, "%s", detailOf(err))
	} else {
		b.add(ScopeSigning, CheckNoticeBinding, outcome.Passed, "", "the notice %s version %d is the one the pledge binds (SM3 %s) and its seal covers it", doc.Notice.ID, doc.Notice.Version, doc.Notice.Digest)
	}
	sesCheck(b, CheckNoticeSeal, "the notice seal", nres.Report, noticeHash)

	// The agency's counter-seal and the decision it seals: parsed once
	// (its embedded seal once per seal, ses.Verifier.ParseSignature) and
	// verified once; its time-stamp token and signer certificate come
	// from that verification.
	var sig *ses.Signature
	sealedAt := doc.SignedAt
	var ares ses.Result
	if p.AgencySES != nil {
		ares = v.ses.VerifySignatureResult(ctx, p.AgencySES, ses.Input{ID: "agency-seal", Data: p.SealedData, HasData: true})
	}
	if has, err := p.CheckAgencySeal(ares.Signature, ares.ParseErr); !has {
		notYet := "not performed: the pledge has not been accepted and counter-sealed yet"
		b.add(ScopeSigning, CheckSealBinding, outcome.NotPerformed, "", "%s", notYet)
		b.add(ScopeSigning, CheckAgencySeal, outcome.NotPerformed, "", "not performed: the package carries no agency seal yet")
		b.add(ScopeSigning, CheckDecision, outcome.NotPerformed, "", "%s", notYet)
		b.add(ScopeSigning, CheckDecisionFields, outcome.NotPerformed, "", "%s", notYet)
	} else {
		bound := err == nil
		if err != nil {
			sub := outcome.HashFailure
			if codeOf(err) == apperr.CodeSESMalformed {
				sub = outcome.FormatFailure
			}
			b.add(ScopeSigning, CheckSealBinding, outcome.Failed, sub, "%s", detailOf(err))
		} else {
			b.add(ScopeSigning, CheckSealBinding, outcome.Passed, "", "the agency seal binds this document and this applicant signature")
		}
		arep := ares.Report
		sesCheck(b, CheckAgencySeal, "the agency seal", arep, outcome.HashFailure)
		if s := ares.Signature; s != nil && s.TBS.TimeInfoErr == "" {
			sig = s
			var src TimeSource
			var c Check
			sealedAt, src, c = v.provenTime(CheckAgencySealTimestamp, "the agency seal", len(s.TimeStamp) > 0, tokenCheck{ares.Token, ares.TokenErr}, s.TBS.TimeInfo, ares.Signer, r.Freshness.VerifiedAt)
			b.r.ValidAtSigning.Checks = append(b.r.ValidAtSigning.Checks, c)
			t := sealedAt.UTC()
			r.ValidAtSigning.SealedAt, r.ValidAtSigning.SealedAtSource = &t, &src
		}
		decided := decisionChecks(b, p, sig)
		// Decision facts are shown only when the seal that signs them holds.
		if bound && decided && arep.Indication == outcome.TotalPassed && sig != nil {
			r.Pledge.Decision, r.Pledge.StatusURL = decisionInfo(p, sig.TBS.TimeInfo)
		}
	}

	v.statusChecks(ctx, b, p, sig, chainedSigner(ares), res, aerr == nil, sealedAt)
	return r
}

// chainedSigner is the agency seal's signer certificate when the SES
// verification chained it to the seal trust anchors (nil otherwise).
func chainedSigner(ares ses.Result) *smx509.Certificate {
	for _, c := range ares.Report.Checks {
		if c.Name == ses.CheckSignerChain && c.Result == outcome.Passed {
			return ares.Signer
		}
	}
	return nil
}

func summary(p *pledge.ParsedPackage, viewer Viewer, digest [32]byte) *Summary {
	d := p.Doc
	party := Party{Kind: d.Applicant.Kind, IDType: d.Applicant.IDType, Name: d.Applicant.Name, IDNumber: d.Applicant.IDNumber}
	if !viewer.sees(d) {
		party.Name, party.IDNumber, party.Masked = pii.MaskName(party.Name), pii.MaskID(party.IDNumber), true
	}
	s := &Summary{
		PledgeID: d.PledgeID, Agency: d.Agency, Entry: d.Entry, Notice: d.Notice, CatalogueVersion: d.CatalogueVersion,
		Applicant: party, Channel: d.Channel, SignedAt: d.SignedAt.UTC(),
		Digest: fmt.Sprintf("%x", digest[:]),
	}
	return s
}

// signerChecks checks the package members that describe the applicant's
// signature, which no signature covers, against its verification.
func signerChecks(b builder, p *pledge.ParsedPackage, res pledge.SignerResult, verified bool) {
	if !verified {
		notRun := "not performed: the applicant signature did not verify"
		b.add(ScopeSigning, CheckSignatureWay, outcome.NotPerformed, "", "%s", notRun)
		b.add(ScopeSigning, CheckCertificates, outcome.NotPerformed, "", "%s", notRun)
		return
	}
	b.r.Pledge.Way = res.Way()
	if err := p.CheckWay(res); err != nil {
		b.add(ScopeSigning, CheckSignatureWay, outcome.Failed, FieldMismatch, "%s", detailOf(err))
	} else {
		b.add(ScopeSigning, CheckSignatureWay, outcome.Passed, "", "applicantSignature.way is %s, as the signing certificate shows", res.Way())
	}
	if err := p.CheckCertificates(res); err != nil {
		b.add(ScopeSigning, CheckCertificates, outcome.Failed, FieldMismatch, "%s", detailOf(err))
	} else {
		b.add(ScopeSigning, CheckCertificates, outcome.Passed, "", "certificates is exactly the chain the applicant signature verifies with (%d certificates)", len(res.Chain))
	}
}

// decisionChecks checks the sealed decision statement against the
// document and its seal, and the unsigned members that repeat it against
// the statement. A legacy package signs no decision: both are not
// performed and say which members are unsigned. It reports whether the
// statement may be shown.
func decisionChecks(b builder, p *pledge.ParsedPackage, sig *ses.Signature) bool {
	if p.Sealed.Legacy {
		unsigned := strings.Join(pledge.LegacyUnsignedFields(), ", ")
		b.add(ScopeSigning, CheckDecision, outcome.NotPerformed, "", "not performed: the package has the legacy seal format %s, which signs the pledge, the document and the applicant signature but no decision facts; %s are unsigned and not shown", pledge.SignedPledgeFormat, unsigned)
		b.add(ScopeSigning, CheckDecisionFields, outcome.NotPerformed, "", "not performed: in the legacy seal format %s are unsigned; the report does not show them", unsigned)
		return true
	}
	ok := true
	st := p.Sealed.Statement
	switch {
	case sig == nil:
		ok = false
		b.add(ScopeSigning, CheckDecision, outcome.NotPerformed, "", "not performed: the agency seal has no readable sealing time")
	case st.Decision != pledge.DecisionAccepted:
		ok = false
		b.add(ScopeSigning, CheckDecision, outcome.Failed, PledgeReturned, "the sealed decision is %s, not an acceptance", st.Decision)
	default:
		if err := p.CheckDecision(sig.TBS.TimeInfo); err != nil {
			ok = false
			b.add(ScopeSigning, CheckDecision, outcome.Failed, DecisionMismatch, "%s", detailOf(err))
		} else {
			b.add(ScopeSigning, CheckDecision, outcome.Passed, "", "the agency sealed the decision %s of %s (%s) on this pledge's agency, matter and notice version at %s", st.DecisionNo, st.DecisionDate, st.Decision, st.SealedAt)
		}
	}
	if bad := p.FieldMismatches(); len(bad) > 0 {
		b.add(ScopeSigning, CheckDecisionFields, outcome.Failed, FieldMismatch, "not what the agency sealed in the decision statement: %s", strings.Join(bad, ", "))
	} else {
		b.add(ScopeSigning, CheckDecisionFields, outcome.Passed, "", "agencySeal.documentNo, agencySeal.date and statusUrl are what the agency sealed in the decision statement")
	}
	return ok
}

// decisionInfo is the decision as the seal signs it, and the status link
// it seals (none in the legacy format).
func decisionInfo(p *pledge.ParsedPackage, sealedAt time.Time) (*DecisionInfo, string) {
	t := sealedAt.UTC()
	st := p.Sealed.Statement
	if p.Sealed.Legacy {
		return &DecisionInfo{Format: pledge.SignedPledgeFormat, Legacy: true, SealedAt: &t, UnsignedFields: pledge.LegacyUnsignedFields()}, ""
	}
	return &DecisionInfo{Format: st.Format, Decision: st.Decision, DocumentNo: st.DecisionNo, Date: st.DecisionDate,
		Agency: st.Agency, SealedAt: &t}, st.StatusURL
}

func (v *Verifier) applicantChecks(b builder, p *pledge.ParsedPackage, res pledge.SignerResult, err error) {
	if err == nil {
		b.add(ScopeSigning, CheckApplicantSignature, outcome.Passed, "", "the applicant's CMS signature (%s) verifies over the pledge document", res.Way())
		b.add(ScopeSigning, CheckApplicantChain, outcome.Passed, "", "the signing certificate chains to a configured applicant trust anchor at the signing time %s", ts(signedAt(b, p)))
		if res.EventCertificate {
			b.add(ScopeSigning, CheckPledgeBinding, outcome.Passed, "", "the event certificate is bound to this pledge and this document digest")
		} else {
			b.add(ScopeSigning, CheckPledgeBinding, outcome.NotPerformed, "", "not performed: an own certificate carries no pledge binding (the signature binds the document)")
		}
		return
	}
	d := detailOf(err)
	notRun := "not performed: the signature itself did not verify"
	switch code := codeOf(err); code {
	case apperr.CodeCMSMalformed:
		b.add(ScopeSigning, CheckApplicantSignature, outcome.Failed, outcome.FormatFailure, "%s", d)
		b.add(ScopeSigning, CheckApplicantChain, outcome.NotPerformed, "", "%s", notRun)
		b.add(ScopeSigning, CheckPledgeBinding, outcome.NotPerformed, "", "%s", notRun)
	case apperr.CodeSignatureInvalid:
		sub := outcome.SigCryptoFailure
		if errors.Is(err, pki.ErrCMSDigest) {
			sub = outcome.HashFailure
			d = "the pledge document does not match the digest the applicant signed (the document was changed)"
		}
		b.add(ScopeSigning, CheckApplicantSignature, outcome.Failed, sub, "%s", d)
		b.add(ScopeSigning, CheckApplicantChain, outcome.NotPerformed, "", "%s", notRun)
		b.add(ScopeSigning, CheckPledgeBinding, outcome.NotPerformed, "", "%s", notRun)
	case apperr.CodePledgeBindingMismatch:
		b.add(ScopeSigning, CheckApplicantSignature, outcome.Passed, "", "the applicant's CMS signature verifies over the pledge document")
		b.add(ScopeSigning, CheckApplicantChain, outcome.Passed, "", "the signing certificate chains to a configured applicant trust anchor")
		b.add(ScopeSigning, CheckPledgeBinding, outcome.Failed, outcome.HashFailure, "%s", d)
	default:
		b.add(ScopeSigning, CheckApplicantSignature, outcome.Passed, "", "the applicant's CMS signature verifies over the pledge document")
		res, sub := outcome.Failed, outcome.ChainConstraintsFailure
		switch {
		case apperr.KindOf(err) == apperr.Unavailable:
			res, sub = outcome.Indeterminate, outcome.NoCertificateChainFound
		case code == apperr.CodeNoCertificateChainFound:
			sub = outcome.NoCertificateChainFound
		case code == apperr.CodeCertificateNotValidAtSigning:
			sub = outcome.Expired
			if errors.Is(err, pki.ErrNotValidAtTime) && strings.Contains(strings.ToLower(err.Error()), "not yet") {
				sub = outcome.NotYetValid
			}
		}
		b.add(ScopeSigning, CheckApplicantChain, res, sub, "%s", d)
		b.add(ScopeSigning, CheckPledgeBinding, outcome.NotPerformed, "", "not performed: the certificate chain failed")
	}
}

// sesCheck folds an SES report into one check, naming what failed. When
// only the data hash fails, the sub-indication is hashSub (a notice that is
// not the one bound is NOTICE_MISMATCH rather than a bare hash failure).
func sesCheck(b builder, name, what string, rep outcome.Report, hashSub outcome.SubIndication) {
	defer b.attachSESWarnings(rep)
	if rep.Indication == outcome.TotalPassed {
		b.add(ScopeSigning, name, outcome.Passed, "", "%s verifies: signature, seal, maker and signer certificate chains, seal validity window and data hash (%d checks)", what, len(rep.Checks))
		return
	}
	var bad []string
	onlyHash := true
	for _, c := range rep.Checks {
		if c.Result == outcome.Failed || c.Result == outcome.Indeterminate {
			bad = append(bad, c.Name+": "+c.Detail)
			onlyHash = onlyHash && c.Name == ses.CheckDataHash
		}
	}
	res, sub := outcome.Failed, rep.SubIndication
	if rep.Indication == outcome.IndeterminateResult {
		res = outcome.Indeterminate
	}
	if onlyHash {
		sub = hashSub
	}
	b.add(ScopeSigning, name, res, sub, "%s does not verify: %s", what, strings.Join(bad, "; "))
}

// attachSESWarnings gives the signing check just added the warnings of
// every check of the SES report it folds, each naming its SES check.
func (b builder) attachSESWarnings(rep outcome.Report) {
	cs := b.r.ValidAtSigning.Checks
	if len(cs) == 0 {
		return
	}
	var ws []outcome.Warning
	for _, c := range rep.Checks {
		for _, w := range c.Warnings {
			ws = append(ws, outcome.Warning{Code: w.Code, Detail: c.Name + ": " + w.Detail})
		}
	}
	cs[len(cs)-1].Warnings = ws
}

// answers holds what the registry and the pledge states said (or why they
// did not).
type answers struct {
	reg, pl       status.Answer
	regErr, plErr error
}

// lookup asks every status question of one verification in one call of
// the status source: the registry subjects reg, then each pledge subject pl
// as a status.KindPledgeState subject (the pledge's workflow state). An
// error fails both parts (closed).
func (v *Verifier) lookup(ctx context.Context, at time.Time, reg, pl []status.Subject) answers {
	subs := make([]status.Subject, 0, len(reg)+len(pl))
	subs = append(subs, reg...)
	for _, s := range pl {
		subs = append(subs, status.Subject{Kind: status.KindPledgeState, ID: s.ID})
	}
	a, err := checked(ctx, v.opts.Status, at, subs)
	if err != nil {
		return answers{regErr: err, plErr: err}
	}
	out := answers{
		reg: status.Answer{Results: a.Results[:len(reg):len(reg)], ReadAt: a.ReadAt},
		pl:  status.Answer{Results: make([]status.Result, len(pl)), ReadAt: a.ReadAt},
	}
	for i, s := range pl {
		r := a.Results[len(reg)+i]
		if r.Subject.Kind != status.KindPledgeState || r.Subject.ID != s.ID {
			err := errors.New("the status source answered another subject")
			return answers{regErr: err, plErr: err}
		}
		r.Subject = s
		out.pl.Results[i] = r
	}
	return out
}

// checked asks src and refuses an answer of the wrong length (fail closed).
func checked(ctx context.Context, src status.Source, at time.Time, subs []status.Subject) (status.Answer, error) {
	a, err := src.Lookup(ctx, at, subs)
	if err != nil {
		return status.Answer{}, err
	}
	if len(a.Results) != len(subs) {
		return status.Answer{}, errors.New("the status source answered a different number of subjects")
	}
	return a, nil
}
