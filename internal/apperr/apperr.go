// Package apperr owns the project's single error type. Domain packages return
// *Error values with a Kind; only the HTTP layer maps kinds to status codes.
// This package must not import anything from the project.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the caller can do about it.
type Kind int

// The kinds. Their order carries no meaning.
const (
	Internal     Kind = iota // a bug or an unexpected failure; details never reach clients
	Malformed                // the input cannot be parsed or fails validation
	Unauthorized             // no or bad credentials
	Forbidden                // authenticated, but not allowed
	NotFound                 // the thing does not exist
	Conflict                 // the state does not allow the change (or a duplicate)
	TooLarge                 // the input exceeds a size limit
	Unavailable              // a dependency (Redis) cannot be reached: try later
	Unsupported              // well-formed but not supported (media type, algorithm)
	RateLimited              // the client sent too much too fast: try again later
)

var kindNames = [...]string{
	Internal:     "internal",
	Malformed:    "malformed",
	Unauthorized: "unauthorized",
	Forbidden:    "forbidden",
	NotFound:     "not-found",
	Conflict:     "conflict",
	TooLarge:     "too-large",
	Unavailable:  "unavailable",
	Unsupported:  "unsupported",
	RateLimited:  "rate-limited",
}

// String returns the stable slug of the kind, used in problem type URIs.
func (k Kind) String() string {
	if int(k) >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Error is the project's one error type. Detail is safe to show to clients;
// Err (optional) is the cause, kept for logs and errors.Is, never shown.
type Error struct {
	Kind   Kind
	Detail string
	// Code is an optional stable machine-readable reason, one of the
	// constants in codes.go (e.g. CodeTryLater).
	Code Code
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Kind, e.Detail, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Detail)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind k with a client-safe detail.
func New(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of kind k with a client-safe detail and a cause.
func Wrap(k Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...), Err: err}
}

// WithCode sets a stable reason code and returns e.
func (e *Error) WithCode(code Code) *Error {
	e.Code = code
	return e
}

// KindOf returns the kind of err: the kind of the first *Error in its chain,
// Internal otherwise.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns the first *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Is reports whether err carries kind k.
func Is(err error, k Kind) bool {
	return err != nil && KindOf(err) == k
}
