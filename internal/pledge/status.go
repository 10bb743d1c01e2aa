package pledge

import (
	"slices"
	"time"
)

// Status is a pledge's legal status.
type Status string

// The status model. A signed pledge awaits the agency; the agency accepts it
// (counter-seal and decision: ACCEPTED) or returns it; the applicant may
// withdraw it before the decision. Enforcement later moves an accepted
// pledge to FALSE, NOT_FULFILLED or REVOKED (the decision revoked), and an
// appeal moves it back by a new event — nothing is deleted.
const (
	StatusSigned       Status = "SIGNED"
	StatusAccepted     Status = "ACCEPTED" // accepted and decided
	StatusWithdrawn    Status = "WITHDRAWN"
	StatusReturned     Status = "RETURNED"
	StatusFalse        Status = "FALSE"
	StatusNotFulfilled Status = "NOT_FULFILLED"
	StatusRevoked      Status = "REVOKED"
)

// AllStatuses returns every status, in workflow order.
func AllStatuses() []Status {
	return []Status{StatusSigned, StatusAccepted, StatusWithdrawn, StatusReturned, StatusFalse, StatusNotFulfilled, StatusRevoked}
}

func statusNames() []string {
	var out []string
	for _, s := range AllStatuses() {
		out = append(out, string(s))
	}
	return out
}

// transitions lists the allowed moves.
var transitions = map[Status][]Status{
	StatusSigned:       {StatusAccepted, StatusWithdrawn, StatusReturned},
	StatusAccepted:     {StatusFalse, StatusNotFulfilled, StatusRevoked},
	StatusFalse:        {StatusAccepted, StatusRevoked},
	StatusNotFulfilled: {StatusAccepted, StatusRevoked},
	StatusRevoked:      {StatusAccepted},
}

// CanMove reports whether a pledge may move from one status to another.
func CanMove(from, to Status) bool { return slices.Contains(transitions[from], to) }

// Sources returns the statuses from which to may be reached.
func Sources(to Status) []Status {
	var out []Status
	for from, tos := range transitions {
		if slices.Contains(tos, to) {
			out = append(out, from)
		}
	}
	slices.Sort(out)
	return out
}

// Event is one status transition, kept forever.
type Event struct {
	To         Status    `json:"to"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Reason     string    `json:"reason,omitempty"`
	DocumentNo string    `json:"documentNo,omitempty"`
}

// Decision is the agency's acceptance: the decision document and the
// counter-seal.
type Decision struct {
	DocumentNo string    `json:"documentNo"`
	Date       string    `json:"date"` // YYYY-MM-DD, the decision date
	Officer    string    `json:"officer"`
	DecidedAt  time.Time `json:"decidedAt"`
	// SealedData is the canonical "signed pledge" bytes the SES covers;
	// AgencySES the DER SES_Signature.
	SealedData []byte `json:"sealedData"`
	AgencySES  []byte `json:"agencySes"`
}
