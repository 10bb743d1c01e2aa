package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/spf13/cobra"
)

// healthFailed is a probe that got no 200 (exit 1).
type healthFailed struct{ msg string }

func (e healthFailed) Error() string { return e.msg }
func (e healthFailed) ExitCode() int { return 1 }

// newHealthCmd is the container HEALTHCHECK: GET /readyz of the local
// pledged (the image has no shell or curl).
func newHealthCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	var target string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "health [--url URL]",
		Short: "Probe the local pledged's /readyz; exit 0 when ready (container HEALTHCHECK)",
		Long: `Probes GET /readyz. Without --url the address comes from PLEDGESEAL_LISTEN
(a wildcard host becomes 127.0.0.1) and the scheme is https when
PLEDGESEAL_TLS_CERT_FILE is set. For a loopback https target the certificate
is not verified (its name is the public one); the probe sends no credentials
and reads only the status. Exit 0: ready; 1: not ready or unreachable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			u := target
			if u == "" {
				var err error
				if u, err = localReadyz(getenv); err != nil {
					return usageError{err}
				}
			}
			pu, err := url.Parse(u)
			if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
				return usageError{fmt.Errorf("--url %q is not an absolute http(s) URL", u)}
			}
			tr := &http.Transport{DisableKeepAlives: true}
			if ip := net.ParseIP(pu.Hostname()); pu.Scheme == "https" && (pu.Hostname() == "localhost" || (ip != nil && ip.IsLoopback())) {
				tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12} //nolint:gosec // loopback liveness probe, no credentials sent
			}
			client := &http.Client{Timeout: timeout, Transport: tr}
			resp, err := client.Get(u)
			if err != nil {
				return healthFailed{"not ready: " + err.Error()}
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return healthFailed{fmt.Sprintf("not ready: %s answered %d", u, resp.StatusCode)}
			}
			fmt.Fprintln(stdout, "ready")
			return nil
		},
	}
	cmd.Flags().StringVar(&target, "url", "", "readiness URL (default from PLEDGESEAL_LISTEN)")
	cmd.Flags().DurationVar(&timeout, "timeout", 3*time.Second, "how long to wait for the answer")
	return cmd
}

// localReadyz is the /readyz URL of the pledged configured in getenv's
// environment, reached over loopback.
func localReadyz(getenv func(string) string) (string, error) {
	listen := getenv("PLEDGESEAL_LISTEN")
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("PLEDGESEAL_LISTEN=%q: %v", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	scheme := "http"
	if getenv("PLEDGESEAL_TLS_CERT_FILE") != "" {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/readyz", nil
}
