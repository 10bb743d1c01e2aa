package pledge

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// ParseDigestHex decodes a lowercase or uppercase hex SM3 digest.
func ParseDigestHex(s string) ([32]byte, error) {
	var d [32]byte
	b, err := hex.DecodeString(strings.ToLower(s))
	if err != nil || len(b) != len(d) {
		return d, malformed(apperr.CodeFieldInvalid, "digest must be the 64 hex characters of the SM3 digest of the reviewed document")
	}
	copy(d[:], b)
	return d, nil
}

// SignDraftWithEventCertificate signs a prepared draft (see Prepare) with a
// one-time event certificate (way a), but only the draft the applicant
// reviewed: reviewed is the SM3 digest of the document bytes shown to
// them, and the draft is signed only if its bytes have exactly that digest.
// Only the draft's own applicant may sign it (others get NotFound, as for
// a draft that does not exist); a draft past its expiry is refused with
// apperr.CodeDraftExpired; a repeat after success returns the pledge with created
// false. The signing time is the document's signedAt: the event
// certificate is issued to cover it, so the signature verifies at the
// time the document states.
func (s *Service) SignDraftWithEventCertificate(ctx context.Context, a Applicant, pledgeID string, reviewed [32]byte) (rec Record, created bool, err error) {
	if err := a.validate(); err != nil {
		return Record{}, false, err
	}
	if err := checkCode("pledgeId", pledgeID); err != nil {
		return Record{}, false, err
	}
	subject := s.SubjectIndex(a)
	notFound := apperr.New(apperr.NotFound, "no such pledge draft for this applicant, or it was removed after expiry: review the pledge again (草稿不存在或已过期，请重新核对)").WithCode(apperr.CodeDraftNotFound)
	mismatch := apperr.New(apperr.Conflict, "the document digest you reviewed is not the digest of this draft: nothing was signed; review the document again (核对的摘要与待签文件不一致，未签署)").WithCode(apperr.CodeDraftDigestMismatch)

	// A repeat: the pledge exists already.
	if r, err := s.d.Pledges.GetPledge(ctx, pledgeID); err == nil {
		if r.Applicant != subject {
			return Record{}, false, notFound
		}
		if r.Digest != reviewed {
			return Record{}, false, mismatch
		}
		return r, false, nil
	} else if apperr.KindOf(err) != apperr.NotFound {
		return Record{}, false, err
	}

	d, err := s.d.Pledges.GetDraft(ctx, pledgeID)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return Record{}, false, notFound
		}
		return Record{}, false, err
	}
	if d.Applicant != subject {
		return Record{}, false, notFound
	}
	// The repository drops a draft after its time to live; the clock check
	// makes the expiry exact (and testable with a fake clock).
	if !s.d.Clock.Now().Before(d.ExpiresAt) {
		return Record{}, false, apperr.New(apperr.Conflict, "the draft expired at %s: review the pledge again (草稿已过期，请重新核对)", d.ExpiresAt.UTC().Format("2006-01-02 15:04:05 UTC")).WithCode(apperr.CodeDraftExpired)
	}
	if d.Digest != reviewed {
		return Record{}, false, mismatch
	}
	// The stored digest must be the digest of the stored bytes: what is
	// signed is what was reviewed, not merely what was recorded.
	if pki.Digest(d.Document) != d.Digest {
		return Record{}, false, apperr.New(apperr.Internal, "a stored draft does not match its digest")
	}
	doc, err := ParseDocument(d.Document)
	if err != nil {
		return Record{}, false, apperr.Wrap(apperr.Internal, err, "stored draft does not parse")
	}
	if doc.PledgeID != d.ID {
		return Record{}, false, apperr.New(apperr.Internal, "a stored draft names another pledge")
	}
	sig, _, err := SignWithEventCertificate(s.d.CMS, s.d.EventCA, doc.Applicant, d.ID, d.Document, doc.SignedAt)
	if err != nil {
		return Record{}, false, err
	}
	rec, created, err = s.finish(ctx, d, doc, sig, func(res SignerResult) error {
		if !res.EventCertificate {
			return apperr.New(apperr.Internal, "the event signature lost its pledge binding")
		}
		return nil
	})
	if err != nil {
		return Record{}, false, err
	}
	// A concurrent call may have stored the pledge first: it is the same
	// document, so the stored record is the answer.
	if !bytes.Equal(rec.Document, d.Document) {
		return Record{}, false, apperr.New(apperr.Internal, "the stored pledge is not the reviewed draft")
	}
	return rec, created, nil
}
