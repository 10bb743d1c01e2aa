package pki

import (
	"crypto/x509/pkix"
	"errors"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
)

func issueTest(t *testing.T, name string, iss *Issuer, ca bool, maxPath int, nb, na time.Time) (*Issuer, *smx509.Certificate) {
	t.Helper()
	key, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := Issue(CertRequest{Subject: pkix.Name{CommonName: name}, PublicKey: key, NotBefore: nb, NotAfter: na, IsCA: ca, MaxPathLen: maxPath}, iss)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Issuer{Cert: c, Key: key}, c
}

// TestLinkCacheAgreesWithFullValidation validates a second leaf through a
// store whose cache holds the CA → root link and through a fresh store, and
// requires the same answer; only the good case may use the cache.
func TestLinkCacheAgreesWithFullValidation(t *testing.T) {
	root, _ := issueTest(t, "Link Root", nil, true, -1, t0, t0.AddDate(10, 0, 0))
	ca, _ := issueTest(t, "Link CA", root, true, 0, t0, t0.AddDate(2, 0, 0))
	// Same subject as the CA, another key: what a forger would offer.
	impostor, _ := issueTest(t, "Link CA", nil, true, 0, t0, t0.AddDate(2, 0, 0))
	ca2, _ := issueTest(t, "Link CA 2", ca, true, -1, t0, t0.AddDate(2, 0, 0))
	leafOf := func(iss *Issuer, nb, na time.Time) *smx509.Certificate {
		_, c := issueTest(t, "Event", iss, false, 0, nb, na)
		return c
	}
	at := t0.Add(24 * time.Hour)
	warmLeaf := leafOf(ca, t0, t0.AddDate(1, 0, 0))
	cases := []struct {
		name   string
		leaf   *smx509.Certificate
		extra  []*smx509.Certificate
		at     time.Time
		cached bool
		want   error // nil: valid
	}{
		{"another leaf of the CA", leafOf(ca, t0, t0.AddDate(1, 0, 0)), []*smx509.Certificate{ca.Cert}, at, true, nil},
		{"the CA offered among others", leafOf(ca, t0, t0.AddDate(1, 0, 0)), []*smx509.Certificate{impostor.Cert, root.Cert, ca.Cert}, at, true, nil},
		{"CA not offered", leafOf(ca, t0, t0.AddDate(1, 0, 0)), nil, at, false, ErrNoChain},
		{"leaf signed by an impostor, real CA offered", leafOf(impostor, t0, t0.AddDate(1, 0, 0)), []*smx509.Certificate{ca.Cert}, at, false, ErrNoChain},
		{"leaf signed by an impostor, impostor offered", leafOf(impostor, t0, t0.AddDate(1, 0, 0)), []*smx509.Certificate{impostor.Cert}, at, false, ErrNoChain},
		{"leaf expired", leafOf(ca, t0, t0.Add(time.Hour)), []*smx509.Certificate{ca.Cert}, at, false, ErrNotValidAtTime},
		{"CA expired at the time asked", leafOf(ca, t0, t0.AddDate(5, 0, 0)), []*smx509.Certificate{ca.Cert}, t0.AddDate(3, 0, 0), false, ErrNotValidAtTime},
		{"CA not yet valid", leafOf(ca, t0.Add(-48*time.Hour), t0.AddDate(1, 0, 0)), []*smx509.Certificate{ca.Cert}, t0.Add(-time.Hour), false, ErrNotValidAtTime},
		{"path too long under a CA limited to 0", leafOf(ca2, t0, t0.AddDate(1, 0, 0)), []*smx509.Certificate{ca2.Cert, ca.Cert}, at, false, errors.New("any")},
	}
	warm := NewTrustStore([]*smx509.Certificate{root.Cert}, nil)
	if _, err := warm.VerifyAt(warmLeaf, []*smx509.Certificate{ca.Cert}, at, true); err != nil {
		t.Fatal(err)
	}
	if s := warm.Stats(); s.Full != 1 || s.Cached != 0 {
		t.Fatalf("after the first validation: %+v", s)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cold := NewTrustStore([]*smx509.Certificate{root.Cert}, nil)
			before := warm.Stats()
			wc, werr := warm.VerifyAt(tc.leaf, tc.extra, tc.at, true)
			cc, cerr := cold.VerifyAt(tc.leaf, tc.extra, tc.at, true)
			after := warm.Stats()
			if (werr == nil) != (cerr == nil) || (werr != nil && werr.Error() != cerr.Error()) {
				t.Fatalf("warm: %v; cold: %v", werr, cerr)
			}
			if tc.want == nil && werr != nil {
				t.Fatalf("refused: %v", werr)
			}
			if tc.want != nil {
				if werr == nil {
					t.Fatal("accepted")
				}
				if (tc.want == ErrNoChain || tc.want == ErrNotValidAtTime) && !errors.Is(werr, tc.want) {
					t.Fatalf("got %v, want %v", werr, tc.want)
				}
			}
			if got := after.Cached - before.Cached; got != map[bool]uint64{true: 1, false: 0}[tc.cached] {
				t.Fatalf("cached validations +%d, want cached=%v", got, tc.cached)
			}
			if tc.cached {
				if after.LinksSkipped-before.LinksSkipped != 1 || after.Full != before.Full {
					t.Fatalf("stats %+v → %+v", before, after)
				}
				if len(wc) != 1 || len(wc[0]) != len(cc[0]) {
					t.Fatalf("chains warm %d, cold %v", len(wc), cc)
				}
				for i := range wc[0] {
					if !wc[0][i].Equal(cc[0][i]) {
						t.Fatalf("chain element %d differs", i)
					}
				}
			}
		})
	}
}

