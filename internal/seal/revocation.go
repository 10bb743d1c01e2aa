package seal

import (
	"context"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/scope"
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

// PledgeRecords reads pledge records (*store.PledgeRepo implements it).
type PledgeRecords interface {
	GetPledge(ctx context.Context, id string) (pledge.Record, error)
}

// DefaultClockSkew is how far in the future an effective time may lie
// when RevocationOptions.ClockSkew is zero.
const DefaultClockSkew = 2 * time.Minute

// RevocationOptions are the registry's collaborators and limits.
type RevocationOptions struct {
	// Pledges is where pledge subjects are looked up: a pledge must exist
	// and lie in the caller's jurisdiction. Without it every pledge
	// revocation is refused (fail closed).
	Pledges PledgeRecords
	// ClockSkew bounds how far past now an effective time may lie
	// (DefaultClockSkew when zero).
	ClockSkew time.Duration
}

// Revocations is the revocation registry service. It is safe for concurrent use.
type Revocations struct {
	st   Store
	clk  clock.Clock
	opts RevocationOptions
}

// NewRevocations returns the revocation registry over st.
func NewRevocations(st Store, clk clock.Clock, opts RevocationOptions) *Revocations {
	if opts.ClockSkew <= 0 {
		opts.ClockSkew = DefaultClockSkew
	}
	return &Revocations{st: st, clk: clk, opts: opts}
}

// RevokeRequest revokes one or more subjects of one kind by one legal act.
type RevokeRequest struct {
	Subjects   []status.Subject
	Reason     Reason
	DocumentNo string
	// Effective is when the revocation takes legal effect; zero means now.
	// It may not precede a subject's creation nor lie in the future beyond
	// the clock skew.
	Effective time.Time
	Note      string
}

// MaxSubjects is the most subjects one revocation request may name.
const MaxSubjects = store.MaxItems

// prepared is a checked request: the subjects as they will be recorded
// (a pledge's or seal's digest filled in from its record), the effective
// time, and the pledges whose finding guard the write script checks.
type prepared struct {
	kind   status.Kind
	subs   []status.Subject
	eff    time.Time
	guards []string
}

func (v *Revocations) prepare(ctx context.Context, p auth.Principal, subs []status.Subject, doc, note string, eff time.Time) (prepared, error) {
	if len(subs) == 0 || len(subs) > MaxSubjects {
		return prepared{}, apperr.New(apperr.Malformed, "name 1 to %d subjects", MaxSubjects)
	}
	kind := subs[0].Kind
	for _, s := range subs {
		if s.Kind != kind {
			return prepared{}, apperr.New(apperr.Malformed, "all subjects of one request must be of one kind")
		}
		if s.ID == "" && s.Digest == ([32]byte{}) {
			return prepared{}, apperr.New(apperr.Malformed, "every subject needs an ID or an SM3 digest")
		}
	}
	switch kind {
	case status.KindPledge, status.KindSeal, status.KindCertificate:
	default:
		return prepared{}, apperr.New(apperr.Malformed, "kind must be pledge, seal or certificate")
	}
	if !mayRevoke(p, kind) {
		return prepared{}, forbidden("revoke or reinstate a " + string(kind))
	}
	if err := checkText("document number", doc, maxDocumentNo, true); err != nil {
		return prepared{}, err
	}
	if err := checkText("note", note, maxReason, false); err != nil {
		return prepared{}, err
	}
	now := v.clk.Now()
	if eff.IsZero() {
		eff = now
	}
	if eff.After(now.Add(v.opts.ClockSkew)) {
		return prepared{}, apperr.New(apperr.Malformed, "the effective time lies in the future (more than %s ahead) / 生效时间不得晚于当前时间", v.opts.ClockSkew).WithCode(apperr.CodeEffectiveInFuture)
	}
	out := prepared{kind: kind, eff: eff, subs: make([]status.Subject, 0, len(subs))}
	for i, s := range subs {
		sub, created, err := v.resolve(ctx, p, s)
		if err != nil {
			return prepared{}, itemErr(i, err)
		}
		if !created.IsZero() && eff.Before(created) {
			return prepared{}, apperr.New(apperr.Malformed, "item %d: the effective time precedes the %s (created %s) / 生效时间早于对象产生时间",
				i+1, kind, created.UTC().Format(time.RFC3339)).WithCode(apperr.CodeEffectiveBeforeSubject)
		}
		if kind == status.KindPledge {
			out.guards = append(out.guards, sub.ID)
		}
		out.subs = append(out.subs, sub)
	}
	return out, nil
}

// itemErr names the item an error is about, keeping its kind and code.
func itemErr(i int, err error) error {
	e := apperr.As(err)
	if e == nil || e.Kind == apperr.Unavailable || e.Kind == apperr.Internal {
		return err
	}
	return apperr.New(e.Kind, "item %d: %s", i+1, e.Detail).WithCode(e.Code)
}

// resolve applies the authorisation rule of the subject's kind
// (docs/security.md, "Authorization") and returns the subject as it will be
// recorded and when it came into being (zero: unknown, a certificate).
//
//   - pledge: it must exist and be decided; enforcement acts only on
//     pledges of its jurisdiction (region prefix), admin on any. A digest,
//     if given, must be the pledge's.
//   - seal: it must be registered (by ID or digest); seal makers and admin
//     act on any seal (agencies change their own seals' status through
//     /v1/seals/{id}/status).
//   - certificate: seal makers and admin; certificates are not registered
//     here, so one known only by its digest may be revoked.
func (v *Revocations) resolve(ctx context.Context, p auth.Principal, s status.Subject) (status.Subject, time.Time, error) {
	switch s.Kind {
	case status.KindPledge:
		if v.opts.Pledges == nil {
			return s, time.Time{}, apperr.New(apperr.Unavailable, "pledge records are not configured; pledge revocations are refused")
		}
		if s.ID == "" {
			return s, time.Time{}, apperr.New(apperr.Malformed, "a pledge is named by its ID (the digest alone does not say whose jurisdiction it is in)")
		}
		rec, err := v.opts.Pledges.GetPledge(ctx, s.ID)
		if apperr.Is(err, apperr.NotFound) {
			return s, time.Time{}, apperr.New(apperr.NotFound, "no pledge %q exists / 承诺不存在", s.ID).WithCode(apperr.CodeSubjectNotFound)
		}
		if err != nil {
			return s, time.Time{}, err
		}
		if p.Role != auth.RoleAdmin && !(p.Role == auth.RoleEnforcement && scope.Covers(p.Org, rec.Entry.Region)) {
			return s, time.Time{}, outOfScope("the pledge's region is outside your jurisdiction")
		}
		if s.Digest != ([32]byte{}) && s.Digest != rec.Digest {
			return s, time.Time{}, apperr.New(apperr.Malformed, "the digest is not the pledge's document digest").WithCode(apperr.CodeSubjectMismatch)
		}
		if rec.Decision == nil {
			return s, time.Time{}, apperr.New(apperr.Conflict, "the pledge has not been decided / 尚未作出决定").WithCode(apperr.CodeNotDecided)
		}
		s.Digest = rec.Digest
		return s, rec.CreatedAt, nil
	case status.KindSeal:
		id := s.ID
		if id == "" {
			found, err := v.st.SealIDByDigest(ctx, s.Digest)
			if apperr.Is(err, apperr.NotFound) {
				return s, time.Time{}, apperr.New(apperr.NotFound, "no registered seal has this digest / 印章不存在").WithCode(apperr.CodeSubjectNotFound)
			}
			if err != nil {
				return s, time.Time{}, err
			}
			id = found
		}
		rec, err := v.st.GetSeal(ctx, id)
		if apperr.Is(err, apperr.NotFound) {
			return s, time.Time{}, apperr.New(apperr.NotFound, "no seal %q is registered / 印章不存在", id).WithCode(apperr.CodeSubjectNotFound)
		}
		if err != nil {
			return s, time.Time{}, err
		}
		if s.Digest != ([32]byte{}) && s.Digest != rec.Digest {
			return s, time.Time{}, apperr.New(apperr.Malformed, "the digest is not the seal's digest").WithCode(apperr.CodeSubjectMismatch)
		}
		return status.Subject{Kind: status.KindSeal, ID: rec.ESID, Digest: rec.Digest}, rec.Created, nil
	}
	return s, time.Time{}, nil
}

func outOfScope(what string) error {
	return apperr.New(apperr.Forbidden, "%s / 超出管辖或本机关范围", what).WithCode(apperr.CodeOutOfScope)
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
	var to status.Code
	if len(req.Subjects) > 0 {
		// the reason is checked before any subject is looked up
		var ok bool
		if to, ok = revocationEffect(req.Subjects[0].Kind, req.Reason); !ok {
			return Receipt{}, apperr.New(apperr.Malformed, "reason %q does not apply to a %s", req.Reason, req.Subjects[0].Kind)
		}
	}
	pr, err := v.prepare(ctx, p, req.Subjects, req.DocumentNo, req.Note, req.Effective)
	if err != nil {
		return Receipt{}, err
	}
	// FALSE and NOT_FULFILLED are findings' states: only
	// POST /v1/enforcement/findings sets them, with the credit bar in the
	// same script, so registry, finding and bar never disagree. Checked
	// after the caller's scope, so an outsider learns nothing more.
	if pr.kind == status.KindPledge && (to == status.False || to == status.NotFulfilled) {
		return Receipt{}, apperr.New(apperr.Malformed,
			"a pledge is found false or not fulfilled only by an enforcement finding (POST /v1/enforcement/findings), which also bars the applicant / 虚假承诺或未履行承诺只能通过核查结论认定").WithCode(apperr.CodeFindingRequired)
	}
	a, err := v.st.Apply(ctx, store.Change{Action: "revocation.revoke", Actor: actorOf(p), To: to, From: revocable(pr.kind),
		Reason: string(req.Reason), DocumentNo: req.DocumentNo, Effective: pr.eff, Note: req.Note, Items: pr.subs, Guards: pr.guards})
	if err != nil {
		return Receipt{}, conflictDetail(err, "revoke")
	}
	return Receipt{Seq: a.Seq, Hash: a.Hash, Recorded: a.Recorded, Effective: pr.eff, State: to}, nil
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
// A pledge state that an enforcement finding set (FALSE, NOT_FULFILLED) is
// refused here (409 FINDING_OWNED, checked in the write script): only the
// finding's reversal changes it, with its credit bar.
func (v *Revocations) Reverse(ctx context.Context, p auth.Principal, req RevokeRequest) (Receipt, error) {
	if !reversalReason(req.Reason) {
		return Receipt{}, apperr.New(apperr.Malformed, "a reversal reason must be APPEAL_UPHELD, COURT_RULING or CORRECTION")
	}
	pr, err := v.prepare(ctx, p, req.Subjects, req.DocumentNo, req.Note, req.Effective)
	if err != nil {
		return Receipt{}, err
	}
	a, err := v.st.Apply(ctx, store.Change{Action: "revocation.reverse", Actor: actorOf(p), To: status.Active, From: revokedStates(),
		Reason: string(req.Reason), DocumentNo: req.DocumentNo, Effective: pr.eff, Note: req.Note, Items: pr.subs, Guards: pr.guards})
	if err != nil {
		return Receipt{}, conflictDetail(err, "reinstate")
	}
	return Receipt{Seq: a.Seq, Hash: a.Hash, Recorded: a.Recorded, Effective: pr.eff, State: status.Active}, nil
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
