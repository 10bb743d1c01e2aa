package sescli

import (
	"encoding/hex"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/ofd"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/ses"
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
	c := &cobra.Command{
		Use:   "verify FILE.ofd",
		Short: "Verify every signature of a signed OFD document (验证 OFD 签章)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readInput(args[0], "OFD file")
			if err != nil {
				return err
			}
			ts, err := loadTrust(trust)
			if err != nil {
				return err
			}
			res, err := ofd.Verify(cmd.Context(), data, ofd.Options{SES: ses.NewVerifier(ses.Options{SealTrust: ts}), SignTrust: ts})
			if err != nil {
				if e := apperr.As(err); e != nil {
					return usagef("%s: %s", args[0], e.Detail)
				}
				return usagef("%s: unreadable OFD package", args[0])
			}
			return e.report(res.Signatures, asJSON)
		},
	}
	c.Flags().StringArrayVar(&trust, "trust", nil, "PEM file of trust anchors (repeatable)")
	c.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return c
}
