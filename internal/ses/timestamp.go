package ses

import (
	"errors"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// timestampCheck verifies the RFC 3161 token of s (ses-format.md §4) with
// tsa.VerifyToken, the one token verifier of this code base: its CMS
// signature (SM2/SM3) over a strictly read TSTInfo, the signer certificate
// named by the token's ESS signingCertificate(V2) attribute, its critical
// extendedKeyUsage timeStamping (RFC 3161 §2.3) and a chain whose CAs allow
// time-stamping, against the TSA trust store (Options.TSATrust) at the token's own time;
// and that its message imprint is the hash of the signer signature value
// (SM3, or SHA-256 as some TSAs write). It returns the token when it holds
// (the signing time is its genTime), also when its TSA does not chain to
// the anchors (INDETERMINATE: a time, but not a proven one). It also
// returns the verification as a Result carries it (stamped).
func (v *Verifier) timestampCheck(s *Signature) (*tsa.Token, stamped, outcome.Check) {
	tok, err := tsa.VerifyToken(s.TimeStamp, v.tsaTrust)
	st := stamped{tok: tok, err: err, sm2: !errors.Is(err, tsa.ErrFormat) && !errors.Is(err, tsa.ErrUnsupported)}
	if st.sm2 {
		v.sm2Performed.Add(1)
	}
	if tok != nil {
		if cerr := tok.Covers(s.Value); cerr != nil {
			err = cerr
			if st.err == nil {
				st.err = cerr
			}
		}
	}
	tok, c := timestampResult(tok, err, v.tsaTrust.Empty())
	return tok, st, c
}

// stamped is a token as tsa.VerifyToken read it and why it proves no
// time (VerifyToken's error, else Covers'; nil when it holds); sm2 says
// whether its verification ran an SM2 verification.
type stamped struct {
	tok *tsa.Token
	err error
	sm2 bool
}

// sharedTimestamp is timestampCheck for a Shared input, kept by the SM3 of
// the whole SES_Signature and the TSA anchors: the check reads only the
// token and the signature value inside those bytes and the anchors, and
// judges the token at its own genTime, never at the verification time, so
// equal keys give equal results. A notice seal's token, the same in every
// package of the notice, then costs one SM2 verification per Verifier
// (a hit counts in Stats().SM2Skipped). The token is shared: read-only.
func (v *Verifier) sharedTimestamp(s *Signature) (*tsa.Token, stamped, outcome.Check) {
	key := cacheKey{kind: kindSharedStamp, digest: v.sums.sum(s.Raw), store: v.tsaTrust}
	if c, ok := v.cache.get(key); ok {
		k := c.(keptStamp)
		if k.st.sm2 {
			v.sm2Skipped.Add(1)
		}
		return k.tok, k.st, k.check
	}
	tok, st, c := v.timestampCheck(s)
	v.cache.put(key, keptStamp{tok: tok, st: st, check: c})
	return tok, st, c
}

// keptStamp is a Shared input's timestamp check.
type keptStamp struct {
	tok   *tsa.Token
	st    stamped
	check outcome.Check
}

// timestampResult is the timestamp check of a token tok whose
// verification failed with err (nil: it holds), and the token the
// signing time may come from.
func timestampResult(tok *tsa.Token, err error, noAnchors bool) (*tsa.Token, outcome.Check) {
	res, sub, why := tsa.Judge(err)
	switch {
	case res == outcome.Passed:
		return tok, check(CheckTimestamp, outcome.Passed, "", "RFC 3161 timestamp verifies: genTime %s by %s, imprint matches the signature value", ts(tok.GenTime), tok.TSAName)
	case sub == outcome.NoCertificateChainFound && tok != nil:
		if noAnchors {
			why = "no trust anchors are configured for its TSA"
		}
		return tok, check(CheckTimestamp, res, sub, "the timestamp verifies (genTime %s) but %s", ts(tok.GenTime), why)
	case sub == outcome.Unsupported:
		return nil, check(CheckTimestamp, res, sub, "%s; timeInfo is used instead", why)
	}
	return nil, check(CheckTimestamp, res, sub, "%s", why)
}
