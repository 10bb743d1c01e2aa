package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

// newInitCmd builds `pledgectl init --dev [--dir keys/dev] [--force]`.
func newInitCmd(getenv func(string) string, clk clock.Clock) *cobra.Command {
	var (
		dev, force bool
		dir        string
	)
	cmd := &cobra.Command{
		Use:   "init --dev [--dir keys/dev] [--force]",
		Short: "Create dev trust material (root CA, seal maker, demo agencies, applicant CA, secrets)",
		Long: `init --dev writes a complete dev trust set: a root CA, a seal-maker certificate,
signing certificates for two demo agencies, an applicant CA for event certificates,
the trust bundle, the token-hashing key and the personal-data keys, and manifest.json.
All keys are SM2, encrypted (PKCS#8, SM4 PBES2) under the passphrase from
PLEDGESEAL_KEY_PASSPHRASE or the file named by PLEDGESEAL_KEY_PASSPHRASE_FILE;
with neither set, the public dev passphrase "` + trust.DevPassphrase + `" is used.
Existing material is never overwritten without --force.

Production deployments do not use init: they bring their own material and a
manifest (see keys/README.md).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !dev {
				return usageError{errors.New("init only makes dev material: pass --dev (production deployments bring their own material, see keys/README.md)")}
			}
			pass, err := trust.Passphrase(getenv, true)
			if err != nil {
				return err
			}
			if err := trust.GenerateDev(dir, pass, clk, force); err != nil {
				return err
			}
			note := ""
			if getenv(trust.EnvPassphrase) == "" && getenv(trust.EnvPassphraseFile) == "" {
				note = " under the public dev passphrase"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "dev trust material written to %s%s (DEV ONLY, never for production)\n", dir, note)
			return nil
		},
	}
	cmd.Flags().BoolVar(&dev, "dev", false, "make dev material (required)")
	cmd.Flags().StringVar(&dir, "dir", "keys/dev", "directory to write into")
	cmd.Flags().BoolVar(&force, "force", false, "replace existing material")
	return cmd
}
