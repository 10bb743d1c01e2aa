package verify_test

import (
	"context"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/stamp"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// stampedService is e's pledge service with a built-in TSA under the seal
// root: applicant CMS and counter-seals carry tokens. tsaExt are the TSA
// certificate's extensions.
func stampedService(t testing.TB, e *verifytest.Env, tsaExt ...pkix.Extension) *pledge.Service {
	t.Helper()
	now := e.Clock.Now()
	k, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := pki.Issue(pki.CertRequest{Subject: pkix.Name{CommonName: "Test TSA", Organization: []string{"PledgeSeal"}}, PublicKey: k,
		NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(3, 0, 0), ExtraExtensions: tsaExt}, e.SealRoot.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	cert, err := pki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	// Start-up refuses a TSA certificate without the critical EKU; this
	// one is built around tsa.New to see what a verifier makes of it.
	var src tsa.Source
	if a, err := tsa.New(tsa.Config{Cert: cert, Signer: pki.NewKeySigner(k), Policy: []int{1, 2, 156, 99999, 1}, Serials: e.Store, Clock: e.Clock}); err == nil {
		src = a
	} else {
		src = rogueTSA{cert: cert, signer: pki.NewKeySigner(k), clk: e.Clock}
	}
	st := stamp.New(src, true, nil)
	return pledge.NewService(pledge.Deps{
		Catalogue: e.Catalogue, Notices: e.Notices, Bars: e.Bars, Pledges: e.Pledges,
		Indexer: e.Protector, Sealer: stamp.Sealer{Inner: e.Sealer, Stamper: st}, Stamp: st,
		EventCA: e.EventCA.Issuer(), ApplicantTrust: e.ApplicantTrust, Clock: e.Clock, BaseURL: verifytest.BaseURL,
	})
}

// rogueTSA signs tokens with any certificate (what a TSA without the
// critical timeStamping purpose would issue).
type rogueTSA struct {
	cert   *smx509.Certificate
	signer pki.Signer
	clk    interface{ Now() time.Time }
}

func (r rogueTSA) Stamp(_ context.Context, data []byte) ([]byte, error) {
	good := tsaInfo(data, r.clk.Now(), r.cert)
	return pki.SignTimeStampToken(good, r.cert, r.signer, true)
}

// acceptedWith signs and accepts a pledge through svc.
func acceptedWith(t testing.TB, e *verifytest.Env, svc *pledge.Service, key string) pledge.Record {
	t.Helper()
	ctx := context.Background()
	rec, _, err := svc.SignWithEventCertificate(ctx, verifytest.Applicant, e.Request(key))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	e.Clock.Advance(time.Minute)
	if rec, err = svc.Accept(ctx, pledge.Officer{Agency: verifytest.Agency, ID: "officer-1"}, rec.ID, "朝市监许〔2026〕7号", e.Clock.Now().Format(time.DateOnly)); err != nil {
		t.Fatalf("accept: %v", err)
	}
	e.Clock.Advance(time.Minute)
	return rec
}

func find(t *testing.T, r verify.Report, name string) verify.Check {
	t.Helper()
	for _, c := range r.ValidAtSigning.Checks {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no check %s", name)
	return verify.Check{}
}

// TestProvenTimes: a package whose applicant CMS and counter-seal carry
// tokens is judged at the proven times, and the report says so and names
// the TSA; a package without tokens keeps verifying and says its times are
// claimed.
func TestProvenTimes(t *testing.T) {
	e := newEnv(t)
	svc := stampedService(t, e, pki.TimeStampingExtension())
	rec := acceptedWith(t, e, svc, "poe-0000000001")
	r := e.Verifier.Verify(context.Background(), e.Package(t, rec), verify.Public())
	if r.Indication != outcome.TotalPassed {
		t.Fatalf("%s %s: %+v", r.Indication, r.SubIndication, r.ValidAtSigning.Checks)
	}
	s := r.ValidAtSigning
	if s.SignedAtSource == nil || s.SignedAtSource.Source != verify.SourceTSA || !strings.Contains(s.SignedAtSource.TSA, "Test TSA") ||
		s.SealedAtSource == nil || s.SealedAtSource.Source != verify.SourceTSA {
		t.Fatalf("sources %+v %+v", s.SignedAtSource, s.SealedAtSource)
	}
	for _, n := range []string{verify.CheckApplicantTimestamp, verify.CheckAgencySealTimestamp} {
		if c := find(t, r, n); c.Result != outcome.Passed {
			t.Fatalf("%s: %s %s", n, c.Result, c.Detail)
		}
	}

	// The same flow without a TSA: claimed times, still TOTAL_PASSED.
	plain := e.Accepted(t, "poe-0000000002")
	r = e.Verifier.Verify(context.Background(), e.Package(t, plain), verify.Public())
	if r.Indication != outcome.TotalPassed || r.ValidAtSigning.SignedAtSource.Source != verify.SourceClaimed || r.ValidAtSigning.SealedAtSource.Source != verify.SourceClaimed {
		t.Fatalf("%s %+v", r.Indication, r.ValidAtSigning.SignedAtSource)
	}
	if c := find(t, r, verify.CheckApplicantTimestamp); c.Result != outcome.NotPerformed || !strings.Contains(c.Detail, "claimed") {
		t.Fatalf("%s %s", c.Result, c.Detail)
	}
}

// TestProvenTimeAttacks: a token whose TSA lacks the critical timeStamping
// purpose proves nothing (FAILED); an untrusted TSA's token leaves the time
// claimed (INDETERMINATE); a token from after the verification fails.
func TestProvenTimeAttacks(t *testing.T) {
	t.Run("TSA without timeStamping purpose", func(t *testing.T) {
		e := newEnv(t)
		rec := acceptedWith(t, e, stampedService(t, e), "poe-0000000003")
		r := e.Verifier.Verify(context.Background(), e.Package(t, rec), verify.Public())
		if r.Indication != outcome.TotalFailed || r.ValidAtSigning.SignedAtSource.Source != verify.SourceClaimed {
			t.Fatalf("%s %s", r.Indication, r.SubIndication)
		}
		if c := find(t, r, verify.CheckApplicantTimestamp); c.Result != outcome.Failed || c.SubIndication != outcome.ChainConstraintsFailure {
			t.Fatalf("%s %s %s", c.Result, c.SubIndication, c.Detail)
		}
	})
	t.Run("untrusted TSA", func(t *testing.T) {
		e := newEnv(t)
		rec := acceptedWith(t, e, stampedService(t, e, pki.TimeStampingExtension()), "poe-0000000004")
		other, err := verify.New(verify.Options{SealTrust: e.SealTrust, ApplicantTrust: e.ApplicantTrust, Status: e.Status, Clock: e.Clock,
			TSATrust: pki.NewTrustStore([]*smx509.Certificate{e.OutsideCA.Cert}, nil)})
		if err != nil {
			t.Fatal(err)
		}
		r := other.Verify(context.Background(), e.Package(t, rec), verify.Public())
		if c := find(t, r, verify.CheckApplicantTimestamp); c.Result != outcome.Indeterminate || r.ValidAtSigning.SignedAtSource.Source != verify.SourceClaimed {
			t.Fatalf("%s %s", c.Result, c.Detail)
		}
	})
	t.Run("token from the future", func(t *testing.T) {
		e := newEnv(t)
		rec := acceptedWith(t, e, stampedService(t, e, pki.TimeStampingExtension()), "poe-0000000005")
		pkg := e.Package(t, rec)
		e.Clock.Set(e.Clock.Now().Add(-time.Hour)) // the verifier's clock is before the tokens
		r := e.Verifier.Verify(context.Background(), pkg, verify.Public())
		if c := find(t, r, verify.CheckApplicantTimestamp); c.Result != outcome.Failed {
			t.Fatalf("%s %s", c.Result, c.Detail)
		}
	})
}

// tsaInfo is a TSTInfo over the SM3 of data at gen.
func tsaInfo(data []byte, gen time.Time, cert *smx509.Certificate) []byte {
	d := pki.Digest(data)
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(1)
		b.AddASN1ObjectIdentifier([]int{1, 2, 156, 99999, 1})
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(pki.OIDSM3()); b.AddASN1NULL() })
			b.AddASN1OctetString(d[:])
		})
		b.AddASN1Int64(gen.Unix())
		b.AddASN1(cbasn1.GeneralizedTime, func(b *cryptobyte.Builder) { b.AddBytes([]byte(gen.UTC().Format("20060102150405Z"))) })
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(4).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) { b.AddBytes(cert.RawSubject) })
		})
	})
	return b.BytesOrPanic()
}
