package verify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/statement"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

const statusKeyName = "pledgeseal.test/status"

// statementIssuer signs statements from the environment's registry (real
// Redis) with key.
func statementIssuer(t *testing.T, e *verifytest.Env, key *sm2.PrivateKey) *statement.Issuer {
	t.Helper()
	s, err := translog.NewNoteSigner(statusKeyName, key)
	if err != nil {
		t.Fatal(err)
	}
	iss, err := statement.NewIssuer(statement.IssuerOptions{Status: e.Status, Signer: s, Validity: 24 * time.Hour, Clock: e.Clock})
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func issue(t *testing.T, iss *statement.Issuer, id string) ([]byte, statement.Statement) {
	t.Helper()
	signed, st, err := iss.Issue(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return signed, st
}

// TestStatusStatementOffline: a package verified offline with a status
// statement. The attacks: a statement signed with the log key or the
// agency's key, one about another pledge, an altered state, an expired
// one, and a revoked or false pledge's statement.
func TestStatusStatementOffline(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	statusKey, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	logKey, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	a, b := e.Accepted(t, "key-stmt-a"), e.Accepted(t, "key-stmt-b")
	pkgA, pkgB := e.Package(t, a), e.Package(t, b)
	offline, err := verify.New(verify.Options{SealTrust: e.SealTrust, ApplicantTrust: e.ApplicantTrust, Clock: e.Clock})
	if err != nil {
		t.Fatal(err)
	}
	check := func(pkg, signed []byte, at time.Time) verify.Report {
		r := offline.Verify(ctx, pkg, verify.Public())
		verify.ApplyStatement(&r, signed, verify.StatementKeys{Status: &statusKey.PublicKey}, at)
		return r
	}
	now := e.Clock.Now()

	goodA, stA := issue(t, statementIssuer(t, e, statusKey), a.ID)
	if stA.State != status.Active || stA.Reference == nil || stA.Reference.DocumentNo != "朝市监许〔2026〕7号" {
		t.Fatalf("statement of an accepted pledge: %+v", stA)
	}
	r := check(pkgA, goodA, now)
	want(t, r, outcome.TotalPassed, outcome.None)
	if r.StatusNow.Indication != outcome.TotalPassed || r.StatusNow.State != status.Active {
		t.Fatalf("status now from a valid statement: %+v", r.StatusNow)
	}

	// Signed with the log key or the agency's seal signing key instead of
	// the status key.
	for name, k := range map[string]*sm2.PrivateKey{"log key": logKey, "agency key": e.SealSigner.Key} {
		forged, _ := issue(t, statementIssuer(t, e, k), a.ID)
		r := check(pkgA, forged, now)
		want(t, r, outcome.TotalFailed, verify.StatementInvalid)
		if r.StatusNow.State != "" {
			t.Fatalf("%s: a forged statement set the state %s", name, r.StatusNow.State)
		}
	}
	// A's statement with B's package.
	want(t, check(pkgB, goodA, now), outcome.TotalFailed, verify.StatementMismatch)
	// Past nextUpdate: INDETERMINATE / TRY_LATER.
	r = check(pkgA, goodA, stA.NextUpdate.Add(time.Second))
	want(t, r, outcome.IndeterminateResult, outcome.TryLater)
	if c, ok := r.Find(verify.CheckPledgeState); !ok || c.Result != outcome.Indeterminate {
		t.Fatalf("state-now check of an expired statement: %+v", c)
	}

	// The decision of A is revoked: its statement says so, never ACTIVE,
	// and the report fails.
	enf := auth.Principal{Role: auth.RoleEnforcement, Org: "110105", TokenID: "t"}
	if _, err := e.Revoc.Revoke(ctx, enf, seal.RevokeRequest{Subjects: []status.Subject{verifytest.SubjectOfPledge(a.ID)},
		Reason: seal.ReasonDecisionRevoked, DocumentNo: "朝市监撤〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	iss := statementIssuer(t, e, statusKey)
	revokedA, st := issue(t, iss, a.ID)
	if st.State != status.Revoked || st.Reference == nil || st.Reference.Kind != statement.RefRevocation {
		t.Fatalf("statement of a revoked pledge: %+v", st)
	}
	want(t, check(pkgA, revokedA, e.Clock.Now()), outcome.TotalFailed, outcome.DecisionRevoked)
	// A statement that B was found false (an enforcement finding).
	signer, err := translog.NewNoteSigner(statusKeyName, statusKey)
	if err != nil {
		t.Fatal(err)
	}
	_, stB := issue(t, iss, b.ID)
	stB.State, stB.Reference = status.False, &statement.Reference{Kind: statement.RefFinding, DocumentNo: "朝市监核〔2026〕7号"}
	falseB, err := statement.Sign(stB, signer)
	if err != nil {
		t.Fatal(err)
	}
	r = check(pkgB, falseB, e.Clock.Now())
	want(t, r, outcome.TotalFailed, outcome.PledgeFalse)
	if c, _ := r.Find(verify.CheckPledgeState); c.Result != outcome.Failed || r.StatusNow.State != status.False {
		t.Fatalf("state now of a false statement: %+v %s", c, r.StatusNow.State)
	}

	// The revoked statement with its state byte changed to ACTIVE.
	altered := bytes.Replace(revokedA, []byte("\nstate REVOKED\n"), []byte("\nstate ACTIVE\n"), 1)
	if bytes.Equal(altered, revokedA) {
		t.Fatal("the test did not alter the state")
	}
	want(t, check(pkgA, altered, e.Clock.Now()), outcome.TotalFailed, verify.StatementInvalid)
}

// fixedLog is a log of a fixed checkpoint whose pledge index is index,
// where every entry records the pledge's workflow status (ACCEPTED unless
// set).
type fixedLog struct {
	cp     []byte
	index  uint64
	pledge string
	status string
}

func (l fixedLog) Checkpoint(context.Context) ([]byte, error) { return l.cp, nil }
func (l fixedLog) PledgeIndex(context.Context, string, bool) (uint64, bool, error) {
	return l.index, true, nil
}
func (l fixedLog) Entries(_ context.Context, start, end uint64) ([][]byte, error) {
	st := l.status
	if st == "" {
		st = "ACCEPTED"
	}
	body, err := translog.PublicBody{V: translog.PublicBodyVersion, Source: "pledge", Action: "pledge.transition", At: time.Unix(1, 0),
		Subjects: []translog.PublicSubject{{Kind: "pledge", ID: l.pledge}}, Data: map[string]string{"pledge": l.pledge, "status": st},
		Commit: strings.Repeat("ab", 32)}.Marshal()
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for range end - start {
		out = append(out, translog.Entry{Slot: 1, ID: "1-0", Body: body}.Marshal())
	}
	return out, nil
}

// TestStatementLogIndexIsCovered: the statement gives the pledge's log
// index only when the checkpoint it carries covers it.
func TestStatementLogIndexIsCovered(t *testing.T) {
	e := newEnv(t)
	a := e.Accepted(t, "key-stmt-index")
	statusKey, _ := sm2.GenerateKey(rand.Reader)
	logKey, _ := sm2.GenerateKey(rand.Reader)
	logSigner, err := translog.NewNoteSigner("pledgeseal.test/log", logKey)
	if err != nil {
		t.Fatal(err)
	}
	cp, err := translog.SignCheckpoint(translog.Checkpoint{Origin: "pledgeseal.test/log", Size: 10, Root: make([]byte, translog.HashSize)}, logSigner)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := translog.NewNoteSigner(statusKeyName, statusKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		index uint64
		want  bool
	}{{3, true}, {9, true}, {10, false}, {11, false}} {
		log := fixedLog{cp: cp, index: c.index, pledge: a.ID}
		iss, err := statement.NewIssuer(statement.IssuerOptions{Status: e.Status, Signer: signer, Validity: time.Hour, Clock: e.Clock,
			Checkpoints: log, Index: log})
		if err != nil {
			t.Fatal(err)
		}
		_, st := issue(t, iss, a.ID)
		if got := st.LogIndex != nil; got != c.want || (got && *st.LogIndex != c.index) {
			t.Fatalf("index %d in a checkpoint of 10: statement index %v", c.index, st.LogIndex)
		}
		if _, err := st.OpenCheckpoint(&logKey.PublicKey); err != nil {
			t.Fatalf("index %d: %v", c.index, err)
		}
	}
	// The attack: the indexed entry records another state (the change to
	// the state now still pending integration, or another pledge): the
	// statement must not cite it.
	for name, log := range map[string]fixedLog{
		"older state":    {cp: cp, index: 3, pledge: a.ID, status: "SIGNED"},
		"another pledge": {cp: cp, index: 3, pledge: "P-OTHER"},
	} {
		iss, err := statement.NewIssuer(statement.IssuerOptions{Status: e.Status, Signer: signer, Validity: time.Hour, Clock: e.Clock,
			Checkpoints: log, Index: log})
		if err != nil {
			t.Fatal(err)
		}
		if _, st := issue(t, iss, a.ID); st.LogIndex != nil {
			t.Fatalf("%s: the ACTIVE statement cites entry %d, which records something else", name, *st.LogIndex)
		}
	}
}
