package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

// TestTokenCommandsReachAPasswordProtectedRedis: `token create` and
// `token list` reach a Redis that requires a password (default user) or an
// ACL user, with the same settings pledged reads (password file, user
// name), from PLEDGESEAL_* variables or flags. Before the shared loader they
// passed only address, prefix and cluster on and failed with NOAUTH.
func TestTokenCommandsReachAPasswordProtectedRedis(t *testing.T) {
	srv := testredis.Start(t, "--requirepass", "default-secret",
		"--user", "pledged", "on", ">acl-secret", "~*", "&*", "+@all")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	const pass = "token-test-passphrase"
	if err := trust.GenerateDevWith(keys, []byte(pass), clock.Real{}, false, trust.GenerateOptions{KDFIterations: 10_000}); err != nil {
		t.Fatal(err)
	}
	writeSecret := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	defaultPW := writeSecret("default-pw", "default-secret")
	aclPW := writeSecret("acl-pw", "acl-secret")
	wrongPW := writeSecret("wrong-pw", "not-the-secret")
	prefix := testredis.Prefix(t)

	run1 := func(env map[string]string, args ...string) (int, string, string) {
		t.Helper()
		full := map[string]string{
			"PLEDGESEAL_REDIS_ADDRS":   srv.Addr,
			"PLEDGESEAL_REDIS_PREFIX":  prefix,
			"PLEDGESEAL_KEYS_DIR":      keys,
			trust.EnvPassphrase:        pass,
			"PLEDGESEAL_REDIS_TIMEOUT": "2s",
		}
		for k, v := range env {
			full[k] = v
		}
		var out, errb bytes.Buffer
		code := run(args, &out, &errb, func(k string) string { return full[k] }, clock.Real{})
		return code, out.String(), errb.String()
	}

	// No password: refused by Redis, reported, nothing printed.
	if code, out, errs := run1(nil, "token", "create", "--role", "admin", "--label", "nopass"); code == 0 || out != "" || !strings.Contains(errs, "unavailable") {
		t.Fatalf("without a password: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// A wrong password is refused too.
	if code, _, errs := run1(nil, "token", "create", "--role", "admin", "--redis-password-file", wrongPW); code == 0 {
		t.Fatalf("wrong password accepted: %q", errs)
	}
	// The default user's password from the variable pledged reads.
	code, out, errs := run1(map[string]string{"PLEDGESEAL_REDIS_PASSWORD_FILE": defaultPW}, "token", "create", "--role", "admin", "--label", "via-env")
	if code != 0 || len(strings.TrimSpace(out)) < 20 {
		t.Fatalf("create with PLEDGESEAL_REDIS_PASSWORD_FILE: exit %d %q %q", code, out, errs)
	}
	// An ACL user and its password from flags.
	code, out, errs = run1(nil, "token", "create", "--role", "seal_maker", "--label", "via-acl",
		"--redis-username", "pledged", "--redis-password-file", aclPW)
	if code != 0 || len(strings.TrimSpace(out)) < 20 {
		t.Fatalf("create as ACL user: exit %d %q %q", code, out, errs)
	}
	// The ACL user with the default user's password is refused.
	if code, _, _ := run1(map[string]string{"PLEDGESEAL_REDIS_USERNAME": "pledged", "PLEDGESEAL_REDIS_PASSWORD_FILE": defaultPW}, "token", "list"); code == 0 {
		t.Fatal("ACL user accepted with another user's password")
	}
	code, out, errs = run1(map[string]string{"PLEDGESEAL_REDIS_USERNAME": "pledged", "PLEDGESEAL_REDIS_PASSWORD_FILE": aclPW}, "token", "list")
	if code != 0 || !strings.Contains(out, "via-env") || !strings.Contains(out, "via-acl") {
		t.Fatalf("list as ACL user: exit %d %q %q", code, out, errs)
	}
	for _, secret := range []string{"default-secret", "acl-secret", pass} {
		if strings.Contains(out+errs, secret) {
			t.Fatalf("output shows a secret %q", secret)
		}
	}
	// audit verify (now `log audit`, with the log certificate from the keys
	// directory) reads through the same loader: it reaches Redis and finds
	// the log has no signed checkpoint yet (no sequencer ran), which proves
	// nothing, so it is not a pass.
	code, out, errs = run1(map[string]string{"PLEDGESEAL_REDIS_PASSWORD_FILE": defaultPW}, "audit", "verify")
	if code != 1 || !strings.Contains(out+errs, "no checkpoint") || !strings.Contains(errs, "deprecated") {
		t.Fatalf("audit verify with a password: exit %d %q %q", code, out, errs)
	}
	if code, _, _ = run1(nil, "audit", "verify"); code != 2 {
		t.Fatalf("audit verify without the password: exit %d, want 2 (unreadable)", code)
	}
}
