package pki

import (
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// ErrNoChain means no path leads from a certificate to a trusted anchor.
var ErrNoChain = errors.New("pki: no certificate chain to a trusted anchor")

// ErrNotValidAtTime means the certificate (or one in its chain) was expired or
// not yet valid at the time asked about.
var ErrNotValidAtTime = errors.New("pki: certificate not valid at the given time")

// ErrKeyUsage means a certificate lacks a key usage it needs.
var ErrKeyUsage = errors.New("pki: certificate key usage does not allow this use")

// TrustStore holds trust anchors and known intermediates. It is immutable
// after construction and safe for concurrent use.
type TrustStore struct {
	roots         *smx509.CertPool
	intermediates *smx509.CertPool
	anchors       []*smx509.Certificate
	// links remembers issuer chains already validated (see links.go);
	// inter lists the intermediates, which a chain may always use.
	links *linkCache
	inter []*smx509.Certificate
}

// NewTrustStore builds a store from anchors (self-signed or not: every anchor
// is trusted as is) and optional intermediates.
func NewTrustStore(anchors, intermediates []*smx509.Certificate) *TrustStore {
	ts := &TrustStore{roots: smx509.NewCertPool(), intermediates: smx509.NewCertPool(), links: newLinkCache(DefaultLinkCacheSize)}
	for _, a := range anchors {
		ts.roots.AddCert(a)
		ts.anchors = append(ts.anchors, a)
	}
	for _, c := range intermediates {
		ts.intermediates.AddCert(c)
		ts.inter = append(ts.inter, c)
	}
	return ts
}

// Anchors returns the trust anchors.
func (ts *TrustStore) Anchors() []*smx509.Certificate {
	return append([]*smx509.Certificate(nil), ts.anchors...)
}

// Empty reports whether the store trusts nothing.
func (ts *TrustStore) Empty() bool { return ts == nil || len(ts.anchors) == 0 }

// VerifyAt validates cert's chain to a trust anchor as of time at, with extra
// intermediates offered by the caller (e.g. from a CMS bag). It requires
// keyUsage digitalSignature on the leaf when signing is true. The error wraps
// ErrNoChain, ErrNotValidAtTime or ErrKeyUsage so callers can tell
// INDETERMINATE from FAILED.
func (ts *TrustStore) VerifyAt(cert *smx509.Certificate, extra []*smx509.Certificate, at time.Time, signing bool) ([][]*smx509.Certificate, error) {
	if ts.Empty() {
		return nil, ErrNoChain
	}
	if signing && cert.KeyUsage != 0 && cert.KeyUsage&smx509.KeyUsageDigitalSignature == 0 {
		return nil, fmt.Errorf("%w: digitalSignature missing", ErrKeyUsage)
	}
	if chains, ok := ts.links.verify(cert, extra, ts.inter, at); ok {
		return chains, nil
	}
	chains, err := ts.verifyFull(cert, extra, at)
	if err == nil {
		ts.links.remember(chains[0], extra, ts.inter)
	}
	return chains, err
}

// verifyFull is the chain validation itself, by smx509.
func (ts *TrustStore) verifyFull(cert *smx509.Certificate, extra []*smx509.Certificate, at time.Time) ([][]*smx509.Certificate, error) {
	ts.links.full.Add(1)
	inter := ts.intermediates
	if len(extra) > 0 {
		inter = ts.intermediates.Clone()
		for _, c := range extra {
			inter.AddCert(c)
		}
	}
	chains, err := cert.Verify(smx509.VerifyOptions{
		Roots:         ts.roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny},
	})
	if err == nil {
		return chains, nil
	}
	var invalid smx509.CertificateInvalidError
	if errors.As(err, &invalid) && invalid.Reason == smx509.Expired {
		return nil, fmt.Errorf("%w: %v", ErrNotValidAtTime, err)
	}
	var unknown smx509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return nil, fmt.Errorf("%w: %v", ErrNoChain, err)
	}
	return nil, fmt.Errorf("pki: chain invalid: %w", err)
}
