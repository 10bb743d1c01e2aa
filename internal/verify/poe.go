package verify

import (
	"fmt"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// Proof-of-existence checks: an RFC 3161 token over a signature value
// proves the signature existed at the token's genTime.
const (
	// CheckApplicantTimestamp: the applicant CMS's id-aa-timeStampToken.
	CheckApplicantTimestamp = "applicant-timestamp"
	// CheckAgencySealTimestamp: the counter-seal's SES timeStamp.
	CheckAgencySealTimestamp = "agency-seal-timestamp"
)

// Time sources of a report's signing and sealing times.
const (
	// SourceClaimed: the signer's own clock (CMS signingTime, the
	// document's signedAt, the SES timeInfo); nothing proves it.
	SourceClaimed = "CLAIMED"
	// SourceTSA: the genTime of a verified time-stamp token over the
	// signature value, from a TSA the verifier trusts.
	SourceTSA = "TSA"
)

// TimeSource says where a report's time came from. The time "valid at
// signing time" was evaluated at is the proven one when there is one.
type TimeSource struct {
	// Source is CLAIMED or TSA.
	Source string `json:"source"`
	// TSA names the time-stamping authority (its distinguished name) when
	// Source is TSA.
	TSA string `json:"tsa,omitempty"`
	// Claimed is the signer's own claim, for comparison.
	Claimed time.Time `json:"claimed"`
}

// maxClaimAhead is how far a claimed signing time may lie after the time
// a TSA proves the signature existed (clock skew of the signer): beyond
// it the claim is false (a signature cannot be made after it exists).
const maxClaimAhead = 5 * time.Minute

// tokenCheck is a time-stamp token verified over a signature value: the
// token as tsa.VerifyToken read it and why it proves no time
// (VerifyToken's error, else Covers'; nil when it holds).
type tokenCheck struct {
	tok *tsa.Token
	err error
}

// verifyToken verifies token against the TSA anchors and checks that it
// covers sigValue. The agency seal's token is not verified here: ses
// verified it for the SES report, and its ses.Result is used as is.
func (v *Verifier) verifyToken(token, sigValue []byte) (*tsa.Token, error) {
	tok, err := tsa.VerifyToken(token, tsaTrust(v.opts))
	if err == nil {
		err = tok.Covers(sigValue)
	}
	return tok, err
}

// provenTime judges the verified time-stamp token tc (present false: the
// signature carries none) of a signature claimed at claimed, whose signer
// certificate is signer (nil: unknown). It returns the time to evaluate
// the signature at, where that time came from, and the check (named name)
// saying so. now is the verification time: no token may be from after it,
// nor after the status lookups that follow.
func (v *Verifier) provenTime(name, what string, present bool, tc tokenCheck, claimed time.Time, signer *smx509.Certificate, now time.Time) (time.Time, TimeSource, Check) {
	claimed = claimed.UTC()
	src := TimeSource{Source: SourceClaimed, Claimed: claimed}
	mk := func(res outcome.Result, sub outcome.SubIndication, format string, args ...any) Check {
		if res == outcome.Passed || res == outcome.NotPerformed {
			sub = outcome.None
		}
		return Check{Name: name, Scope: ScopeSigning, Result: res, SubIndication: sub, Detail: fmt.Sprintf(format, args...)}
	}
	if !present {
		return claimed, src, mk(outcome.NotPerformed, "", "not performed: %s carries no time-stamp token; its time %s is claimed by the signer, not proven", what, ts(claimed))
	}
	tok, err := tc.tok, tc.err
	if res, sub, why := tsa.Judge(err); res != outcome.Passed {
		return claimed, src, mk(res, sub, "%s's time-stamp: %s; its time %s is claimed, not proven", what, why, ts(claimed))
	}
	gen := tok.GenTime.UTC()
	switch {
	case gen.After(now):
		return claimed, src, mk(outcome.Failed, outcome.SigConstraintsFailure, "%s's time-stamp genTime %s is after this verification (%s)", what, ts(gen), ts(now))
	case signer != nil && (gen.Before(signer.NotBefore) || gen.After(signer.NotAfter)):
		sub := outcome.Expired
		if gen.Before(signer.NotBefore) {
			sub = outcome.NotYetValid
		}
		return claimed, src, mk(outcome.Failed, sub, "%s's time-stamp genTime %s lies outside its signer certificate's validity (%s to %s)", what, ts(gen), ts(signer.NotBefore), ts(signer.NotAfter))
	case claimed.After(gen.Add(maxClaimAhead)):
		return claimed, src, mk(outcome.Failed, outcome.SigConstraintsFailure, "%s claims the time %s, but %s proves it existed at %s already", what, ts(claimed), tok.TSAName, ts(gen))
	}
	src.Source, src.TSA = SourceTSA, tok.TSAName
	return gen, src, mk(outcome.Passed, "", "%s existed at %s, proven by the time-stamp of %s (serial %s, imprint over the signature value); the signer claimed %s", what, ts(gen), tok.TSAName, tok.Serial, ts(claimed))
}

// tsaTrust is the anchors of time-stamping authorities.
func tsaTrust(opts Options) *pki.TrustStore {
	if opts.TSATrust != nil {
		return opts.TSATrust
	}
	return opts.SealTrust
}

// applicantToken returns the first id-aa-timeStampToken of an applicant
// CMS, its signature value and its signer certificate (nils when the CMS
// does not parse: the applicant-signature check reports that). A bag
// certificate equal to one of known (the package's list, already parsed)
// is taken from there.
func applicantToken(cms []byte, known []*smx509.Certificate) (token, sigValue []byte, signer *smx509.Certificate, err error) {
	sd, perr := pki.ParseCMSKnown(cms, known)
	if perr != nil || len(sd.Signers) != 1 {
		return nil, nil, nil, nil
	}
	si := sd.Signers[0]
	toks, err := si.TimeStampTokens()
	if err != nil || len(toks) == 0 {
		return nil, si.Signature, si.Cert, err
	}
	return toks[0], si.Signature, si.Cert, nil
}
