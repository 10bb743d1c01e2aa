package sescli

import (
	"context"
	"encoding/hex"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/cli/statusclient"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/ofdpledge"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

func sesVerifyCmd(e env) *cobra.Command {
	var dataFile, dataHash string
	var trust []string
	var asJSON bool
	c := &cobra.Command{
		Use:   "verify --data FILE SIGFILE",
		Short: "Verify an SES_Signature over data (验证电子签章)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (dataFile == "") == (dataHash == "") {
				return usagef("give exactly one of --data FILE or --data-hash HEX")
			}
			in := ses.Input{}
			if dataFile != "" {
				b, err := readInput(dataFile, "data file")
				if err != nil {
					return err
				}
				in.Data, in.HasData = b, true
			} else {
				h, err := hex.DecodeString(strings.TrimSpace(dataHash))
				if err != nil || len(h) != 32 {
					return usagef("--data-hash must be 64 hex digits (an SM3 digest)")
				}
				in.DataHash = h
			}
			der, err := readInput(args[0], "signature file")
			if err != nil {
				return err
			}
			ts, err := loadTrust(trust)
			if err != nil {
				return err
			}
			v := ses.NewVerifier(ses.Options{SealTrust: ts})
			r := v.VerifySignatureBytes(cmd.Context(), der, in)
			if r.ID == "" {
				r.ID = args[0]
			}
			return e.report([]outcome.Report{r}, asJSON)
		},
	}
	c.Flags().StringVar(&dataFile, "data", "", "file holding the signed data")
	c.Flags().StringVar(&dataHash, "data-hash", "", "SM3 digest of the signed data, hex")
	c.Flags().StringArrayVar(&trust, "trust", nil, "PEM file of trust anchors (repeatable)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}

func sealVerifyCmd(e env) *cobra.Command {
	var trust []string
	var asJSON bool
	var at string
	c := &cobra.Command{
		Use:   "verify SEAL.esl",
		Short: "Verify an electronic seal (验证电子印章)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			when := e.clk.Now()
			if at != "" {
				t, err := parseDate(at, false)
				if err != nil {
					return usagef("--at must be YYYY-MM-DD (start of that day, UTC+8) or an RFC 3339 time, e.g. 2026-03-01T08:00:00+08:00")
				}
				when = t
			}
			der, err := readInput(args[0], "seal file")
			if err != nil {
				return err
			}
			ts, err := loadTrust(trust)
			if err != nil {
				return err
			}
			r := ses.NewVerifier(ses.Options{SealTrust: ts}).VerifySealBytes(cmd.Context(), der, when)
			if r.ID == "" {
				r.ID = args[0]
			}
			return e.reportAs(labelSeal, []outcome.Report{r}, asJSON)
		},
	}
	c.Flags().StringArrayVar(&trust, "trust", nil, "PEM file of trust anchors (repeatable)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	c.Flags().StringVar(&at, "at", "", "check the seal at this time: YYYY-MM-DD (start of that day, UTC+8) or RFC 3339 (default now)")
	return c
}

func ofdVerifyCmd(e env) *cobra.Command {
	var trust []string
	var asJSON bool
	var baseURL string
	c := &cobra.Command{
		Use:   "verify [--base-url URL] FILE.ofd",
		Short: "Verify every signature of a signed OFD document (验证 OFD 签章)",
		Long: `verify checks every signature of a signed OFD: the package's files against
the References, the seal and signer certificates against the --trust anchors,
the time-stamp, and the signature over Signature.xml.

With --base-url the seal and certificate status checks ask that PledgeSeal
service (its public POST /v1/revocations/batch) whether the seal was suspended,
reported lost, cancelled or revoked when it was used; a service that cannot be
reached leaves them INDETERMINATE (never PASSED). Without it they are
NOT_PERFORMED (offline).

An attached pledge package (*.pledge.json, as in the sealed OFD of a pledge)
is verified too, offline against the same --trust anchors, and must be the
pledge the document is about (its ID = the OFD's DocID, check
ofd-pledge-binding) — the checks of the service's POST /v1/ofd/verifications,
through the same code. The exit status is the worst of the signatures and the
package's validity at signing; its state now is printed beside it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var src status.Source
			if baseURL != "" {
				c, err := statusclient.New(baseURL, statusTimeout)
				if err != nil {
					return usagef("%s", apperr.As(err).Detail)
				}
				src = c
			}
			data, err := readInput(args[0], "OFD file")
			if err != nil {
				return err
			}
			ts, err := loadTrust(trust)
			if err != nil {
				return err
			}
			// The code path of POST /v1/ofd/verifications: the OFD's
			// signatures, then the attached pledge package, verified
			// offline and bound to the document's pledge.
			pv, err := verify.New(verify.Options{SealTrust: ts, ApplicantTrust: ts, Clock: e.clk})
			if err != nil {
				return err
			}
			chk := ofdpledge.Checker{
				OFD: func(ctx context.Context, data []byte, lim ofd.Limits) (*ofd.Result, error) {
					return ofd.Verify(ctx, data, ofd.Options{SES: ses.NewVerifier(ses.Options{SealTrust: ts}), SignTrust: ts, Status: src, Limits: lim})
				},
				Pledge: func(ctx context.Context, pkg []byte) verify.Report { return pv.Verify(ctx, pkg, verify.Public()) },
			}
			res, err := chk.Check(cmd.Context(), data, ofd.Limits{})
			if err != nil {
				if e := apperr.As(err); e != nil {
					return usagef("%s: %s", args[0], e.Detail)
				}
				return usagef("%s: unreadable OFD package", args[0])
			}
			if err := e.printReports(labelSignature, jsonOut{Signatures: res.Signatures, Pledge: res.Pledge}, asJSON); err != nil {
				return err
			}
			return exitOf(res.Overall())
		},
	}
	c.Flags().StringArrayVar(&trust, "trust", nil, "PEM file of trust anchors (repeatable)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	c.Flags().StringVar(&baseURL, "base-url", "", "ask this PledgeSeal service for the seal and certificate status (e.g. http://127.0.0.1:8080)")
	return c
}

// statusTimeout bounds one status request of --base-url.
const statusTimeout = 15 * time.Second
