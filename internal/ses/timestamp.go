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
	if !errors.Is(err, tsa.ErrFormat) && !errors.Is(err, tsa.ErrUnsupported) {
		v.sm2Performed.Add(1)
	}
	st := stamped{tok: tok, err: err}
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
// time (VerifyToken's error, else Covers'; nil when it holds).
type stamped struct {
	tok *tsa.Token
	err error
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
