package enforce

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/scope"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// FindingStore is what enforcement needs from the registry: findings,
// draws, the public list and the states they set (*store.Registry
// implements it).
type FindingStore interface {
	ApplyEnforcement(ctx context.Context, c registry.Change, w registry.EnforcementWrite) (registry.Applied, error)
	GetFinding(ctx context.Context, id string) ([]byte, error)
	FindingsOf(ctx context.Context, pledgeID string) ([][]byte, error)
	GetDraw(ctx context.Context, id string) ([]byte, error)
	DrawIDs(ctx context.Context, limit int64) ([]string, error)
	Disclosures
	status.Source
}

// Pledges reads pledge records and the public index of decided pledges
// (*store.PledgeRepo implements it).
type Pledges interface {
	GetPledge(ctx context.Context, id string) (pledge.Record, error)
	Publications
}

// BarPolicy says what bar a consequence writes.
type BarPolicy struct {
	// Scope is pledge.ScopeAll (default), ScopeRegion or ScopeMatter (the
	// value is taken from the pledge).
	Scope string
	// Years is how long the bar lasts unless repaired (default and maximum
	// pledge.MaxBarYears).
	Years int
}

// Deps are the service's collaborators.
type Deps struct {
	Registry FindingStore
	Pledges  Pledges
	Clock    clock.Clock
	Bars     BarPolicy
	// Tasks keeps post-check tasks; Calendar counts working days; Location
	// is where due dates are civil dates (default Asia/Shanghai, UTC+8).
	Tasks    Tasks
	Policies Policies
	Calendar Calendar
	Location *time.Location
}

// Service records findings and draws. It is safe for concurrent use.
type Service struct {
	d        Deps
	taskScan int // maxTaskScan
}

// New returns the enforcement service.
func New(d Deps) (*Service, error) {
	if d.Bars.Scope == "" {
		d.Bars.Scope = pledge.ScopeAll
	}
	if d.Bars.Years == 0 {
		d.Bars.Years = pledge.MaxBarYears
	}
	if d.Bars.Years < 1 || d.Bars.Years > pledge.MaxBarYears {
		return nil, apperr.New(apperr.Malformed, "a bar lasts 1 to %d years", pledge.MaxBarYears)
	}
	switch d.Bars.Scope {
	case pledge.ScopeAll, pledge.ScopeRegion, pledge.ScopeMatter:
	default:
		return nil, apperr.New(apperr.Malformed, "bar scope must be ALL, REGION or MATTER")
	}
	if d.Location == nil {
		d.Location = time.FixedZone("CST", 8*3600)
	}
	if d.Registry == nil || d.Pledges == nil || d.Clock == nil {
		return nil, apperr.New(apperr.Malformed, "enforcement needs a registry, pledges and a clock")
	}
	return &Service{d: d, taskScan: maxTaskScan}, nil
}

// Outcome is the result a finding records.
type Outcome string

// Finding outcomes (pledge-domain.md "Findings and consequences").
const (
	VerifiedOK           Outcome = "VERIFIED_OK"
	RectificationOrdered Outcome = "RECTIFICATION_ORDERED"
	Fulfilled            Outcome = "FULFILLED"
	NotFulfilled         Outcome = "NOT_FULFILLED"
	FalseConfirmed       Outcome = "FALSE_CONFIRMED"
	// AppealReversed is recorded by Reverse, never by RecordFinding.
	AppealReversed Outcome = "APPEAL_REVERSED"
)

// next lists which outcomes may follow the last one ("" = none yet).
var next = map[Outcome][]Outcome{
	"":                   {VerifiedOK, RectificationOrdered, FalseConfirmed},
	VerifiedOK:           {RectificationOrdered, FalseConfirmed},
	RectificationOrdered: {Fulfilled, NotFulfilled, FalseConfirmed},
	Fulfilled:            {FalseConfirmed},
	NotFulfilled:         {},
	FalseConfirmed:       {},
	AppealReversed:       {VerifiedOK, RectificationOrdered, FalseConfirmed},
}

// predecessors returns the outcomes o may follow (registry.NoFinding for "no
// finding yet"), sorted: the write script checks the pledge's latest
// finding against them, so the order holds under concurrent officers.
func predecessors(o Outcome) []string {
	var out []string
	for prev, nexts := range next {
		if slices.Contains(nexts, o) {
			if prev == "" {
				out = append(out, registry.NoFinding)
			} else {
				out = append(out, string(prev))
			}
		}
	}
	slices.Sort(out)
	return out
}

