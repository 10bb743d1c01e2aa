package ses

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// Check names, in the order they are reported (ses-format.md §6).
const (
	CheckFormat          = "format"
	CheckSignerSignature = "signer-signature"
	CheckSignerChain     = "signer-certificate-chain"
	CheckSignerValidity  = "signer-certificate-validity"
	CheckSignerKeyUsage  = "signer-certificate-key-usage"
	CheckSignerStatus    = "signer-certificate-status"
	CheckSignerInSeal    = "signer-in-seal-cert-list"
	CheckSealFormat      = "seal-format"
	CheckMakerSignature  = "seal-maker-signature"
	CheckMakerChain      = "seal-maker-certificate-chain"
	CheckMakerValidity   = "seal-maker-certificate-validity"
	CheckMakerKeyUsage   = "seal-maker-certificate-key-usage"
	CheckMakerStatus     = "seal-maker-certificate-status"
	CheckSealStatus      = "seal-status"
	CheckSealWindow      = "seal-validity-window"
	CheckTimestamp       = "timestamp"
	CheckSigningTime     = "signing-time"
	CheckDataHash        = "data-hash"
)

// Options configures a Verifier.
type Options struct {
	// SealTrust holds the anchors for seal-maker certificates.
	SealTrust *pki.TrustStore
	// SignerTrust holds the anchors for signer certificates; nil means SealTrust.
	SignerTrust *pki.TrustStore
	// TSATrust holds the anchors of the TSAs whose tokens prove signing
	// times (the timeStamp field); nil means SignerTrust.
	TSATrust *pki.TrustStore
	// CacheSize bounds the cache of maker-signature and chain results
	// (entries); zero means DefaultCacheSize.
	CacheSize int
}

// Stats counts the expensive work a Verifier did and avoided thanks to its
// cache. Benchmarks and tests read it.
type Stats struct {
	SM2Performed  uint64 // SM2 signature verifications run (maker and signer)
	SM2Skipped    uint64 // SM2 verifications answered from the cache (maker signatures; signer signatures of Shared inputs)
	ChainsBuilt   uint64 // certificate chains built
	ChainsSkipped uint64 // chain results answered from the cache
}

// Verifier checks seals and signatures. It is safe for concurrent use; its
// cache makes many signatures that share a seal and certificates cost one
// maker-signature check and one chain build.
type Verifier struct {
	sealTrust, signerTrust *pki.TrustStore
	tsaTrust               *pki.TrustStore // anchors of timestamp TSAs
	cache                  *lru
	sums                   *sumMemo
	seals                  *sealMemo
	sm2Performed           atomic.Uint64
	sm2Skipped             atomic.Uint64
	chainsBuilt            atomic.Uint64
	chainsSkipped          atomic.Uint64
}

// NewVerifier returns a Verifier for opts.
func NewVerifier(opts Options) *Verifier {
	st := opts.SignerTrust
	if st == nil {
		st = opts.SealTrust
	}
	tt := opts.TSATrust
	if tt == nil {
		tt = st
	}
	v := &Verifier{sealTrust: opts.SealTrust, signerTrust: st, tsaTrust: tt, cache: newLRU(opts.CacheSize), sums: newSumMemo(sumMemoSize)}
	v.seals = &sealMemo{cache: v.cache, sums: v.sums}
	return v
}

// ParseSignature is the package's ParseSignature with the embedded seal
// parsed once per content (sealMemo): the same result, shared with every
// signature that carries the same seal bytes. Treat it as read-only.
func (v *Verifier) ParseSignature(der []byte) (*Signature, error) {
	return parseSignature(der, v.seals)
}

// Stats returns the counters so far.
func (v *Verifier) Stats() Stats {
	return Stats{
		SM2Performed:  v.sm2Performed.Load(),
		SM2Skipped:    v.sm2Skipped.Load(),
		ChainsBuilt:   v.chainsBuilt.Load(),
		ChainsSkipped: v.chainsSkipped.Load(),
	}
}

