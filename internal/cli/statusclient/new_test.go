package statusclient

import (
	"testing"
	"time"
)

// TestNewRefusesPlainHTTPToOtherHosts: the registry's answers are not
// signed, so plain http is taken only to this machine; anything else must
// be https.
func TestNewRefusesPlainHTTPToOtherHosts(t *testing.T) {
	for base, ok := range map[string]bool{
		"http://127.0.0.1:8080":      true,
		"http://localhost:8080":      true,
		"http://[::1]:8080":          true,
		"https://pledge.example.gov": true,
		"http://pledge.example.gov":  false,
		"http://10.0.0.8:8080":       false,
		"ftp://127.0.0.1":            false,
		"https://":                   false,
	} {
		if _, err := New(base, time.Second); (err == nil) != ok {
			t.Errorf("%s: err %v, want accepted=%v", base, err, ok)
		}
	}
}