// consequential outcomes revoke the decision and bar the applicant.
func consequential(o Outcome) bool { return o == FalseConfirmed || o == NotFulfilled }

// Finding is a recorded post-check result. It holds no personal data.
type Finding struct {
	ID         string    `json:"id"`
	PledgeID   string    `json:"pledgeId"`
	Outcome    Outcome   `json:"outcome"`
	DocumentNo string    `json:"documentNo"`
	Evidence   []string  `json:"evidence"`
	Inspector  string    `json:"inspector"`
	Officer    string    `json:"officer"`
	Region     string    `json:"region"`
	Matter     string    `json:"matter"`
	Agency     string    `json:"agency"`
	Effective  time.Time `json:"effective"`
	Deadline   string    `json:"deadline,omitempty"` // RECTIFICATION_ORDERED
	Note       string    `json:"note,omitempty"`
	// BarID names the bar a consequence wrote; Reverses the finding an
	// appeal overturned; ReversalReason why.
	BarID          string `json:"barId,omitempty"`
	Reverses       string `json:"reverses,omitempty"`
	ReversalReason string `json:"reversalReason,omitempty"`
	// State is the pledge's registry state this finding set (if any).
	State status.Code `json:"state,omitempty"`
	Seq   uint64      `json:"seq"`
}

// FindingRequest is what an enforcement officer records.
type FindingRequest struct {
	PledgeID   string
	Outcome    Outcome
	DocumentNo string
	// Evidence are lowercase hex SM3 digests of the evidence files.
	Evidence  []string
	Inspector string
	Deadline  string // YYYY-MM-DD, for RECTIFICATION_ORDERED
	Note      string
}

var (
	hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)
	docNo     = regexp.MustCompile(`^[\p{Han}A-Za-z0-9〔〕\[\]()（）\-_. 第号字]{1,128}$`)
)

func (r *FindingRequest) validate() error {
	bad := func(f string, a ...any) error {
		return apperr.New(apperr.Malformed, f, a...).WithCode(apperr.CodeFindingInvalid)
	}
	switch r.Outcome {
	case VerifiedOK, RectificationOrdered, Fulfilled, NotFulfilled, FalseConfirmed:
	default:
		return bad("outcome must be VERIFIED_OK, RECTIFICATION_ORDERED, FULFILLED, NOT_FULFILLED or FALSE_CONFIRMED")
	}
	if !codePattern.MatchString(r.PledgeID) {
		return bad("pledgeId must be a pledge ID")
	}
	if !docNo.MatchString(r.DocumentNo) {
		return bad("a legal document number (1 to 128 characters) is required / 需要法律文书编号")
	}
	if len(r.Evidence) > 64 {
		return bad("at most 64 evidence digests")
	}
	if consequential(r.Outcome) && len(r.Evidence) == 0 {
		return bad("a %s finding needs at least one evidence digest", r.Outcome)
	}
	for _, e := range r.Evidence {
		if !hexDigest.MatchString(e) {
			return bad("evidence must be lowercase hex SM3 digests (64 characters)")
		}
	}
	if !codePattern.MatchString(r.Inspector) {
		return bad("inspector must be an inspector code")
	}
	if r.Outcome == RectificationOrdered {
		if _, err := ParseDate(r.Deadline); err != nil {
			return bad("a rectification order needs a deadline (YYYY-MM-DD)")
		}
	} else if r.Deadline != "" {
		return bad("only a rectification order has a deadline")
	}
	if len(r.Note) > 500 {
		return bad("note is at most 500 bytes")
	}
	return nil
}

// Covers reports whether a jurisdiction covers a region code (scope.Covers).
func Covers(jurisdiction, region string) bool { return scope.Covers(jurisdiction, region) }

func forbidden(what string) error {
	return apperr.New(apperr.Forbidden, "%s / 无权执行此操作", what).WithCode(apperr.CodeForbidden)
}

func actorOf(p auth.Principal) registry.Actor {
	return registry.Actor{ID: p.Actor(), Role: string(p.Role), Org: p.Org}
}

