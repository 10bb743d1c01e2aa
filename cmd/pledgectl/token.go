package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/app"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/cli/deployflags"
	"github.com/pledgeseal/pledgeseal/internal/clock"
)

func newTokenCmd(stdout, stderr io.Writer, getenv func(string) string, clk clock.Clock) *cobra.Command {
	cmd := &cobra.Command{Use: "token", Short: "Create, list and revoke bearer tokens (访问令牌)"}
	cmd.AddCommand(newTokenCreateCmd(stdout, stderr, getenv, clk), newTokenListCmd(stdout, getenv, clk), newTokenRevokeCmd(stderr, getenv, clk))
	return cmd
}

// withTokens opens the deployment's token service for one command, with
// the configuration pledged itself would load (deployflags).
func withTokens(d *deployflags.Flags, getenv func(string) string, clk clock.Clock, f func(*auth.Tokens) error) error {
	cfg, err := d.Config(getenv)
	if err != nil {
		return usageError{err}
	}
	tokens, closer, err := app.OpenTokens(cfg, getenv, clk)
	if err != nil {
		return err
	}
	defer closer.Close()
	return f(tokens)
}

func newTokenCreateCmd(stdout, stderr io.Writer, getenv func(string) string, clk clock.Clock) *cobra.Command {
	var (
		d                         *deployflags.Flags
		role, org, label          string
		subject, idType, idNumber string
		ttl                       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create --role ROLE [--org CODE | --subject NAME --id-type T --id-number N] [--ttl 720h]",
		Short: "Create a token; the secret is printed once, alone, on stdout",
		Long: `Create a bearer token bound to a role:
  admin, seal_maker            no binding
  agency                       --org AGENCY_CODE (an agency of the trust material, or owning a
                               catalogue entry of its region)
  enforcement                  --org JURISDICTION_CODE (a 6-digit region code covering such an
                               agency's region or a catalogue region)
  applicant                    --subject NAME --id-type RESIDENT_ID --id-number N (GB 11643
                               check character verified)
The secret is printed alone on the first line of stdout and is never stored;
only its keyed hash is kept. The token ID (for revocation) goes to stderr.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := auth.ParseRole(role)
			if err != nil {
				return usageError{err}
			}
			req := auth.CreateRequest{Role: r, Org: org, Label: label, TTL: ttl}
			if r == auth.RoleApplicant && idType == "" {
				idType = "RESIDENT_ID"
			}
			if subject != "" || idType != "" || idNumber != "" {
				req.Identity = &auth.Identity{Name: subject, IDType: idType, IDNumber: idNumber}
			}
			if err := req.Validate(); err != nil {
				return usageError{err}
			}
			return withTokens(d, getenv, clk, func(t *auth.Tokens) error {
				iss, err := t.Create(cmd.Context(), req)
				if err != nil {
					return err
				}
				fmt.Fprintln(stdout, iss.Secret)
				fmt.Fprintf(stderr, "token %s (role %s) expires %s; the secret above is shown only once\n",
					iss.ID, r, iss.ExpiresAt.Format(time.RFC3339))
				return nil
			})
		},
	}
	d = deployflags.Register(cmd, true, nil)
	f := cmd.Flags()
	f.StringVar(&role, "role", "", "admin, seal_maker, agency, enforcement or applicant")
	f.StringVar(&org, "org", "", "agency code (agency) or jurisdiction code (enforcement)")
	f.StringVar(&subject, "subject", "", "applicant's name (applicant)")
	f.StringVar(&idType, "id-type", "", "applicant's ID type (applicant; default RESIDENT_ID)")
	f.StringVar(&idNumber, "id-number", "", "applicant's ID number (applicant)")
	f.StringVar(&label, "label", "", "free text to recognise the token by")
	f.DurationVar(&ttl, "ttl", 720*time.Hour, "lifetime")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

func newTokenListCmd(stdout io.Writer, getenv func(string) string, clk clock.Clock) *cobra.Command {
	var d *deployflags.Flags
	cmd := &cobra.Command{
		Use: "list", Short: "List tokens (IDs, roles, expiry; never secrets)", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withTokens(d, getenv, clk, func(t *auth.Tokens) error {
				list, err := t.List(cmd.Context())
				if err != nil {
					return err
				}
				tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tROLE\tORG\tEXPIRES\tREVOKED\tLABEL")
				for _, i := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%t\t%s\n", i.ID, i.Role, i.Org, i.ExpiresAt.Format(time.RFC3339), i.Revoked, i.Label)
				}
				return tw.Flush()
			})
		},
	}
	d = deployflags.Register(cmd, true, nil)
	return cmd
}

func newTokenRevokeCmd(stderr io.Writer, getenv func(string) string, clk clock.Clock) *cobra.Command {
	var d *deployflags.Flags
	cmd := &cobra.Command{
		Use: "revoke TOKEN_ID", Short: "Revoke a token at once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withTokens(d, getenv, clk, func(t *auth.Tokens) error {
				if err := t.Revoke(context.WithoutCancel(cmd.Context()), args[0]); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "token %s revoked\n", args[0])
				return nil
			})
		},
	}
	d = deployflags.Register(cmd, true, nil)
	return cmd
}
