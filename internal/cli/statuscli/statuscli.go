// Package statuscli owns `pledgectl status verify FILE --status-cert PEM
// [--at TIME] [--json]`: it checks a signed status statement
// (docs/status-statements.md) offline against the pinned status
// certificate and exits 0 when it is valid now, 1 when it is invalid (not
// a statement, another key's signature, altered), 2 when it is past its
// nextUpdate, 3 on a usage error or an unreadable file.
package statuscli

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/statement"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// Verdicts of `status verify`.
const (
	VerdictValid   = "VALID"
	VerdictInvalid = "INVALID"
	VerdictExpired = "EXPIRED"
)

// Output is the JSON output of `status verify`.
type Output struct {
	Verdict string `json:"verdict"`
	Detail  string `json:"detail,omitempty"`
	// The statement's fields, when it opened.
	PledgeID   string     `json:"pledgeId,omitempty"`
	State      string     `json:"state,omitempty"`
	Since      *time.Time `json:"since,omitempty"`
	Reference  string     `json:"reference,omitempty"`
	ThisUpdate *time.Time `json:"thisUpdate,omitempty"`
	NextUpdate *time.Time `json:"nextUpdate,omitempty"`
	LogIndex   *uint64    `json:"logIndex,omitempty"`
	Issuer     string     `json:"issuer,omitempty"`
	CheckedAt  time.Time  `json:"checkedAt"`
}

// Commands returns the top-level `status` command.
func Commands(stdout io.Writer, clk clock.Clock) []*cobra.Command {
	c := &cobra.Command{Use: "status", Short: "Check signed status statements offline (状态声明核验)"}
	c.AddCommand(verifyCmd(stdout, clk))
	return []*cobra.Command{c}
}

func verifyCmd(stdout io.Writer, clk clock.Clock) *cobra.Command {
	var (
		certPath, logCert, at string
		asJSON                bool
	)
	c := &cobra.Command{
		Use:   "verify FILE",
		Short: "Verify a signed status statement with the pinned status certificate",
		Long: `Verify a pledge status statement (pledgeseal.status-statement/v1, a signed note from
GET /v1/pledges/{id}/status-statement) offline: its SM2 signature with the pinned status
certificate (--status-cert, the trust material's status.pem) and its validity now (or at --at);
with --log-cert (log.pem), the transparency log checkpoint it carries must verify with the log key.

Exit status: 0 valid, 1 invalid (malformed, signed by another key, altered), 2 expired (past
nextUpdate: ask the service for a new statement), 3 usage error or unreadable input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, signed, err := ReadInputs(certPath, logCert, args[0])
			if err != nil {
				return err
			}
			now := clk.Now()
			if at != "" {
				if now, err = time.Parse(time.RFC3339, at); err != nil {
					return exitstatus.Usagef("--at must be an RFC 3339 time such as 2026-12-07T10:00:00+08:00")
				}
			}
			out := Output{CheckedAt: now.UTC()}
			code := exitstatus.Passed
			st, err := statement.Open(signed, keys.Status)
			if err == nil {
				fill(&out, st)
				err = st.Check(now)
			}
			if err == nil && keys.Log != nil {
				_, err = st.OpenCheckpoint(keys.Log)
			}
			switch {
			case err == nil:
				out.Verdict = VerdictValid
			case apperr.As(err) != nil && apperr.As(err).Code == apperr.CodeStatusStatementExpired:
				out.Verdict, out.Detail, code = VerdictExpired, apperr.As(err).Detail, exitstatus.Indeterminate
			default:
				out.Verdict, out.Detail, code = VerdictInvalid, detail(err), exitstatus.Failed
			}
			if err := show(stdout, out, asJSON); err != nil {
				return err
			}
			if code != exitstatus.Passed {
				return &exitstatus.Error{Code: code, Msg: "status statement " + out.Verdict}
			}
			return nil
		},
	}
	c.Flags().StringVar(&certPath, "status-cert", "", "PEM certificate of the service's status key (required; the trust material's status.pem)")
	c.Flags().StringVar(&logCert, "log-cert", "", "PEM certificate of the transparency log key: the statement's checkpoint must verify with it")
	c.Flags().StringVar(&at, "at", "", "check validity at this RFC 3339 time instead of now")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

// ReadInputs reads the pinned status certificate, the optional log
// certificate (logCertPath "" for none) and the signed statement (at most
// statement.MaxSize bytes): an unreadable file or a certificate that is
// not SM2 is a usage error.
func ReadInputs(certPath, logCertPath, path string) (verify.StatementKeys, []byte, error) {
	var keys verify.StatementKeys
	if certPath == "" {
		return keys, nil, exitstatus.Usagef("--status-cert is required: the PEM certificate of the service's status key")
	}
	var err error
	if keys.Status, err = readKey("--status-cert", certPath); err != nil {
		return keys, nil, err
	}
	if logCertPath != "" {
		if keys.Log, err = readKey("--log-cert", logCertPath); err != nil {
			return keys, nil, err
		}
	}
	f, err := os.Open(path)
	if err != nil {
		return keys, nil, exitstatus.Usagef("cannot read status statement %q: %v", path, unwrapPath(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, statement.MaxSize+1))
	if err != nil {
		return keys, nil, exitstatus.Usagef("cannot read status statement %q: %v", path, err)
	}
	return keys, b, nil
}

func readKey(flag, path string) (*ecdsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, exitstatus.Usagef("cannot read %s %q: %v", flag, path, unwrapPath(err))
	}
	pub, err := translog.ParseSM2CertificatePEM(b)
	if err != nil {
		return nil, exitstatus.Usagef("%s %q: %s", flag, path, detail(err))
	}
	return pub, nil
}

func fill(out *Output, st statement.Statement) {
	since, this, next := st.Since.UTC(), st.ThisUpdate.UTC(), st.NextUpdate.UTC()
	out.PledgeID, out.State, out.Issuer = st.PledgeID, string(st.State), st.Issuer
	out.Since, out.ThisUpdate, out.NextUpdate, out.LogIndex = &since, &this, &next, st.LogIndex
	if st.Reference != nil {
		out.Reference = st.Reference.Kind + " " + st.Reference.DocumentNo
	}
}

func show(w io.Writer, out Output, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	fmt.Fprintf(w, "Status statement (状态声明): %s\n", out.Verdict)
	if out.Detail != "" {
		fmt.Fprintf(w, "  %s\n", out.Detail)
	}
	if out.PledgeID != "" {
		fmt.Fprintf(w, "Pledge %s: %s since %s\n", out.PledgeID, out.State, out.Since.Format(time.RFC3339))
		if out.Reference != "" {
			fmt.Fprintf(w, "Reference: %s\n", out.Reference)
		}
		fmt.Fprintf(w, "Valid from %s until %s (checked at %s); signed by %s\n", out.ThisUpdate.Format(time.RFC3339),
			out.NextUpdate.Format(time.RFC3339), out.CheckedAt.Format(time.RFC3339), out.Issuer)
	}
	return nil
}

func detail(err error) string {
	if e := apperr.As(err); e != nil && e.Detail != "" {
		return e.Detail
	}
	return err.Error()
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