func newID(prefix string) (string, error) {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "cannot make an id")
	}
	return prefix + hex.EncodeToString(b), nil
}

// decided returns the pledge if it is decided and p may record findings on it.
func (s *Service) decided(ctx context.Context, p auth.Principal, id string, admin bool) (pledge.Record, error) {
	okRole := p.Role == auth.RoleEnforcement || (admin && p.Role == auth.RoleAdmin)
	if !okRole {
		return pledge.Record{}, forbidden("only enforcement officers record findings")
	}
	rec, err := s.d.Pledges.GetPledge(ctx, id)
	if err != nil {
		return pledge.Record{}, err
	}
	if p.Role == auth.RoleEnforcement && !Covers(p.Org, rec.Entry.Region) {
		return pledge.Record{}, forbidden("the pledge's region is outside your jurisdiction")
	}
	if rec.Decision == nil {
		return pledge.Record{}, apperr.New(apperr.Conflict, "the pledge has not been decided; post-checks follow the decision / 尚未作出决定").WithCode(apperr.CodeNotDecided)
	}
	return rec, nil
}

// Findings returns the findings of a pledge, oldest first.
func (s *Service) Findings(ctx context.Context, pledgeID string) ([]Finding, error) {
	raws, err := s.d.Registry.FindingsOf(ctx, pledgeID)
	if err != nil {
		return nil, err
	}
	out := make([]Finding, 0, len(raws))
	for _, b := range raws {
		var f Finding
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a stored finding does not decode")
		}
		out = append(out, f)
	}
	return out, nil
}

// FindingsFor returns a pledge's findings to p: enforcement within its
// jurisdiction and admin see all; the pledge's agency sees its own pledges;
// anyone else is refused.
func (s *Service) FindingsFor(ctx context.Context, p auth.Principal, pledgeID string) ([]Finding, error) {
	rec, err := s.d.Pledges.GetPledge(ctx, pledgeID)
	if err != nil {
		return nil, err
	}
	switch {
	case p.Role == auth.RoleAdmin:
	case p.Role == auth.RoleEnforcement && Covers(p.Org, rec.Entry.Region):
	case p.Role == auth.RoleAgency && p.Org == rec.Agency:
	default:
		return nil, forbidden("you may not read this pledge's findings")
	}
	return s.Findings(ctx, pledgeID)
}

// RecordFinding records a finding. FALSE_CONFIRMED and NOT_FULFILLED are
// consequences: the pledge's state in the revocation registry (FALSE /
// NOT_FULFILLED, read by every verifier), a credit bar on the applicant, the
// finding and the audit entry are one atomic change.
func (s *Service) RecordFinding(ctx context.Context, p auth.Principal, req FindingRequest) (Finding, error) {
	if err := req.validate(); err != nil {
		return Finding{}, err
	}
	rec, err := s.decided(ctx, p, req.PledgeID, false)
	if err != nil {
		return Finding{}, err
	}
	prior, err := s.Findings(ctx, req.PledgeID)
	if err != nil {
		return Finding{}, err
	}
	var last Outcome
	var lastF Finding
	if len(prior) > 0 {
		lastF = prior[len(prior)-1]
		last = lastF.Outcome
	}
	if !slices.Contains(next[last], req.Outcome) {
		return Finding{}, apperr.New(apperr.Conflict, "%s cannot follow %s / 核查结论顺序不允许", req.Outcome, orNone(last)).WithCode(apperr.CodeFindingOrder)
	}
	now := s.d.Clock.Now().UTC()
	if req.Outcome == NotFulfilled {
		dl, _ := ParseDate(lastF.Deadline)
		if now.Before(dl.AddDate(0, 0, 1)) {
			return Finding{}, apperr.New(apperr.Conflict, "the rectification deadline %s has not passed / 整改期限未届满", lastF.Deadline).WithCode(apperr.CodeRectificationPending)
		}
	}
	id, err := newID("F")
	if err != nil {
		return Finding{}, err
	}
	evidence := req.Evidence
	if evidence == nil {
		evidence = []string{}
	}
	f := Finding{ID: id, PledgeID: rec.ID, Outcome: req.Outcome, DocumentNo: req.DocumentNo, Evidence: evidence,
		Inspector: req.Inspector, Officer: p.Actor(), Region: rec.Entry.Region, Matter: rec.Entry.Matter, Agency: rec.Agency,
		Effective: now.Truncate(time.Millisecond), Deadline: req.Deadline, Note: req.Note}
	c := registry.Change{Action: "enforce.finding." + strings.ToLower(string(req.Outcome)), Actor: actorOf(p),
		DocumentNo: req.DocumentNo, Effective: now, Reason: string(req.Outcome),
		Data: map[string]string{"finding": id, "pledge": rec.ID, "agency": rec.Agency, "inspector": req.Inspector, "evidence": strconv.Itoa(len(evidence))}}
	w := registry.EnforcementWrite{FindingID: id, PledgeID: rec.ID,
		Order: &registry.FindingOrder{After: predecessors(req.Outcome), Outcome: string(req.Outcome)}}
	if req.Outcome == NotFulfilled {
		// the deadline checked above is the one of this rectification order
		w.Order.Latest = lastF.ID
	}
	if consequential(req.Outcome) {
		reason, barReason := "FALSE_PLEDGE", pledge.BarFalsePledge
		f.State = status.False
		if req.Outcome == NotFulfilled {
			reason, barReason = "NOT_FULFILLED", pledge.BarUnfulfilledPledge
			f.State = status.NotFulfilled
		}
		// The pledge service checks bars at whole seconds: the bar starts
		// at the start of the second of the finding.
		bar := s.barFor(rec, "B"+id[1:], barReason, req.DocumentNo, f.Effective.Truncate(time.Second))
		f.BarID = bar.ID
		c.To, c.Reason = f.State, reason
		c.From = []status.Code{status.Unknown, status.Active}
		c.Items = []status.Subject{{Kind: status.KindPledge, ID: rec.ID, Digest: rec.Digest}}
		c.Data["bar"] = bar.ID
		w.Bar = &bar
		w.Disclose = req.Outcome == FalseConfirmed
	}
	return s.commit(ctx, c, w, f)
}

