package app

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sync/atomic"
)

// CertReloader holds the HTTPS listener's certificate and reads it again
// from its files on Reload (pledged calls it on SIGHUP), so a renewed
// certificate is served to new connections without a restart. A reload
// that fails keeps the certificate already served.
type CertReloader struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// NewCertReloader loads the PEM certificate chain and key once.
func NewCertReloader(certFile, keyFile string) (*CertReloader, error) {
	r := &CertReloader{certFile: certFile, keyFile: keyFile}
	if err := r.Reload(); err != nil {
		return nil, err
	}
	return r, nil
}

// Reload reads the files again and, when they load and match, serves the
// new certificate from the next handshake on.
func (r *CertReloader) Reload() error {
	pair, err := tls.LoadX509KeyPair(r.certFile, r.keyFile)
	if err != nil {
		return fmt.Errorf("cannot load the listener certificate %s and key %s: %w", r.certFile, r.keyFile, err)
	}
	if pair.Leaf == nil {
		if pair.Leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return fmt.Errorf("listener certificate %s: %w", r.certFile, err)
		}
	}
	r.cur.Store(&pair)
	return nil
}

// Current is the certificate served now.
func (r *CertReloader) Current() *tls.Certificate { return r.cur.Load() }

// TLSConfig is the listener's configuration: TLS 1.2 or later, Go's
// default (AEAD, forward-secret) cipher suites, the current certificate.
func (r *CertReloader) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return r.cur.Load(), nil
		},
	}
}
