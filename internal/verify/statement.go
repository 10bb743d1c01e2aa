package verify

import (
	"crypto/ecdsa"
	"slices"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/statement"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// CheckStatusStatement is the check of a signed status statement presented
// with a package offline (docs/status-statements.md).
const CheckStatusStatement = "status-statement"

// Sub-indications of a status statement.
const (
	// StatementInvalid: the statement is malformed or not signed by the
	// pinned status key.
	StatementInvalid outcome.SubIndication = outcome.SubIndication(apperr.CodeStatusStatementInvalid)
	// StatementMismatch: the statement is about another pledge.
	StatementMismatch outcome.SubIndication = outcome.SubIndication(apperr.CodeStatusStatementMismatch)
)

// StatementKeys are the pinned keys a status statement is checked with:
// the status key, and optionally the log key, with which the statement's
// carried checkpoint must then verify.
type StatementKeys struct {
	Status, Log *ecdsa.PublicKey
}

// ApplyStatement answers an offline report's status-now questions from a
// signed status statement: it verifies signed with the status key pub,
// checks that it names the report's pledge and is valid at now, and then
// replaces the NOT_PERFORMED state-now checks with the statement's
// answer, as the registry's answer would be reported online. A statement
// that does not open or names another pledge is a FAILED check (the
// state-now checks stay NOT_PERFORMED); one past its nextUpdate makes the
// state now INDETERMINATE/TRY_LATER. The indications are derived again.
// A report already made online is left alone.
func ApplyStatement(r *Report, signed []byte, keys StatementKeys, now time.Time) {
	if r.Freshness.Online {
		return
	}
	b := builder{r: r}
	defer r.finish()
	st, err := statement.Open(signed, keys.Status)
	if err == nil && keys.Log != nil {
		_, err = st.OpenCheckpoint(keys.Log)
	}
	if err != nil {
		b.add(ScopeNow, CheckStatusStatement, outcome.Failed, StatementInvalid, "%s", detailOf(err))
		return
	}
	if r.Pledge == nil {
		b.add(ScopeNow, CheckStatusStatement, outcome.NotPerformed, "", "not performed: the package does not say which pledge it is")
		return
	}
	if err := st.About(r.Pledge.PledgeID); err != nil {
		b.add(ScopeNow, CheckStatusStatement, outcome.Failed, StatementMismatch, "%s", detailOf(err))
		return
	}
	r.StatusNow.Checks = slices.DeleteFunc(r.StatusNow.Checks, func(c Check) bool {
		return c.Name == CheckPledgeState || c.Name == CheckFindings
	})
	if err := st.Check(now); err != nil {
		res, sub := outcome.Failed, StatementInvalid
		if apperr.As(err).Code == apperr.CodeStatusStatementExpired {
			res, sub = outcome.Indeterminate, outcome.TryLater
		}
		b.add(ScopeNow, CheckStatusStatement, res, sub, "%s", detailOf(err))
		b.add(ScopeNow, CheckPledgeState, outcome.Indeterminate, outcome.TryLater, "the status statement of %s no longer tells the state now (valid until %s); ask the service at the status URL for a new one", ts(st.ThisUpdate), ts(st.NextUpdate))
		return
	}
	b.add(ScopeNow, CheckStatusStatement, outcome.Passed, "", "status statement signed by %s with the status key: state %s as of %s, valid until %s", st.Issuer, st.State, ts(st.ThisUpdate), ts(st.NextUpdate))
	state := status.State{Code: st.State, Since: st.Since}
	if st.Reference != nil {
		state.DocumentNo = st.Reference.DocumentNo
	}
	r.StatusNow.State = st.State
	read := st.ThisUpdate.UTC()
	r.Freshness.StatusReadAt = &read
	pledgeNow(b, state, r.ValidAtSigning.SealedAt != nil)
	switch st.State {
	case status.False, status.NotFulfilled, status.Revoked:
		findingsNow(b, state)
	default:
		findingsNow(b, status.State{Code: status.Unknown})
	}
}