// Input is the data a signature protects. Give Data (its SM3 is compared
// with dataHash) or DataHash (compared as is); with neither, the data-hash
// check is INDETERMINATE.
type Input struct {
	ID       string // report ID; defaults to the seal's esID
	Data     []byte
	DataHash []byte
	// HasData distinguishes empty Data from no data.
	HasData bool
	// Shared says the same signature bytes are expected in many requests
	// (a notice's seal is in every package of that notice): the Verifier
	// then keeps the parsed signature, its signer-signature result and its
	// timestamp check by the SM3 of the whole SES_Signature, which holds
	// every input of those checks (the signed TBS_Sign, the signature value
	// and algorithm, the signer certificate, the token; the timestamp check
	// also by the TSA anchors). A hit counts in Stats().SM2Skipped. Leave it
	// false for signatures seen once, which would only churn the cache.
	Shared bool
}

func check(name string, r outcome.Result, sub outcome.SubIndication, format string, args ...any) outcome.Check {
	if r == outcome.Passed || r == outcome.NotPerformed {
		sub = outcome.None
	}
	return outcome.Check{Name: name, Result: r, SubIndication: sub, Detail: fmt.Sprintf(format, args...)}
}

func formatFailed(name string, err error) outcome.Check {
	d := "not a valid structure"
	if e := apperr.As(err); e != nil {
		d = e.Detail
	}
	return check(name, outcome.Failed, outcome.FormatFailure, "%s", d)
}

// VerifySealBytes parses and verifies a bare seal at time at.
func (v *Verifier) VerifySealBytes(ctx context.Context, der []byte, at time.Time) outcome.Report {
	s, err := ParseSeal(der)
	if err != nil {
		r := outcome.Report{Version: VersionUnknown.String()}
		r.Add(formatFailed(CheckSealFormat, err))
		r.Finish()
		return r
	}
	return v.VerifySeal(ctx, s, at)
}

// VerifySeal checks a seal on its own (procedure (a)-(d) of ses-format.md §6):
// format, maker signature, maker certificate (chain, validity, key usage
// and status at time at: the seal is judged as used at that time; a
// createDate outside the maker certificate's validity is a warning), the
// seal's status and its validity window at time at.
func (v *Verifier) VerifySeal(ctx context.Context, s *Seal, at time.Time) outcome.Report {
	r := outcome.Report{ID: s.Info.ESID, Version: s.Version.String()}
	maker := v.readCert(s.MakerCert)
	r.Checks = append(r.Checks, v.sealChecks(s, maker, v.sums.sum(s.Raw), at)...)
	r.Finish()
	return r
}

// VerifySignatureBytes parses and verifies a signature.
func (v *Verifier) VerifySignatureBytes(ctx context.Context, der []byte, in Input) outcome.Report {
	return v.VerifySignatureResult(ctx, der, in).Report
}

// Result is a signature's report with what its verification read, for a
// caller that builds on it (internal/verify) instead of parsing the
// signature and verifying its time-stamp token a second time.
type Result struct {
	Report outcome.Report
	// Signature is the parse the report judged (shared with the cache:
	// read-only); nil when the bytes do not parse, ParseErr says why.
	Signature *Signature
	ParseErr  error
	// Token is the signature's time-stamp token as the timestamp check
	// verified it, against the Verifier's TSA anchors and over the signer
	// signature value (nil: none, or not readable). TokenErr is why it
	// proves no time: tsa.VerifyToken's error, else tok.Covers'; nil when
	// it holds (judge it with tsa.Judge).
	Token    *tsa.Token
	TokenErr error
	// Signer is the signer certificate when it parses strictly (the
	// Verifier's cached parse: read-only), else nil.
	Signer *smx509.Certificate
}

// VerifySignatureResult parses der (its embedded seal once per content;
// the whole signature once per content when in.Shared) and verifies it.
func (v *Verifier) VerifySignatureResult(ctx context.Context, der []byte, in Input) Result {
	var s *Signature
	var err error
	if in.Shared {
		s, err = v.parseShared(der)
	} else {
		s, err = v.ParseSignature(der)
	}
	if err != nil {
		r := outcome.Report{ID: in.ID, Version: VersionUnknown.String()}
		r.Add(formatFailed(CheckFormat, err))
		r.Finish()
		return Result{Report: r, ParseErr: err}
	}
	return v.verifySignature(ctx, s, in)
}

