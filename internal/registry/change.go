package registry

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// Limits on one change. They keep a script's argument list and an audit
// entry bounded.
const (
	// MaxItems is the most subjects one change may touch.
	MaxItems = 5000
	// MaxBatch is the most subjects one lookup may ask about.
	MaxBatch = 1000
	// MaxIDLen bounds a subject ID or a record ID, in bytes.
	MaxIDLen = 256
	// MaxTextLen bounds a reason, document number, note, action or actor, in bytes.
	MaxTextLen = 512
)

// Actor names who made a change. It comes from authentication, never from a
// request body, and carries no personal data.
type Actor struct {
	ID   string `json:"id"`
	Role string `json:"role"`
	Org  string `json:"org,omitempty"`
}

// Change is one atomic state change: the same event applied to every item,
// with its audit entry. From lists the states the items may be in
// (status.Unknown = no record yet); any other current state is a Conflict.
type Change struct {
	Action     string
	Actor      Actor
	To         status.Code
	From       []status.Code
	Reason     string
	DocumentNo string
	Effective  time.Time
	Note       string
	Items      []status.Subject
	// Data is extra audit detail (no personal data).
	Data map[string]string
	// Guards are pledge IDs whose latest enforcement finding must not be a
	// consequence (FALSE_CONFIRMED, NOT_FULFILLED): the state such a
	// finding set is changed only by its reversal (enforce.Service.Reverse),
	// which lifts the bar in the same script run. Checked inside the write
	// script; a guarded pledge is a Conflict FINDING_OWNED, nothing written.
	Guards []string
}

// Applied reports a committed change.
type Applied struct {
	Seq uint64
	// Hash is the SM3 of the change's audit entry (hex).
	Hash     string
	Recorded time.Time
}

// Event is one recorded event of a subject's history, joined with its audit entry.
type Event struct {
	Seq        uint64
	Code       status.Code
	Effective  time.Time
	Recorded   time.Time
	Action     string
	Actor      Actor
	Reason     string
	DocumentNo string
	Note       string
}

// CheckText refuses s unless it is valid UTF-8 of at most max bytes.
func CheckText(what, s string, max int) error {
	if len(s) > max || !utf8.ValidString(s) {
		return apperr.New(apperr.Malformed, "%s must be valid UTF-8 of at most %d bytes", what, max)
	}
	return nil
}

// Validate checks what every change needs: an action and an authenticated
// actor, 1 to MaxItems subjects, the states it may leave, bounded texts and
// an effective time after 1970 that fits in 48 bits of milliseconds.
func (c *Change) Validate() error {
	if c.Action == "" || c.Actor.ID == "" || c.Actor.Role == "" {
		return apperr.New(apperr.Malformed, "a change needs an action and an authenticated actor")
	}
	if len(c.Items) == 0 || len(c.Items) > MaxItems {
		return apperr.New(apperr.Malformed, "a change must touch 1 to %d subjects", MaxItems)
	}
	if len(c.From) == 0 {
		return apperr.New(apperr.Malformed, "a change must say which states it may leave")
	}
	for _, t := range []struct{ what, s string }{{"reason", c.Reason}, {"document number", c.DocumentNo},
		{"note", c.Note}, {"action", c.Action}, {"actor", c.Actor.ID + c.Actor.Role + c.Actor.Org}} {
		if err := CheckText(t.what, t.s, MaxTextLen); err != nil {
			return err
		}
	}
	ms := c.Effective.UnixMilli()
	if c.Effective.IsZero() || ms < 0 || ms >= 1<<48 {
		return apperr.New(apperr.Malformed, "effective time is required and must be after 1970")
	}
	return nil
}

// String names a change for logs.
func (c Change) String() string {
	return fmt.Sprintf("%s → %s (%d subjects)", c.Action, c.To, len(c.Items))
}
