package config

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// TestAbuseSettings: rate limits, trusted proxies and the webhook allow
// list have safe defaults (limits on, no proxy trusted, no internal
// webhook target) and are refused when malformed.
func TestAbuseSettings(t *testing.T) {
	c, err := Load(nil, base, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.VerifyRate <= 0 || c.VerifyBurst < verify.MaxBatch || c.PublicRate <= 0 || c.PublicBurst < 1 ||
		c.TrustedProxies != nil || c.WebhookAllow != nil {
		t.Fatalf("defaults: %+v", c)
	}
	if MinVerifyBurst != verify.MaxBatch {
		t.Fatalf("MinVerifyBurst %d, verify.MaxBatch %d: a full batch must fit the bucket", MinVerifyBurst, verify.MaxBatch)
	}
	c, err = Load([]string{"-trusted-proxies", "10.0.0.0/8, 192.0.2.1", "-ratelimit-public-rate", "0"},
		append([]string{"PLEDGESEAL_WEBHOOK_ALLOW=127.0.0.0/8,receiver.internal", "PLEDGESEAL_RATELIMIT_VERIFY_RATE=2.5"}, base...), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(c.TrustedProxies, []string{"10.0.0.0/8", "192.0.2.1"}) || !slices.Equal(c.WebhookAllow, []string{"127.0.0.0/8", "receiver.internal"}) ||
		c.VerifyRate != 2.5 || c.PublicRate != 0 {
		t.Fatalf("parsed: %+v", c)
	}
	for _, env := range []string{
		"PLEDGESEAL_RATELIMIT_VERIFY_BURST=99", "PLEDGESEAL_RATELIMIT_VERIFY_RATE=-1", "PLEDGESEAL_RATELIMIT_PUBLIC_RATE=fast",
		"PLEDGESEAL_RATELIMIT_PUBLIC_BURST=0", "PLEDGESEAL_TRUSTED_PROXIES=proxy.example", "PLEDGESEAL_WEBHOOK_ALLOW=10.0.0.0/33",
	} {
		if _, err := Load(nil, append([]string{env}, base...), io.Discard); err == nil || !strings.Contains(err.Error(), strings.Split(env, "=")[0]) {
			t.Errorf("%s: %v", env, err)
		}
	}
}
