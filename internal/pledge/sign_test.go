package pledge_test

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

func TestSignWithEventCertificate(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	rec, created, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("idem-0001"))
	if err != nil {
		t.Fatal(err)
	}
	if !created || rec.Status != pledge.StatusSigned || rec.Way != pledge.WayEventCertificate {
		t.Fatalf("record %+v created=%v", rec, created)
	}
	doc, err := pledge.ParseDocument(rec.Document)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Applicant != applicant || doc.Notice.Digest != e.published.DigestHex() || doc.Eligibility.Outcome != pledge.EligibleNotBarred ||
		!doc.SignedAt.Equal(e.clk.Now().Truncate(time.Second)) || doc.CatalogueVersion != 1 || doc.Channel != pledge.ChannelWeb {
		t.Fatalf("document %+v", doc)
	}
	if pki.Digest(rec.Document) != rec.Digest {
		t.Fatal("digest does not match document")
	}
	// The event certificate carries only masked identity and the binding.
	signer, err := pki.ParseCertificate(rec.Certificates[0])
	if err != nil {
		t.Fatal(err)
	}
	if signer.Subject.CommonName != "张*丰" || signer.Subject.SerialNumber != "1101**********1234" {
		t.Fatalf("event certificate subject %v", signer.Subject)
	}
	if bytes.Contains(rec.Certificates[0], []byte(applicant.IDNumber)) || bytes.Contains(rec.Certificates[0], []byte(applicant.Name)) {
		t.Fatal("event certificate carries the clear identity")
	}
	id, digest, ok, err := pledge.ParsePledgeDigestExtension(signer)
	if err != nil || !ok || id != rec.ID || digest != rec.Digest {
		t.Fatalf("binding %q %x %v %v", id, digest, ok, err)
	}
	if signer.NotAfter.Sub(signer.NotBefore) > 20*time.Minute {
		t.Fatalf("event certificate lives %v", signer.NotAfter.Sub(signer.NotBefore))
	}

	// A repeat is the same pledge, not a new one.
	e.clk.Advance(time.Minute)
	again, created, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("idem-0001"))
	if err != nil || created || again.ID != rec.ID || !bytes.Equal(again.ApplicantCMS, rec.ApplicantCMS) {
		t.Fatalf("repeat: created=%v err=%v id %s vs %s", created, err, again.ID, rec.ID)
	}
	// The same key for a different request is refused.
	diff := e.request("idem-0001")
	diff.Channel = pledge.ChannelApp
	_, _, err = e.svc.SignWithEventCertificate(ctx, applicant, diff)
	wantErr(t, err, apperr.Conflict, "IDEMPOTENCY_KEY_REUSED")
	// Another applicant with the same key gets its own pledge.
	other := applicant
	other.IDNumber = "110101198001071235"
	o, created, err := e.svc.SignWithEventCertificate(ctx, other, e.request("idem-0001"))
	if err != nil || !created || o.ID == rec.ID {
		t.Fatalf("other applicant: %v %v %s", err, created, o.ID)
	}
	// The applicant sees it, another does not.
	if _, err := e.svc.Get(ctx, applicant, rec.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Get(ctx, other, rec.ID)
	wantErr(t, err, apperr.NotFound, "PLEDGE_NOT_FOUND")
}

