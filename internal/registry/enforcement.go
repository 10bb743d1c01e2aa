package registry

import (
	"errors"
	"strings"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// BarLift is the record that lifts a bar (an appeal upheld, a court ruling,
// a correction, or a credit repair). The bar itself is never rewritten.
type BarLift struct {
	BarID      string    `json:"barId"`
	At         time.Time `json:"at"`
	Reason     string    `json:"reason"`
	DocumentNo string    `json:"documentNo,omitempty"`
	FindingID  string    `json:"findingId,omitempty"`
}

// EnforcementWrite is what an enforcement change writes besides the status
// event and the audit entry. Every part is optional except the finding.
type EnforcementWrite struct {
	// FindingID, PledgeID and Finding (JSON) record the finding.
	FindingID string
	PledgeID  string
	Finding   []byte
	// Disclose lists the finding publicly (the list of false pledges).
	Disclose bool
	// Bar, when set, is written under its subject in the registry slot.
	Bar *pledge.Bar
	// Lift, when set, lifts the bar LiftSubject/Lift.BarID.
	Lift        *BarLift
	LiftSubject string
	// DrawID and Draw (JSON) record a sampling draw.
	DrawID string
	Draw   []byte
	// Order, when set with a finding, is checked against the pledge's
	// latest finding inside the write script and moved to this finding.
	Order *FindingOrder
}

// FindingOrder is the finding order check the write script makes: the
// outcome of the pledge's latest finding must be one of After (NoFinding
// when it must have none), and, if Latest is set, that finding must be the
// one with this ID (the one the caller read, e.g. for a deadline). The
// script then records Outcome as the pledge's latest. A failed check is
// FindingOrderConflict and nothing is written.
type FindingOrder struct {
	After   []string
	Latest  string
	Outcome string
}

// NoFinding stands in FindingOrder.After for "the pledge has no finding yet".
const NoFinding = "-"

// ErrFindingOrder is the cause of every FindingOrderConflict: test it with
// errors.Is.
var ErrFindingOrder = errors.New("finding order")

// FindingOrderConflict is the error of a write whose FindingOrder check
// failed: latest is the outcome of the pledge's latest finding as the
// store read it (NoFinding or "" when it has none).
func FindingOrderConflict(latest string) *apperr.Error {
	if latest == NoFinding || latest == "" {
		latest = "none / 无"
	}
	return apperr.Wrap(apperr.Conflict, ErrFindingOrder, "the pledge's latest finding is now %s; this finding may not follow it", latest).WithCode(apperr.CodeFindingOrder)
}

// CheckCode refuses s unless it is a non-empty code of at most MaxIDLen
// bytes without spaces, braces, colons or '#' (it becomes part of a key).
func CheckCode(what, s string) error {
	if s == "" || strings.ContainsAny(s, "{}:# \t\r\n") {
		return apperr.New(apperr.Malformed, "%s must be a non-empty code without spaces, braces, colons or '#'", what)
	}
	return CheckText(what, s, MaxIDLen)
}

// Validate checks that w records a finding or a draw, that every ID is a
// code, that a finding order check has a finding and predecessors without
// commas, and that a bar and a lift are complete.
func (w *EnforcementWrite) Validate() error {
	if w.FindingID == "" && w.DrawID == "" {
		return apperr.New(apperr.Malformed, "an enforcement change records a finding or a draw")
	}
	if w.FindingID != "" {
		if err := CheckCode("finding id", w.FindingID); err != nil {
			return err
		}
		if err := CheckCode("pledge id", w.PledgeID); err != nil {
			return err
		}
	}
	if w.DrawID != "" {
		if err := CheckCode("draw id", w.DrawID); err != nil {
			return err
		}
	}
	if o := w.Order; o != nil {
		if w.FindingID == "" || len(o.After) == 0 {
			return apperr.New(apperr.Malformed, "a finding order check needs a finding and at least one allowed predecessor")
		}
		if err := CheckCode("outcome", o.Outcome); err != nil {
			return err
		}
		for _, a := range append([]string{o.Latest}, o.After...) {
			if a != "" && (strings.ContainsRune(a, ',') || CheckCode("outcome", a) != nil) {
				return apperr.New(apperr.Malformed, "finding order values must be codes without commas")
			}
		}
	}
	if w.Bar != nil {
		if err := w.Bar.Validate(); err != nil {
			return err
		}
		if err := CheckCode("bar id", w.Bar.ID); err != nil {
			return err
		}
	}
	if w.Lift != nil {
		if err := CheckCode("bar id", w.Lift.BarID); err != nil {
			return err
		}
		if err := CheckCode("bar subject", w.LiftSubject); err != nil {
			return err
		}
	}
	return nil
}

// TaskKeys are what a post-check task is found by: its pledge, and its
// matter, decision date and due date as YYYYMMDD numbers (due 0 = exempt).
type TaskKeys struct {
	PledgeID string
	Matter   string
	Decided  int64
	Due      int64
}
