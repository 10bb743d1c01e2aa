package ofdmake

import (
	"context"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// Repository keeps the one sealed OFD of each decision (store.OFDRepo),
// sealed as personal data: the kept document shows the applicant unmasked
// and carries the package. Both methods are atomic.
type Repository interface {
	// KeptOFD returns the OFD kept for the pledge's decision, nil when
	// none is.
	KeptOFD(ctx context.Context, pledgeID string, decision [32]byte) ([]byte, error)
	// KeepOFD keeps b for the decision unless one is kept already and
	// returns the one kept: b, or the document kept first.
	KeepOFD(ctx context.Context, pledgeID string, decision [32]byte, b []byte) ([]byte, error)
}

// DecisionKey names a decision: the SM3 of its counter-seal, the
// SES_Signature the agency made over the signed pledge when deciding.
func DecisionKey(agencySES []byte) [32]byte { return pki.Digest(agencySES) }

// Once seals the OFD of a decision once: the first request seals it and
// keeps it, every later one gets the same bytes (no SM2 signature, time-stamp
// or serial number per download). A change of state after the decision
// (revoked, found false) does not change it: it is the decided document,
// and verification reports say the state now.
//
// Only the unmasked document (the applicant's and the agency's, the only
// callers of GET /v1/pledges/{id}/ofd) is kept; a masked one is written on
// demand and never kept.
type Once struct {
	Writer *Writer
	Repo   Repository
}

// Kept returns the document kept for the decision, nil when none is.
func (o *Once) Kept(ctx context.Context, pledgeID string, decision [32]byte) ([]byte, error) {
	return o.Repo.KeptOFD(ctx, pledgeID, decision)
}

// SealAndKeep returns the document kept for the pledge's decision in
// in.Package, sealing and keeping it when none is kept yet. Two first
// requests at once may both seal; one document is kept and both return it.
func (o *Once) SealAndKeep(ctx context.Context, in Input) ([]byte, error) {
	if o.Writer == nil || o.Repo == nil || in.MaskApplicant {
		return nil, apperr.New(apperr.Internal, "ofdmake.Once needs a writer and a repository, and keeps only the unmasked document")
	}
	p, err := parseAccepted(in.Package)
	if err != nil {
		return nil, err
	}
	id, key := p.Doc.PledgeID, DecisionKey(p.AgencySES)
	if b, err := o.Repo.KeptOFD(ctx, id, key); err != nil || b != nil {
		return b, err
	}
	b, err := o.Writer.Write(ctx, in)
	if err != nil {
		return nil, err
	}
	return o.Repo.KeepOFD(ctx, id, key, b)
}
