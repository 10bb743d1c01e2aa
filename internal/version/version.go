// Package version says which build of PledgeSeal is running: the version
// (from `git describe`, set at link time by `make build` with -ldflags -X),
// the commit and whether the tree was modified (from the VCS information Go
// stamps into the binary, -buildvcs), and the Go toolchain. pledged and
// pledgectl print it for --version, pledged logs it at start and exports it
// as the pledgeseal_build_info metric (internal/httpapi). It imports
// nothing outside the standard library.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Link-time values. The build sets them with
//
//	-ldflags "-X github.com/pledgeseal/pledgeseal/internal/version.version=$(git describe --tags --always --dirty)
//	          -X github.com/pledgeseal/pledgeseal/internal/version.commit=$(git rev-parse HEAD)"
//
// (scripts/lib.sh build_ldflags). They are read-only after start-up; a plain
// `go build` leaves them empty and Get falls back to the build information.
var (
	version string
	commit  string
)

// Unknown stands for a value no source could supply.
const Unknown = "unknown"

// Info describes one build.
type Info struct {
	Version  string // e.g. 5fe2084-dirty or v1.2.0; "devel" for an unstamped build
	Commit   string // full VCS revision, or "unknown"
	Modified bool   // the working tree had uncommitted changes
	Go       string // Go toolchain, e.g. go1.26.8
}

// Get returns the running binary's build information.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return resolve(version, commit, bi)
}

// resolve combines the link-time values with the build information: a
// value set at link time wins; otherwise the module version (Go 1.24+
// derives it from the VCS tag or commit) and the vcs.* settings are used.
func resolve(ldVersion, ldCommit string, bi *debug.BuildInfo) Info {
	in := Info{Version: ldVersion, Commit: ldCommit, Go: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			in.Go = bi.GoVersion
		}
		var revision string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				revision = s.Value
			case "vcs.modified":
				in.Modified = s.Value == "true"
			}
		}
		if in.Commit == "" {
			in.Commit = revision
		}
		if in.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			in.Version = bi.Main.Version
		}
	}
	if in.Version == "" {
		in.Version = "devel"
	}
	if in.Commit == "" {
		in.Commit = Unknown
	}
	return in
}

// String is the one line `--version` prints after the program name.
func (i Info) String() string {
	s := fmt.Sprintf("%s (commit %s", i.Version, i.Commit)
	if i.Modified {
		s += ", modified"
	}
	return s + ", " + i.Go + ")"
}
