// Package clitest runs pledgectl commands in tests as the binary would,
// and maps their result to the exit status pledgectl's main gives. It is
// imported by tests only.
package clitest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
)

// Run builds a command writing to one buffer (mk gets it as stdout),
// executes it with args and returns the exit status (0 on success, the
// exitstatus.Error's code, or -1 for an error that carries none) and
// everything it printed followed by the error's message.
func Run(mk func(stdout io.Writer) *cobra.Command, args ...string) (int, string) {
	var out bytes.Buffer
	root := mk(&out)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&out)
	root.SilenceErrors, root.SilenceUsage = true, true
	err := root.Execute()
	if err == nil {
		return exitstatus.Passed, out.String()
	}
	var ee *exitstatus.Error
	if errors.As(err, &ee) {
		return ee.Code, out.String() + ee.Msg
	}
	return -1, out.String() + err.Error()
}

// WriteFile writes b to dir/name (mode 0600) and returns its path.
func WriteFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
