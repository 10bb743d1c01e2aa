// Command pledgectl is the operator and offline CLI of PledgeSeal: dev trust
// material, tokens, seals, SES/OFD inspection and verification, audit checks.
//
// Exit status: an error implementing ExitCode() int exits with that code;
// usage errors (unknown command or flag, wrong arguments) exit 3; any other
// error exits 1 with its message on stderr.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/cli/auditcli"
	"github.com/pledgeseal/pledgeseal/internal/cli/democli"
	"github.com/pledgeseal/pledgeseal/internal/cli/logcli"
	"github.com/pledgeseal/pledgeseal/internal/cli/pledgecli"
	"github.com/pledgeseal/pledgeseal/internal/cli/sescli"
	"github.com/pledgeseal/pledgeseal/internal/cli/statuscli"
	"github.com/pledgeseal/pledgeseal/internal/cli/tscli"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/version"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv, clock.Real{}))
}

// newRoot builds the command tree. Each command group registers here with
// one AddCommand line.
func newRoot(stdout, stderr io.Writer, getenv func(string) string, clk clock.Clock) *cobra.Command {
	root := &cobra.Command{
		Use:   "pledgectl",
		Short: "PledgeSeal operator CLI (承诺制电子印章服务运维工具)",
		// --version prints the build (internal/version).
		Version: version.Get().String(),
	}
	root.SetVersionTemplate("pledgectl {{.Version}}\n")
	root.SetOut(stdout)
	root.SetErr(stderr)

	root.AddCommand(newInitCmd(getenv, clk))
	root.AddCommand(newTokenCmd(stdout, stderr, getenv, clk))
	root.AddCommand(newHealthCmd(stdout, getenv))
	root.AddCommand(sescli.Commands(stdout, stderr, clk)...)
	root.AddCommand(auditcli.Commands(stdout, getenv)...)
	root.AddCommand(logcli.Commands(stdout, getenv)...)
	root.AddCommand(pledgecli.Commands(stdout, clk)...)
	root.AddCommand(statuscli.Commands(stdout, clk)...)
	root.AddCommand(tscli.Commands(stdout)...)
	root.AddCommand(democli.Commands(stdout, getenv, clk)...)

	return root
}

// run executes args and returns the process exit status.
func run(args []string, stdout, stderr io.Writer, getenv func(string) string, clk clock.Clock) int {
	return execute(newRoot(stdout, stderr, getenv, clk), args, stderr)
}

// execute runs root with args and maps its error to an exit status.
func execute(root *cobra.Command, args []string, stderr io.Writer) int {
	markUsageErrors(root)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var coded interface{ ExitCode() int }
	if errors.As(err, &coded) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(stderr, "pledgectl:", msg)
		}
		return coded.ExitCode()
	}
	fmt.Fprintln(stderr, "pledgectl: error:", err)
	return 1
}

// usageError marks a mistake in how pledgectl was called (exit status 3).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() + " (see --help)" }
func (e usageError) Unwrap() error { return e.err }
func (e usageError) ExitCode() int { return 3 }

// markUsageErrors makes every flag and argument error in the tree a
// usageError, and turns an unknown subcommand of a command group into one
// rather than a silent help screen.
func markUsageErrors(root *cobra.Command) {
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Runnable() && c.HasSubCommands() {
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return usageError{fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())}
				}
				return cmd.Help()
			}
		} else if c.Args != nil {
			validate := c.Args
			c.Args = func(cmd *cobra.Command, args []string) error {
				if err := validate(cmd, args); err != nil {
					return usageError{err}
				}
				return nil
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}
