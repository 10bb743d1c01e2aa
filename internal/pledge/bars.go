package pledge

import (
	"context"
	"slices"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// Bar reasons (pledge-domain.md "Who may not pledge").
const (
	BarSeriousBadCredit  = "SERIOUS_BAD_CREDIT"
	BarFalsePledge       = "FALSE_PLEDGE"
	BarUnfulfilledPledge = "UNFULFILLED_PLEDGE"
	BarWithdrawnExam     = "WITHDRAWN_EXAM"
)

var knownBarReasons = []string{BarSeriousBadCredit, BarFalsePledge, BarUnfulfilledPledge, BarWithdrawnExam}

// Bar scopes.
const (
	ScopeAll    = "ALL"    // every pledge
	ScopeRegion = "REGION" // matters of one region (Value = region code)
	ScopeMatter = "MATTER" // one matter (Value = matter code)
	ScopeExam   = "EXAM"   // one exam year (Value = matter code; the bar's End ends the year)
)

// MaxBarYears is the longest a bar may last from the act.
const MaxBarYears = 5

// Bar is a credit bar: the subject may not use the pledge route within the
// scope between Start and End unless repaired. Subject is the keyed-hash
// index of the subject's identity (never the identity itself).
type Bar struct {
	ID         string    `json:"id"`
	Subject    string    `json:"subject"`
	Reason     string    `json:"reason"`
	ScopeKind  string    `json:"scopeKind"`
	ScopeValue string    `json:"scopeValue,omitempty"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	EndRule    Text      `json:"endRule"`
	Repaired   bool      `json:"repaired,omitempty"`
	RepairedAt time.Time `json:"repairedAt,omitzero"`
	Source     string    `json:"source"`
	DocumentNo string    `json:"documentNo,omitempty"`
}

// Validate checks a bar record.
func (b *Bar) Validate() error {
	if err := checkCode("id", b.ID); err != nil {
		return err
	}
	if err := checkCode("subject", b.Subject); err != nil {
		return err
	}
	if !slices.Contains(knownBarReasons, b.Reason) {
		return malformed(apperr.CodeBarInvalid, "unknown bar reason %q", b.Reason)
	}
	switch b.ScopeKind {
	case ScopeAll:
		if b.ScopeValue != "" {
			return malformed(apperr.CodeBarInvalid, "an ALL scope has no value")
		}
	case ScopeRegion, ScopeMatter, ScopeExam:
		if err := checkCode("scopeValue", b.ScopeValue); err != nil {
			return err
		}
	default:
		return malformed(apperr.CodeBarInvalid, "unknown bar scope %q", b.ScopeKind)
	}
	if b.Start.IsZero() || !b.End.After(b.Start) {
		return malformed(apperr.CodeBarInvalid, "a bar needs a start and an end after it")
	}
	if b.End.After(b.Start.AddDate(MaxBarYears, 0, 0)) {
		return malformed(apperr.CodeBarTooLong, "a bar lasts at most %d years from the act", MaxBarYears)
	}
	if err := checkText("endRule", b.EndRule, true, maxText); err != nil {
		return err
	}
	return requireString("source", b.Source, maxShort)
}

// ActiveAt reports whether the bar bars a pledge for key at time at.
func (b *Bar) ActiveAt(key EntryKey, at time.Time) bool {
	if b.Repaired && !b.RepairedAt.After(at) {
		return false
	}
	if at.Before(b.Start) || !at.Before(b.End) {
		return false
	}
	switch b.ScopeKind {
	case ScopeAll:
		return true
	case ScopeRegion:
		return b.ScopeValue == key.Region
	case ScopeMatter, ScopeExam:
		return b.ScopeValue == key.Matter
	}
	return true // an unknown scope bars: fail closed
}

// BarRepo keeps credit bars by subject index.
type BarRepo interface {
	// PutBar stores or replaces a bar (a repair is a replacement with
	// Repaired set; nothing is deleted).
	PutBar(ctx context.Context, b Bar) error
	// BarsFor returns every bar of a subject (empty when none).
	BarsFor(ctx context.Context, subject string) ([]Bar, error)
}

// BarSource names the credit-bar source recorded in eligibility snapshots.
const BarSource = "pledgeseal-credit-bars"

// checkBars reads the subject's bars and refuses a barred applicant with the
// bar's reason, scope and end. A store failure refuses too (fail closed).
func checkBars(ctx context.Context, repo BarRepo, subject string, key EntryKey, at time.Time) (Eligibility, error) {
	bars, err := repo.BarsFor(ctx, subject)
	if err != nil {
		return Eligibility{}, err
	}
	for _, b := range bars {
		if b.ActiveAt(key, at) {
			scope := b.ScopeKind
			if b.ScopeValue != "" {
				scope += ":" + b.ScopeValue
			}
			return Eligibility{}, apperr.New(apperr.Forbidden,
				"the applicant may not use the pledge route (不得适用告知承诺): reason %s, scope %s, until %s",
				b.Reason, scope, b.End.UTC().Format(time.RFC3339)).WithCode(apperr.CodeApplicantBarred)
		}
	}
	return Eligibility{Source: BarSource, CheckedAt: at, Outcome: EligibleNotBarred, BarsConsidered: len(bars)}, nil
}

// BarView is what applicants learn of their own bar: why, where, from
// when until when, and the decision behind it.
type BarView struct {
	Reason     string    `json:"reason"`
	ScopeKind  string    `json:"scopeKind"`
	ScopeValue string    `json:"scopeValue,omitempty"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	EndRule    Text      `json:"endRule"`
	DocumentNo string    `json:"documentNo,omitempty"`
}

// EligibilityCheck answers "may I pledge for this matter now": Eligible,
// or the bars that stop it (the certificate route stays open either way).
type EligibilityCheck struct {
	Eligible  bool      `json:"eligible"`
	CheckedAt time.Time `json:"checkedAt"`
	Bars      []BarView `json:"bars"`
}

// CheckEligibility tells the applicant, before any statement is ticked,
// whether a credit bar stops a pledge for the matter at key now. Only the
// applicant's own bars are read (the subject comes from the identity). A
// store failure is an error, never "eligible" (fail closed).
func (s *Service) CheckEligibility(ctx context.Context, a Applicant, key EntryKey) (EligibilityCheck, error) {
	if err := a.validate(); err != nil {
		return EligibilityCheck{}, err
	}
	if err := checkCode("region", key.Region); err != nil {
		return EligibilityCheck{}, err
	}
	if err := checkCode("matter", key.Matter); err != nil {
		return EligibilityCheck{}, err
	}
	now := s.d.Clock.Now().Truncate(time.Second)
	bars, err := s.d.Bars.BarsFor(ctx, s.SubjectIndex(a))
	if err != nil {
		return EligibilityCheck{}, err
	}
	out := EligibilityCheck{Eligible: true, CheckedAt: now.UTC(), Bars: []BarView{}}
	for _, b := range bars {
		if b.ActiveAt(key, now) {
			out.Eligible = false
			out.Bars = append(out.Bars, BarView{Reason: b.Reason, ScopeKind: b.ScopeKind, ScopeValue: b.ScopeValue,
				Start: b.Start.UTC(), End: b.End.UTC(), EndRule: b.EndRule, DocumentNo: b.DocumentNo})
		}
	}
	return out, nil
}
