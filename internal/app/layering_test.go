package app

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStorageBoundaryIsOneWay holds the layering of docs/decisions/one-way-layers.md:
// internal/store implements the interfaces the domain packages define, and
// only the wiring (app), the CLI, the commands and the test environment that
// builds the domain reach it or go-redis, directly or through another
// package. A domain package that imports store (or a package that does)
// fails here.
func TestStorageBoundaryIsOneWay(t *testing.T) {
	const mod = "github.com/pledgeseal/pledgeseal"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, mod+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	allowed := func(p string) bool {
		for _, prefix := range []string{mod + "/cmd/", mod + "/internal/app", mod + "/internal/cli/", mod + "/internal/store",
			mod + "/internal/testredis", mod + "/internal/verify/verifytest"} {
			if p == prefix || strings.HasPrefix(p, prefix+"/") || (strings.HasSuffix(prefix, "/") && strings.HasPrefix(p, prefix)) {
				return true
			}
		}
		return false
	}
	domain := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg := fields[0]
		if allowed(pkg) {
			continue
		}
		domain[pkg] = true
		for _, d := range fields[1:] {
			if d == mod+"/internal/store" || strings.HasPrefix(d, "github.com/redis/go-redis") {
				t.Errorf("%s reaches %s: only app, the CLI, the commands and the test environment may import the store", pkg, d)
			}
		}
	}
	// The check must have looked at the domain packages it is about.
	for _, p := range []string{"pledge", "seal", "registry", "status", "enforce", "notify", "verify", "httpapi"} {
		if !domain[mod+"/internal/"+p] {
			t.Errorf("internal/%s was not checked", p)
		}
	}
}
