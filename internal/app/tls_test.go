package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/testtls"
)

// listenerCerts makes a CA and two server certificates (pledged-1 and
// pledged-2) and installs the first at cert.pem/key.pem, the paths the
// listener is configured with.
func listenerCerts(t *testing.T) (ca *testtls.CA, first, second testtls.Pair, live testtls.Pair) {
	t.Helper()
	ca = testtls.NewCA(t, "listener test CA")
	first = ca.Issue(t, "first", "pledged-1", true)
	second = ca.Issue(t, "second", "pledged-2", true)
	dir := t.TempDir()
	live = testtls.Pair{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	install(t, first, live)
	return
}

// install copies a certificate and key over the live files, as a renewal
// tool would.
func install(t *testing.T, from, to testtls.Pair) {
	t.Helper()
	for src, dst := range map[string]string{from.CertFile: to.CertFile, from.KeyFile: to.KeyFile} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func httpsClient(t *testing.T, ca *testtls.CA, maxVersion uint16) *http.Client {
	t.Helper()
	pem, err := os.ReadFile(ca.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool, MaxVersion: maxVersion},
		DisableKeepAlives: true, // each request is a new handshake: sees a reloaded certificate
	}}
}

// servedCN returns the common name of the certificate the server presents
// on /readyz (empty while it is not ready) and the negotiated version.
func servedCN(c *http.Client, url string) (string, uint16) {
	resp, err := c.Get(url)
	if err != nil {
		return "", 0
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		return "", 0
	}
	return resp.TLS.PeerCertificates[0].Subject.CommonName, resp.TLS.Version
}

func waitCN(t *testing.T, c *http.Client, url, want string, out fmt.Stringer) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if cn, _ := servedCN(c, url); cn == want {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the listener never served %q:\n%s", want, out)
}

// TestHTTPSListenerReloadsOnHangup runs Main in process with
// PLEDGESEAL_TLS_CERT_FILE/KEY_FILE: it serves HTTPS with TLS 1.2 or
// later only, refuses TLS 1.1, and on the reload signal (what SIGHUP
// delivers) serves the renewed certificate; a broken renewal keeps the
// certificate served.
func TestHTTPSListenerReloadsOnHangup(t *testing.T) {
	ca, _, second, live := listenerCerts(t)
	port := testredis.FreePort(t)
	env := append(sharedRedisEnv(t, devMaterial(t), port),
		"PLEDGESEAL_TLS_CERT_FILE="+live.CertFile, "PLEDGESEAL_TLS_KEY_FILE="+live.KeyFile)
	ctx, cancel := context.WithCancel(context.Background())
	hup := make(chan os.Signal, 1)
	var logs syncBuf
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, Env{Environ: env, Getenv: getenvOf(env), Stdout: &logs, Stderr: &logs, Clock: clock.Real{}, Reload: hup})
	}()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d:\n%s", code, logs.String())
		}
	}()
	url := fmt.Sprintf("https://127.0.0.1:%d/readyz", port)
	client := httpsClient(t, ca, 0)
	waitCN(t, client, url, "pledged-1", &logs)
	if _, v := servedCN(client, url); v < tls.VersionTLS12 {
		t.Fatalf("negotiated TLS version %x", v)
	}
	if _, err := httpsClient(t, ca, tls.VersionTLS11).Get(url); err == nil {
		t.Fatal("a TLS 1.1 client was served")
	}
	if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", port)); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP was served on the TLS listener")
		}
	}

	install(t, second, live)
	hup <- syscall.SIGHUP
	waitCN(t, client, url, "pledged-2", &logs)

	// A broken renewal (truncated key) keeps the certificate served.
	if err := os.WriteFile(live.KeyFile, []byte("-----BEGIN PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hup <- syscall.SIGHUP
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "reload failed") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "reload failed") {
		t.Fatalf("no log of the failed reload:\n%s", logs.String())
	}
	if cn, _ := servedCN(client, url); cn != "pledged-2" {
		t.Fatalf("after a failed reload the listener serves %q", cn)
	}
}

// TestSIGHUPReloadsCertificate: the real binary, the real signal.
func TestSIGHUPReloadsCertificate(t *testing.T) {
	ca, _, second, live := listenerCerts(t)
	port := testredis.FreePort(t)
	cmd, out := runPledged(t, append(sharedRedisEnv(t, devMaterial(t), port),
		"PLEDGESEAL_TLS_CERT_FILE="+live.CertFile, "PLEDGESEAL_TLS_KEY_FILE="+live.KeyFile)...)
	url := fmt.Sprintf("https://127.0.0.1:%d/readyz", port)
	client := httpsClient(t, ca, 0)
	waitCN(t, client, url, "pledged-1", out)
	install(t, second, live)
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitCN(t, client, url, "pledged-2", out)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := exitCode(t, cmd, 10*time.Second); code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if !strings.Contains(out.String(), "TLS certificate reloaded") || !strings.Contains(out.String(), `"tls":true`) {
		t.Fatalf("logs do not tell the reload:\n%s", out)
	}
}