// VerifySignature checks a signature (procedure (1)-(7) of ses-format.md §6)
// and reports every check, whatever fails first. The SES verifier reads no
// status (statusNotChecked).
func (v *Verifier) VerifySignature(ctx context.Context, s *Signature, in Input) outcome.Report {
	return v.verifySignature(ctx, s, in).Report
}

func (v *Verifier) verifySignature(ctx context.Context, s *Signature, in Input) Result {
	seal := s.TBS.Seal
	r := outcome.Report{ID: in.ID, Version: s.Version.String()}
	if r.ID == "" {
		r.ID = seal.Info.ESID
	}
	r.Add(formatCheck(CheckFormat, s.Version, s.Warnings))
	signer := v.readCert(s.Cert)
	maker := v.readCert(seal.MakerCert)

	// (6) time: the timestamp when present, else timeInfo.
	at, stamp, timeChecks := v.signingTime(s, in.Shared && len(s.Raw) > 0)

	// (2) signer signature.
	if in.Shared {
		r.Add(v.sharedSignerSignature(s, signer))
	} else {
		r.Add(v.signerSignature(s, signer))
	}
	// (3) signer certificate.
	r.Add(v.chainCheck(CheckSignerChain, signer, v.signerTrust, at))
	r.Add(validityCheck(CheckSignerValidity, "signer", signer, at))
	r.Add(keyUsageCheck(CheckSignerKeyUsage, "signer", signer))
	r.Add(statusNotChecked(CheckSignerStatus, "signer certificate"))
	// (4) signer in the seal's list.
	if signer.err != nil {
		r.Add(check(CheckSignerInSeal, outcome.Failed, outcome.FormatFailure, "the signature carries no readable signer certificate"))
	} else if ok, why := certInList(seal, s.Cert); ok {
		r.Add(check(CheckSignerInSeal, outcome.Passed, "", "%s", why))
	} else {
		r.Add(check(CheckSignerInSeal, outcome.Failed, outcome.ChainConstraintsFailure, "%s", why))
	}
	// (5) the seal.
	r.Checks = append(r.Checks, v.sealChecks(seal, maker, v.sums.sum(seal.Raw), at)...)
	// (6) time.
	r.Checks = append(r.Checks, timeChecks...)
	// (7) data hash.
	r.Add(dataHashCheck(s, in))
	r.Finish()
	res := Result{Report: r, Signature: s, Token: stamp.tok, TokenErr: stamp.err}
	if signer.err == nil {
		res.Signer = signer.c.Cert
	}
	return res
}

func formatCheck(name string, ver Version, warnings []outcome.Warning) outcome.Check {
	if len(warnings) == 0 {
		return check(name, outcome.Passed, "", "well-formed %s structure", ver)
	}
	texts := make([]string, len(warnings))
	for i, w := range warnings {
		texts[i] = w.Detail
	}
	c := check(name, outcome.Passed, "", "readable %s structure with lenient readings: %s", ver, strings.Join(texts, "; "))
	c.Warnings = append([]outcome.Warning{}, warnings...)
	return c
}

// certInfo is a certificate read leniently, or why it could not be read.
type certInfo struct {
	c   *pki.LenientCert
	err error
}

// readCert parses a certificate once per content digest: parsed
// certificates are never modified, so the cache can share them.
func (v *Verifier) readCert(der []byte) certInfo {
	if len(der) == 0 {
		return certInfo{err: errors.New("no certificate")}
	}
	key := cacheKey{kind: kindCert, digest: v.sums.sum(der)}
	if c, ok := v.cache.get(key); ok {
		return c.(certInfo)
	}
	c, err := pki.ParseCertificateLenient(der)
	ci := certInfo{c: c, err: err}
	v.cache.put(key, ci)
	return ci
}

