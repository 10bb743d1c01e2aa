// Package exitstatus is the exit status of a pledgectl command: the
// verification commands exit 0 when every signature is TOTAL_PASSED, 1 when
// any is TOTAL_FAILED, 2 when the worst is INDETERMINATE and 3 on a usage
// error or unreadable input. pledgectl's main maps an error's ExitCode.
package exitstatus

import "fmt"

// The exit statuses.
const (
	Passed        = 0 // every signature TOTAL_PASSED
	Failed        = 1 // any signature TOTAL_FAILED
	Indeterminate = 2 // the worst is INDETERMINATE
	Usage         = 3 // usage error or unreadable input
)

// Error carries the process exit status of a command.
type Error struct {
	Code int
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// ExitCode returns the exit status.
func (e *Error) ExitCode() int { return e.Code }

// Usagef is a usage error (status Usage).
func Usagef(format string, args ...any) error {
	return &Error{Code: Usage, Msg: fmt.Sprintf(format, args...)}
}
