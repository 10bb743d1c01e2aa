package pledgecli

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"github.com/pledgeseal/pledgeseal/internal/cli/clitest"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// serverLog is the log as the app wires it: the store's log, a signer,
// no minimum checkpoint age.
type serverLog struct {
	*store.TransLog
	signer *translog.NoteSigner
}

func (l serverLog) SignNow(ctx context.Context) ([]byte, error) {
	if err := l.IntegrateAll(ctx); err != nil {
		return nil, err
	}
	return l.SignCheckpoint(ctx, l.signer, 0, true)
}

func (l serverLog) CheckpointFor(ctx context.Context, index uint64) ([]byte, bool, error) {
	return l.CheckpointCovering(ctx, index, l.signer, 0)
}

// `pledge verify --log-cert` checks the server report's log proof offline:
// an honest proof passes; a forged proof, a checkpoint of another key, the
// entry of another pledge and the entry of an older state fail with the
// check named; a state not yet logged is INDETERMINATE.
func TestPledgeVerifyChecksLogProof(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e := verifytest.OnRedis(t, clk)
	dir := t.TempDir()
	write := func(name string, b []byte) string { return clitest.WriteFile(t, dir, name, b) }
	trust := write("trust.pem", bytes.Join([][]byte{
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.SealRoot.Cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.ApplicantRoot.Cert.Raw}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: e.CitizenCA.Cert.Raw}),
	}, nil))
	logCA := pkitest.NewCA(t, "PledgeSeal test log", clk.Now().Add(-time.Hour), clk.Now().AddDate(1, 0, 0), 0)
	logCert := write("log.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: logCA.Cert.Raw}))
	signer, err := translog.NewNoteSigner("pledgeseal.test/log", logCA.Key)
	if err != nil {
		t.Fatal(err)
	}
	tl := serverLog{store.NewTransLog(e.Store), signer}
	tokens, err := auth.NewTokens(e.Store, bytes.Repeat([]byte{7}, 32), e.Protector, clk)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Clock: clk, Auth: tokens, Tokens: tokens, TransLog: tl,
		Pledges: &httpapi.PledgeAPI{Catalogue: e.Catalogue, Notices: e.Notices, Service: e.Service, Records: e.Pledges, Verifier: e.Verifier}},
		httpapi.Options{}).Handler())
	defer srv.Close()

	a, b := e.Accepted(t, "cli-log-0000001"), e.Accepted(t, "cli-log-0000002")
	pkgA, pkgB := write("a.json", e.Package(t, a)), write("b.json", e.Package(t, b))
	verifyJSON := func(args ...string) (int, Output) {
		t.Helper()
		code, out := run(t, clk, append([]string{"--json", "--trust", trust, "--log-cert", logCert}, args...)...)
		var o Output
		if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &o); err != nil || o.Log == nil {
			t.Fatalf("exit %d, output %v:\n%s", code, err, out)
		}
		return code, o
	}
	expect := func(what string, code int, o Output, wantCode int, res outcome.Result, sub outcome.SubIndication) {
		t.Helper()
		if code != wantCode || o.Log.Name != verify.CheckLogInclusion || o.Log.Result != res || o.Log.SubIndication != sub {
			t.Fatalf("%s: exit %d (want %d), log check %s %s %q (want %s %s)", what, code, wantCode, o.Log.Result, o.Log.SubIndication, o.Log.Detail, res, sub)
		}
	}

	// Before integration: NOT_YET_LOGGED, exit 2, never a pass.
	code, o := verifyJSON("--online", srv.URL, pkgA)
	if o.Online == nil || o.Online.Log == nil || o.Online.Log.Status != verify.LogNotYetLogged {
		t.Fatalf("report before integration: %+v", o.Online)
	}
	expect("not yet logged", code, o, exitstatus.Indeterminate, outcome.Indeterminate, verify.LogPending)

	// Integrated but not yet checkpointed: the service signs one on demand.
	if err := tl.IntegrateAll(ctx); err != nil {
		t.Fatal(err)
	}
	code, o = verifyJSON("--online", srv.URL, pkgA)
	expect("honest, online", code, o, exitstatus.Passed, outcome.Passed, "")
	accepted := *o.Online
	saved := func(name string, r verify.Report) string {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return write(name, b)
	}
	code, o = verifyJSON("--report", saved("a.report.json", accepted), pkgA)
	expect("honest, saved report", code, o, exitstatus.Passed, outcome.Passed, "")
	_, ob := verifyJSON("--online", srv.URL, pkgB)
	reportB := *ob.Online

	// Forged proof.
	{
		r := accepted
		lg := *r.Log
		lg.InclusionProof = append([]string{}, lg.InclusionProof...)
		if len(lg.InclusionProof) == 0 {
			t.Fatal("a proof of no hashes: the test log is too small")
		}
		h, _ := hex.DecodeString(lg.InclusionProof[0])
		h[0] ^= 1
		lg.InclusionProof[0] = hex.EncodeToString(h)
		r.Log = &lg
		code, o := verifyJSON("--report", saved("forged-proof.json", r), pkgA)
		expect("forged proof", code, o, exitstatus.Failed, outcome.Failed, verify.LogProofInvalid)
	}
	// Checkpoint signed by another key (over the true tree).
	{
		other, _ := pki.GenerateKey()
		os2, _ := translog.NewNoteSigner("pledgeseal.test/log", other)
		cp, err := translog.OpenCheckpointWithKey([]byte(accepted.Log.Checkpoint), &logCA.Key.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		forged, _ := translog.SignCheckpoint(cp, os2)
		r := accepted
		lg := *r.Log
		lg.Checkpoint = string(forged)
		r.Log = &lg
		code, o := verifyJSON("--report", saved("other-key.json", r), pkgA)
		expect("checkpoint of another key", code, o, exitstatus.Failed, outcome.Failed, verify.LogCheckpointSignature)
	}
	// The entry (and valid proof) of another pledge.
	{
		r := accepted
		r.Log = reportB.Log
		code, o := verifyJSON("--report", saved("other-pledge.json", r), pkgA)
		expect("entry of another pledge", code, o, exitstatus.Failed, outcome.Failed, verify.LogEntryMismatch)
		// B's whole report given for A's package.
		code, o = verifyJSON("--report", saved("b-for-a.json", reportB), pkgA)
		expect("report of another pledge", code, o, exitstatus.Failed, outcome.Failed, verify.LogEntryMismatch)
		// The same without --log-cert: B's report still does not count for A.
		if code, out := run(t, clk, "--trust", trust, "--report", saved("b-for-a-nolog.json", reportB), pkgA); code != exitstatus.Failed || !strings.Contains(out, "not about this package's pledge") {
			t.Fatalf("another pledge's report without --log-cert: exit %d\n%s", code, out)
		}
	}

	// Revoked now. Until the revocation is logged: NOT_YET_LOGGED; then
	// proven as REVOKED; the ACCEPTED entry in a REVOKED report fails.
	if _, err := e.Revoc.Revoke(ctx, auth.Principal{Role: auth.RoleEnforcement, Org: "110105", TokenID: "t"}, seal.RevokeRequest{
		Subjects: []status.Subject{verifytest.SubjectOfPledge(a.ID)}, Reason: seal.ReasonDecisionRevoked, DocumentNo: "撤〔2026〕9号"}); err != nil {
		t.Fatal(err)
	}
	code, o = verifyJSON("--online", srv.URL, pkgA)
	if o.Online.StatusNow.State != status.Revoked || o.Online.Log.Status != verify.LogNotYetLogged {
		t.Fatalf("revoked, not yet logged: %s %+v", o.Online.StatusNow.State, o.Online.Log)
	}
	expect("revocation pending", code, o, exitstatus.Failed, outcome.Indeterminate, verify.LogPending)
	if err := tl.IntegrateAll(ctx); err != nil {
		t.Fatal(err)
	}
	code, o = verifyJSON("--online", srv.URL, pkgA)
	expect("revocation proven", code, o, exitstatus.Failed, outcome.Passed, "")
	{
		r := *o.Online
		r.Log = accepted.Log
		code, o := verifyJSON("--report", saved("stale.json", r), pkgA)
		expect("ACCEPTED entry for a REVOKED pledge", code, o, exitstatus.Failed, outcome.Failed, verify.LogEntryMismatch)
	}
	// The old ACTIVE report with its then valid proof still verifies as a
	// statement of its time; its log check passes, the verdict is the
	// report's (its freshness is the reader's judgement).
	code, o = verifyJSON("--report", saved("old.json", accepted), pkgA)
	expect("old report", code, o, exitstatus.Passed, outcome.Passed, "")

	// Usage: --log-cert without a report.
	if code, out := run(t, clk, "--trust", trust, "--log-cert", logCert, pkgA); code != exitstatus.Usage {
		t.Fatalf("--log-cert alone: %d %s", code, out)
	}
	if code, out := run(t, clk, "--trust", trust, "--log-cert", trust+"x", "--online", srv.URL, pkgA); code != exitstatus.Usage {
		t.Fatalf("missing log cert: %d %s", code, out)
	}
}