func (ci certInfo) warning() string {
	if ci.c != nil && ci.c.StrictErr != nil {
		return fmt.Sprintf(" (warning: the certificate fails strict X.509 parsing, its public key was read leniently: %v)", ci.c.StrictErr)
	}
	return ""
}

// signatureWarnings adds to c the leniency a signature check applied: a
// certificate read leniently, a value in a non-canonical form, zero bytes
// restored at the end of the value.
func signatureWarnings(c outcome.Check, ci certInfo, value []byte, restored int, what string) outcome.Check {
	if ci.c != nil && ci.c.StrictErr != nil {
		c = c.Warn(outcome.WarnCertNotStrict, "the %s certificate fails strict X.509 parsing (%v); its public key was read leniently", what, ci.c.StrictErr)
	}
	if _, _, form, err := pki.DecodeSignature(value); err == nil && form != pki.SigDER {
		c = c.Warn(outcome.WarnSignatureNotDER, "the %s signature value is %s, not canonical DER", what, form)
	}
	if restored > 0 {
		c = c.Warn(outcome.WarnZeroBytesRestored, "the %s signature BIT STRING lacked %d trailing zero byte(s) (the encoder dropped them as unused bits); they were restored to complete the value", what, restored)
		c.Detail += fmt.Sprintf(" (%d trailing zero byte(s) restored to the signature value)", restored)
	}
	return c
}

// wrongAlgorithm is the check for a signature whose algorithm identifier is
// not SM2-with-SM3: FAILED whatever the value, but the detail says whether
// the value verifies with SM2 all the same, so that the relying party knows
// only the identifier is wrong.
func (v *Verifier) wrongAlgorithm(name string, alg []int, c *pki.LenientCert, msg, value []byte, over string) outcome.Check {
	ok, form, err := v.verifySM2(c, msg, value)
	switch {
	case err != nil:
		return check(name, outcome.Failed, outcome.CryptoConstraintsFailure, "signature algorithm %v is not SM2-with-SM3, and the value is not an SM2 signature (neither DER nor raw r||s)", alg)
	case ok:
		return check(name, outcome.Failed, outcome.CryptoConstraintsFailure, "signature algorithm %v is not SM2-with-SM3: the value (%s) verifies as an SM2 signature over %s, only the algorithm identifier is wrong", alg, form, over)
	}
	return check(name, outcome.Failed, outcome.CryptoConstraintsFailure, "signature algorithm %v is not SM2-with-SM3, and the value (%s) does not verify as an SM2 signature over %s either", alg, form, over)
}

// verifySM2 verifies sig over msg and counts it.
func (v *Verifier) verifySM2(c *pki.LenientCert, msg, sig []byte) (bool, pki.SignatureForm, error) {
	_, _, form, err := pki.DecodeSignature(sig)
	if err != nil {
		return false, 0, err
	}
	v.sm2Performed.Add(1)
	return pki.VerifyMessage(c.PublicKey, msg, sig), form, nil
}

func algOK(id []int) bool {
	return slices.Equal(id, OIDSM2WithSM3())
}

func (v *Verifier) signerSignature(s *Signature, signer certInfo) outcome.Check {
	if signer.err != nil {
		return check(CheckSignerSignature, outcome.Failed, outcome.FormatFailure, "the signer certificate is unreadable: %v", signer.err)
	}
	return signatureWarnings(v.signerSignatureValue(s, signer), signer, s.Value, s.ValueRestored, "signer")
}

