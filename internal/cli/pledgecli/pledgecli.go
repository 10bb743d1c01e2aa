// Package pledgecli owns the pledgectl commands for pledges: `pledge
// verify PACKAGE [--online BASEURL | --report FILE] [--log-cert PEM]
// [--trust PEM...] [--json]` and `pledge
// export --ofd OUT.ofd --key K --cert C --trust PEM PACKAGE` (the agency's
// sealed OFD of an accepted package, offline, by internal/ofdmake) and `pledge
// sign-cms` (an applicant's own detached CMS over a draft's bytes,
// signcms.go). It reads a
// package file, verifies it offline with internal/verify (integrity,
// signatures, chains, seals and bindings: "valid at signing time"), asks a
// PledgeSeal server for the status now when --online is given, and prints
// the report as text or JSON with the exit status of `pledgectl ofd
// verify`: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 usage or
// unreadable input.
//
// It must not hold verification logic of its own, touch Redis, or send
// anything but the package to the server named by --online.
package pledgecli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// onlineTimeout bounds the call to the server.
const onlineTimeout = 20 * time.Second

func usagef(format string, args ...any) error { return exitstatus.Usagef(format, args...) }

// Commands returns the top-level `pledge` command.
func Commands(stdout io.Writer, clk clock.Clock) []*cobra.Command {
	return commands(stdout, clk, http.DefaultClient)
}

func commands(stdout io.Writer, clk clock.Clock, client *http.Client) []*cobra.Command {
	c := &cobra.Command{Use: "pledge", Short: "Verify pledge packages, export their sealed OFD, sign a draft with your own certificate (承诺书验证、导出与签名)"}
	c.AddCommand(verifyCmd(stdout, clk, client), exportCmd(stdout, clk, os.Getenv), signCMSCmd(stdout, clk, os.Getenv))
	return []*cobra.Command{c}
}

// Output is the JSON output of `pledge verify`.
type Output struct {
	// Indication is the worst of the offline report and, with --online,
	// the server's report.
	Indication outcome.Indication `json:"indication"`
	Offline    verify.Report      `json:"offline"`
	Online     *verify.Report     `json:"online,omitempty"`
	// OnlineError says why the server could not answer (then INDETERMINATE).
	OnlineError string `json:"onlineError,omitempty"`
	// ReportError says why a saved report (--report) does not count: it is
	// about another pledge (then FAILED, whatever it says).
	ReportError string `json:"reportError,omitempty"`
	// Log is the offline check of the status report's transparency-log
	// proof with the pinned log certificate (--log-cert).
	Log *verify.Check `json:"log,omitempty"`
}

