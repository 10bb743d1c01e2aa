package config

import (
	"io"
	"strings"
	"testing"
)

// TestPprofAddr: off by default; loopback addresses only.
func TestPprofAddr(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     []string
		want    string // the address kept; "" = off
		refused bool
	}{
		{"off by default", nil, nil, "", false},
		{"loopback v4", nil, []string{"PLEDGESEAL_PPROF_ADDR=127.0.0.1:6060"}, "127.0.0.1:6060", false},
		{"loopback v4 other", []string{"-pprof-addr", "127.0.0.2:0"}, nil, "127.0.0.2:0", false},
		{"loopback v6", nil, []string{"PLEDGESEAL_PPROF_ADDR=[::1]:6060"}, "[::1]:6060", false},
		{"localhost", nil, []string{"PLEDGESEAL_PPROF_ADDR=localhost:6060"}, "localhost:6060", false},
		{"all interfaces", nil, []string{"PLEDGESEAL_PPROF_ADDR=:6060"}, "", true},
		{"any v4", nil, []string{"PLEDGESEAL_PPROF_ADDR=0.0.0.0:6060"}, "", true},
		{"public address", []string{"-pprof-addr", "10.1.2.3:6060"}, nil, "", true},
		{"host name", nil, []string{"PLEDGESEAL_PPROF_ADDR=example.com:6060"}, "", true},
		{"no port", nil, []string{"PLEDGESEAL_PPROF_ADDR=127.0.0.1"}, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load(tc.args, append(append([]string{}, base...), tc.env...), io.Discard)
			if tc.refused {
				if err == nil {
					t.Fatalf("accepted: %q", c.PprofAddr)
				}
				if msg := strings.ToLower(err.Error()); !strings.Contains(msg, "pprof") || !strings.Contains(msg, "loopback") && !strings.Contains(msg, "host:port") {
					t.Fatalf("refusal does not say why: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.PprofAddr != tc.want {
				t.Fatalf("PprofAddr %q, want %q", c.PprofAddr, tc.want)
			}
		})
	}
}