func (v *Verifier) signerSignatureValue(s *Signature, signer certInfo) outcome.Check {
	if !algOK(s.SignatureAlgID) {
		return v.wrongAlgorithm(CheckSignerSignature, s.SignatureAlgID, signer.c, s.RawTBS, s.Value, "the TBS_Sign TLV")
	}
	ok, form, err := v.verifySM2(signer.c, s.RawTBS, s.Value)
	if err != nil {
		return check(CheckSignerSignature, outcome.Failed, outcome.FormatFailure, "the signature value is neither DER nor raw r||s")
	}
	if ok {
		return check(CheckSignerSignature, outcome.Passed, "", "SM2 signature (%s) over the TBS_Sign TLV verifies%s", form, signer.warning())
	}
	// Tell a known non-standard product apart: e = dataHash instead of SM3(ZA‖TBS_Sign).
	if der, err := pki.NormalizeSignature(s.Value); err == nil && len(s.TBS.DataHash) == hashBytes &&
		v.countSM2() && sm2.VerifyASN1(signer.c.PublicKey, s.TBS.DataHash, der) {
		return check(CheckSignerSignature, outcome.Failed, outcome.SigCryptoFailure,
			"the signature does not verify over the TBS_Sign TLV; it verifies only with dataHash itself as the digest e, which the standard does not allow")
	}
	return check(CheckSignerSignature, outcome.Failed, outcome.SigCryptoFailure, "SM2 signature (%s) over the TBS_Sign TLV does not verify", form)
}

// countSM2 counts an SM2 verification about to run outside verifySM2 (the
// diagnosis of a non-standard signature); it always returns true.
func (v *Verifier) countSM2() bool {
	v.sm2Performed.Add(1)
	return true
}

// Digest returns the SM3 digest of b, remembered for byte strings seen
// recently (seals, certificates, shared signatures up to 64 KiB): callers
// that name the same seal or certificate in every request use it instead
// of hashing it again. Use pki.Digest for bytes seen once.
func (v *Verifier) Digest(b []byte) [32]byte { return v.sums.sum(b) }

// parseShared parses der once per content digest. Parsed signatures are
// never modified, so the cache can share them.
func (v *Verifier) parseShared(der []byte) (*Signature, error) {
	key := cacheKey{kind: kindParsedSig, digest: v.sums.sum(der)}
	if c, ok := v.cache.get(key); ok {
		return c.(*Signature), nil
	}
	s, err := v.ParseSignature(der)
	if err != nil {
		return nil, err // errors are not kept: a refusal is always the parser's own
	}
	v.cache.put(key, s)
	return s, nil
}

// sharedSignerSignature is signerSignature, kept by the SM3 of s.Raw: the
// check reads only bytes inside it (TBS_Sign, value, algorithm and the
// signer certificate), so equal digests give equal results.
func (v *Verifier) sharedSignerSignature(s *Signature, signer certInfo) outcome.Check {
	if len(s.Raw) == 0 {
		return v.signerSignature(s, signer)
	}
	key := cacheKey{kind: kindSignerSig, digest: v.sums.sum(s.Raw)}
	if c, ok := v.cache.get(key); ok {
		kept := c.(keptSignerSig)
		if kept.sm2 {
			v.sm2Skipped.Add(1)
		}
		return kept.check
	}
	c := v.signerSignature(s, signer)
	// Whether this check needs an SM2 verification is fixed by the bytes
	// (a readable certificate, a decodable value; a wrong algorithm
	// identifier is verified all the same, to say so).
	_, _, _, derr := pki.DecodeSignature(s.Value)
	ran := signer.err == nil && derr == nil
	v.cache.put(key, keptSignerSig{check: c, sm2: ran})
	return c
}

// keptSignerSig is a Shared input's signer-signature check and whether it
// needed an SM2 verification (which a later hit then skips).
type keptSignerSig struct {
	check outcome.Check
	sm2   bool
}

