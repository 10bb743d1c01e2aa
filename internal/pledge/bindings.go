package pledge

import (
	"bytes"
	"encoding/hex"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// CheckNotice checks that the notice carried is the one the document binds
// (SM3 of its canonical bytes) and that the notice SES covers those bytes.
// It does not verify the SES signature or its seal (internal/ses does).
// sig and parseErr are the parse of p.NoticeSES (ses.ParseSignature, or a
// ses.Verifier's, which verifies the same parse afterwards).
func (p *ParsedPackage) CheckNotice(sig *ses.Signature, parseErr error) error {
	d := pki.Digest(p.NoticeBytes)
	if hex.EncodeToString(d[:]) != p.Doc.Notice.Digest {
		return apperr.New(apperr.Forbidden, "the notice in the package is not the notice the pledge binds (digest differs)").WithCode(apperr.CodeNoticeMismatch)
	}
	if parseErr != nil || sig == nil {
		return apperr.Wrap(apperr.Malformed, parseErr, "the notice seal is not a valid SES_Signature").WithCode(apperr.CodeSESMalformed)
	}
	if !bytes.Equal(sig.TBS.DataHash, d[:]) {
		return apperr.New(apperr.Forbidden, "the notice seal was made over other data").WithCode(apperr.CodeNoticeSealMismatch)
	}
	return nil
}

// CheckAgencySeal checks that the agency's counter-seal binds this document
// and this applicant signature: the sealed data (a decision statement or,
// in legacy packages, the signed-pledge bytes) must name this pledge, the
// SM3 of this document and of this applicant signature, and the SES
// dataHash must be the SM3 of the sealed data. It reports false, nil when
// the pledge carries no counter-seal yet. sig and parseErr are the parse
// of p.AgencySES, as for CheckNotice.
func (p *ParsedPackage) CheckAgencySeal(sig *ses.Signature, parseErr error) (bool, error) {
	if p.AgencySES == nil {
		return false, nil
	}
	st := p.Sealed.Statement
	dd, sd := pki.Digest(p.Document), pki.Digest(p.ApplicantCMS)
	if st.PledgeID != p.Doc.PledgeID || st.DocumentDigest != hex.EncodeToString(dd[:]) || st.ApplicantSignatureDigest != hex.EncodeToString(sd[:]) {
		return true, apperr.New(apperr.Forbidden, "the agency seal was made over another pledge or another applicant signature").WithCode(apperr.CodeSealBindingMismatch)
	}
	if parseErr != nil || sig == nil {
		return true, apperr.Wrap(apperr.Malformed, parseErr, "the agency seal is not a valid SES_Signature").WithCode(apperr.CodeSESMalformed)
	}
	d := pki.Digest(p.SealedData)
	if !bytes.Equal(sig.TBS.DataHash, d[:]) {
		return true, apperr.New(apperr.Forbidden, "the agency seal was made over other data").WithCode(apperr.CodeSealBindingMismatch)
	}
	return true, nil
}

// CheckDecision checks that the decision statement (not legacy) agrees
// with the document it decides (agency, matter, notice version) and with
// the seal that covers it (sealedAt is the SES timeInfo), and that its
// decision date lies between the signing day and the sealing day.
func (p *ParsedPackage) CheckDecision(sealedAt time.Time) error {
	st, d := p.Sealed.Statement, p.Doc
	fail := func(format string, args ...any) error {
		return apperr.New(apperr.Forbidden, format, args...).WithCode(apperr.CodeDecisionMismatch)
	}
	switch {
	case st.Agency != d.Agency:
		return fail("the decision statement names the agency %s, the pledge document %s", st.Agency, d.Agency)
	case st.Entry != d.Entry:
		return fail("the decision statement names another matter than the pledge document")
	case st.Notice != d.Notice:
		return fail("the decision statement names another notice version than the pledge document")
	}
	at, err := st.SealTime()
	if err != nil {
		return err
	}
	if !at.Equal(sealedAt.UTC()) {
		return fail("the decision statement says it was sealed at %s, the seal says %s", st.SealedAt, sealedAt.UTC().Format(time.RFC3339))
	}
	if err := CheckDecisionDate(st.DecisionDate, d.SignedAt, at); err != nil {
		return fail("%s", apperr.As(err).Detail)
	}
	return nil
}

// FieldMismatches returns the JSON paths of the unsigned package members
// that repeat the decision statement (agencySeal.documentNo,
// agencySeal.date, statusUrl) and disagree with it; nil for a legacy or
// undecided package, whose members have no statement to agree with.
func (p *ParsedPackage) FieldMismatches() []string {
	s := p.Package.AgencySeal
	if s == nil || p.Sealed.Legacy {
		return nil
	}
	st := p.Sealed.Statement
	var out []string
	if s.DocumentNo != st.DecisionNo {
		out = append(out, "agencySeal.documentNo")
	}
	if s.Date != st.DecisionDate {
		out = append(out, "agencySeal.date")
	}
	if p.Package.StatusURL != st.StatusURL {
		out = append(out, "statusUrl")
	}
	return out
}

// Way is the signing way a verified applicant signature shows: an event
// certificate carries the pledge binding, an own certificate does not.
func (res SignerResult) Way() string {
	if res.EventCertificate {
		return WayEventCertificate
	}
	return WayOwnCertificate
}

// CheckWay checks the unsigned applicantSignature.way against the verified
// signature: it must be the way the signing certificate shows.
func (p *ParsedPackage) CheckWay(res SignerResult) error {
	if w := res.Way(); p.Package.ApplicantSignature.Way != w {
		return apperr.New(apperr.Forbidden, "applicantSignature.way says %s but the signing certificate shows %s", p.Package.ApplicantSignature.Way, w).WithCode(apperr.CodePackageFieldMismatch)
	}
	return nil
}

// CheckCertificates checks the unsigned certificates member against the
// verified signature: it must be exactly the chain the verification used
// (signer first, trust anchor last), as the service records it at signing.
func (p *ParsedPackage) CheckCertificates(res SignerResult) error {
	same := len(p.Certificates) == len(res.Chain)
	for i := 0; same && i < len(res.Chain); i++ {
		same = bytes.Equal(p.Certificates[i].Raw, res.Chain[i].Raw)
	}
	if !same {
		return apperr.New(apperr.Forbidden, "certificates is not the certificate chain the applicant signature verifies with (%d carried, %d in the chain)", len(p.Certificates), len(res.Chain)).WithCode(apperr.CodePackageFieldMismatch)
	}
	return nil
}
