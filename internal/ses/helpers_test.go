package ses

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

// testPKI is a root CA with a seal-maker and a signer certificate.
type testPKI struct {
	root                *smx509.Certificate
	rootDER             []byte
	rootKey             *sm2.PrivateKey
	ca                  *pkitest.Cert // the root as a CA that issues
	makerKey, signerKey *sm2.PrivateKey
	makerDER, signerDER []byte
	trust               *pki.TrustStore
	notBefore, notAfter time.Time
}

func newTestPKI(t testing.TB, notBefore time.Time) *testPKI {
	t.Helper()
	p := &testPKI{notBefore: notBefore, notAfter: notBefore.AddDate(2, 0, 0)}
	root := pkitest.NewCA(t, "PledgeSeal Test Root", notBefore.Add(-time.Hour), notBefore.AddDate(10, 0, 0), 0)
	p.ca, p.rootKey, p.rootDER, p.root = root, root.Key, root.DER, root.Cert
	leaf := func(cn string) (*sm2.PrivateKey, []byte) {
		l := root.Leaf(t, cn, p.notBefore, p.notAfter)
		return l.Key, l.DER
	}
	p.makerKey, p.makerDER = leaf("Test Seal Maker")
	p.signerKey, p.signerDER = leaf("Test Agency Signer")
	p.trust = pki.NewTrustStore([]*smx509.Certificate{p.root}, nil)
	return p
}

func (p *testPKI) maker() Maker {
	return Maker{Signer: pki.NewKeySigner(p.makerKey), Cert: p.makerDER}
}

func (p *testPKI) signer() Signer {
	return Signer{Signer: pki.NewKeySigner(p.signerKey), Cert: p.signerDER}
}

func (p *testPKI) sealRequest(t testing.TB) SealRequest {
	return SealRequest{
		ESID: "11010000000001", Type: 1, Name: "测试市市场监督管理局",
		SignerCerts: [][]byte{p.signerDER},
		ValidStart:  p.notBefore, ValidEnd: p.notBefore.AddDate(1, 0, 0),
		Picture: Picture{Type: "png", Data: readFile(t, "testdata/seal.png"), Width: 40, Height: 40},
	}
}

func readFile(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.FromSlash(name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (p *testPKI) makeSeal(t testing.TB, clk clock.Clock) *Seal {
	t.Helper()
	s, err := MakeSeal(p.sealRequest(t), p.maker(), clk)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (p *testPKI) sign(t testing.TB, seal *Seal, data []byte, clk clock.Clock) *Signature {
	t.Helper()
	s, err := Sign(SignRequest{Seal: seal, DataHash: DataDigest(data), PropertyInfo: "pledge/1"}, p.signer(), clk)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// failedChecks lists the names of FAILED checks.
func failedChecks(r outcome.Report) []string {
	var out []string
	for _, c := range r.Checks {
		if c.Result == outcome.Failed {
			out = append(out, c.Name)
		}
	}
	return out
}

// fakeStatus is a status.Source answering from a table; it records calls.
type fakeStatus struct {
	byDigest map[[32]byte]status.Code
	err      error
	calls    int
	asked    [][]status.Subject
}

func (f *fakeStatus) Lookup(_ context.Context, at time.Time, subs []status.Subject) (status.Answer, error) {
	f.calls++
	f.asked = append(f.asked, subs)
	if f.err != nil {
		return status.Answer{}, f.err
	}
	out := status.Answer{ReadAt: at}
	for _, s := range subs {
		c, ok := f.byDigest[s.Digest]
		if !ok {
			c = status.Unknown
		}
		out.Results = append(out.Results, status.Result{Subject: s, At: status.State{Code: c, Since: at.Add(-time.Hour)}, Now: status.State{Code: c}})
	}
	return out, nil
}
