// Package status defines the vocabulary verifiers use to ask the registry
// "is this seal / certificate / pledge good, now and at time T?". The
// registry's Redis side (store.Registry, and store.StatusBatch with the
// pledge states) implements Source; the revocation registry and the
// verifier consume it. It holds no state and imports nothing of
// the project but apperr.
package status

import (
	"context"
	"time"
)

// Kind is what a subject is.
type Kind string

// Subject kinds.
const (
	KindSeal        Kind = "seal"
	KindCertificate Kind = "certificate"
	KindPledge      Kind = "pledge"
	// KindPledgeState names a pledge's workflow state (signed, accepted,
	// withdrawn, returned, found false, ...) as the pledge record holds it,
	// by pledge ID. KindPledge names the same pledge in the registry, which
	// records enforcement findings and revocations of the decision. A
	// combined source answers both kinds in one call; the registry alone
	// does not know this kind.
	KindPledgeState Kind = "pledge-state"
)

// Code is the state of a subject at some time.
type Code string

// State codes. UNKNOWN means the registry holds no record of the subject,
// which is not the same as "good": callers decide what unknown means.
const (
	Unknown      Code = "UNKNOWN"
	Active       Code = "ACTIVE"
	Suspended    Code = "SUSPENDED"
	ReportedLost Code = "REPORTED_LOST"
	Frozen       Code = "FROZEN"
	Cancelled    Code = "CANCELLED"
	Revoked      Code = "REVOKED"
	// Pledge-specific states.
	Withdrawn    Code = "WITHDRAWN"
	False        Code = "FALSE"
	NotFulfilled Code = "NOT_FULFILLED"
)

// Subject names one thing to look up: by ID (esID, certificate serial/issuer
// key, pledge ID) and/or by SM3 content digest. Either may be empty/zero.
type Subject struct {
	Kind   Kind
	ID     string
	Digest [32]byte
}

// State is a subject's state as of a moment, with the event that set it.
type State struct {
	Code Code
	// Since is when the event that set Code took effect (zero when Unknown).
	Since time.Time
	// Reason is the typed reason code of that event (e.g. KEY_COMPROMISE).
	Reason string
	// DocumentNo is the legal document number of that event, if any.
	DocumentNo string
}

// Result answers one Subject: its state at the asked time and now.
type Result struct {
	Subject Subject
	At      State
	Now     State
	// Owner is, for a seal subject named by esID and digest, the agency
	// the registry files that seal under: set only when a seal record with
	// this esID exists and its bytes have this digest, empty otherwise
	// (not registered, other bytes, another kind of subject, or a source
	// that does not know owners).
	Owner string
}

// Answer is the reply to one batch lookup.
type Answer struct {
	Results []Result // same order as the query
	// ReadAt is when the registry was read (freshness of the answer).
	ReadAt time.Time
}

// Source answers status questions. Implementations must answer all subjects
// of one call from one consistent read (one Redis round trip) and must return
// an error (apperr.Unavailable) — never a default state — when they cannot read.
type Source interface {
	Lookup(ctx context.Context, at time.Time, subjects []Subject) (Answer, error)
}
