package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTLSSettingsChecked: TLS files are read at load, a mistake names the
// setting, half a pair is refused, and Redis TLS sub-settings without
// PLEDGESEAL_REDIS_TLS=true are refused rather than silently ignored.
func TestTLSSettingsChecked(t *testing.T) {
	junk := filepath.Join(t.TempDir(), "junk.pem")
	if err := os.WriteFile(junk, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"PLEDGESEAL_REDIS_TLS_CA_FILE=" + junk}, "PLEDGESEAL_REDIS_TLS"},
		{[]string{"PLEDGESEAL_REDIS_TLS=true", "PLEDGESEAL_REDIS_TLS_CA_FILE=/nonexistent"}, "PLEDGESEAL_REDIS_TLS_CA_FILE"},
		{[]string{"PLEDGESEAL_REDIS_TLS=true", "PLEDGESEAL_REDIS_TLS_CA_FILE=" + junk}, "no PEM certificate"},
		{[]string{"PLEDGESEAL_REDIS_TLS=true", "PLEDGESEAL_REDIS_TLS_CERT_FILE=" + junk}, "PLEDGESEAL_REDIS_TLS_KEY_FILE"},
		{[]string{"PLEDGESEAL_REDIS_TLS=true", "PLEDGESEAL_REDIS_TLS_CERT_FILE=" + junk, "PLEDGESEAL_REDIS_TLS_KEY_FILE=" + junk}, "cannot load"},
		{[]string{"PLEDGESEAL_TLS_CERT_FILE=" + junk}, "set both or neither"},
		{[]string{"PLEDGESEAL_TLS_CERT_FILE=" + junk, "PLEDGESEAL_TLS_KEY_FILE=" + junk}, "PLEDGESEAL_TLS_CERT_FILE"},
	}
	for _, tc := range cases {
		_, err := Load(nil, append(tc.env, base...), io.Discard)
		var ce *Error
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v (want %q)", tc.env, err, tc.want)
		}
	}
	c, err := Load(nil, append([]string{"PLEDGESEAL_REDIS_TLS=true"}, base...), io.Discard)
	if err != nil || c.RedisTLS == nil || c.RedisTLS.MinVersion < 0x0303 || c.RedisTLS.InsecureSkipVerify {
		t.Fatalf("TLS on with the system roots: %+v %v", c.RedisTLS, err)
	}
	if c, err := Load(nil, base, io.Discard); err != nil || c.RedisTLS != nil {
		t.Fatalf("TLS off by default: %v", err)
	}
}

// TestRedisSettingsForTheCLI: every Redis connection setting is offered to
// pledgectl, with the names and variables pledged reads; the server-only
// override is not.
func TestRedisSettingsForTheCLI(t *testing.T) {
	got := map[string]string{}
	for _, s := range RedisSettings() {
		got[s.Name] = s.Env
	}
	for _, n := range []string{"redis-addrs", "redis-master-name", "redis-cluster", "redis-username", "redis-password-file",
		"redis-db", "redis-prefix", "redis-timeout", "redis-tls", "redis-tls-ca-file", "redis-tls-cert-file", "redis-tls-key-file", "redis-tls-server-name"} {
		if got[n] != EnvPrefix+strings.ToUpper(strings.ReplaceAll(n, "-", "_")) {
			t.Errorf("%s missing or misnamed: %q", n, got[n])
		}
	}
	if _, ok := got["redis-allow-unsafe"]; ok {
		t.Error("the durability override is offered to the CLI")
	}
	env := EnvironOf(func(k string) string {
		if k == "PLEDGESEAL_REDIS_USERNAME" {
			return "ops"
		}
		return ""
	})
	if len(env) != 1 || env[0] != "PLEDGESEAL_REDIS_USERNAME=ops" {
		t.Fatalf("EnvironOf: %q", env)
	}
}