func orNone(o Outcome) string {
	if o == "" {
		return "no finding"
	}
	return string(o)
}

func (s *Service) barFor(rec pledge.Record, id, reason, doc string, start time.Time) pledge.Bar {
	b := pledge.Bar{ID: id, Subject: rec.Applicant, Reason: reason, ScopeKind: s.d.Bars.Scope,
		Start: start, End: start.AddDate(s.d.Bars.Years, 0, 0), Source: "pledgeseal-enforcement", DocumentNo: doc,
		EndRule: pledge.Text{Zh: "至信用修复为止，最长" + strconv.Itoa(s.d.Bars.Years) + "年",
			En: "until the credit record is repaired, at most " + strconv.Itoa(s.d.Bars.Years) + " years"}}
	switch s.d.Bars.Scope {
	case pledge.ScopeRegion:
		b.ScopeValue = rec.Entry.Region
	case pledge.ScopeMatter:
		b.ScopeValue = rec.Entry.Matter
	}
	return b
}

func (s *Service) commit(ctx context.Context, c registry.Change, w registry.EnforcementWrite, f Finding) (Finding, error) {
	// The body is written before the sequence number is known; Seq is
	// filled from the receipt for the caller and from the audit entry
	// (its data names the finding) for anyone auditing.
	body, err := json.Marshal(f)
	if err != nil {
		return Finding{}, apperr.Wrap(apperr.Internal, err, "cannot encode a finding")
	}
	w.Finding = body
	a, err := s.d.Registry.ApplyEnforcement(ctx, c, w)
	if err != nil {
		if e := apperr.As(err); e != nil && errors.Is(err, registry.ErrFindingOrder) {
			return Finding{}, apperr.New(apperr.Conflict, "another finding on this pledge was recorded meanwhile: %s / 核查结论顺序不允许", e.Detail).WithCode(e.Code)
		}
		if e := apperr.As(err); e != nil && e.Kind == apperr.Conflict {
			return Finding{}, apperr.New(apperr.Conflict, "the pledge's registry state does not allow this: %s / 当前状态不允许此操作", e.Detail).WithCode(e.Code)
		}
		return Finding{}, err
	}
	f.Seq = a.Seq
	return f, nil
}

// ReverseRequest overturns a consequence on appeal (复议/诉讼) or corrects it.
type ReverseRequest struct {
	FindingID  string
	Reason     string // APPEAL_UPHELD, COURT_RULING or CORRECTION
	DocumentNo string
	Note       string
}

