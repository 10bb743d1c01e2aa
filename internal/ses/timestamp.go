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
// time-stamping, against the signer trust store at the token's own time;
// and that its message imprint is the hash of the signer signature value
// (SM3, or SHA-256 as some TSAs write). It returns the token when it holds
// (the signing time is its genTime), also when its TSA does not chain to
// the anchors (INDETERMINATE: a time, but not a proven one).
func (v *Verifier) timestampCheck(s *Signature) (*tsa.Token, outcome.Check) {
	tok, err := tsa.VerifyToken(s.TimeStamp, v.signerTrust)
	if !errors.Is(err, tsa.ErrFormat) && !errors.Is(err, tsa.ErrUnsupported) {
		v.sm2Performed.Add(1)
	}
	if tok != nil {
		switch cerr := tok.Covers(s.Value); {
		case errors.Is(cerr, tsa.ErrUnsupported):
			return nil, check(CheckTimestamp, outcome.Indeterminate, outcome.Unsupported, "the timestamp's message imprint uses an unsupported hash %s", tok.HashAlg)
		case cerr != nil:
			return nil, check(CheckTimestamp, outcome.Failed, outcome.HashFailure, "the timestamp's message imprint is not the hash of this signature value")
		}
	}
	switch {
	case err == nil:
		return tok, check(CheckTimestamp, outcome.Passed, "", "RFC 3161 timestamp verifies: genTime %s by %s, imprint matches the signature value", ts(tok.GenTime), tok.TSAName)
	case errors.Is(err, tsa.ErrUnsupported):
		return nil, check(CheckTimestamp, outcome.Indeterminate, outcome.Unsupported, "the timestamp token uses an algorithm other than SM2/SM3; timeInfo is used instead")
	case errors.Is(err, tsa.ErrFormat):
		return nil, check(CheckTimestamp, outcome.Failed, outcome.FormatFailure, "the timestamp token is not a readable RFC 3161 token (SignedData over one TSTInfo)")
	case errors.Is(err, tsa.ErrSignature):
		return nil, check(CheckTimestamp, outcome.Failed, outcome.SigCryptoFailure, "the timestamp token's signature does not verify")
	case errors.Is(err, tsa.ErrSigningCert):
		return nil, check(CheckTimestamp, outcome.Failed, outcome.SigConstraintsFailure, "the timestamp token does not name its signer's certificate in a signingCertificate attribute (RFC 3161 §2.4.1), or names another")
	case errors.Is(err, tsa.ErrKeyPurpose):
		return nil, check(CheckTimestamp, outcome.Failed, outcome.ChainConstraintsFailure, "the timestamp's signer is not a TSA: its certificate lacks a critical extendedKeyUsage of exactly timeStamping (RFC 3161 §2.3), or a CA of its chain does not allow time-stamping")
	case errors.Is(err, tsa.ErrNoChain) && v.signerTrust.Empty():
		return tok, check(CheckTimestamp, outcome.Indeterminate, outcome.NoCertificateChainFound, "the timestamp verifies (genTime %s) but no trust anchors are configured for its TSA", ts(tok.GenTime))
	case errors.Is(err, tsa.ErrNoChain):
		return tok, check(CheckTimestamp, outcome.Indeterminate, outcome.NoCertificateChainFound, "the timestamp verifies (genTime %s) but its TSA does not chain to a trusted anchor", ts(tok.GenTime))
	default:
		return nil, check(CheckTimestamp, outcome.Failed, outcome.ChainConstraintsFailure, "the timestamp's TSA certificate is not valid at its genTime")
	}
}