// makerSignature verifies (or recalls) the maker signature of s, whose
// SM3 is sealDigest.
func (v *Verifier) makerSignature(s *Seal, maker certInfo, sealDigest [32]byte) outcome.Check {
	if maker.err != nil {
		return check(CheckMakerSignature, outcome.Failed, outcome.FormatFailure, "the seal maker certificate is unreadable: %v", maker.err)
	}
	what := "the SES_SealInfo TLV"
	if s.Version == V1 {
		what = "SEQUENCE{SES_SealInfo, cert, signatureAlgorithm}"
	}
	if !algOK(s.SignAlgID) {
		return signatureWarnings(v.wrongAlgorithm(CheckMakerSignature, s.SignAlgID, maker.c, s.MakerSignedMessage(), s.SignedValue, what), maker, s.SignedValue, s.SignedValueRestored, "seal maker")
	}
	key := cacheKey{kind: kindMakerSig, digest: sealDigest}
	if c, ok := v.cache.get(key); ok {
		v.sm2Skipped.Add(1)
		return c.(outcome.Check)
	}
	var c outcome.Check
	ok, form, err := v.verifySM2(maker.c, s.MakerSignedMessage(), s.SignedValue)
	switch {
	case err != nil:
		c = check(CheckMakerSignature, outcome.Failed, outcome.FormatFailure, "the seal maker signature is neither DER nor raw r||s")
	case ok:
		c = check(CheckMakerSignature, outcome.Passed, "", "SM2 signature (%s) over %s verifies%s", form, what, maker.warning())
	default:
		c = check(CheckMakerSignature, outcome.Failed, outcome.SigCryptoFailure, "SM2 signature (%s) over %s does not verify", form, what)
	}
	c = signatureWarnings(c, maker, s.SignedValue, s.SignedValueRestored, "seal maker")
	v.cache.put(key, c)
	return c
}

// sealChecks runs the seal procedure at time at (the signing time, or now
// for a bare seal).
func (v *Verifier) sealChecks(s *Seal, maker certInfo, sealDigest [32]byte, at time.Time) []outcome.Check {
	out := []outcome.Check{
		formatCheck(CheckSealFormat, s.Version, s.Warnings),
		v.makerSignature(s, maker, sealDigest),
		v.chainCheck(CheckMakerChain, maker, v.sealTrust, at),
		makerValidityCheck(s, maker, at),
		keyUsageCheck(CheckMakerKeyUsage, "seal maker", maker),
		statusNotChecked(CheckMakerStatus, "seal maker certificate"),
		statusNotChecked(CheckSealStatus, "seal"),
	}
	p := s.Info.Property
	switch {
	case at.IsZero():
		out = append(out, check(CheckSealWindow, outcome.Indeterminate, outcome.FormatFailure, "the signing time is unknown"))
	case at.Before(p.ValidStart):
		out = append(out, check(CheckSealWindow, outcome.Failed, outcome.SealOutOfValidity, "%s is before the seal's validity starts (%s)", ts(at), ts(p.ValidStart)))
	case at.After(p.ValidEnd):
		out = append(out, check(CheckSealWindow, outcome.Failed, outcome.SealOutOfValidity, "%s is after the seal's validity ended (%s)", ts(at), ts(p.ValidEnd)))
	default:
		out = append(out, check(CheckSealWindow, outcome.Passed, "", "%s lies within the seal's validity %s to %s", ts(at), ts(p.ValidStart), ts(p.ValidEnd)))
	}
	return out
}

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// chainResult is what the cache keeps for a certificate: the chains found
// (built at a time inside the leaf's own validity) or the error.
type chainResult struct {
	chains [][]*smx509.Certificate
	err    error
}

