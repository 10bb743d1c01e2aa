package pledge

import (
	"bytes"
	"encoding/hex"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// Codes of binding failures between the parts of a package.
const (
	CodeNoticeMismatch     = "NOTICE_MISMATCH"
	CodeNoticeSealMismatch = "NOTICE_SEAL_MISMATCH"
	CodeSealBinding        = "SEAL_BINDING_MISMATCH"
	CodeSESMalformed       = "SES_MALFORMED"
)

// CheckNotice checks that the notice carried is the one the document binds
// (SM3 of its canonical bytes) and that the notice SES covers those bytes.
// It does not verify the SES signature or its seal (internal/ses does).
func (p *ParsedPackage) CheckNotice() error {
	d := pki.Digest(p.NoticeBytes)
	if hex.EncodeToString(d[:]) != p.Doc.Notice.Digest {
		return apperr.New(apperr.Forbidden, "the notice in the package is not the notice the pledge binds (digest differs)").WithCode(CodeNoticeMismatch)
	}
	sig, err := ses.ParseSignature(p.NoticeSES)
	if err != nil {
		return apperr.Wrap(apperr.Malformed, err, "the notice seal is not a valid SES_Signature").WithCode(CodeSESMalformed)
	}
	if !bytes.Equal(sig.TBS.DataHash, d[:]) {
		return apperr.New(apperr.Forbidden, "the notice seal was made over other data").WithCode(CodeNoticeSealMismatch)
	}
	return nil
}

// CheckAgencySeal checks that the agency's counter-seal binds this document
// and this applicant signature: the sealed data must be exactly
// SignedPledgeBytes of them, and the SES dataHash must be its SM3. It
// reports false, nil when the pledge carries no counter-seal yet.
func (p *ParsedPackage) CheckAgencySeal() (bool, error) {
	if p.AgencySES == nil {
		return false, nil
	}
	want, err := SignedPledgeBytes(p.Doc.PledgeID, pki.Digest(p.Document), p.ApplicantCMS)
	if err != nil {
		return true, err
	}
	if !bytes.Equal(want, p.SealedData) {
		return true, apperr.New(apperr.Forbidden, "the agency seal was made over another pledge or another applicant signature").WithCode(CodeSealBinding)
	}
	sig, err := ses.ParseSignature(p.AgencySES)
	if err != nil {
		return true, apperr.Wrap(apperr.Malformed, err, "the agency seal is not a valid SES_Signature").WithCode(CodeSESMalformed)
	}
	d := pki.Digest(p.SealedData)
	if !bytes.Equal(sig.TBS.DataHash, d[:]) {
		return true, apperr.New(apperr.Forbidden, "the agency seal was made over other data").WithCode(CodeSealBinding)
	}
	return true, nil
}
