// Package auditcli holds the `pledgectl audit` commands: walking the
// registry's SM3 audit chain in Redis and naming the first broken or missing
// link. It reads only; it must not write to Redis or import anything of the
// HTTP layer.
package auditcli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/cli/deployflags"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// Exit statuses of `audit verify`.
const (
	ExitIntact = 0
	ExitBroken = 1
	// ExitUnreadable means the chain could not be read (Redis unreachable):
	// no verdict either way.
	ExitUnreadable = 2
)

// exitError carries an exit status to pledgectl's main.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
func (e exitError) ExitCode() int { return e.code }

// Commands returns the `audit` command group.
func Commands(stdout io.Writer, getenv func(string) string, clk clock.Clock) []*cobra.Command {
	audit := &cobra.Command{Use: "audit", Short: "Check the registry audit log (审计日志校验)"}
	audit.AddCommand(verifyCmd(stdout, getenv, clk))
	return []*cobra.Command{audit}
}

func verifyCmd(stdout io.Writer, getenv func(string) string, clk clock.Clock) *cobra.Command {
	var deploy *deployflags.Flags
	var asJSON, deep bool
	var checkpoints []string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Walk the SM3 audit chain (superseded by `pledgectl log audit`, which checks the audit entries against the signed log)",
		Long: "Walks every audit entry from 1 to the head, recomputing each SM3 link; with --deep also checks\n" +
			"every status index entry against the entry that wrote it.\n" +
			"Exit 0: intact. Exit 1: broken (the first bad entry is named). Exit 2: Redis could not be read.\n" +
			"Record the printed head as a checkpoint and pass it back with --checkpoint SEQ:HASH to detect\n" +
			"a chain cut back at its end.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var cps []store.Checkpoint
			for _, c := range checkpoints {
				seqStr, hash, ok := strings.Cut(c, ":")
				seq, err := strconv.ParseUint(seqStr, 10, 64)
				if !ok || err != nil || len(hash) != 64 {
					return fmt.Errorf("checkpoint %q must be SEQ:HASH (64 hex digits)", c)
				}
				cps = append(cps, store.Checkpoint{Seq: seq, Hash: strings.ToLower(hash)})
			}
			cfg, err := deploy.Config(getenv)
			if err != nil {
				return exitError{ExitUnreadable, err.Error()}
			}
			st, err := store.New(store.OptionsFrom(cfg), clk)
			if err != nil {
				return exitError{ExitUnreadable, err.Error()}
			}
			defer st.Close()
			rep, err := st.VerifyAudit(cmd.Context(), cps...)
			if err != nil {
				return exitError{ExitUnreadable, "cannot read the audit chain: " + err.Error()}
			}
			var idx *store.IndexReport
			if deep && rep.Intact {
				r, err := st.VerifyIndex(cmd.Context())
				if err != nil {
					return exitError{ExitUnreadable, "cannot read the status index: " + err.Error()}
				}
				idx = &r
			}
			if asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(struct {
					Chain store.AuditReport  `json:"chain"`
					Index *store.IndexReport `json:"index,omitempty"`
				}{rep, idx}); err != nil {
					return err
				}
			} else if rep.Intact {
				fmt.Fprintf(stdout, "audit chain intact: %d entries\ncheckpoint: %d:%s\n", rep.Checked, rep.HeadSeq, rep.HeadHash)
			} else {
				fmt.Fprintf(stdout, "audit chain BROKEN at entry %d: %s\n(%d entries verified before it; head claims %d)\n",
					rep.FirstBad, rep.Problem, rep.Checked, rep.HeadSeq)
			}
			if !rep.Intact {
				return exitError{ExitBroken, fmt.Sprintf("audit chain broken at entry %d", rep.FirstBad)}
			}
			if idx != nil {
				if !asJSON {
					if idx.Consistent {
						fmt.Fprintf(stdout, "status index consistent with the chain: %d events\n", idx.Events)
					} else {
						fmt.Fprintf(stdout, "status index INCONSISTENT at audit entry %d: %s\n", idx.Seq, idx.Problem)
					}
				}
				if !idx.Consistent {
					return exitError{ExitBroken, fmt.Sprintf("status index inconsistent at audit entry %d", idx.Seq)}
				}
			}
			return nil
		},
	}
	// The chain is read in long pipelined chunks: a longer default timeout.
	deploy = deployflags.Register(cmd, false, map[string]string{"redis-timeout": "10s"})
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.Flags().BoolVar(&deep, "deep", false, "also check every status index entry against the chain (reads the whole index)")
	cmd.Flags().StringArrayVar(&checkpoints, "checkpoint", nil, "SEQ:HASH recorded earlier; the chain must still pass through it (repeatable)")
	return cmd
}
