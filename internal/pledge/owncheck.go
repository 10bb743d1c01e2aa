package pledge

import (
	"bytes"
	"context"
	"encoding/hex"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// OwnSignatureCheck is what checking an applicant's own CMS against a
// draft found, without storing anything: the same verification
// SubmitOwnSignature runs (Refusal is the error it would return, nil when
// it would store the pledge), and the facts a person needs to see why.
type OwnSignatureCheck struct {
	PledgeID string
	// DocumentDigest is the SM3 digest of the draft's bytes; SignedDigest
	// the messageDigest the signature covers (nil when the SignedData
	// signs without signed attributes).
	DocumentDigest [32]byte
	SignedDigest   []byte
	DigestMatches  bool
	// Signer is the signing certificate the SignedData names; SignedAt the
	// document's signing time, at which the certificate is judged.
	Signer   *smx509.Certificate
	SignedAt time.Time
	// ValidAtSigning: SignedAt lies within the certificate's validity.
	ValidAtSigning bool
	// ApplicantMatches: the certificate belongs to the signed-in applicant
	// (Deps.OwnCertificateMatches).
	ApplicantMatches bool
	// Trusted: the signature verifies and the certificate chains to an
	// applicant trust anchor at SignedAt (the chain is Chain).
	Trusted bool
	Chain   []*smx509.Certificate
	Refusal error
}

// Acceptable reports whether SubmitOwnSignature would store the pledge.
func (c OwnSignatureCheck) Acceptable() bool { return c.Refusal == nil }

// ownDraft is the draft pledgeID of applicant a, not expired: another
// applicant's draft is NotFound, as one that does not exist.
func (s *Service) ownDraft(ctx context.Context, subject, pledgeID string) (Draft, *Document, error) {
	notFound := apperr.New(apperr.NotFound, "no such pledge draft, or it expired: prepare it again").WithCode(apperr.CodeDraftNotFound)
	d, err := s.d.Pledges.GetDraft(ctx, pledgeID)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return Draft{}, nil, notFound
		}
		return Draft{}, nil, err
	}
	if d.Applicant != subject {
		return Draft{}, nil, notFound
	}
	// The repository drops a draft after its time to live; the clock check
	// makes the expiry exact.
	if !s.d.Clock.Now().Before(d.ExpiresAt) {
		return Draft{}, nil, apperr.New(apperr.Conflict, "the draft expired at %s: prepare it again", d.ExpiresAt.UTC().Format("2006-01-02 15:04:05 UTC")).WithCode(apperr.CodeDraftExpired)
	}
	doc, err := ParseDocument(d.Document)
	if err != nil {
		return Draft{}, nil, apperr.Wrap(apperr.Internal, err, "stored draft does not parse")
	}
	return d, doc, nil
}

// ownCMS is an applicant's own SignedData as far as the checks before the
// signature verification read it.
type ownCMS struct {
	signer pki.CMSSignerInfo
	// content is the embedded content of an attached SignedData (some
	// tools, GmSSL's cmssign among them, embed what they sign), nil when
	// detached.
	content []byte
}

// signedCMS reads an applicant's own SignedData far enough to say which
// certificate signed which digest: exactly one SignerInfo whose
// certificate the SignedData carries. Anything else is CodeCMSMalformed.
func signedCMS(cms []byte) (ownCMS, error) {
	if len(cms) == 0 || len(cms) > maxCMS {
		return ownCMS{}, malformed(apperr.CodeCMSMalformed, "the signature must be a DER CMS SignedData of at most %d bytes", maxCMS)
	}
	// The pledge keeps these bytes as the signature: one DER ContentInfo,
	// nothing after it (pki.ParseCMS reads the first element only).
	in := cryptobyte.String(cms)
	var ci cryptobyte.String
	if !in.ReadASN1Element(&ci, cbasn1.SEQUENCE) || !in.Empty() {
		return ownCMS{}, malformed(apperr.CodeCMSMalformed, "the signature must be exactly one DER CMS ContentInfo, with nothing after it")
	}
	sd, err := pki.ParseCMS(cms)
	if err != nil {
		return ownCMS{}, apperr.Wrap(apperr.Malformed, err, "the signature is not a DER CMS SignedData").WithCode(apperr.CodeCMSMalformed)
	}
	if len(sd.Signers) != 1 || sd.Signers[0].Cert == nil {
		return ownCMS{}, malformed(apperr.CodeCMSMalformed, "the SignedData must have exactly one signer whose certificate it carries")
	}
	return ownCMS{signer: sd.Signers[0], content: sd.Content}, nil
}

