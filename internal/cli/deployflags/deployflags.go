// Package deployflags gives every pledgectl command that talks to Redis
// the same connection settings as pledged, loaded by the same loader
// (internal/config): the PLEDGESEAL_* variables first, then the command's
// flags of the same names (--redis-addrs, --redis-password-file,
// --redis-username, --redis-master-name, --redis-cluster, --redis-tls, ...).
// No command builds its own subset, so a setting pledged honours (a
// password file, an ACL user, TLS) is never silently dropped by the CLI.
package deployflags

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/config"
)

// Flags are one command's deployment flags.
type Flags struct {
	cmd      *cobra.Command
	settings []config.Setting
	vals     map[string]*string
	defaults map[string]string
}

// Register adds to cmd one flag per Redis setting and, with keysDir, the
// --keys-dir flag. defaults replace pledged's default of a setting for this
// command (e.g. a longer --redis-timeout for a long read); a variable or a
// flag still wins over them.
func Register(cmd *cobra.Command, keysDir bool, defaults map[string]string) *Flags {
	f := &Flags{cmd: cmd, settings: config.RedisSettings(), vals: map[string]*string{}, defaults: defaults}
	if keysDir {
		f.settings = append(f.settings, config.SettingsNamed("keys-dir")...)
	}
	for _, s := range f.settings {
		def := s.Default
		if d, ok := defaults[s.Name]; ok {
			def = d
		}
		f.vals[s.Name] = cmd.Flags().String(s.Name, "", s.Usage+" (env "+s.Env+", default "+quote(def)+")")
		if s.Default == "false" {
			cmd.Flags().Lookup(s.Name).NoOptDefVal = "true" // --redis-cluster alone means true
		}
	}
	return f
}

func quote(s string) string { return `"` + s + `"` }

// Config loads the whole configuration the way pledged does: defaults,
// then PLEDGESEAL_* variables (through getenv), then the flags given on
// this command's line. Errors name the setting at fault.
func (f *Flags) Config(getenv func(string) string) (config.Config, error) {
	environ := config.EnvironOf(getenv)
	var args []string
	for _, s := range f.settings {
		switch {
		case f.cmd.Flags().Changed(s.Name):
			args = append(args, "-"+s.Name+"="+*f.vals[s.Name])
		case getenv(s.Env) == "":
			if d, ok := f.defaults[s.Name]; ok {
				args = append(args, "-"+s.Name+"="+d)
			}
		}
	}
	return config.Load(args, environ, io.Discard)
}
