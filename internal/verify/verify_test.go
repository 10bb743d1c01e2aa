package verify_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newEnv(t *testing.T, addr ...string) *verifytest.Env { return newEnvB(t, addr...) }

func newEnvB(t testing.TB, addr ...string) *verifytest.Env {
	t.Helper()
	if len(addr) == 0 {
		addr = []string{testredis.Addr(t)}
	}
	clk := clock.NewFake(t0)
	st, err := store.New(store.Options{Addrs: addr, Prefix: testredis.Prefix(t), Timeout: time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e := verifytest.New(t, st, clk)
	e.Ready(t)
	return e
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
func unb64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ownSigned prepares a pledge and submits a CMS by signer over the draft.
func ownSigned(t *testing.T, e *verifytest.Env, key string, signer verifytest.CA) pledge.Record {
	t.Helper()
	ctx := context.Background()
	p, err := e.Service.Prepare(ctx, verifytest.Applicant, e.Request(key))
	if err != nil {
		t.Fatal(err)
	}
	cms, err := pki.SignDetached(p.Draft.Document, signer.Cert.Raw, pki.NewKeySigner(signer.Key), e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := e.Service.SubmitOwnSignature(ctx, verifytest.Applicant, p.Draft.ID, cms)
	if err != nil {
		t.Fatalf("submit own signature: %v", err)
	}
	return rec
}

func want(t *testing.T, r verify.Report, ind outcome.Indication, sub outcome.SubIndication) {
	t.Helper()
	if r.Indication != ind || r.SubIndication != sub {
		js, _ := json.MarshalIndent(r, "", " ")
		t.Fatalf("got %s/%s, want %s/%s\n%s", r.Indication, r.SubIndication, ind, sub, js)
	}
}

func TestVerifyCases(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	officer := pledge.Officer{Agency: verifytest.Agency, ID: "officer-1"}
	accepted := e.Accepted(t, "key-accepted-1")
	acceptedPkg := e.Package(t, accepted)
	other := e.Accepted(t, "key-accepted-2")
	otherPkg := e.Package(t, other)

	citizen := verifytest.NewLeaf(t, "张三丰", e.CitizenCA, t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0), verifytest.Applicant.IDNumber)
	own := ownSigned(t, e, "key-own-0001", citizen)
	e.Clock.Advance(time.Minute)
	own, err := e.Service.Accept(ctx, officer, own.ID, "朝市监许〔2026〕8号", "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	ownPkg := e.Package(t, own)

	signedOnly, _, err := e.Service.SignWithEventCertificate(ctx, verifytest.Applicant, e.Request("key-signed-only"))
	if err != nil {
		t.Fatal(err)
	}
	signedPkg := e.Package(t, signedOnly)

	withdrawn, _, err := e.Service.SignWithEventCertificate(ctx, verifytest.Applicant, e.Request("key-withdrawn"))
	if err != nil {
		t.Fatal(err)
	}
	if withdrawn, err = e.Service.Withdraw(ctx, verifytest.Applicant, withdrawn.ID, "材料有误，改走普通程序"); err != nil {
		t.Fatal(err)
	}
	withdrawnPkg := e.Package(t, withdrawn)

	revoked := e.Accepted(t, "key-revoked")
	revokedPkg := e.Package(t, revoked)
	if _, err := e.Revoc.Revoke(ctx, auth.Principal{Role: auth.RoleEnforcement, Org: "110105", TokenID: "t"}, seal.RevokeRequest{
		Subjects: []status.Subject{verifytest.SubjectOfPledge(revoked.ID)}, Reason: seal.ReasonDecisionRevoked, DocumentNo: "朝市监撤〔2026〕1号",
	}); err != nil {
		t.Fatalf("revoke: %v", err)
	}

	outside := verifytest.NewLeaf(t, "张三丰", e.OutsideCA, t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0), verifytest.Applicant.IDNumber)
	signedDoc := verifytest.MutatePackage(t, signedPkg, func(*pledge.Package) {})
	var sp pledge.Package
	_ = json.Unmarshal(signedDoc, &sp)
	outsideCMS, err := pki.SignDetached(unb64(t, sp.Document), outside.Cert.Raw, pki.NewKeySigner(outside.Key), e.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		pkg  []byte
		ind  outcome.Indication
		sub  outcome.SubIndication
	}{
		{"accepted event certificate", acceptedPkg, outcome.TotalPassed, outcome.None},
		{"accepted own certificate", ownPkg, outcome.TotalPassed, outcome.None},
		{"signed, awaiting decision", signedPkg, outcome.IndeterminateResult, verify.AwaitingDecision},
		{"withdrawn", withdrawnPkg, outcome.TotalFailed, outcome.PledgeWithdrawn},
		{"decision revoked", revokedPkg, outcome.TotalFailed, outcome.DecisionRevoked},
		{"not JSON", []byte("{"), outcome.TotalFailed, outcome.FormatFailure},
		{"bad base64", verifytest.MutatePackage(t, acceptedPkg, func(p *pledge.Package) { p.Document = "***" }), outcome.TotalFailed, outcome.FormatFailure},
		{"bad DER", verifytest.MutatePackage(t, acceptedPkg, func(p *pledge.Package) { p.ApplicantSignature.CMS = b64([]byte{0x30, 0x03, 0x02}) }), outcome.TotalFailed, outcome.FormatFailure},
		{"unknown field", []byte(strings.Replace(string(acceptedPkg), `"format"`, `"extra": 1, "format"`, 1)), outcome.TotalFailed, outcome.FormatFailure},
		{"tampered document", verifytest.MutatePackage(t, acceptedPkg, func(p *pledge.Package) {
			d, err := pledge.ParseDocument(unb64(t, p.Document))
			if err != nil {
				t.Fatal(err)
			}
			d.Facts[0].Value = "北京市象棋协会"
			c, err := d.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			p.Document = b64(c)
		}), outcome.TotalFailed, outcome.HashFailure},
		{"notice digest mismatch", verifytest.MutatePackage(t, acceptedPkg, func(p *pledge.Package) {
			n := e.Published.Notice
			n.Liability = pledge.Text{Zh: "无责任"}
			c, err := n.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			p.Notice.Document = b64(c)
		}), outcome.TotalFailed, outcome.NoticeMismatch},
		{"certificate outside the trust anchors", verifytest.MutatePackage(t, signedPkg, func(p *pledge.Package) {
			p.ApplicantSignature = pledge.PackageSignature{Way: pledge.WayOwnCertificate, CMS: b64(outsideCMS)}
			p.Certificates = []string{}
		}), outcome.TotalFailed, outcome.NoCertificateChainFound},
		{"swapped applicant signature", verifytest.MutatePackage(t, acceptedPkg, func(p *pledge.Package) {
			var o pledge.Package
			_ = json.Unmarshal(otherPkg, &o)
			p.ApplicantSignature = o.ApplicantSignature
		}), outcome.TotalFailed, outcome.HashFailure},
		{"corrupted signature value", verifytest.MutatePackage(t, signedPkg, func(p *pledge.Package) {
			der := unb64(t, p.ApplicantSignature.CMS)
			cms, err := pki.ParseCMS(der)
			if err != nil {
				t.Fatal(err)
			}
			sig := cms.Signers[0].Signature
			i := bytes.Index(der, sig)
			if i < 0 {
				t.Fatal("signature value not found in the CMS")
			}
			bad := append([]byte{}, der...)
			bad[i+len(sig)-1] ^= 0x01 // last byte of s: still DER, no longer valid
			p.ApplicantSignature.CMS = b64(bad)
		}), outcome.TotalFailed, outcome.SigCryptoFailure},
		{"SES made over another pledge", verifytest.MutatePackage(t, acceptedPkg, func(p *pledge.Package) {
			var o pledge.Package
			_ = json.Unmarshal(otherPkg, &o)
			p.AgencySeal = o.AgencySeal
		}), outcome.TotalFailed, outcome.HashFailure},
		{"expired seal", verifytest.MutatePackage(t, acceptedPkg, func(p *pledge.Package) {
			data := unb64(t, p.AgencySeal.SealedData)
			p.AgencySeal.SES = b64(e.SignAt(t, data, e.Seal.Info.Property.ValidEnd.Add(24*time.Hour), "pledge:"+p.PledgeID))
		}), outcome.TotalFailed, outcome.SealOutOfValidity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.Verifier.Verify(ctx, c.pkg, verify.Public())
			want(t, r, c.ind, c.sub)
			for _, ch := range r.Checks() {
				if ch.Detail == "" {
					t.Errorf("check %s has no detail", ch.Name)
				}
				if (ch.Result == outcome.Failed || ch.Result == outcome.Indeterminate) && ch.SubIndication == "" {
					t.Errorf("check %s is %s without a sub-indication", ch.Name, ch.Result)
				}
			}
		})
	}

	t.Run("masking", func(t *testing.T) {
		pub := e.Verifier.Verify(ctx, acceptedPkg, verify.Public())
		if !pub.Pledge.Applicant.Masked || pub.Pledge.Applicant.Name != "张*丰" || pub.Pledge.Applicant.IDNumber != "1101**********1234" {
			t.Fatalf("public view not masked: %+v", pub.Pledge.Applicant)
		}
		ag := e.Verifier.Verify(ctx, acceptedPkg, verify.Viewer{Agency: verifytest.Agency})
		app := verifytest.Applicant
		me := e.Verifier.Verify(ctx, acceptedPkg, verify.Viewer{Applicant: &app})
		for _, r := range []verify.Report{ag, me} {
			if r.Pledge.Applicant.Masked || r.Pledge.Applicant.IDNumber != app.IDNumber {
				t.Fatalf("owner view masked: %+v", r.Pledge.Applicant)
			}
		}
		other := e.Verifier.Verify(ctx, acceptedPkg, verify.Viewer{Agency: "110000-OTHER"})
		if !other.Pledge.Applicant.Masked {
			t.Fatal("another agency sees personal data")
		}
	})

	t.Run("signing time and now kept apart; freshness", func(t *testing.T) {
		r := e.Verifier.Verify(ctx, acceptedPkg, verify.Public())
		if r.ValidAtSigning.SealedAt == nil || r.ValidAtSigning.SignedAt == nil || r.Freshness.StatusReadAt == nil {
			t.Fatalf("times missing: %+v %+v", r.ValidAtSigning, r.Freshness)
		}
		if !r.Freshness.StatusReadAt.Equal(e.Clock.Now()) {
			t.Fatalf("status read at %v, clock %v", r.Freshness.StatusReadAt, e.Clock.Now())
		}
		if r.StatusNow.State != status.Active {
			t.Fatalf("state now %s", r.StatusNow.State)
		}
		for _, c := range r.ValidAtSigning.Checks {
			if c.Scope != verify.ScopeSigning {
				t.Fatalf("%s in the wrong part", c.Name)
			}
		}
		for _, c := range r.StatusNow.Checks {
			if c.Scope != verify.ScopeNow {
				t.Fatalf("%s in the wrong part", c.Name)
			}
		}
	})

	t.Run("cache: one seal across packages", func(t *testing.T) {
		before := e.Verifier.Stats()
		for range 3 {
			e.Verifier.Verify(ctx, otherPkg, verify.Public())
		}
		after := e.Verifier.Stats()
		if after.SM2Skipped-before.SM2Skipped < 3 {
			t.Fatalf("maker signature not cached: %+v → %+v", before, after)
		}
		mfs, err := e.Metrics.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				got[mf.GetName()] += m.GetCounter().GetValue()
			}
		}
		if got["pledgeseal_verifications_total"] == 0 || got["pledgeseal_verification_sm2_skipped_total"] < 3 || got["pledgeseal_verification_status_round_trips_total"] == 0 {
			t.Fatalf("metrics not exported: %v", got)
		}
	})
}

