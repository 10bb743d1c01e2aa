package ses

import (
	"bytes"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// tstInfo is what this package reads of an RFC 3161 TSTInfo.
type tstInfo struct {
	hashAlg asn1.ObjectIdentifier
	hashed  []byte
	genTime time.Time
}

func parseTSTInfo(b []byte) (tstInfo, bool) {
	var t tstInfo
	in := cryptobyte.String(b)
	var seq, imprint, alg cryptobyte.String
	var version int64
	var policy asn1.ObjectIdentifier
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !seq.ReadASN1Integer(&version) || !seq.ReadASN1ObjectIdentifier(&policy) ||
		!seq.ReadASN1(&imprint, cbasn1.SEQUENCE) || !imprint.ReadASN1(&alg, cbasn1.SEQUENCE) ||
		!alg.ReadASN1ObjectIdentifier(&t.hashAlg) {
		return t, false
	}
	var hashed cryptobyte.String
	if !imprint.ReadASN1(&hashed, cbasn1.OCTET_STRING) || !seq.SkipASN1(cbasn1.INTEGER) {
		return t, false
	}
	t.hashed = hashed
	var gt cryptobyte.String
	if !seq.ReadASN1(&gt, cbasn1.GeneralizedTime) {
		return t, false
	}
	v, ok := parseLenientTime(string(gt))
	if !ok {
		return t, false
	}
	t.genTime = v
	return t, true
}

// timestampCheck verifies the RFC 3161 token of s (ses-format.md §4): its
// CMS signature (SM2/SM3), that its message imprint is the hash of the
// signer signature value (SM3, or SHA-256 as some TSAs write), that the
// signer's certificate has the critical extendedKeyUsage timeStamping
// (RFC 3161 §2.3), and the TSA chain against the signer trust store at the
// token's own time. It returns
// the token's genTime when the token holds.
func (v *Verifier) timestampCheck(s *Signature) (time.Time, outcome.Check) {
	res, err := pki.VerifyAttached(s.TimeStamp)
	switch {
	case errors.Is(err, pki.ErrCMSUnsupported):
		return time.Time{}, check(CheckTimestamp, outcome.Indeterminate, outcome.Unsupported, "the timestamp token uses an algorithm other than SM2/SM3; timeInfo is used instead")
	case errors.Is(err, pki.ErrCMSFormat):
		return time.Time{}, check(CheckTimestamp, outcome.Failed, outcome.FormatFailure, "the timestamp token is not a readable SignedData")
	case err != nil:
		return time.Time{}, check(CheckTimestamp, outcome.Failed, outcome.SigCryptoFailure, "the timestamp token's signature does not verify")
	}
	v.sm2Performed.Add(1)
	tst, ok := parseTSTInfo(res.Content)
	if !ok {
		return time.Time{}, check(CheckTimestamp, outcome.Failed, outcome.FormatFailure, "the timestamp token holds no readable TSTInfo")
	}
	var want []byte
	switch {
	case tst.hashAlg.Equal(asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}):
		d := pki.Digest(s.Value)
		want = d[:]
	case tst.hashAlg.Equal(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}):
		d := sha256.Sum256(s.Value)
		want = d[:]
	default:
		return time.Time{}, check(CheckTimestamp, outcome.Indeterminate, outcome.Unsupported, "the timestamp's message imprint uses an unsupported hash %s", tst.hashAlg)
	}
	if !bytes.Equal(want, tst.hashed) {
		return time.Time{}, check(CheckTimestamp, outcome.Failed, outcome.HashFailure, "the timestamp's message imprint is not the hash of this signature value")
	}
	if err := pki.CheckTimeStamping(res.Signers[0]); err != nil {
		return time.Time{}, check(CheckTimestamp, outcome.Failed, outcome.ChainConstraintsFailure, "the timestamp's signer is not a TSA: its certificate lacks a critical extendedKeyUsage of exactly timeStamping (RFC 3161 §2.3)")
	}
	if v.signerTrust.Empty() {
		return tst.genTime, check(CheckTimestamp, outcome.Indeterminate, outcome.NoCertificateChainFound, "the timestamp verifies (genTime %s) but no trust anchors are configured for its TSA", ts(tst.genTime))
	}
	if _, err := v.signerTrust.VerifyAt(res.Signers[0], res.Certificates, tst.genTime, true); err != nil {
		if errors.Is(err, pki.ErrNoChain) {
			return tst.genTime, check(CheckTimestamp, outcome.Indeterminate, outcome.NoCertificateChainFound, "the timestamp verifies (genTime %s) but its TSA does not chain to a trusted anchor", ts(tst.genTime))
		}
		return tst.genTime, check(CheckTimestamp, outcome.Failed, outcome.ChainConstraintsFailure, "the timestamp's TSA certificate is not valid at its genTime")
	}
	return tst.genTime, check(CheckTimestamp, outcome.Passed, "", "RFC 3161 timestamp verifies: genTime %s, imprint matches the signature value", ts(tst.genTime))
}
