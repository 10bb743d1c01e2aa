package pledgecli

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/cli/clitest"
	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/httpapi"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// run executes `pledge verify args...` and returns the exit status and output.
func run(t *testing.T, clk clock.Clock, args ...string) (int, string) {
	t.Helper()
	return clitest.Run(func(w io.Writer) *cobra.Command {
		return commands(w, clk, &http.Client{Timeout: 5 * time.Second})[0]
	}, append([]string{"verify"}, args...)...)
}

func TestPledgeVerify(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e := verifytest.OnRedis(t, clk)
	dir := t.TempDir()
	write := func(name string, b []byte) string { return clitest.WriteFile(t, dir, name, b) }
	pemOf := func(cs ...*smx509.Certificate) []byte {
		var b []byte
		for _, c := range cs {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		return b
	}
	trust := write("trust.pem", pemOf(e.SealRoot.Cert, e.ApplicantRoot.Cert, e.CitizenCA.Cert))
	good := e.Accepted(t, "cli-good-000001")
	goodPkg := write("good.json", e.Package(t, good))
	var p pledge.Package
	_ = json.Unmarshal(e.Package(t, good), &p)
	p.Notice.SES = p.AgencySeal.SES
	tampered, _ := json.Marshal(p)
	badPkg := write("bad.json", tampered)

	// The server: the real HTTP API over the same domain.
	tokens, err := auth.NewTokens(e.Store, bytes.Repeat([]byte{7}, 32), e.Protector, clk)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Deps{Clock: clk, Auth: tokens, Tokens: tokens,
		Pledges: &httpapi.PledgeAPI{Catalogue: e.Catalogue, Notices: e.Notices, Service: e.Service, Records: e.Pledges, Verifier: e.Verifier}},
		httpapi.Options{}).Handler())
	defer srv.Close()

	cases := []struct {
		name string
		args []string
		code int
		has  string
	}{
		{"offline passes", []string{"--trust", trust, goodPkg}, exitstatus.Passed, "TOTAL_PASSED"},
		{"offline without anchors", []string{goodPkg}, exitstatus.Indeterminate, "NO_CERTIFICATE_CHAIN_FOUND"},
		{"tampered", []string{"--trust", trust, badPkg}, exitstatus.Failed, "TOTAL_FAILED"},
		{"not a package", []string{"--trust", trust, write("x.json", []byte("{}"))}, exitstatus.Failed, "FORMAT_FAILURE"},
		{"missing file", []string{filepath.Join(dir, "none.json")}, exitstatus.Usage, "cannot read"},
		{"bad trust file", []string{"--trust", write("t.pem", []byte("x")), goodPkg}, exitstatus.Usage, "trust file"},
		{"bad online URL", []string{"--trust", trust, "--online", "ftp://x", goodPkg}, exitstatus.Usage, "--online"},
		{"online passes", []string{"--trust", trust, "--online", srv.URL, goodPkg}, exitstatus.Passed, "Status now"},
		{"server down", []string{"--trust", trust, "--online", "http://127.0.0.1:1", goodPkg}, exitstatus.Indeterminate, "TRY_LATER"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out := run(t, clk, c.args...)
			if code != c.code || !strings.Contains(out, c.has) {
				t.Fatalf("exit %d (want %d), output lacks %q:\n%s", code, c.code, c.has, out)
			}
		})
	}

	// Revoked now: offline still passes, online fails.
	if _, err := e.Revoc.Revoke(t.Context(), auth.Principal{Role: auth.RoleEnforcement, Org: "110105", TokenID: "t"}, seal.RevokeRequest{
		Subjects: []status.Subject{verifytest.SubjectOfPledge(good.ID)}, Reason: seal.ReasonDecisionRevoked, DocumentNo: "撤〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	if code, out := run(t, clk, "--trust", trust, goodPkg); code != exitstatus.Passed {
		t.Fatalf("offline after revocation: %d %s", code, out)
	}
	code, out := run(t, clk, "--json", "--trust", trust, "--online", srv.URL, goodPkg)
	if code != exitstatus.Failed {
		t.Fatalf("online after revocation: %d %s", code, out)
	}
	var o Output
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &o); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if o.Online == nil || o.Online.SubIndication != outcome.DecisionRevoked || o.Offline.Indication != outcome.TotalPassed {
		t.Fatalf("json output: %+v", o)
	}
}