// TestLinkCacheBounded checks the cache keeps at most its size.
func TestLinkCacheBounded(t *testing.T) {
	root, _ := issueTest(t, "Bound Root", nil, true, -1, t0, t0.AddDate(10, 0, 0))
	ts := NewTrustStore([]*smx509.Certificate{root.Cert}, nil)
	ts.links = newLinkCache(2)
	at := t0.Add(time.Hour)
	for i := range 4 {
		ca, _ := issueTest(t, "Bound CA "+string(rune('A'+i)), root, true, 0, t0, t0.AddDate(2, 0, 0))
		_, leaf := issueTest(t, "Leaf", ca, false, 0, t0, t0.AddDate(1, 0, 0))
		if _, err := ts.VerifyAt(leaf, []*smx509.Certificate{ca.Cert}, at, true); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(ts.links.m); n != 2 || len(ts.links.order) != 2 {
		t.Fatalf("cache holds %d (order %d), want 2", n, len(ts.links.order))
	}
}

// TestLinkCacheStoreIntermediate: a CA that is one of the store's own
// intermediates is always available, so its chain is kept and used without
// the caller offering it; a CA neither offered nor configured is not.
func TestLinkCacheStoreIntermediate(t *testing.T) {
	root, _ := issueTest(t, "Own Root", nil, true, -1, t0, t0.AddDate(10, 0, 0))
	ca, _ := issueTest(t, "Own CA", root, true, 0, t0, t0.AddDate(2, 0, 0))
	other, _ := issueTest(t, "Other CA", root, true, 0, t0, t0.AddDate(2, 0, 0))
	at := t0.Add(time.Hour)
	ts := NewTrustStore([]*smx509.Certificate{root.Cert}, []*smx509.Certificate{ca.Cert})
	for i := range 3 {
		_, leaf := issueTest(t, "Event", ca, false, 0, t0, t0.AddDate(1, 0, 0))
		chains, err := ts.VerifyAt(leaf, nil, at, true)
		if err != nil {
			t.Fatal(err)
		}
		if len(chains[0]) != 3 || !chains[0][1].Equal(ca.Cert) || !chains[0][2].Equal(root.Cert) {
			t.Fatalf("chain %d: %d certificates", i, len(chains[0]))
		}
	}
	if s := ts.Stats(); s.Full != 1 || s.Cached != 2 || s.LinksSkipped != 2 {
		t.Fatalf("stats %+v", s)
	}
	// Not configured and not offered: refused, whatever the cache holds.
	_, leaf := issueTest(t, "Event", other, false, 0, t0, t0.AddDate(1, 0, 0))
	if _, err := ts.VerifyAt(leaf, []*smx509.Certificate{other.Cert}, at, true); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.VerifyAt(leaf, nil, at, true); !errors.Is(err, ErrNoChain) {
		t.Fatalf("CA neither offered nor configured: %v", err)
	}
}
