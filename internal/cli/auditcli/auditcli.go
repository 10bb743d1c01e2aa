// Package auditcli holds `pledgectl audit verify`, kept so that operators'
// scripts keep working: it is an alias of `pledgectl log audit` from Redis
// (the one way to check history, docs/transparency.md) that says so on
// stderr. The old SM3 hash chain it used to walk has no key and lives in
// the Redis it protects; the signed log replaces it. It reads only; it
// must not write to Redis or import anything of the HTTP layer.
package auditcli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/cli/deployflags"
	"github.com/pledgeseal/pledgeseal/internal/cli/logcli"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

// Exit statuses of `audit verify` (those of `log audit`).
const (
	ExitIntact = 0
	// ExitBroken: the log, the audit entries or (--deep) the indexes
	// disagree (MISMATCH) or the checkpoint's signature is bad.
	ExitBroken = 1
	// ExitUnreadable means Redis could not be read, or the settings or
	// the log certificate were unusable: no verdict either way.
	ExitUnreadable = 2
)

// Deprecation is the notice `audit verify` prints on stderr.
const Deprecation = "pledgectl audit verify is deprecated: it runs `pledgectl log audit` (same --redis-* flags and --deep); call that instead"

// exitError carries an exit status to pledgectl's main.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
func (e exitError) ExitCode() int { return e.code }

// Commands returns the `audit` command group.
func Commands(stdout io.Writer, getenv func(string) string) []*cobra.Command {
	audit := &cobra.Command{Use: "audit", Short: "Deprecated: use `pledgectl log audit` (审计日志校验，已由透明日志取代)"}
	audit.AddCommand(verifyCmd(stdout, getenv))
	return []*cobra.Command{audit}
}

func verifyCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	var deploy *deployflags.Flags
	var asJSON, deep bool
	var certPath string
	var checkpoints []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Deprecated alias of `pledgectl log audit` from Redis",
		Long: "Runs `pledgectl log audit` against Redis with the same --redis-* settings and --deep, after a\n" +
			"one-line deprecation notice on stderr. The log certificate is --log-cert, by default log.pem in\n" +
			"the keys directory (--keys-dir / PLEDGESEAL_KEYS_DIR), so scripts written for the old command run\n" +
			"unchanged on the service's host. --checkpoint SEQ:HASH (a position of the old SM3 chain) is\n" +
			"accepted and ignored: the log's signed checkpoint replaces it; keep checkpoints with\n" +
			"`pledgectl log verify`. With --json stdout is one JSON object {\"chain\":{\"Intact\":…},\"log\":{…}}.\n" +
			"Exit 0: consistent. Exit 1: MISMATCH or BAD_SIGNATURE. Exit 2: Redis unreachable or bad settings.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			stderr := cmd.ErrOrStderr()
			fmt.Fprintln(stderr, Deprecation)
			if len(checkpoints) > 0 {
				fmt.Fprintln(stderr, "--checkpoint is ignored: the transparency log's signed checkpoint replaces the old chain's (see `pledgectl log verify`)")
			}
			cfg, err := deploy.Config(getenv)
			if err != nil {
				return exitError{ExitUnreadable, err.Error()}
			}
			if certPath == "" {
				certPath = filepath.Join(cfg.KeysDir, trust.LogCertFile)
			}
			out := stdout
			var report jsonReport
			if asJSON {
				out = &report
			}
			err = exitOf(logcli.AuditRedis(cmd.Context(), out, cfg, certPath, deep))
			if asJSON {
				report.finish(err)
				if e := json.NewEncoder(stdout).Encode(report); e != nil {
					return e
				}
			}
			return err
		},
	}
	deploy = deployflags.Register(cmd, true, map[string]string{"redis-timeout": "10s"})
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	cmd.Flags().BoolVar(&deep, "deep", false, "also check the status index and the pledge records against the log")
	cmd.Flags().StringVar(&certPath, "log-cert", "", "PEM certificate of the log key (default: log.pem in the keys directory)")
	cmd.Flags().StringArrayVar(&checkpoints, "checkpoint", nil, "ignored (a position of the old SM3 chain); kept so old scripts run")
	return cmd
}

// exitOf maps `log audit`'s exit statuses to this command's: its usage
// error (3, an unusable certificate) is ExitUnreadable, as a bad setting
// always was here.
func exitOf(err error) error {
	var coded interface{ ExitCode() int }
	if err == nil || !errors.As(err, &coded) {
		return err
	}
	code := coded.ExitCode()
	if code > ExitUnreadable {
		code = ExitUnreadable
	}
	return exitError{code, err.Error()}
}

// jsonReport is the --json output: the old report's chain.Intact, and the
// text `log audit` printed with its exit status.
type jsonReport struct {
	Chain struct {
		Intact bool
	} `json:"chain"`
	Log struct {
		Exit   int    `json:"exit"`
		Report string `json:"report"`
		Error  string `json:"error,omitempty"`
	} `json:"log"`
}

func (r *jsonReport) Write(p []byte) (int, error) {
	r.Log.Report += string(p)
	return len(p), nil
}

func (r *jsonReport) finish(err error) {
	r.Chain.Intact = err == nil
	if err != nil {
		r.Log.Exit = ExitUnreadable
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			r.Log.Exit = coded.ExitCode()
		}
		r.Log.Error = err.Error()
	}
}
