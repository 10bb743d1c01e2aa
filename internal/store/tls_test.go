package store

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/testtls"
)

// TestRedisOverTLS: a real redis-server on --tls-port that demands client
// certificates, reached with the PLEDGESEAL_REDIS_TLS* settings through
// config.Load and OptionsFrom (the path pledged and pledgectl take). A
// client without a certificate, trusting another CA, expecting another
// name, or speaking plain text to the TLS port gets nothing.
func TestRedisOverTLS(t *testing.T) {
	ca := testtls.NewCA(t, "redis test CA")
	server := ca.Issue(t, "redis", "redis.test", true)
	client := ca.Issue(t, "client", "pledged", false)
	other := testtls.NewCA(t, "another CA")
	tlsPort := testredis.FreePort(t)
	testredis.Start(t, "--tls-port", fmt.Sprint(tlsPort), "--tls-cert-file", server.CertFile, "--tls-key-file", server.KeyFile,
		"--tls-ca-cert-file", ca.CertFile, "--tls-auth-clients", "yes")
	addr := fmt.Sprintf("127.0.0.1:%d", tlsPort)
	prefix := testredis.Prefix(t)

	open := func(extra ...string) (*Store, error) {
		env := append([]string{"PLEDGESEAL_REDIS_ADDRS=" + addr, "PLEDGESEAL_REDIS_PREFIX=" + prefix, "PLEDGESEAL_REDIS_TIMEOUT=1s"}, extra...)
		cfg, err := config.Load(nil, env, io.Discard)
		if err != nil {
			return nil, err
		}
		st, err := New(OptionsFrom(cfg), clock.NewFake(t0))
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() { _ = st.Close() })
		return st, st.Ping(context.Background())
	}
	full := []string{"PLEDGESEAL_REDIS_TLS=true", "PLEDGESEAL_REDIS_TLS_CA_FILE=" + ca.CertFile,
		"PLEDGESEAL_REDIS_TLS_CERT_FILE=" + client.CertFile, "PLEDGESEAL_REDIS_TLS_KEY_FILE=" + client.KeyFile}
	st, err := open(full...)
	if err != nil {
		t.Fatalf("TLS with a client certificate: %v", err)
	}
	// A real write and read through the TLS connection.
	reg := NewRegistry(st)
	mustApply(t, reg, revoke(pledgeN(1), t0, "京公(2026)TLS号"))
	if rep, err := st.VerifyAudit(context.Background()); err != nil || !rep.Intact || rep.Checked != 1 {
		t.Fatalf("audit over TLS: %+v %v", rep, err)
	}
	if _, err := open(append(full, "PLEDGESEAL_REDIS_TLS_SERVER_NAME=redis.test")...); err != nil {
		t.Fatalf("with the server name of the certificate: %v", err)
	}
	for name, env := range map[string][]string{
		"plain text to the TLS port": nil,
		"no client certificate":      {"PLEDGESEAL_REDIS_TLS=true", "PLEDGESEAL_REDIS_TLS_CA_FILE=" + ca.CertFile},
		"server from another CA":     {"PLEDGESEAL_REDIS_TLS=true", "PLEDGESEAL_REDIS_TLS_CA_FILE=" + other.CertFile, "PLEDGESEAL_REDIS_TLS_CERT_FILE=" + client.CertFile, "PLEDGESEAL_REDIS_TLS_KEY_FILE=" + client.KeyFile},
		"another server name":        append(append([]string(nil), full...), "PLEDGESEAL_REDIS_TLS_SERVER_NAME=evil.test"),
	} {
		if _, err := open(env...); err == nil {
			t.Errorf("%s: connected", name)
		}
	}
}
