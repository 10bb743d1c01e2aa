package ofdmake_test

import (
	"context"
	"crypto/x509/pkix"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/stamp"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// stampingSealer is the server's OFD sealer: the time-stamping agency
// sealer with the registry sealer's choice of seal (app.ofdSealer).
type stampingSealer struct {
	pledge.Sealer
	active ofdmake.Sealer
}

func (s stampingSealer) ActiveSeal(ctx context.Context, agency string) (*ses.Seal, error) {
	return s.active.ActiveSeal(ctx, agency)
}

// TestStampedOFDProvesItsTime: sealed as the server seals when a TSA is
// configured, the OFD's SES signature carries a token in its timeStamp
// field and the timestamp check PASSES (only the registry status checks,
// which a ses.Verifier never performs, are NOT_PERFORMED).
func TestStampedOFDProvesItsTime(t *testing.T) {
	f := newFixture(t)
	pkg := f.accepted(t, f.env.Request("ofd-stamped-01"))
	now := f.env.Clock.Now()
	k, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.Issue(pki.CertRequest{Subject: pkix.Name{CommonName: "Test TSA", Organization: []string{"PledgeSeal"}}, PublicKey: k,
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(3, 0, 0), ExtraExtensions: []pkix.Extension{pki.TimeStampingExtension()}}, f.env.SealRoot.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	authority, err := tsa.New(tsa.Config{Cert: cert, Signer: pki.NewKeySigner(k), Policy: []int{1, 2, 156, 99999, 1}, Serials: f.env.Store, Clock: f.env.Clock})
	if err != nil {
		t.Fatal(err)
	}
	st := stamp.New(authority, true, nil)
	f.writer = &ofdmake.Writer{Sealer: stampingSealer{Sealer: stamp.Sealer{Inner: f.env.Sealer, Stamper: st}, active: f.env.Sealer}, Clock: f.env.Clock}
	reps := f.verify(t, f.write(t, pkg, false))
	allPassed(t, reps)
	if c, ok := reps[0].Find(ses.CheckTimestamp); !ok || c.Result != outcome.Passed {
		t.Fatalf("timestamp check of a stamped OFD: %+v", c)
	}
}
