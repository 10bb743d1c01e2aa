package pki

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

// DefaultLinkCacheSize bounds the issuer chains a TrustStore remembers.
const DefaultLinkCacheSize = 256

// ChainStats counts a TrustStore's chain validations.
type ChainStats struct {
	// Full counts validations smx509 ran in full: every link's signature
	// was checked.
	Full uint64
	// Cached counts validations whose issuer chain was already validated:
	// only the leaf's own link (one SM2 verification) was checked.
	Cached uint64
	// LinksSkipped counts the issuer-chain signature checks (one SM2
	// verification each) that Cached validations did not repeat.
	LinksSkipped uint64
}

// Stats returns the store's chain-validation counters.
func (ts *TrustStore) Stats() ChainStats {
	if ts == nil || ts.links == nil {
		return ChainStats{}
	}
	return ChainStats{Full: ts.links.full.Load(), Cached: ts.links.cached.Load(), LinksSkipped: ts.links.skipped.Load()}
}

// linkCache remembers, by the SM3 of an issuing CA certificate's DER, the
// rest of a chain that a full validation found from that CA to one of the
// store's anchors: [CA, ..., anchor]. Every signature in it was checked
// then, and a signature over fixed bytes does not change; what depends on
// the time or on the leaf is checked again on every use (validity at the
// time asked, path lengths, the leaf's own link, which smx509 verifies with
// the CA as the only root). The leaf's own link is never cached, so a
// one-time event certificate always costs its SM2 verification; the
// applicant CA → root link, the same for every pledge, costs one per CA.
//
// A cached chain is only used when the same CA certificate is available
// to a full validation too (offered by the caller in extra, or one of the
// store's intermediates), and never for
// chains with name or policy constraints, whose checks depend on the leaf:
// those always take the full path. A use that fails for any reason falls
// back to the full path, which then chooses the result and the error, so
// the cache can only save work, never change an answer.
type linkCache struct {
	mu    sync.Mutex
	max   int
	m     map[[32]byte]*linkEntry
	order [][32]byte

	full, cached, skipped atomic.Uint64
}

type linkEntry struct {
	tail []*smx509.Certificate // [CA, ..., anchor]
	root *smx509.CertPool      // the CA alone
}

func newLinkCache(max int) *linkCache {
	return &linkCache{max: max, m: make(map[[32]byte]*linkEntry)}
}

// constrained reports whether c carries name or policy constraints or
// policy mappings, whose checks the cache does not repeat.
func constrained(c *smx509.Certificate) bool {
	return c.PermittedDNSDomainsCritical || len(c.PermittedDNSDomains) > 0 || len(c.ExcludedDNSDomains) > 0 ||
		len(c.PermittedIPRanges) > 0 || len(c.ExcludedIPRanges) > 0 ||
		len(c.PermittedEmailAddresses) > 0 || len(c.ExcludedEmailAddresses) > 0 ||
		len(c.PermittedURIDomains) > 0 || len(c.ExcludedURIDomains) > 0 ||
		c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero ||
		c.InhibitPolicyMapping > 0 || c.InhibitPolicyMappingZero ||
		c.InhibitAnyPolicy > 0 || c.InhibitAnyPolicyZero || len(c.PolicyMappings) > 0
}

// remember stores the issuer part of chain (leaf first, anchor last) when
// it has one worth keeping: at least one link above the leaf, an issuing
// CA available to every validation (in extra or own), and no constraints.
func (lc *linkCache) remember(chain, extra, own []*smx509.Certificate) {
	if lc == nil || len(chain) < 3 {
		return
	}
	ca := chain[1]
	if !ca.BasicConstraintsValid || !ca.IsCA || (!offered(ca, extra) && !offered(ca, own)) {
		return
	}
	for _, c := range chain {
		if constrained(c) {
			return
		}
	}
	key := Digest(ca.Raw)
	root := smx509.NewCertPool()
	root.AddCert(ca)
	e := &linkEntry{tail: append([]*smx509.Certificate(nil), chain[1:]...), root: root}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if _, ok := lc.m[key]; ok {
		return
	}
	if len(lc.order) >= lc.max {
		delete(lc.m, lc.order[0])
		lc.order = lc.order[1:]
	}
	lc.m[key] = e
	lc.order = append(lc.order, key)
}

func offered(c *smx509.Certificate, extra []*smx509.Certificate) bool {
	for _, e := range extra {
		if e == c || bytes.Equal(e.Raw, c.Raw) {
			return true
		}
	}
	return false
}

func (lc *linkCache) get(key [32]byte) *linkEntry {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.m[key]
}

// verify validates leaf at time at through a remembered issuer chain of a
// CA in extra or own (the store's intermediates). ok is false when there is
// none or it does not fit; the caller then validates in full.
func (lc *linkCache) verify(leaf *smx509.Certificate, extra, own []*smx509.Certificate, at time.Time) ([][]*smx509.Certificate, bool) {
	if lc == nil || leaf.IsCA || constrained(leaf) {
		return nil, false
	}
	for _, list := range [2][]*smx509.Certificate{extra, own} {
		for _, ca := range list {
			if chains, ok := lc.through(leaf, ca, at); ok {
				return chains, true
			}
		}
	}
	return nil, false
}

// through validates leaf through the remembered chain of ca, if any.
func (lc *linkCache) through(leaf, ca *smx509.Certificate, at time.Time) ([][]*smx509.Certificate, bool) {
	if !bytes.Equal(ca.RawSubject, leaf.RawIssuer) {
		return nil, false
	}
	e := lc.get(Digest(ca.Raw))
	if e == nil || !e.fits(leaf, at) {
		return nil, false
	}
	// The leaf's own link, validity and critical extensions, with the CA as
	// the only root: exactly the leaf's part of a full validation.
	if _, err := leaf.Verify(smx509.VerifyOptions{
		Roots:       e.root,
		CurrentTime: at,
		KeyUsages:   []smx509.ExtKeyUsage{smx509.ExtKeyUsageAny},
	}); err != nil {
		return nil, false
	}
	lc.cached.Add(1)
	lc.skipped.Add(uint64(len(e.tail) - 1))
	chain := append([]*smx509.Certificate{leaf}, e.tail...)
	return [][]*smx509.Certificate{chain}, true
}

// fits checks what a full validation of leaf through e.tail checks that
// does not come from the cached signatures: every issuer valid at at, the
// path-length limits with the leaf below, and no loop back to the leaf's
// name.
func (e *linkEntry) fits(leaf *smx509.Certificate, at time.Time) bool {
	for k, c := range e.tail {
		if at.Before(c.NotBefore) || at.After(c.NotAfter) {
			return false
		}
		// Intermediates below c in the full chain: the CA and those between.
		if k > 0 && c.BasicConstraintsValid && c.MaxPathLen >= 0 && k > c.MaxPathLen {
			return false
		}
		if bytes.Equal(c.RawSubject, leaf.RawSubject) {
			return false
		}
	}
	return true
}
