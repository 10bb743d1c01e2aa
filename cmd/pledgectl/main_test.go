package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/trust"
	"github.com/pledgeseal/pledgeseal/internal/version"
)

// codedError is how command groups report a specific exit status.
type codedError struct {
	code int
	msg  string
}

func (e codedError) Error() string { return e.msg }
func (e codedError) ExitCode() int { return e.code }

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		code   int
		stderr string
		stdout string
	}{
		{name: "no arguments shows help", args: nil, code: 0, stdout: "Available Commands"},
		{name: "help", args: []string{"--help"}, code: 0, stdout: "init"},
		{name: "version", args: []string{"--version"}, code: 0, stdout: "pledgectl " + version.Get().String() + "\n"},
		{name: "unknown command", args: []string{"bogus"}, code: 3, stderr: `unknown command "bogus"`},
		{name: "unknown flag", args: []string{"--bogus"}, code: 3, stderr: "unknown flag"},
		{name: "unknown subcommand of a group", args: []string{"grp", "nope"}, code: 3, stderr: `unknown command "nope" for "pledgectl grp"`},
		{name: "group alone shows help", args: []string{"grp"}, code: 0, stdout: "leaf"},
		{name: "wrong argument count", args: []string{"grp", "leaf", "extra"}, code: 3, stderr: `unknown command "extra" for "pledgectl grp leaf"`},
		{name: "ExitCode error wins", args: []string{"grp", "leaf", "--code", "2"}, code: 2, stderr: "indeterminate"},
		{name: "ExitCode error wrapped", args: []string{"grp", "leaf", "--code", "1", "--wrap"}, code: 1, stderr: "wrapped"},
		{name: "plain error is 1", args: []string{"grp", "leaf", "--plain"}, code: 1, stderr: "pledgectl: error: plain failure"},
		{name: "init without --dev is a usage error", args: []string{"init"}, code: 3, stderr: "pass --dev"},
		{name: "init with an argument", args: []string{"init", "--dev", "x"}, code: 3, stderr: "unknown command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			root := newRoot(&out, &errb, func(string) string { return "" }, clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
			root.AddCommand(testGroup())
			code := execute(root, tc.args, &errb)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out.String(), errb.String())
			}
			if !strings.Contains(errb.String(), tc.stderr) || !strings.Contains(out.String(), tc.stdout) {
				t.Fatalf("stdout %q (want %q)\nstderr %q (want %q)", out.String(), tc.stdout, errb.String(), tc.stderr)
			}
		})
	}
}

// testGroup is a command group like the ones other packages register.
func testGroup() *cobra.Command {
	g := &cobra.Command{Use: "grp", Short: "a group"}
	var (
		code        int
		wrap, plain bool
	)
	leaf := &cobra.Command{Use: "leaf", Short: "a leaf", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
		switch {
		case plain:
			return errors.New("plain failure")
		case wrap:
			return errors.Join(errors.New("wrapped"), codedError{code: code, msg: "failed"})
		}
		return codedError{code: code, msg: "indeterminate"}
	}}
	leaf.Flags().IntVar(&code, "code", 0, "")
	leaf.Flags().BoolVar(&wrap, "wrap", false, "")
	leaf.Flags().BoolVar(&plain, "plain", false, "")
	g.AddCommand(leaf)
	return g
}

func TestInitDev(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys", "dev")
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	clk := clock.Real{}
	runInit := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"init", "--dev", "--dir", dir}, args...), &out, &errb, getenv, clk)
		return code, out.String(), errb.String()
	}
	code, out, errs := runInit()
	if code != 0 || !strings.Contains(out, dir) || !strings.Contains(out, "public dev passphrase") {
		t.Fatalf("first init: %d %q %q", code, out, errs)
	}
	manifest, err := os.ReadFile(filepath.Join(dir, trust.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := os.ReadFile(filepath.Join(dir, "trust-bundle.pem"))
	if err != nil {
		t.Fatal(err)
	}
	code, _, errs = runInit()
	if code != 1 || !strings.Contains(errs, "--force") {
		t.Fatalf("second init: %d %q", code, errs)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, trust.ManifestFile)); !bytes.Equal(again, manifest) {
		t.Fatal("refused init changed the manifest")
	}
	env[trust.EnvPassphrase] = "a"
	env[trust.EnvPassphraseFile] = "/nonexistent"
	if code, _, errs = runInit("--force"); code != 1 || !strings.Contains(errs, "only one") {
		t.Fatalf("two passphrase sources: %d %q", code, errs)
	}
	delete(env, trust.EnvPassphraseFile)
	env[trust.EnvPassphrase] = "operator-chosen passphrase"
	code, out, errs = runInit("--force")
	if code != 0 || strings.Contains(out, "public dev passphrase") {
		t.Fatalf("forced init: %d %q %q", code, out, errs)
	}
	// The forced set is encrypted under the operator's passphrase (one key is
	// enough to show it; trust's tests load whole sets).
	keyPEM, err := os.ReadFile(filepath.Join(dir, "seal-maker.key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pki.ParsePrivateKeyPEM(keyPEM, []byte("operator-chosen passphrase")); err != nil {
		t.Fatalf("forced init did not use the operator passphrase: %v", err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "trust-bundle.pem")); bytes.Equal(again, bundle) {
		t.Fatal("forced init kept the old root")
	}
}