// TestSealStatusAtSealingTime: a seal suspended after the sealing leaves the
// pledge valid (status now says so); suspended before the sealing fails.
func TestSealStatusAtSealingTime(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rec := e.Accepted(t, "key-seal-later")
	pkg := e.Package(t, rec)
	sealedAt := rec.Decision.DecidedAt
	suspend := func(eff time.Time) {
		t.Helper()
		if _, err := e.Seals.ChangeStatus(ctx, verifytest.SealMaker, verifytest.ESID, seal.StatusChange{
			Action: seal.Suspend, Reason: "印章保管人变更", DocumentNo: "朝市监印停〔2026〕1号", Effective: eff}); err != nil {
			t.Fatalf("suspend: %v", err)
		}
	}
	e.Clock.Advance(time.Hour)
	suspend(time.Time{})
	r := e.Verifier.Verify(ctx, pkg, verify.Public())
	want(t, r, outcome.TotalPassed, outcome.None)
	if c, _ := r.Find(verify.CheckSealNow); !strings.Contains(c.Detail, "SUSPENDED") {
		t.Fatalf("seal now: %+v", c)
	}

	// Another environment: suspended (retroactively) from before the sealing.
	e2 := newEnv(t)
	rec2 := e2.Accepted(t, "key-seal-before")
	pkg2 := e2.Package(t, rec2)
	if _, err := e2.Seals.ChangeStatus(ctx, verifytest.SealMaker, verifytest.ESID, seal.StatusChange{
		Action: seal.Suspend, Reason: "印章遗失后补报", DocumentNo: "朝市监印停〔2026〕2号", Effective: rec2.Decision.DecidedAt.Add(-time.Second)}); err != nil {
		t.Fatalf("suspend: %v", err)
	}
	want(t, e2.Verifier.Verify(ctx, pkg2, verify.Public()), outcome.TotalFailed, outcome.SealSuspended)
	_ = sealedAt
}