// signOwn signs doc as a client would, with its own certificate.
func signOwn(t *testing.T, l leaf, doc []byte) []byte {
	t.Helper()
	sig, err := gmsmClient{}.SignDetached(doc, l.cert, l.key, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

func TestOwnCertificate(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	mine := newLeaf(t, "张三丰", e.citizenCA, t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0), "11010119900106123"+"4")
	stranger := newLeaf(t, "Someone", e.outsideCA, t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0))
	expired := newLeaf(t, "Old", e.citizenCA, t0.AddDate(-1, 0, 0), t0.AddDate(0, 0, -1), applicant.IDNumber)
	someoneElse := newLeaf(t, "李四", e.citizenCA, t0.AddDate(0, -1, 0), t0.AddDate(1, 0, 0), "110101198001071235")

	p, err := e.svc.Prepare(ctx, applicant, e.request("own-00001"))
	if err != nil || p.Repeat != nil {
		t.Fatalf("prepare: %v", err)
	}
	draft := p.Draft
	other, err := e.svc.Prepare(ctx, applicant, e.request("own-00002"))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		sig  func() []byte
		kind apperr.Kind
		code apperr.Code
	}{
		{"400/not DER", func() []byte { return []byte("not a signature") }, apperr.Malformed, apperr.CodeCMSMalformed},
		{"400/empty", func() []byte { return nil }, apperr.Malformed, apperr.CodeCMSMalformed},
		{"403/outside trust anchors", func() []byte { return signOwn(t, stranger, draft.Document) }, apperr.Forbidden, apperr.CodeNoCertificateChainFound},
		{"403/signature over another pledge (swapped)", func() []byte { return signOwn(t, mine, other.Draft.Document) }, apperr.Forbidden, apperr.CodeCMSOtherDocument},
		{"403/tampered document", func() []byte {
			d := bytes.Replace(draft.Document, []byte("北京市围棋协会"), []byte("北京市象棋协会"), 1)
			return signOwn(t, mine, d)
		}, apperr.Forbidden, apperr.CodeCMSOtherDocument},
		{"403/signature value altered", func() []byte {
			s := signOwn(t, mine, draft.Document)
			s[len(s)-1] ^= 1 // the last byte of the SM2 signature value: still parses
			return s
		}, apperr.Forbidden, apperr.CodeSignatureInvalid},
		{"403/trusted certificate of someone else", func() []byte { return signOwn(t, someoneElse, draft.Document) }, apperr.Forbidden, "CERTIFICATE_NOT_APPLICANTS"},
		{"403/expired certificate", func() []byte { return signOwn(t, expired, draft.Document) }, apperr.Forbidden, apperr.CodeCertificateNotValidAtSigning},
		{"403/truncated", func() []byte { s := signOwn(t, mine, draft.Document); return s[:len(s)-3] }, apperr.Malformed, apperr.CodeCMSMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.svc.SubmitOwnSignature(ctx, applicant, draft.ID, tc.sig())
			wantErr(t, err, tc.kind, tc.code)
		})
	}
	// Another applicant cannot complete my draft.
	intruder := applicant
	intruder.IDNumber = "110101198001071235"
	_, _, err = e.svc.SubmitOwnSignature(ctx, intruder, draft.ID, signOwn(t, mine, draft.Document))
	wantErr(t, err, apperr.NotFound, "DRAFT_NOT_FOUND")

	rec, created, err := e.svc.SubmitOwnSignature(ctx, applicant, draft.ID, signOwn(t, mine, draft.Document))
	if err != nil || !created || rec.Way != pledge.WayOwnCertificate || !bytes.Equal(rec.Document, draft.Document) {
		t.Fatalf("submit: %v created=%v way=%s", err, created, rec.Way)
	}
	// A client that signs without signed attributes is accepted too.
	p2, err := e.svc.Prepare(ctx, applicant, e.request("own-00005"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := gmsmClient{noAttrs: true}.SignDetached(p2.Draft.Document, mine.cert, mine.key, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if r2, _, err := e.svc.SubmitOwnSignature(ctx, applicant, p2.Draft.ID, raw); err != nil || r2.Way != pledge.WayOwnCertificate {
		t.Fatalf("no-attribute CMS: %v", err)
	}
	// Repeats return the stored pledge.
	again, created, err := e.svc.SubmitOwnSignature(ctx, applicant, draft.ID, signOwn(t, mine, draft.Document))
	if err != nil || created || again.ID != rec.ID {
		t.Fatalf("repeat submit: %v %v", err, created)
	}
	if p, err := e.svc.Prepare(ctx, applicant, e.request("own-00001")); err != nil || p.Repeat == nil || p.Repeat.ID != rec.ID {
		t.Fatalf("repeat prepare: %v %+v", err, p)
	}
	// An event certificate bound to another pledge cannot sign this one:
	// reuse the event CMS of another pledge's document over this draft.
	ev, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("own-00003"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = pledge.VerifyApplicantSignature(pledge.PKICMS{}, pki.NewTrustStore([]*smx509.Certificate{e.root.cert}, []*smx509.Certificate{e.eventCA.cert}),
		draft.ID, ev.Document, ev.ApplicantCMS, t0.Add(2*time.Minute))
	wantErr(t, err, apperr.Forbidden, apperr.CodePledgeBindingMismatch)
	// Draft expiry: after the TTL the draft is gone.
	p3, err := e.svc.Prepare(ctx, applicant, e.request("own-00004"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.pledges.GetDraft(ctx, p3.Draft.ID); err != nil {
		t.Fatal(err)
	}
}

func TestRefusals(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	subject := e.svc.SubjectIndex(applicant)

	t.Run("409/notice digest mismatch", func(t *testing.T) {
		r := e.request("refuse-001")
		r.Notice.Digest = strings.Repeat("0", 64)
		_, err := e.svc.Prepare(ctx, applicant, r)
		wantErr(t, err, apperr.Conflict, "NOTICE_DIGEST_MISMATCH")
	})
	t.Run("400/notice digest not hex", func(t *testing.T) {
		r := e.request("refuse-002")
		r.Notice.Digest = "XYZ"
		_, err := e.svc.Prepare(ctx, applicant, r)
		wantErr(t, err, apperr.Malformed, "FIELD_INVALID")
	})
	t.Run("404/unknown notice", func(t *testing.T) {
		r := e.request("refuse-003")
		r.Notice.ID = "N-NONE"
		_, err := e.svc.Prepare(ctx, applicant, r)
		wantErr(t, err, apperr.NotFound, "NOTICE_NOT_FOUND")
	})
	t.Run("400/no idempotency key", func(t *testing.T) {
		_, err := e.svc.Prepare(ctx, applicant, e.request(""))
		wantErr(t, err, apperr.Malformed, "IDEMPOTENCY_KEY_REQUIRED")
	})
	t.Run("401/incomplete identity", func(t *testing.T) {
		a := applicant
		a.IDNumber = ""
		_, err := e.svc.Prepare(ctx, a, e.request("refuse-004"))
		wantErr(t, err, apperr.Unauthorized, "IDENTITY_INVALID")
	})
	t.Run("403/barred applicant", func(t *testing.T) {
		bar := pledge.Bar{ID: "B1", Subject: subject, Reason: pledge.BarFalsePledge, ScopeKind: pledge.ScopeRegion, ScopeValue: "110000",
			Start: t0.AddDate(-1, 0, 0), End: t0.AddDate(2, 0, 0), EndRule: pledge.Text{Zh: "自虚假承诺认定之日起三年"}, Source: "credit-beijing"}
		if err := e.bars.PutBar(ctx, bar); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Prepare(ctx, applicant, e.request("refuse-005"))
		wantErr(t, err, apperr.Forbidden, "APPLICANT_BARRED")
		if d := apperr.As(err).Detail; !strings.Contains(d, "FALSE_PLEDGE") || !strings.Contains(d, "REGION:110000") || !strings.Contains(d, "2028-03-02") {
			t.Fatalf("bar detail lacks reason, scope or end: %s", d)
		}
		// Repaired: the route opens again, and the snapshot counts the record.
		bar.Repaired, bar.RepairedAt = true, e.clk.Now()
		if err := e.bars.PutBar(ctx, bar); err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.Prepare(ctx, applicant, e.request("refuse-005"))
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := pledge.ParseDocument(p.Draft.Document)
		if doc.Eligibility.BarsConsidered != 1 || doc.Eligibility.Source != pledge.BarSource {
			t.Fatalf("snapshot %+v", doc.Eligibility)
		}
	})
	t.Run("ok/bar in another scope", func(t *testing.T) {
		a := applicant
		a.IDNumber = "110101197001011236"
		bar := pledge.Bar{ID: "B2", Subject: e.svc.SubjectIndex(a), Reason: pledge.BarWithdrawnExam, ScopeKind: pledge.ScopeExam, ScopeValue: "EXAM-2026",
			Start: t0.AddDate(0, -1, 0), End: t0.AddDate(0, 9, 0), EndRule: pledge.Text{Zh: "当年考试"}, Source: "exam-office"}
		if err := e.bars.PutBar(ctx, bar); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Prepare(ctx, a, e.request("refuse-006")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("400/bar longer than five years", func(t *testing.T) {
		bar := pledge.Bar{ID: "B3", Subject: subject, Reason: pledge.BarSeriousBadCredit, ScopeKind: pledge.ScopeAll,
			Start: t0, End: t0.AddDate(6, 0, 0), EndRule: pledge.Text{Zh: "x"}, Source: "s"}
		wantErr(t, e.bars.PutBar(ctx, bar), apperr.Malformed, "BAR_TOO_LONG")
	})
	t.Run("409/notice superseded", func(t *testing.T) {
		n := sampleNotice()
		n.Liability = pledge.Text{Zh: "承诺不实的，撤销登记，记入信用记录"}
		if _, err := e.notices.Publish(ctx, agency, n); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Prepare(ctx, applicant, e.request("refuse-007")) // still names version 1
		wantErr(t, err, apperr.Conflict, "NOTICE_SUPERSEDED")
		latest, err := e.notices.Get(ctx, n.ID, 0)
		if err != nil || latest.Notice.Version != 2 {
			t.Fatalf("latest %v %v", latest.Notice.Version, err)
		}
		v1, err := e.notices.Get(ctx, n.ID, 1)
		if err != nil || !bytes.Equal(v1.Canonical, e.published.Canonical) {
			t.Fatal("version 1 changed after a new version was published")
		}
		e.published = latest
	})
	t.Run("409/matter no longer pledge-eligible", func(t *testing.T) {
		x := sampleEntry()
		x.EffectiveFrom = e.clk.Now().Add(time.Hour)
		x.PledgeEligible = false
		x.Modes = []pledge.Mode{pledge.ModeDataSharing}
		x.Exclusion = pledge.ExclusionPublicSafety
		if _, err := e.catalogue.Record(ctx, pledge.Editor{Agency: agency}, x, 1); err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(2 * time.Hour)
		_, err := e.svc.Prepare(ctx, applicant, e.request("refuse-008"))
		wantErr(t, err, apperr.Conflict, "NOT_PLEDGE_ELIGIBLE")
		if !strings.Contains(apperr.As(err).Detail, pledge.ExclusionPublicSafety) {
			t.Fatalf("no exclusion reason in %q", apperr.As(err).Detail)
		}
		// And a notice cannot be published for it.
		_, err = e.notices.Publish(ctx, agency, sampleNotice())
		wantErr(t, err, apperr.Conflict, "NOT_PLEDGE_ELIGIBLE")
	})
	t.Run("409/matter not in the catalogue", func(t *testing.T) {
		n := sampleNotice()
		n.ID = "N-OTHER"
		n.Entry.Matter = "M-9999"
		_, err := e.notices.Publish(ctx, agency, n)
		wantErr(t, err, apperr.Conflict, "MATTER_NOT_IN_FORCE")
	})
}

func TestWithdrawAcceptReturn(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	officer := pledge.Officer{Agency: agency, ID: "officer-7"}
	sign := func(key string) pledge.Record {
		r, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request(key))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a := sign("flow-0001")
	_, err := e.svc.Withdraw(ctx, applicant, a.ID, "  ")
	wantErr(t, err, apperr.Malformed, "REASON_REQUIRED")
	other := applicant
	other.IDNumber = "110101198001071235"
	_, err = e.svc.Withdraw(ctx, other, a.ID, "不是我的")
	wantErr(t, err, apperr.NotFound, "PLEDGE_NOT_FOUND")
	w, err := e.svc.Withdraw(ctx, applicant, a.ID, "改走普通程序，提交证明")
	if err != nil || w.Status != pledge.StatusWithdrawn || len(w.Events) != 2 || w.Events[1].Reason == "" {
		t.Fatalf("withdraw: %v %+v", err, w)
	}
	_, err = e.svc.Withdraw(ctx, applicant, a.ID, "again")
	wantErr(t, err, apperr.Conflict, "NOT_WITHDRAWABLE")
	_, err = e.svc.Accept(ctx, officer, a.ID, "京民登字〔2026〕1号", "2026-03-02")
	wantErr(t, err, apperr.Conflict, "NOT_ACCEPTABLE")

	b := sign("flow-0002")
	_, err = e.svc.Accept(ctx, pledge.Officer{Agency: "AG-OTHER", ID: "x"}, b.ID, "1", "2026-03-02")
	wantErr(t, err, apperr.NotFound, "PLEDGE_NOT_FOUND")
	_, err = e.svc.Accept(ctx, officer, b.ID, "1", "2026/03/02")
	wantErr(t, err, apperr.Malformed, "FIELD_INVALID")
	// A decision dated before the pledge was signed, or after the day it
	// is sealed (UTC+8), is refused before anything is sealed.
	for _, date := range []string{"2026-03-01", "2026-03-03", "1999-12-31"} {
		_, err = e.svc.Accept(ctx, officer, b.ID, "京民登字〔2026〕2号", date)
		wantErr(t, err, apperr.Malformed, apperr.CodeDecisionDateInvalid)
	}
	// A suspended seal may not counter-seal.
	e.sealState = status.Suspended
	_, err = e.svc.Accept(ctx, officer, b.ID, "京民登字〔2026〕2号", "2026-03-02")
	wantErr(t, err, apperr.Conflict, "SEAL_NOT_ACTIVE")
	e.sealState = status.Active
	acc, err := e.svc.Accept(ctx, officer, b.ID, "京民登字〔2026〕2号", "2026-03-02")
	if err != nil || acc.Status != pledge.StatusAccepted || acc.Decision == nil {
		t.Fatalf("accept: %v %+v", err, acc)
	}
	// The SES covers the decision statement, which binds document and
	// signature and states the decision, at the seal's own time.
	sig, err := ses.ParseSignature(acc.Decision.AgencySES)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := pledge.ParseSealedData(acc.Decision.SealedData)
	if err != nil || sd.Legacy {
		t.Fatalf("sealed data: %v %+v", err, sd)
	}
	st, cms := sd.Statement, pki.Digest(b.ApplicantCMS)
	if st.PledgeID != b.ID || st.DocumentDigest != hex.EncodeToString(b.Digest[:]) || st.ApplicantSignatureDigest != hex.EncodeToString(cms[:]) ||
		st.Decision != pledge.DecisionAccepted || st.DecisionNo != "京民登字〔2026〕2号" || st.DecisionDate != "2026-03-02" ||
		st.Agency != agency || st.Entry != b.Entry || st.Notice != b.Notice || st.StatusURL != pledge.StatusURL("", b.ID) ||
		st.SealedAt != sig.TBS.TimeInfo.UTC().Format(time.RFC3339) || !bytes.Equal(sig.TBS.DataHash, ses.DataDigest(acc.Decision.SealedData)) {
		t.Fatalf("the counter-seal does not cover the decision: %+v", st)
	}
	_, err = e.svc.Withdraw(ctx, applicant, b.ID, "too late")
	wantErr(t, err, apperr.Conflict, "NOT_WITHDRAWABLE")
	got, err := e.svc.Get(ctx, applicant, b.ID)
	if err != nil || got.Status != pledge.StatusAccepted || got.Decision.DocumentNo != "京民登字〔2026〕2号" {
		t.Fatalf("stored after accept: %v %+v", err, got)
	}

	c := sign("flow-0003")
	r, err := e.svc.Return(ctx, officer, c.ID, "材料不齐")
	if err != nil || r.Status != pledge.StatusReturned {
		t.Fatalf("return: %v", err)
	}
	if pledge.CanMove(pledge.StatusWithdrawn, pledge.StatusAccepted) || !pledge.CanMove(pledge.StatusAccepted, pledge.StatusFalse) {
		t.Fatal("status model")
	}
}

// TestConcurrentAcceptAndWithdraw races acceptance with withdrawal: exactly
// one wins, and the record is never half applied.
func TestConcurrentAcceptAndWithdraw(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	for i := range 5 {
		r, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("race-000"+string(rune('0'+i))))
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		go func() {
			_, err := e.svc.Accept(ctx, pledge.Officer{Agency: agency, ID: "o"}, r.ID, "D-1", "2026-03-02")
			errs <- err
		}()
		go func() { _, err := e.svc.Withdraw(ctx, applicant, r.ID, "race"); errs <- err }()
		e1, e2 := <-errs, <-errs
		if (e1 == nil) == (e2 == nil) {
			t.Fatalf("both or neither won: %v / %v", e1, e2)
		}
		got, err := e.svc.Get(ctx, applicant, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Events) != 2 || (got.Status == pledge.StatusAccepted) != (got.Decision != nil) {
			t.Fatalf("half-applied record: %+v", got)
		}
	}
}

// TestRedisDown: with the store gone every step answers Unavailable.
func TestRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	e := newEnv(t, srv.Addr)
	e.ready(t)
	ctx := context.Background()
	r, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("down-0001"))
	if err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	_, _, err = e.svc.SignWithEventCertificate(ctx, applicant, e.request("down-0002"))
	wantErr(t, err, apperr.Unavailable, "TRY_LATER")
	_, err = e.svc.Withdraw(ctx, applicant, r.ID, "x")
	wantErr(t, err, apperr.Unavailable, "TRY_LATER")
	_, err = e.catalogue.ForMatter(ctx, entryKey.Region, entryKey.Matter, time.Time{})
	wantErr(t, err, apperr.Unavailable, "TRY_LATER")
	// After a crash and restart (AOF, fsync always) the pledge is still there.
	srv.Restart(t)
	got, err := e.svc.Get(ctx, applicant, r.ID)
	if err != nil || !bytes.Equal(got.Document, r.Document) {
		t.Fatalf("after restart: %v", err)
	}
}

// TestOpenSSLVerifiesSignatures checks the applicant's CMS signature and
// the agency's SES with OpenSSL over the signed bytes, independently of gmsm.
func TestOpenSSLVerifiesSignatures(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	r, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("ossl-0001"))
	if err != nil {
		t.Fatal(err)
	}
	acc, err := e.svc.Accept(ctx, pledge.Officer{Agency: agency, ID: "o"}, r.ID, "D-9", "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pubPEM := func(c []byte) []byte {
		cert, err := pki.ParseCertificate(c)
		if err != nil {
			t.Fatal(err)
		}
		der, err := smx509.MarshalPKIXPublicKey(cert.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	}
	verify := func(name string, pub, msg, sig []byte, wantOK bool) {
		t.Helper()
		out, err := exec.Command(bin, "dgst", "-sm3", "-verify", write(name+".pub", pub),
			"-sigopt", "distid:1234567812345678", "-signature", write(name+".sig", sig), write(name+".msg", msg)).CombinedOutput()
		if ok := err == nil && strings.Contains(string(out), "Verified OK"); ok != wantOK {
			t.Fatalf("%s: openssl says %q (err %v), want ok=%v", name, out, err, wantOK)
		}
	}
	// Applicant: the SM2 signature covers the DER SET of signed
	// attributes, whose messageDigest must be SM3 of the document.
	attrs, value := cmsSignature(t, r.ApplicantCMS)
	verify("applicant", pubPEM(r.Certificates[0]), attrs, value, true)
	tamperedAttrs := append([]byte{}, attrs...)
	tamperedAttrs[len(tamperedAttrs)-1] ^= 1
	verify("applicant-tampered", pubPEM(r.Certificates[0]), tamperedAttrs, value, false)
	out, err := exec.Command(bin, "dgst", "-sm3", "-r", write("document", r.Document)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(out))[0]; got != hexString(messageDigest(t, attrs)) {
		t.Fatalf("openssl SM3 of the document %s, messageDigest %x", got, messageDigest(t, attrs))
	}
	// Agency: the SES signature is over TBS_Sign, whose dataHash is SM3 of
	// the signed-pledge bytes; check both links.
	sig, err := ses.ParseSignature(acc.Decision.AgencySES)
	if err != nil {
		t.Fatal(err)
	}
	verify("agency", pubPEM(sig.Cert), sig.SignedMessage(), sig.Value, true)
	out, err = exec.Command(bin, "dgst", "-sm3", "-r", write("sealed", acc.Decision.SealedData)).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(out))[0]; got != hexString(sig.TBS.DataHash) {
		t.Fatalf("openssl SM3 of the sealed bytes %s, dataHash %x", got, sig.TBS.DataHash)
	}
	// The event certificate shows the private extension to openssl.
	out, err = exec.Command(bin, "x509", "-inform", "DER", "-in", write("event.der", r.Certificates[0]), "-noout", "-text").CombinedOutput()
	if err != nil {
		t.Fatalf("openssl x509: %v %s", err, out)
	}
	if !strings.Contains(string(out), "1.2.840.113556.1.8000.2554.32926.10883.32451.16385.33652.16505829.6281844") {
		t.Fatalf("extension OID not shown by openssl:\n%s", out)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// cmsSignature digs the signed attributes (re-tagged as the SET they are
// signed as) and the signature value out of a SignedData with a plain ASN.1
// walk, not the library under test.
func cmsSignature(t *testing.T, der []byte) (attrs, sig []byte) {
	t.Helper()
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		t.Fatal(err)
	}
	var sd struct {
		Version      int
		Digests      asn1.RawValue
		Content      asn1.RawValue
		Certificates asn1.RawValue   `asn1:"optional,tag:0"`
		SignerInfos  []asn1.RawValue `asn1:"set"`
	}
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		t.Fatal(err)
	}
	if len(sd.SignerInfos) != 1 {
		t.Fatalf("%d signer infos", len(sd.SignerInfos))
	}
	rest := sd.SignerInfos[0].Bytes
	var fields []asn1.RawValue
	for len(rest) > 0 {
		var f asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &f); err != nil {
			t.Fatal(err)
		}
		fields = append(fields, f)
	}
	for _, f := range fields {
		if f.Class == asn1.ClassContextSpecific && f.Tag == 0 {
			attrs = append([]byte{0x31}, f.FullBytes[1:]...)
		}
	}
	last := fields[len(fields)-1]
	if last.Tag != asn1.TagOctetString || attrs == nil {
		t.Fatal("unexpected SignerInfo shape")
	}
	return attrs, last.Bytes
}

// messageDigest returns the messageDigest attribute from DER signed attributes.
func messageDigest(t *testing.T, attrs []byte) []byte {
	t.Helper()
	var list []struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}
	if _, err := asn1.UnmarshalWithParams(attrs, &list, "set"); err != nil {
		t.Fatal(err)
	}
	for _, a := range list {
		if a.Type.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}) && len(a.Values) == 1 {
			return a.Values[0].Bytes
		}
	}
	t.Fatal("no messageDigest attribute")
	return nil
}
