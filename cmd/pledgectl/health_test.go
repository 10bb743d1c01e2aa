package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
)

// TestHealthProbe: exit 0 only on 200 from /readyz, over http and over
// https on loopback; the default URL follows PLEDGESEAL_LISTEN.
func TestHealthProbe(t *testing.T) {
	var ready atomic.Bool
	ready.Store(true)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" || !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	plain := httptest.NewServer(h)
	defer plain.Close()
	secure := httptest.NewTLSServer(h)
	defer secure.Close()
	probe := func(env map[string]string, args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := run(append([]string{"health"}, args...), &out, &errb, func(k string) string { return env[k] }, clock.NewFake(time.Unix(0, 0)))
		return code, out.String() + errb.String()
	}
	listen := strings.TrimPrefix(plain.URL, "http://")
	if code, out := probe(map[string]string{"PLEDGESEAL_LISTEN": listen}); code != 0 || !strings.Contains(out, "ready") {
		t.Fatalf("ready over http: %d %s", code, out)
	}
	if code, out := probe(nil, "--url", secure.URL+"/readyz"); code != 0 {
		t.Fatalf("ready over https: %d %s", code, out)
	}
	ready.Store(false)
	if code, out := probe(nil, "--url", plain.URL+"/readyz"); code != 1 || !strings.Contains(out, "503") {
		t.Fatalf("not ready: %d %s", code, out)
	}
	// TLS configured but the server speaks plain HTTP: not ready.
	if code, _ := probe(map[string]string{"PLEDGESEAL_LISTEN": listen, "PLEDGESEAL_TLS_CERT_FILE": "/x"}); code != 1 {
		t.Fatalf("https probe of a plain server: %d", code)
	}
	if code, _ := probe(nil, "--url", "ftp://x"); code != 3 {
		t.Fatalf("bad URL: %d", code)
	}
	if u, err := localReadyz(func(k string) string {
		return map[string]string{"PLEDGESEAL_LISTEN": "0.0.0.0:8443", "PLEDGESEAL_TLS_CERT_FILE": "/c"}[k]
	}); err != nil || u != "https://127.0.0.1:8443/readyz" {
		t.Fatalf("wildcard listen: %q %v", u, err)
	}
}
