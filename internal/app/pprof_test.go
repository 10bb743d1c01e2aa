package app

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestStartPprof serves the profiles on loopback only, without the command
// line, and stops when asked.
func TestStartPprof(t *testing.T) {
	for _, bad := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0", "example.com:0"} {
		if _, stop, err := StartPprof(bad); err == nil {
			stop()
			t.Fatalf("%s accepted", bad)
		}
	}
	addr, stop, err := StartPprof("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + addr.String()
	cases := []struct {
		path string
		code int
		body string
	}{
		{"/debug/pprof/", http.StatusOK, "goroutine"},
		{"/debug/pprof/heap?debug=1", http.StatusOK, "heap profile"},
		{"/debug/pprof/goroutine?debug=1", http.StatusOK, "goroutine profile"},
		{"/debug/pprof/profile?seconds=1", http.StatusOK, ""},
		{"/debug/pprof/cmdline", http.StatusNotFound, ""},
		{"/metrics", http.StatusNotFound, ""},
	}
	for _, c := range cases {
		resp, err := http.Get(base + c.path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(string(b), c.body) {
			t.Fatalf("%s: %d %.80q", c.path, resp.StatusCode, b)
		}
		if c.path == "/debug/pprof/profile?seconds=1" && len(b) == 0 {
			t.Fatal("empty CPU profile")
		}
	}
	stop()
	if resp, err := http.Get(base + "/debug/pprof/"); err == nil {
		_ = resp.Body.Close()
		t.Fatal("still serving after stop")
	}
}