// TestRedisDown: with Redis gone, the answer is INDETERMINATE / TRY_LATER.
func TestRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	e := newEnv(t, srv.Addr)
	rec := e.Accepted(t, "key-redis-down")
	pkg := e.Package(t, rec)
	want(t, e.Verifier.Verify(context.Background(), pkg, verify.Public()), outcome.TotalPassed, outcome.None)
	srv.Kill()
	r := e.Verifier.Verify(context.Background(), pkg, verify.Public())
	want(t, r, outcome.IndeterminateResult, outcome.TryLater)
	if r.Freshness.StatusReadAt != nil {
		t.Fatal("a failed read has a read time")
	}
	if r.ValidAtSigning.Indication != outcome.IndeterminateResult {
		t.Fatalf("signing-time part must not pass without the seal status: %s", r.ValidAtSigning.Indication)
	}
}

// TestOffline: without status sources, status checks are NOT_PERFORMED and
// the status-now part is INDETERMINATE.
func TestOffline(t *testing.T) {
	e := newEnv(t)
	rec := e.Accepted(t, "key-offline")
	pkg := e.Package(t, rec)
	v, err := verify.New(verify.Options{SealTrust: e.SealTrust, ApplicantTrust: e.ApplicantTrust, Clock: e.Clock})
	if err != nil {
		t.Fatal(err)
	}
	r := v.Verify(context.Background(), pkg, verify.Public())
	want(t, r, outcome.TotalPassed, outcome.None)
	if r.StatusNow.Indication != outcome.IndeterminateResult || r.Freshness.Online {
		t.Fatalf("offline status now: %+v", r.StatusNow)
	}
	// No applicant anchors at all: the chain cannot be decided.
	v2, _ := verify.New(verify.Options{SealTrust: e.SealTrust, Clock: e.Clock})
	want(t, v2.Verify(context.Background(), pkg, verify.Public()), outcome.IndeterminateResult, outcome.NoCertificateChainFound)
}

func TestBatch(t *testing.T) {
	e := newEnv(t)
	pkg := e.Package(t, e.Accepted(t, "key-batch-1"))
	if _, err := e.Verifier.VerifyBatch(context.Background(), nil, verify.Public()); err == nil {
		t.Fatal("empty batch accepted")
	}
	if _, err := e.Verifier.VerifyBatch(context.Background(), make([][]byte, verify.MaxBatch+1), verify.Public()); err == nil {
		t.Fatal("oversized batch accepted")
	}
	rs, err := e.Verifier.VerifyBatch(context.Background(), [][]byte{pkg, []byte("x"), pkg}, verify.Public())
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Indication != outcome.TotalPassed || rs[1].Indication != outcome.TotalFailed || rs[2].Indication != outcome.TotalPassed {
		t.Fatalf("batch: %s %s %s", rs[0].Indication, rs[1].Indication, rs[2].Indication)
	}
}
