package pledgecli

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/cli/statuscli"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// statementFlags are `pledge verify`'s status statement options: a signed
// status statement (docs/status-statements.md) answers the status-now
// questions of the offline report without network access.
type statementFlags struct {
	path, cert, logCert string
}

// apply verifies the statement at f.path with the pinned status
// certificate and folds it into the offline report (verify.ApplyStatement):
// a statement of another pledge or key fails the report, one past its
// nextUpdate leaves the state now INDETERMINATE/TRY_LATER.
func (f statementFlags) apply(rep *verify.Report, now time.Time) error {
	if f.path == "" {
		if f.cert != "" {
			return usagef("--status-cert needs --status-statement")
		}
		return nil
	}
	keys, signed, err := statuscli.ReadInputs(f.cert, f.logCert, f.path)
	if err != nil {
		return err
	}
	verify.ApplyStatement(rep, signed, keys, now)
	return nil
}
