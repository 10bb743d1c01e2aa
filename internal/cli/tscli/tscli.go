// Package tscli owns the pledgectl commands for RFC 3161 time-stamps:
// `ts query FILE` writes a DER TimeStampReq for a file (SM3 imprint,
// random nonce, certReq), and `ts verify --data FILE (--reply R | --token
// T) --trust PEM... [--json]` verifies a reply or token against the file
// and trust anchors with internal/tsa (TSA chain, the critical
// extendedKeyUsage timeStamping, the imprint). Exit status as `pledgectl
// pledge verify`: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 usage
// or unreadable input.
package tscli

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/cli/pledgecli"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// maxData bounds the file a query or verification hashes.
const maxData = 1 << 30

// Commands returns the top-level `ts` command.
func Commands(stdout io.Writer) []*cobra.Command {
	c := &cobra.Command{Use: "ts", Short: "RFC 3161 time-stamps: make a query, verify a reply or token (时间戳)"}
	c.AddCommand(queryCmd(stdout), verifyCmd(stdout))
	return []*cobra.Command{c}
}

func usagef(format string, args ...any) error {
	return &pledgecli.ExitError{Code: pledgecli.ExitUsage, Msg: fmt.Sprintf(format, args...)}
}

func readFile(path, what string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usagef("cannot read %s %q: %v", what, path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, usagef("cannot read %s %q: %v", what, path, err)
	}
	if int64(len(b)) > max {
		return nil, usagef("%s %q is larger than %d bytes", what, path, max)
	}
	return b, nil
}

func queryCmd(stdout io.Writer) *cobra.Command {
	var (
		out     string
		noNonce bool
		noCert  bool
	)
	c := &cobra.Command{
		Use:   "query FILE",
		Short: "Write a DER time-stamp query (SM3 imprint of FILE) to --out or stdout",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readFile(args[0], "file", maxData)
			if err != nil {
				return err
			}
			d := pki.Digest(data)
			req := &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: !noCert}
			if !noNonce {
				n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
				if err != nil {
					return err
				}
				req.Nonce = n.Add(n, big.NewInt(1))
			}
			der, err := tsa.MarshalRequest(req)
			if err != nil {
				return err
			}
			if out == "" {
				_, err = stdout.Write(der)
				return err
			}
			if err := os.WriteFile(out, der, 0o644); err != nil {
				return usagef("cannot write %q: %v", out, err)
			}
			return nil
		},
	}
	c.Flags().StringVar(&out, "out", "", "file to write the query to (default stdout)")
	c.Flags().BoolVar(&noNonce, "no-nonce", false, "send no nonce")
	c.Flags().BoolVar(&noCert, "no-cert", false, "do not ask for the TSA certificate in the token")
	return c
}

// Output is the JSON output of `ts verify`.
type Output struct {
	Indication    outcome.Indication    `json:"indication"`
	SubIndication outcome.SubIndication `json:"subIndication,omitempty"`
	Detail        string                `json:"detail"`
	GenTime       *time.Time            `json:"genTime,omitempty"`
	Serial        string                `json:"serial,omitempty"`
	Policy        string                `json:"policy,omitempty"`
	TSA           string                `json:"tsa,omitempty"`
}

func verifyCmd(stdout io.Writer) *cobra.Command {
	var (
		data, reply, token string
		trust              []string
		asJSON             bool
	)
	c := &cobra.Command{
		Use:   "verify --data FILE (--reply REPLY | --token TOKEN) --trust PEM...",
		Short: "Verify a time-stamp reply or token over a file against trust anchors",
		Long: `Verify an RFC 3161 time-stamp reply (TimeStampResp) or token over a file:
the token's SM2/SM3 CMS signature, the TSA certificate's critical
extendedKeyUsage timeStamping, its chain to --trust at the token's genTime,
and that the message imprint is the SM3 of the file.

Exit status: 0 TOTAL_PASSED, 1 TOTAL_FAILED, 2 INDETERMINATE, 3 usage error
or unreadable input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data == "" || (reply == "") == (token == "") {
				return usagef("give --data and exactly one of --reply or --token")
			}
			file, err := readFile(data, "file", maxData)
			if err != nil {
				return err
			}
			var tok []byte
			var o Output
			if reply != "" {
				b, err := readFile(reply, "reply", tsa.MaxToken)
				if err != nil {
					return err
				}
				r, err := tsa.ParseReply(b)
				switch {
				case err != nil:
					o = Output{Indication: outcome.TotalFailed, SubIndication: outcome.FormatFailure, Detail: "not a readable TimeStampResp"}
				case r.Token == nil:
					o = Output{Indication: outcome.TotalFailed, SubIndication: outcome.SignedDataNotFound, Detail: fmt.Sprintf("the TSA did not grant the request (status %d): %s", r.Status, r.Text)}
				default:
					tok = r.Token
				}
			} else if tok, err = readFile(token, "token", tsa.MaxToken); err != nil {
				return err
			}
			if tok != nil {
				ts, err := loadTrust(trust)
				if err != nil {
					return err
				}
				o = verifyToken(tok, file, ts)
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(o); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(stdout, "%s %s\n%s\n", o.Indication, o.SubIndication, o.Detail)
			}
			switch o.Indication {
			case outcome.TotalPassed:
				return nil
			case outcome.TotalFailed:
				return &pledgecli.ExitError{Code: pledgecli.ExitFailed, Msg: "time-stamp verification failed (时间戳验证失败)"}
			}
			return &pledgecli.ExitError{Code: pledgecli.ExitIndeterminate, Msg: "time-stamp verification indeterminate (无法确定)"}
		},
	}
	c.Flags().StringVar(&data, "data", "", "the file the time-stamp is over")
	c.Flags().StringVar(&reply, "reply", "", "a DER TimeStampResp")
	c.Flags().StringVar(&token, "token", "", "a DER time-stamp token (ContentInfo)")
	c.Flags().StringArrayVar(&trust, "trust", nil, "PEM file of trust anchors for the TSA (repeatable)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

func verifyToken(tok, file []byte, ts *pki.TrustStore) Output {
	t, err := tsa.VerifyToken(tok, ts)
	o := Output{}
	if t != nil {
		g := t.GenTime
		o.GenTime, o.Serial, o.Policy = &g, t.Serial.String(), t.Policy.String()
		if t.Cert != nil {
			o.TSA = t.Cert.Subject.String()
		}
	}
	if err == nil {
		err = t.Covers(file)
	}
	if err != nil {
		// One verdict mapping for tokens (tsa.Judge), as in reports.
		res, sub, _ := tsa.Judge(err)
		o.Indication, o.SubIndication, o.Detail = outcome.TotalFailed, sub, err.Error()
		if res == outcome.Indeterminate {
			o.Indication = outcome.IndeterminateResult
		}
		return o
	}
	o.Indication = outcome.TotalPassed
	o.Detail = fmt.Sprintf("the TSA %s time-stamped these data at %s (serial %s, policy %s)", o.TSA, t.GenTime.Format(time.RFC3339Nano), o.Serial, o.Policy)
	return o
}

func loadTrust(paths []string) (*pki.TrustStore, error) {
	var roots []*smx509.Certificate
	for _, p := range paths {
		b, err := readFile(p, "trust file", 1<<20)
		if err != nil {
			return nil, err
		}
		cs, err := pki.ParseCertificatesPEM(b)
		if err != nil {
			return nil, usagef("%q is not a PEM certificate file: %v", p, err)
		}
		roots = append(roots, cs...)
	}
	return pki.NewTrustStore(roots, nil), nil
}
