package version

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	vcs := func(rev, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	cases := []struct {
		name             string
		ldVersion, ldRev string
		bi               *debug.BuildInfo
		want             Info
	}{
		{"no build info at all", "", "", nil, Info{Version: "devel", Commit: Unknown, Go: runtime.Version()}},
		{"plain go build without VCS", "", "", &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			Info{Version: "devel", Commit: Unknown, Go: "go1.26.8"}},
		{"VCS stamping only", "", "", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main: debug.Module{Version: "v0.0.0-20261206215256-5fe2084abcde+dirty"}, Settings: vcs("5fe2084abcdef", "true")},
			Info{Version: "v0.0.0-20261206215256-5fe2084abcde+dirty", Commit: "5fe2084abcdef", Modified: true, Go: "go1.26.8"}},
		{"link-time version wins over the module version", "v1.2.0-3-g5fe2084", "", &debug.BuildInfo{GoVersion: "go1.26.8",
			Main: debug.Module{Version: "v0.0.0-20261206215256-5fe2084abcde"}, Settings: vcs("5fe2084abcdef", "false")},
			Info{Version: "v1.2.0-3-g5fe2084", Commit: "5fe2084abcdef", Go: "go1.26.8"}},
		{"link-time commit when the binary has no VCS information", "5fe2084", "5fe2084abcdef", &debug.BuildInfo{GoVersion: "go1.26.8"},
			Info{Version: "5fe2084", Commit: "5fe2084abcdef", Go: "go1.26.8"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolve(tc.ldVersion, tc.ldRev, tc.bi); got != tc.want {
				t.Fatalf("resolve = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	got := Info{Version: "v1.0.0", Commit: "abc", Modified: true, Go: "go1.26.8"}.String()
	if got != "v1.0.0 (commit abc, modified, go1.26.8)" {
		t.Fatalf("String = %q", got)
	}
	if s := (Info{Version: "v1.0.0", Commit: "abc", Go: "go1.26.8"}).String(); strings.Contains(s, "modified") {
		t.Fatalf("unmodified build says modified: %q", s)
	}
}

// TestGetUnderTest: a test binary carries no link-time values, so Get
// falls back to the build information and never returns empty fields.
func TestGetUnderTest(t *testing.T) {
	in := Get()
	if in.Version == "" || in.Commit == "" || !strings.HasPrefix(in.Go, "go") {
		t.Fatalf("Get = %+v", in)
	}
}