// sameDocument refuses, before any signature is verified, a SignedData
// that says it signs other bytes than the draft's: a signed messageDigest
// that is not the draft's digest, or embedded content that is not the
// draft's bytes (verification is over the draft's bytes, so such content
// would be carried along unsigned).
func sameDocument(c ownCMS, d Draft) error {
	if c.signer.SignedAttrs != nil && !bytes.Equal(c.signer.MessageDigest, d.Digest[:]) {
		return otherDocument(c.signer.MessageDigest, d)
	}
	if c.content != nil && !bytes.Equal(c.content, d.Document) {
		sum := pki.Digest(c.content)
		return otherDocument(sum[:], d)
	}
	return nil
}

// otherDocument is the refusal of a signature over other bytes than the
// draft's: the clearest thing to say when the signed digest differs.
func otherDocument(signed []byte, d Draft) error {
	return apperr.New(apperr.Forbidden, "the signature covers other bytes (SM3 %s) than this draft (SM3 %s): sign the downloaded file exactly as it is, for this draft",
		hex.EncodeToString(signed), hex.EncodeToString(d.Digest[:])).WithCode(apperr.CodeCMSOtherDocument)
}

// acceptOwn is the rule an own-certificate signature must meet beyond the
// shared verification: not an event certificate, and the applicant's own.
func (s *Service) acceptOwn(a Applicant) func(SignerResult) error {
	return func(res SignerResult) error {
		if res.EventCertificate || !s.d.OwnCertificateMatches(a, res.Signer) {
			return apperr.New(apperr.Forbidden, "the signing certificate does not belong to the signed-in applicant (证书与申请人身份不符)").WithCode(apperr.CodeCertificateNotApplicants)
		}
		return nil
	}
}

// verifyOwn runs every check SubmitOwnSignature runs before storing.
func (s *Service) verifyOwn(a Applicant, d Draft, doc *Document, cms []byte) (OwnSignatureCheck, error) {
	oc, err := signedCMS(cms)
	if err != nil {
		return OwnSignatureCheck{}, err
	}
	si := oc.signer
	c := OwnSignatureCheck{
		PledgeID: d.ID, DocumentDigest: d.Digest, Signer: si.Cert, SignedAt: doc.SignedAt,
		ApplicantMatches: s.d.OwnCertificateMatches(a, si.Cert),
	}
	c.ValidAtSigning = !doc.SignedAt.Before(si.Cert.NotBefore) && !doc.SignedAt.After(si.Cert.NotAfter)
	if err := sameDocument(oc, d); err != nil {
		c.SignedDigest = bytes.Clone(si.MessageDigest)
		if c.SignedDigest == nil {
			sum := pki.Digest(oc.content)
			c.SignedDigest = sum[:]
		}
		c.Refusal = err
		return c, nil
	}
	if si.SignedAttrs != nil {
		c.SignedDigest = bytes.Clone(si.MessageDigest)
		c.DigestMatches = true
	}
	res, err := VerifyApplicantSignature(s.d.CMS, s.d.ApplicantTrust, d.ID, d.Document, cms, doc.SignedAt)
	if err != nil {
		// Only a refusal is a report; a signature that cannot be read
		// (an unsupported algorithm) or a service that cannot judge it
		// is an error, never a report.
		if apperr.KindOf(err) != apperr.Forbidden {
			return OwnSignatureCheck{}, err
		}
		c.Refusal = err
		return c, nil
	}
	// Without signed attributes the signature is over the content itself:
	// only its verification tells that it is this document.
	c.DigestMatches = true
	c.Trusted, c.Chain = true, res.Chain
	c.Refusal = s.acceptOwn(a)(res)
	return c, nil
}

// CheckOwnSignature checks an applicant's own detached CMS over a prepared
// draft exactly as SubmitOwnSignature would, and stores nothing: the page
// shows the result before the applicant submits. A draft that is not the
// applicant's, or expired, and a signature that cannot be read are errors;
// a signature that is read but refused is an OwnSignatureCheck with its
// Refusal.
func (s *Service) CheckOwnSignature(ctx context.Context, a Applicant, pledgeID string, cms []byte) (OwnSignatureCheck, error) {
	if err := a.validate(); err != nil {
		return OwnSignatureCheck{}, err
	}
	if err := checkCode("pledgeId", pledgeID); err != nil {
		return OwnSignatureCheck{}, err
	}
	d, doc, err := s.ownDraft(ctx, s.SubjectIndex(a), pledgeID)
	if err != nil {
		return OwnSignatureCheck{}, err
	}
	return s.verifyOwn(a, d, doc, cms)
}