// chainCheck validates cert's chain to store as of time at. Chains are built
// once per certificate and trust store (cached); the validity of issuers at
// time at is then checked on the cached chains.
func (v *Verifier) chainCheck(name string, ci certInfo, store *pki.TrustStore, at time.Time) outcome.Check {
	if ci.err != nil {
		return check(name, outcome.Failed, outcome.FormatFailure, "the certificate is unreadable: %v", ci.err)
	}
	if store.Empty() {
		return check(name, outcome.Indeterminate, outcome.NoCertificateChainFound, "no trust anchors are configured: no chain to a trusted anchor")
	}
	if ci.c.Cert == nil {
		return check(name, outcome.Indeterminate, outcome.NoCertificateChainFound, "the certificate fails strict X.509 parsing (%v): its chain cannot be validated", ci.c.StrictErr)
	}
	key := cacheKey{kind: kindChain, digest: v.sums.sum(ci.c.Raw), store: store}
	var cr chainResult
	if c, ok := v.cache.get(key); ok {
		v.chainsSkipped.Add(1)
		cr = c.(chainResult)
	} else {
		v.chainsBuilt.Add(1)
		leaf := ci.c.Cert
		mid := leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2)
		cr.chains, cr.err = store.VerifyAt(leaf, nil, mid, false)
		v.cache.put(key, cr)
	}
	switch {
	case errors.Is(cr.err, pki.ErrNoChain):
		return check(name, outcome.Indeterminate, outcome.NoCertificateChainFound, "no chain to a trusted anchor")
	case errors.Is(cr.err, pki.ErrNotValidAtTime):
		return check(name, outcome.Indeterminate, outcome.ChainConstraintsFailure, "an issuer certificate was not valid during the certificate's own validity")
	case cr.err != nil:
		return check(name, outcome.Failed, outcome.ChainConstraintsFailure, "the chain is invalid")
	}
	if at.IsZero() {
		return check(name, outcome.Indeterminate, outcome.FormatFailure, "a chain exists but the time to check it at is unknown")
	}
	var lastBad *smx509.Certificate
	for _, chain := range cr.chains {
		ok := true
		for _, c := range chain[1:] {
			if at.Before(c.NotBefore) || at.After(c.NotAfter) {
				ok, lastBad = false, c
				break
			}
		}
		if ok {
			return check(name, outcome.Passed, "", "chains to trusted anchor %q; every issuer valid at %s", chain[len(chain)-1].Subject.CommonName, ts(at))
		}
	}
	sub := outcome.Expired
	if at.Before(lastBad.NotBefore) {
		sub = outcome.NotYetValid
	}
	return check(name, outcome.Failed, sub, "issuer %q was not valid at %s", lastBad.Subject.CommonName, ts(at))
}

// makerValidityCheck judges the seal maker certificate when the seal is
// used (at: the signing time, proven by a timestamp when there is one, or
// the time a bare seal is checked at), as other verifiers do; a createDate
// outside the certificate's validity is a warning (tax e-invoice seals are
// dated a few days before their maker certificate's notBefore).
func makerValidityCheck(s *Seal, maker certInfo, at time.Time) outcome.Check {
	c := validityCheck(CheckMakerValidity, "seal maker (when the seal is used)", maker, at)
	made := s.Info.Property.CreateDate
	if maker.err != nil || made.IsZero() || maker.c.NotBefore.IsZero() || maker.c.NotAfter.IsZero() {
		return c
	}
	if made.After(maker.c.NotAfter) {
		// A seal that says it was made after its maker's certificate
		// expired was made with an expired key: the signer's claimed use
		// time (timeInfo) cannot save it.
		return check(CheckMakerValidity, outcome.Failed, outcome.Expired, "the seal's createDate %s is after the seal maker certificate expired (valid until %s)", ts(made), ts(maker.c.NotAfter))
	}
	if made.Before(maker.c.NotBefore) {
		c = c.Warn(outcome.WarnCreateDateOutsideMakerCert, "the seal's createDate %s lies outside the seal maker certificate's validity (%s to %s)", ts(made), ts(maker.c.NotBefore), ts(maker.c.NotAfter))
	}
	return c
}

func validityCheck(name, who string, ci certInfo, at time.Time) outcome.Check {
	if ci.err != nil {
		return check(name, outcome.Failed, outcome.FormatFailure, "the %s certificate is unreadable", who)
	}
	c := ci.c
	switch {
	case at.IsZero():
		return check(name, outcome.Indeterminate, outcome.FormatFailure, "the time to check the %s certificate at is unknown", who)
	case c.NotBefore.IsZero() || c.NotAfter.IsZero():
		return check(name, outcome.Indeterminate, outcome.FormatFailure, "the %s certificate's validity could not be read", who)
	case at.Before(c.NotBefore):
		return check(name, outcome.Failed, outcome.NotYetValid, "the %s certificate was not yet valid at %s (valid from %s)", who, ts(at), ts(c.NotBefore))
	case at.After(c.NotAfter):
		return check(name, outcome.Failed, outcome.Expired, "the %s certificate had expired at %s (valid until %s)", who, ts(at), ts(c.NotAfter))
	}
	return check(name, outcome.Passed, "", "the %s certificate was valid at %s (%s to %s)", who, ts(at), ts(c.NotBefore), ts(c.NotAfter))
}