func verifyCmd(stdout io.Writer, clk clock.Clock, client *http.Client) *cobra.Command {
	var (
		trust                     []string
		online, report, logCertIn string
		asJSON                    bool
		stmt                      statementFlags // statement.go
	)
	c := &cobra.Command{
		Use:   "verify PACKAGE",
		Short: "Verify a pledge package offline, and its status now with --online",
		Long: `Verify a pledge package (pledgeseal.package/v1) offline: the applicant's
CMS signature and certificate chain, the notice binding and seal, and the
agency's counter-seal ("valid at signing time"). Status now (withdrawal,
findings, revocation of the decision) needs --online BASEURL, which posts
the package to BASEURL/v1/verifications, or --report FILE, a report the
server gave before (its JSON), or, with no network, a signed status
statement of the pledge (--status-statement FILE --status-cert status.pem):
one of another pledge or key fails, one past its nextUpdate is INDETERMINATE.
With --log-cert PEM (the transparency-log certificate of the trust
material) the report's log proof is checked offline (check log-inclusion):
the checkpoint's signature, the inclusion proof of the entry, and that the
entry records this pledge in the report's state now. A forged proof,
another key's checkpoint or an entry of another pledge or state FAILS; a
state not yet logged is INDETERMINATE. The same certificate checks the
checkpoint a status statement carries.

Exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 usage error
or unreadable input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkg, rep, err := verifyOffline(cmd.Context(), args[0], trust, clk)
			if err != nil {
				return err
			}
			if online != "" && report != "" {
				return usagef("give --online or --report, not both")
			}
			if logCertIn != "" && online == "" && report == "" && stmt.path == "" {
				return usagef("--log-cert checks the log proof of a status report or statement: give --online, --report or --status-statement")
			}
			stmt.logCert = logCertIn
			if err := stmt.apply(&rep, clk.Now()); err != nil {
				return err
			}
			out := Output{Offline: rep}
			reports := []outcome.Report{{Indication: out.Offline.Indication}}
			if report != "" {
				r, err := readReport(report)
				if err != nil {
					return err
				}
				out.Online = r
				ind := r.Indication
				if r.Pledge == nil || rep.Pledge == nil || r.Pledge.PledgeID != rep.Pledge.PledgeID {
					// A saved report of another pledge says nothing about
					// this one: it fails, whatever it says.
					ind = outcome.TotalFailed
					out.ReportError = fmt.Sprintf("the report %s is not about this package's pledge", report)
				}
				reports = append(reports, outcome.Report{Indication: ind})
			}
			if online != "" {
				r, err := askServer(cmd.Context(), client, online, pkg)
				if err != nil {
					var ee *exitstatus.Error
					if errors.As(err, &ee) {
						return err
					}
					out.OnlineError = err.Error()
					reports = append(reports, outcome.Report{Indication: outcome.IndeterminateResult})
				} else {
					out.Online = r
					reports = append(reports, outcome.Report{Indication: r.Indication})
				}
			}
			if logCertIn != "" && (online != "" || report != "") {
				chk, err := checkLog(logCertIn, out)
				if err != nil {
					return err
				}
				out.Log = &chk
				reports = append(reports, outcome.Report{Indication: indicationOf(chk.Result)})
			}
			out.Indication = outcome.Worst(reports)
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				printText(stdout, out)
			}
			switch out.Indication {
			case outcome.TotalPassed:
				return nil
			case outcome.TotalFailed:
				return &exitstatus.Error{Code: exitstatus.Failed, Msg: "verification failed (验证失败)"}
			}
			return &exitstatus.Error{Code: exitstatus.Indeterminate, Msg: "verification indeterminate (无法确定)"}
		},
	}
	c.Flags().StringArrayVar(&trust, "trust", nil, "PEM file of trust anchors for seals and applicant certificates (repeatable)")
	c.Flags().StringVar(&online, "online", "", "base URL of a PledgeSeal server to ask for the status now")
	c.Flags().StringVar(&report, "report", "", "a status report (JSON) the server gave before, instead of --online")
	c.Flags().StringVar(&logCertIn, "log-cert", "", "PEM certificate of the transparency-log key: check the report's log proof, and a status statement's checkpoint, offline")
	c.Flags().BoolVar(&asJSON, "json", false, "print the reports as JSON")
	c.Flags().StringVar(&stmt.path, "status-statement", "", "signed status statement of the pledge (GET /v1/pledges/{id}/status-statement) answering the status now offline")
	c.Flags().StringVar(&stmt.cert, "status-cert", "", "PEM certificate of the service's status key (required with --status-statement)")
	return c
}

// readReport reads a saved server report.
func readReport(path string) (*verify.Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("cannot read report %q", path)
	}
	var r verify.Report
	if err := json.Unmarshal(b, &r); err != nil || r.Format != verify.Format {
		return nil, usagef("%q is not a verification report", path)
	}
	return &r, nil
}

// checkLog checks the status report's log proof with the pinned log key.
// Without a report (the server could not answer) the check is
// INDETERMINATE.
func checkLog(certPath string, out Output) (verify.Check, error) {
	b, err := os.ReadFile(certPath)
	if err != nil {
		return verify.Check{}, usagef("cannot read the log certificate %q", certPath)
	}
	pub, err := translog.ParseSM2CertificatePEM(b)
	if err != nil {
		return verify.Check{}, usagef("log certificate %q: %v", certPath, err)
	}
	if out.Online == nil {
		return verify.Check{Name: verify.CheckLogInclusion, Scope: verify.ScopeNow, Result: outcome.Indeterminate, SubIndication: outcome.TryLater,
			Detail: "no status report to take the log proof from"}, nil
	}
	id := ""
	if out.Offline.Pledge != nil {
		id = out.Offline.Pledge.PledgeID
	}
	return verify.CheckLog(out.Online, id, pub), nil
}

// indicationOf is the overall indication one check's result leads to.
func indicationOf(r outcome.Result) outcome.Indication {
	switch r {
	case outcome.Passed:
		return outcome.TotalPassed
	case outcome.Failed:
		return outcome.TotalFailed
	}
	return outcome.IndeterminateResult
}

// verifyOffline reads the package at path and verifies it offline against
// the anchors in the trust files (the public view: personal data masked).
func verifyOffline(ctx context.Context, path string, trust []string, clk clock.Clock) ([]byte, verify.Report, error) {
	pkg, err := readFile(path)
	if err != nil {
		return nil, verify.Report{}, err
	}
	ts, err := loadTrust(trust)
	if err != nil {
		return nil, verify.Report{}, err
	}
	v, err := verify.New(verify.Options{SealTrust: ts, ApplicantTrust: ts, Clock: clk})
	if err != nil {
		return nil, verify.Report{}, err
	}
	return pkg, v.Verify(ctx, pkg, verify.Public()), nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usagef("cannot read package %q: %v", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, pledge.MaxPackage+1))
	if err != nil {
		return nil, usagef("cannot read package %q: %v", path, err)
	}
	if len(b) > pledge.MaxPackage {
		return nil, usagef("package %q is larger than %d bytes", path, pledge.MaxPackage)
	}
	return b, nil
}

func loadTrust(paths []string) (*pki.TrustStore, error) {
	var anchors []*smx509.Certificate
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, usagef("cannot read trust file %q", p)
		}
		certs, err := pki.ParseCertificatesPEM(b)
		if err != nil {
			return nil, usagef("trust file %q: %v", p, err)
		}
		anchors = append(anchors, certs...)
	}
	return pki.NewTrustStore(anchors, nil), nil
}

// askServer posts the package to BASEURL/v1/verifications. A bad URL is a
// usage error; a server that cannot answer is an ordinary error (the
// caller reports INDETERMINATE).
func askServer(ctx context.Context, client *http.Client, base string, pkg []byte) (*verify.Report, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, usagef("--online must be an http(s) base URL, such as https://pledge.example.gov.cn")
	}
	body, err := json.Marshal(map[string]json.RawMessage{"package": pkg})
	if err != nil {
		// The package is not JSON: the offline report says so; the
		// server would say the same.
		return nil, errors.New("the package is not JSON, so it was not sent")
	}
	ctx, cancel := context.WithTimeout(ctx, onlineTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String()+"/v1/verifications", bytes.NewReader(body))
	if err != nil {
		return nil, usagef("--online: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("the server cannot be reached: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("the server's answer cannot be read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the server answered %d: %s", resp.StatusCode, strings.TrimSpace(string(b[:min(len(b), 300)])))
	}
	var r verify.Report
	if err := json.Unmarshal(b, &r); err != nil || r.Format != verify.Format {
		return nil, errors.New("the server's answer is not a verification report")
	}
	return &r, nil
}

func printText(w io.Writer, out Output) {
	r := out.Offline
	fmt.Fprintf(w, "Result (结论): %s\n", out.Indication)
	if p := r.Pledge; p != nil {
		fmt.Fprintf(w, "Pledge %s  agency %s  matter %s/%s/%s  applicant %s %s\n", p.PledgeID, p.Agency,
			p.Entry.Region, p.Entry.Matter, p.Entry.Certificate, p.Applicant.Name, p.Applicant.IDNumber)
		switch d := p.Decision; {
		case d == nil:
		case d.Legacy:
			fmt.Fprintf(w, "Decided (legacy format %s: %s unsigned, not shown)\n", d.Format, strings.Join(d.UnsignedFields, ", "))
		default:
			fmt.Fprintf(w, "Decision %s of %s by %s\n", d.DocumentNo, d.Date, d.Agency)
		}
	}
	section := func(title string, ind outcome.Indication, sub outcome.SubIndication, checks []verify.Check) {
		fmt.Fprintf(w, "\n%s: %s %s\n", title, ind, sub)
		for _, c := range checks {
			s := ""
			if c.SubIndication != "" {
				s = " [" + string(c.SubIndication) + "]"
			}
			fmt.Fprintf(w, "  %-14s %-32s %s%s\n", c.Result, c.Name, c.Detail, s)
		}
	}
	section("Valid at signing time (签署时有效性, offline)", r.ValidAtSigning.Indication, r.ValidAtSigning.SubIndication, r.ValidAtSigning.Checks)
	if out.ReportError != "" {
		fmt.Fprintf(w, "\nStatus now: TOTAL_FAILED (%s)\n", out.ReportError)
	} else if out.Online != nil {
		o := out.Online
		section("Status now (当前状态, from the server)", o.StatusNow.Indication, o.StatusNow.SubIndication, o.StatusNow.Checks)
		if o.Freshness.StatusReadAt != nil {
			fmt.Fprintf(w, "  status read at %s\n", o.Freshness.StatusReadAt.Format(time.RFC3339))
		}
		if o.Indication != outcome.TotalPassed {
			fmt.Fprintf(w, "  server's overall answer: %s %s\n", o.Indication, o.SubIndication)
		}
	} else if _, ok := r.Find(verify.CheckStatusStatement); ok {
		section("Status now (当前状态, from the signed status statement, offline)", r.StatusNow.Indication, r.StatusNow.SubIndication, r.StatusNow.Checks)
		if r.StatusNow.State != "" {
			fmt.Fprintf(w, "  state %s as of %s\n", r.StatusNow.State, r.Freshness.StatusReadAt.Format(time.RFC3339))
		}
	} else if out.OnlineError != "" {
		fmt.Fprintf(w, "\nStatus now: INDETERMINATE TRY_LATER (%s)\n", out.OnlineError)
	} else {
		fmt.Fprintf(w, "\nStatus now: not checked (offline); use --online BASEURL\n")
	}
	if c := out.Log; c != nil {
		section("Transparency log (透明日志, checked offline)", indicationOf(c.Result), c.SubIndication, []verify.Check{*c})
	}
}
