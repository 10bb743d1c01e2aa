package config

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var base = []string{"PLEDGESEAL_KEY_PASSPHRASE=secret-pass"}

func TestDefaults(t *testing.T) {
	c, err := Load(nil, base, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:8080" || c.BaseURL != "http://127.0.0.1:8080" || c.KeysDir != "keys/dev" ||
		len(c.RedisAddrs) != 1 || c.ShutdownTimeout != 10*time.Second || c.MaxBodyBytes != 1<<20 {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

func TestPrecedenceFlagOverEnv(t *testing.T) {
	env := append([]string{"PLEDGESEAL_LISTEN=127.0.0.1:9000", "PLEDGESEAL_REDIS_ADDRS=a:1, b:2,c:3", "PATH=/bin"}, base...)
	c, err := Load([]string{"-listen", "127.0.0.1:9100"}, env, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:9100" {
		t.Fatalf("flag must win: %s", c.Listen)
	}
	if strings.Join(c.RedisAddrs, ",") != "a:1,b:2,c:3" {
		t.Fatalf("addrs %v", c.RedisAddrs)
	}
}

// TestInvalidNamesTheSetting: every refusal names the setting at fault.
func TestInvalidNamesTheSetting(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"bad listen env", nil, []string{"PLEDGESEAL_LISTEN=nonsense"}, "PLEDGESEAL_LISTEN"},
		{"bad listen flag", []string{"-listen", "x"}, nil, "-listen"},
		{"bad duration", nil, []string{"PLEDGESEAL_SHUTDOWN_TIMEOUT=forever"}, "PLEDGESEAL_SHUTDOWN_TIMEOUT"},
		{"duration out of range", nil, []string{"PLEDGESEAL_READ_TIMEOUT=1ms"}, "PLEDGESEAL_READ_TIMEOUT"},
		{"bad redis addr", nil, []string{"PLEDGESEAL_REDIS_ADDRS=localhost"}, "PLEDGESEAL_REDIS_ADDRS"},
		{"bad log level", nil, []string{"PLEDGESEAL_LOG_LEVEL=loud"}, "PLEDGESEAL_LOG_LEVEL"},
		{"TSA policy not an OID", nil, []string{"PLEDGESEAL_TSA_POLICY=policy-1"}, "PLEDGESEAL_TSA_POLICY"},
		{"TSA policy one arc", nil, []string{"PLEDGESEAL_TSA_POLICY=1"}, "PLEDGESEAL_TSA_POLICY"},
		{"TSA policy first arc 3", nil, []string{"PLEDGESEAL_TSA_POLICY=3.1"}, "PLEDGESEAL_TSA_POLICY"},
		{"TSA policy leading zero", nil, []string{"PLEDGESEAL_TSA_POLICY=1.02"}, "PLEDGESEAL_TSA_POLICY"},
		{"TSA policy empty arc", nil, []string{"PLEDGESEAL_TSA_POLICY=1..2"}, "PLEDGESEAL_TSA_POLICY"},
		{"TSA policy sign", nil, []string{"PLEDGESEAL_TSA_POLICY=1.+2"}, "PLEDGESEAL_TSA_POLICY"},
		{"TSA policy arc too large", nil, []string{"PLEDGESEAL_TSA_POLICY=2.25.2147483648"}, "PLEDGESEAL_TSA_POLICY"},
		{"external TSA without trust anchors", nil, []string{"PLEDGESEAL_TSA_URL=https://tsa.example/"}, "-tsa-trust"},
		{"external TSA URL not http", nil, []string{"PLEDGESEAL_TSA_URL=ftp://tsa.example/", "PLEDGESEAL_TSA_TRUST=x.pem"}, "PLEDGESEAL_TSA_URL"},
		{"TSA accuracy negative", nil, []string{"PLEDGESEAL_TSA_ACCURACY=-1s"}, "PLEDGESEAL_TSA_ACCURACY"},
		{"bad base url", nil, []string{"PLEDGESEAL_BASE_URL=ftp://x"}, "PLEDGESEAL_BASE_URL"},
		{"body too small", nil, []string{"PLEDGESEAL_MAX_BODY_BYTES=10"}, "PLEDGESEAL_MAX_BODY_BYTES"},
		{"unknown env", nil, []string{"PLEDGESEAL_LISTN=127.0.0.1:1"}, "PLEDGESEAL_LISTN"},
		{"sentinel and cluster", nil, []string{"PLEDGESEAL_REDIS_MASTER_NAME=m", "PLEDGESEAL_REDIS_CLUSTER=true"}, "redis-cluster"},
		{"positional arg", []string{"extra"}, nil, "arguments"},
		{"bad bool", nil, []string{"PLEDGESEAL_REDIS_CLUSTER=maybe"}, "PLEDGESEAL_REDIS_CLUSTER"},
		{"proxy by name", nil, []string{"PLEDGESEAL_TRUSTED_PROXIES=10.0.0.1,proxy.example"}, "PLEDGESEAL_TRUSTED_PROXIES"},
		{"proxy bad range", nil, []string{"PLEDGESEAL_TRUSTED_PROXIES=10.0.0.0/33"}, "PLEDGESEAL_TRUSTED_PROXIES"},
		{"service name two lines", nil, []string{"PLEDGESEAL_SERVICE_NAME=a\nb"}, "PLEDGESEAL_SERVICE_NAME"},
		{"contact too long", nil, []string{"PLEDGESEAL_OPERATOR_CONTACT=" + strings.Repeat("电", 201)}, "PLEDGESEAL_OPERATOR_CONTACT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, append(tc.env, base...), io.Discard)
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *config.Error, got %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("message %q does not name %q", err, tc.want)
			}
		})
	}
}

