package tsa

import (
	"errors"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

// Judge maps a VerifyToken (or Covers) error to a check result, its
// sub-indication and a client-safe English reason: no chain to the anchors
// is INDETERMINATE (the token may be good, the relying party cannot tell),
// an algorithm this verifier lacks INDETERMINATE / UNSUPPORTED, anything
// else FAILED. nil is PASSED.
func Judge(err error) (outcome.Result, outcome.SubIndication, string) {
	switch {
	case err == nil:
		return outcome.Passed, outcome.None, "the time-stamp token verifies"
	case errors.Is(err, ErrUnsupported):
		return outcome.Indeterminate, outcome.Unsupported, "the time-stamp token uses an algorithm other than SM2/SM3 (imprint SM3 or SHA-256)"
	case errors.Is(err, ErrNoChain):
		return outcome.Indeterminate, outcome.NoCertificateChainFound, "the time-stamp token's TSA does not chain to a trusted TSA anchor"
	case errors.Is(err, ErrFormat):
		return outcome.Failed, outcome.FormatFailure, "the time-stamp token is not a readable RFC 3161 token (SignedData over one TSTInfo)"
	case errors.Is(err, ErrSignature):
		return outcome.Failed, outcome.SigCryptoFailure, "the time-stamp token's signature does not verify"
	case errors.Is(err, ErrSigningCert):
		return outcome.Failed, outcome.SigConstraintsFailure, "the time-stamp token does not name its signer's certificate in a signingCertificate attribute (RFC 3161 §2.4.1), or names another"
	case errors.Is(err, ErrKeyPurpose):
		return outcome.Failed, outcome.ChainConstraintsFailure, "the time-stamp's signer is not a TSA: its certificate lacks a critical extendedKeyUsage of exactly timeStamping (RFC 3161 §2.3), or a CA of its chain does not allow time-stamping"
	case errors.Is(err, ErrImprint):
		return outcome.Failed, outcome.HashFailure, "the time-stamp's message imprint is not the hash of this signature value"
	}
	return outcome.Failed, outcome.ChainConstraintsFailure, "the time-stamp's TSA certificate is not valid at its genTime"
}
