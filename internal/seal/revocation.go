package seal

import (
	"context"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// Reason is a typed revocation or reversal reason code.
type Reason string

// Revocation reasons. Certificate reasons follow RFC 5280; pledge reasons
// follow the findings of post-checks (docs/pledge-domain.md).
const (
	ReasonUnspecified          Reason = "UNSPECIFIED"
	ReasonKeyCompromise        Reason = "KEY_COMPROMISE"
	ReasonCACompromise         Reason = "CA_COMPROMISE"
	ReasonAffiliationChanged   Reason = "AFFILIATION_CHANGED"
	ReasonSuperseded           Reason = "SUPERSEDED"
	ReasonCessationOfOperation Reason = "CESSATION_OF_OPERATION"
	ReasonPrivilegeWithdrawn   Reason = "PRIVILEGE_WITHDRAWN"
	ReasonForged               Reason = "FORGED"
	ReasonMisuse               Reason = "MISUSE"
	ReasonFalsePledge          Reason = "FALSE_PLEDGE"
	ReasonNotFulfilled         Reason = "NOT_FULFILLED"
	ReasonDecisionRevoked      Reason = "DECISION_REVOKED"

	// Reversal reasons.
	ReasonAppealUpheld Reason = "APPEAL_UPHELD"
	ReasonCourtRuling  Reason = "COURT_RULING"
	ReasonCorrection   Reason = "CORRECTION"
)

// revocationEffect is what a revocation reason does to a subject of a kind:
// the state it sets. ok is false when the reason does not apply to the kind.
func revocationEffect(k status.Kind, r Reason) (status.Code, bool) {
	switch k {
	case status.KindCertificate:
		switch r {
		case ReasonUnspecified, ReasonKeyCompromise, ReasonCACompromise, ReasonAffiliationChanged,
			ReasonSuperseded, ReasonCessationOfOperation, ReasonPrivilegeWithdrawn:
			return status.Revoked, true
		}
	case status.KindSeal:
		switch r {
		case ReasonUnspecified, ReasonKeyCompromise, ReasonForged, ReasonMisuse, ReasonSuperseded:
			return status.Revoked, true
		}
	case status.KindPledge:
		switch r {
		case ReasonFalsePledge:
			return status.False, true
		case ReasonNotFulfilled:
			return status.NotFulfilled, true
		case ReasonDecisionRevoked, ReasonUnspecified:
			return status.Revoked, true
		}
	}
	return "", false
}

func reversalReason(r Reason) bool {
	return r == ReasonAppealUpheld || r == ReasonCourtRuling || r == ReasonCorrection
}

// revocable lists the states a subject of a kind may be revoked from.
// status.Unknown allows revoking a subject the registry has never seen
// (a certificate or an external seal known only by digest).
func revocable(k status.Kind) []status.Code {
	if k == status.KindSeal {
		return []status.Code{status.Unknown, status.Active, status.Suspended, status.ReportedLost, status.Frozen}
	}
	return []status.Code{status.Unknown, status.Active}
}

// revokedStates are the states a reversal may undo.
func revokedStates() []status.Code {
	return []status.Code{status.Revoked, status.False, status.NotFulfilled}
}

// mayRevoke says whether a principal may revoke (or reverse) subjects of a kind:
// enforcement and admin for pledges; seal_maker and admin for seals and certificates.
func mayRevoke(p auth.Principal, k status.Kind) bool {
	switch k {
	case status.KindPledge:
		return isOneOf(p, auth.RoleEnforcement, auth.RoleAdmin)
	case status.KindSeal, status.KindCertificate:
		return isOneOf(p, auth.RoleSealMaker, auth.RoleAdmin)
	}
	return false
}

// Revocations is the revocation registry service. It is safe for concurrent use.
type Revocations struct {
	st  Store
	clk clock.Clock
}

// NewRevocations returns the revocation registry over st.
func NewRevocations(st Store, clk clock.Clock) *Revocations { return &Revocations{st: st, clk: clk} }

// RevokeRequest revokes one or more subjects of one kind by one legal act.
type RevokeRequest struct {
	Subjects   []status.Subject
	Reason     Reason
	DocumentNo string
	// Effective is when the revocation takes legal effect; zero means now.
	Effective time.Time
	Note      string
}

// MaxSubjects is the most subjects one revocation request may name.
const MaxSubjects = store.MaxItems

func (v *Revocations) prepare(p auth.Principal, subs []status.Subject, reason Reason, doc, note string, eff time.Time) (status.Kind, time.Time, error) {
	if len(subs) == 0 || len(subs) > MaxSubjects {
		return "", time.Time{}, apperr.New(apperr.Malformed, "name 1 to %d subjects", MaxSubjects)
	}
	kind := subs[0].Kind
	for _, s := range subs {
		if s.Kind != kind {
			return "", time.Time{}, apperr.New(apperr.Malformed, "all subjects of one request must be of one kind")
		}
		if s.ID == "" && s.Digest == ([32]byte{}) {
			return "", time.Time{}, apperr.New(apperr.Malformed, "every subject needs an ID or an SM3 digest")
		}
	}
	switch kind {
	case status.KindPledge, status.KindSeal, status.KindCertificate:
	default:
		return "", time.Time{}, apperr.New(apperr.Malformed, "kind must be pledge, seal or certificate")
	}
	if !mayRevoke(p, kind) {
		return "", time.Time{}, forbidden("revoke or reinstate a " + string(kind))
	}
	if err := checkText("document number", doc, maxDocumentNo, true); err != nil {
		return "", time.Time{}, err
	}
	if err := checkText("note", note, maxReason, false); err != nil {
		return "", time.Time{}, err
	}
	if eff.IsZero() {
		eff = v.clk.Now()
	}
	return kind, eff, nil
}

// Receipt acknowledges a recorded change: its audit sequence number and
// link hash, when it was recorded and when it takes effect.
type Receipt struct {
	Seq       uint64
	Hash      string
	Recorded  time.Time
	Effective time.Time
	State     status.Code
}

// Revoke records a revocation of every subject in one atomic change.
func (v *Revocations) Revoke(ctx context.Context, p auth.Principal, req RevokeRequest) (Receipt, error) {
	kind, eff, err := v.prepare(p, req.Subjects, req.Reason, req.DocumentNo, req.Note, req.Effective)
	if err != nil {
		return Receipt{}, err
	}
	to, ok := revocationEffect(kind, req.Reason)
	if !ok {
		return Receipt{}, apperr.New(apperr.Malformed, "reason %q does not apply to a %s", req.Reason, kind)
	}
	a, err := v.st.Apply(ctx, store.Change{Action: "revocation.revoke", Actor: actorOf(p), To: to, From: revocable(kind),
		Reason: string(req.Reason), DocumentNo: req.DocumentNo, Effective: eff, Note: req.Note, Items: req.Subjects})
	if err != nil {
		return Receipt{}, conflictDetail(err, "revoke")
	}
	return Receipt{Seq: a.Seq, Hash: a.Hash, Recorded: a.Recorded, Effective: eff, State: to}, nil
}

// conflictDetail adds a bilingual lead to a store conflict.
func conflictDetail(err error, what string) error {
	if e := apperr.As(err); e != nil && e.Kind == apperr.Conflict {
		return apperr.New(apperr.Conflict, "cannot %s: %s / 当前状态不允许此操作", what, e.Detail).WithCode(e.Code)
	}
	return err
}

// Reverse records that revocations were overturned (on appeal, by a court,
// or as a correction): a new event; nothing is deleted. With an effective
// time equal to the revocation's, the revocation is void from the start.
func (v *Revocations) Reverse(ctx context.Context, p auth.Principal, req RevokeRequest) (Receipt, error) {
	_, eff, err := v.prepare(p, req.Subjects, req.Reason, req.DocumentNo, req.Note, req.Effective)
	if err != nil {
		return Receipt{}, err
	}
	if !reversalReason(req.Reason) {
		return Receipt{}, apperr.New(apperr.Malformed, "a reversal reason must be APPEAL_UPHELD, COURT_RULING or CORRECTION")
	}
	a, err := v.st.Apply(ctx, store.Change{Action: "revocation.reverse", Actor: actorOf(p), To: status.Active, From: revokedStates(),
		Reason: string(req.Reason), DocumentNo: req.DocumentNo, Effective: eff, Note: req.Note, Items: req.Subjects})
	if err != nil {
		return Receipt{}, conflictDetail(err, "reinstate")
	}
	return Receipt{Seq: a.Seq, Hash: a.Hash, Recorded: a.Recorded, Effective: eff, State: status.Active}, nil
}

// Record is a subject's revocation status now and its whole history.
type Record struct {
	Subject status.Subject
	Now     status.State
	History []Event
}

// Get returns the record of one subject, by ID, by digest, or both. A
// subject without events is NotFound.
func (v *Revocations) Get(ctx context.Context, sub status.Subject) (Record, error) {
	h, err := v.st.History(ctx, sub)
	if err != nil {
		return Record{}, err
	}
	if len(h) == 0 {
		return Record{}, apperr.New(apperr.NotFound, "no revocation or status event is recorded for this %s / 未找到记录", sub.Kind)
	}
	ans, err := v.st.Lookup(ctx, v.clk.Now(), []status.Subject{sub})
	if err != nil {
		return Record{}, err
	}
	return Record{Subject: sub, Now: ans.Results[0].Now, History: h}, nil
}

// LookupStats reports how many batch lookups the store answered and how
// many Redis round trips they took; ok is false when the store does not
// count them.
func (v *Revocations) LookupStats() (lookups, roundTrips int64, ok bool) {
	c, ok := v.st.(interface{ Stats() store.Stats })
	if !ok {
		return 0, 0, false
	}
	st := c.Stats()
	return st.Lookups, st.LookupRoundTrips, true
}

// Lookup answers a batch of subjects at time at (and now) in one read. It is
// open to the public; an error is never a default answer.
func (v *Revocations) Lookup(ctx context.Context, at time.Time, subs []status.Subject) (status.Answer, error) {
	if len(subs) == 0 {
		return status.Answer{}, apperr.New(apperr.Malformed, "name at least one subject")
	}
	return v.st.Lookup(ctx, at, subs)
}