func TestUnknownFlagRefused(t *testing.T) {
	if _, err := Load([]string{"-no-such-flag"}, base, io.Discard); err == nil {
		t.Fatal("unknown flag accepted")
	}
}

func TestPasswordFileNamed(t *testing.T) {
	_, err := Load(nil, append([]string{"PLEDGESEAL_REDIS_PASSWORD_FILE=/nonexistent/x"}, base...), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "PLEDGESEAL_REDIS_PASSWORD_FILE") {
		t.Fatalf("password file: %v", err)
	}
	p := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(p, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load([]string{"-redis-password-file", p}, base, io.Discard)
	if err != nil || c.RedisPassword != "s3cret" {
		t.Fatalf("password: %v", err)
	}
}

func TestReservedEnvIgnored(t *testing.T) {
	env := append([]string{"PLEDGESEAL_TEST_REDIS_ADDR=x", "PLEDGESEAL_REDIS_PORT=6379"}, base...)
	if _, err := Load(nil, env, io.Discard); err != nil {
		t.Fatal(err)
	}
}

// TestTrustedProxies: none by default; addresses and CIDR ranges, IPv4 and
// IPv6, comma-separated.
func TestTrustedProxies(t *testing.T) {
	c, err := Load(nil, base, io.Discard)
	if err != nil || len(c.TrustedProxies) != 0 {
		t.Fatalf("default trusts %v (%v), want none", c.TrustedProxies, err)
	}
	c, err = Load([]string{"-trusted-proxies", "10.0.0.0/8, 192.0.2.7,::1,2001:db8::/32"}, base, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.TrustedProxies, " "); got != "10.0.0.0/8 192.0.2.7 ::1 2001:db8::/32" {
		t.Fatalf("trusted proxies %q", got)
	}
}

// TestSiteTexts: the footer's service name and operator contact are empty
// by default (the pages then say their own name and "ask the agency") and
// are taken from the environment or the flags.
func TestSiteTexts(t *testing.T) {
	c, err := Load(nil, base, io.Discard)
	if err != nil || c.ServiceName != "" || c.OperatorContact != "" {
		t.Fatalf("defaults %q %q (%v)", c.ServiceName, c.OperatorContact, err)
	}
	c, err = Load([]string{"-operator-contact", " 12345（工作日 9:00–17:00） "},
		append([]string{"PLEDGESEAL_SERVICE_NAME=北京市告知承诺核验服务"}, base...), io.Discard)
	if err != nil || c.ServiceName != "北京市告知承诺核验服务" || c.OperatorContact != "12345（工作日 9:00–17:00）" {
		t.Fatalf("got %q %q (%v)", c.ServiceName, c.OperatorContact, err)
	}
}

// TestTSAPolicyParsedOnce: the policy reaches the TSA as the OID written.
func TestTSAPolicyParsedOnce(t *testing.T) {
	c, err := Load(nil, append([]string{"PLEDGESEAL_TSA_POLICY=1.2.156.10197.0.2147483647"}, base...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.TSAPolicy.String(); got != "1.2.156.10197.0.2147483647" {
		t.Fatalf("policy %s", got)
	}
	d, err := Load(nil, base, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if d.TSAPolicy.String() != DefaultTSAPolicy {
		t.Fatalf("default policy %s", d.TSAPolicy)
	}
}