// Reverse records that a FALSE_CONFIRMED or NOT_FULFILLED finding was
// overturned: a new registry event restores the pledge (ACTIVE), the bar is
// lifted (a lift record next to it) and a finding APPEAL_REVERSED is kept,
// in one atomic change. Nothing is deleted. Enforcement within the
// jurisdiction and admin may reverse.
func (s *Service) Reverse(ctx context.Context, p auth.Principal, req ReverseRequest) (Finding, error) {
	if !slices.Contains([]string{"APPEAL_UPHELD", "COURT_RULING", "CORRECTION"}, req.Reason) {
		return Finding{}, apperr.New(apperr.Malformed, "reason must be APPEAL_UPHELD, COURT_RULING or CORRECTION").WithCode(apperr.CodeFindingInvalid)
	}
	if !docNo.MatchString(req.DocumentNo) {
		return Finding{}, apperr.New(apperr.Malformed, "a legal document number is required / 需要法律文书编号").WithCode(apperr.CodeFindingInvalid)
	}
	if len(req.Note) > 500 || !codePattern.MatchString(req.FindingID) {
		return Finding{}, apperr.New(apperr.Malformed, "findingId must be a finding ID and note at most 500 bytes").WithCode(apperr.CodeFindingInvalid)
	}
	if p.Role != auth.RoleEnforcement && p.Role != auth.RoleAdmin {
		return Finding{}, forbidden("only enforcement officers or admins record reversals")
	}
	raw, err := s.d.Registry.GetFinding(ctx, req.FindingID)
	if err != nil {
		return Finding{}, err
	}
	var orig Finding
	if err := json.Unmarshal(raw, &orig); err != nil {
		return Finding{}, apperr.Wrap(apperr.Internal, err, "a stored finding does not decode")
	}
	rec, err := s.decided(ctx, p, orig.PledgeID, true)
	if err != nil {
		return Finding{}, err
	}
	if !consequential(orig.Outcome) {
		return Finding{}, apperr.New(apperr.Conflict, "only a FALSE_CONFIRMED or NOT_FULFILLED finding can be reversed").WithCode(apperr.CodeFindingOrder)
	}
	prior, err := s.Findings(ctx, orig.PledgeID)
	if err != nil {
		return Finding{}, err
	}
	if len(prior) == 0 || prior[len(prior)-1].ID != orig.ID {
		return Finding{}, apperr.New(apperr.Conflict, "only the latest finding of a pledge can be reversed").WithCode(apperr.CodeFindingOrder)
	}
	now := s.d.Clock.Now().UTC().Truncate(time.Millisecond)
	id, err := newID("F")
	if err != nil {
		return Finding{}, err
	}
	f := Finding{ID: id, PledgeID: rec.ID, Outcome: AppealReversed, DocumentNo: req.DocumentNo, Evidence: []string{},
		Inspector: orig.Inspector, Officer: p.Actor(), Region: orig.Region, Matter: orig.Matter, Agency: orig.Agency,
		Effective: now, Note: req.Note, BarID: orig.BarID, Reverses: orig.ID, ReversalReason: req.Reason, State: status.Active}
	c := registry.Change{Action: "enforce.reverse", Actor: actorOf(p), To: status.Active,
		From: []status.Code{status.False, status.NotFulfilled, status.Revoked}, Reason: req.Reason, DocumentNo: req.DocumentNo,
		Effective: now, Items: []status.Subject{{Kind: status.KindPledge, ID: rec.ID, Digest: rec.Digest}},
		Data: map[string]string{"finding": id, "reverses": orig.ID, "pledge": rec.ID, "agency": rec.Agency, "bar": orig.BarID}}
	w := registry.EnforcementWrite{FindingID: id, PledgeID: rec.ID, LiftSubject: rec.Applicant,
		Lift:  &registry.BarLift{BarID: orig.BarID, At: now.Truncate(time.Second), Reason: req.Reason, DocumentNo: req.DocumentNo, FindingID: id},
		Order: &registry.FindingOrder{After: []string{string(FalseConfirmed), string(NotFulfilled)}, Latest: orig.ID, Outcome: string(AppealReversed)}}
	return s.commit(ctx, c, w, f)
}