func keyUsageCheck(name, who string, ci certInfo) outcome.Check {
	if ci.err != nil {
		return check(name, outcome.Failed, outcome.FormatFailure, "the %s certificate is unreadable", who)
	}
	if ci.c.Cert == nil {
		return check(name, outcome.Indeterminate, outcome.ChainConstraintsFailure, "the %s certificate fails strict X.509 parsing: its key usage cannot be read", who)
	}
	ku := ci.c.Cert.KeyUsage
	switch {
	case ku == 0:
		return check(name, outcome.Passed, "", "the %s certificate has no keyUsage extension (no restriction)", who)
	case ku&smx509.KeyUsageDigitalSignature == 0:
		return check(name, outcome.Failed, outcome.ChainConstraintsFailure, "the %s certificate's keyUsage lacks digitalSignature", who)
	}
	return check(name, outcome.Passed, "", "the %s certificate's keyUsage allows digitalSignature", who)
}

// statusNotChecked is the status check of a SES report: the SES verifier
// reads no registry (internal/verify asks the registry once for every
// subject of a verification and reports the states itself).
func statusNotChecked(name, what string) outcome.Check {
	return check(name, outcome.NotPerformed, "", "not performed by the SES verifier, which reads no registry: the %s's revocation/suspension status is judged by the pledge or OFD verifier with a status source, and is not checked without one", what)
}

// signingTime returns the signing time and the time checks: the timestamp
// when present, else timeInfo. shared keeps the timestamp check by the
// signature's bytes (sharedTimestamp).
func (v *Verifier) signingTime(s *Signature, shared bool) (time.Time, stamped, []outcome.Check) {
	var out []outcome.Check
	var st stamped
	if len(s.TimeStamp) > 0 {
		var tok *tsa.Token
		var c outcome.Check
		if shared {
			tok, st, c = v.sharedTimestamp(s)
		} else {
			tok, st, c = v.timestampCheck(s)
		}
		out = append(out, c)
		if tok != nil && c.Result != outcome.Failed {
			out = append(out, check(CheckSigningTime, outcome.Passed, "", "signing time %s from the timestamp", ts(tok.GenTime)))
			return tok.GenTime, st, out
		}
	} else {
		out = append(out, check(CheckTimestamp, outcome.NotPerformed, "", "not performed: the signature carries no timestamp; timeInfo is used"))
	}
	tb := s.TBS
	if tb.TimeInfoErr != "" {
		out = append(out, check(CheckSigningTime, outcome.Indeterminate, outcome.FormatFailure, "%s", tb.TimeInfoErr))
		return time.Time{}, st, out
	}
	out = append(out, check(CheckSigningTime, outcome.Passed, "", "signing time %s from timeInfo %q (not attested by a timestamp)", ts(tb.TimeInfo), tb.TimeInfoRaw))
	return tb.TimeInfo, st, out
}

func dataHashCheck(s *Signature, in Input) outcome.Check {
	want := in.DataHash
	src := "the given data hash"
	if in.HasData || in.Data != nil {
		want, src = DataDigest(in.Data), "SM3 of the data"
	}
	if want == nil {
		return check(CheckDataHash, outcome.Indeterminate, outcome.SignedDataNotFound, "no data given: the data hash was not compared")
	}
	if string(want) == string(s.TBS.DataHash) {
		c := check(CheckDataHash, outcome.Passed, "", "dataHash equals %s", src)
		if n := s.TBS.DataHashRestored; n > 0 {
			c.Detail += fmt.Sprintf(" (%d trailing zero byte(s) restored to dataHash)", n)
			c = c.Warn(outcome.WarnZeroBytesRestored, "the dataHash BIT STRING lacked %d trailing zero byte(s) (the encoder dropped them as unused bits); they were restored to the 32 bytes of SM3", n)
		}
		return c
	}
	return check(CheckDataHash, outcome.Failed, outcome.HashFailure, "dataHash %x differs from %s %x", s.TBS.DataHash, src, want)
}
