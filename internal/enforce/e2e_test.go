package enforce

import (
	"context"
	"crypto/x509/pkix"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// The whole flow with the real pledge service over real Redis: a signed,
// accepted pledge gets a task, is drawn, is found false; the registry then
// reports it FALSE (its state at signing time untouched), the applicant's
// next pledge is refused with the bar's reason, and an appeal lifts it.

const e2eAgency = "AG110105-SCJ"

var e2eKey = pledge.EntryKey{Region: "110105", Matter: "M-0042", Certificate: "C-NO-CRIME"}

type keyPair struct {
	cert *smx509.Certificate
	key  *sm2.PrivateKey
}

func issue(t *testing.T, cn string, parent *keyPair, isCA bool, from, to time.Time) keyPair {
	t.Helper()
	k, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	var iss *pki.Issuer
	if parent != nil {
		iss = &pki.Issuer{Cert: parent.cert, Key: parent.key}
	}
	req := pki.CertRequest{Subject: pkix.Name{CommonName: cn}, PublicKey: k, NotBefore: from, NotAfter: to}
	if isCA {
		req.IsCA, req.MaxPathLen = true, -1
	}
	der, err := pki.Issue(req, iss)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pki.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return keyPair{cert: c, key: k}
}

type sealStates struct{ clk clock.Clock }

func (s sealStates) Lookup(_ context.Context, _ time.Time, subs []status.Subject) (status.Answer, error) {
	res := make([]status.Result, len(subs))
	for i := range subs {
		res[i] = status.Result{Subject: subs[i], Now: status.State{Code: status.Active}, At: status.State{Code: status.Active}}
	}
	return status.Answer{Results: res, ReadAt: s.clk.Now()}, nil
}

func TestEndToEndFalsePledge(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	clk := clock.NewFake(start)
	st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t), Timeout: 2 * time.Second}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	encKey, _ := hex.DecodeString("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
	idxKey, _ := hex.DecodeString("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0")
	prot, err := pii.New(encKey, idxKey)
	if err != nil {
		t.Fatal(err)
	}
	from, to := start.AddDate(-1, 0, 0), start.AddDate(5, 0, 0)
	root := issue(t, "Applicant Root", nil, true, from, to)
	eventCA := issue(t, "Applicant Event CA", &root, true, from, to)
	sealRoot := issue(t, "Seal Root", nil, true, from, to)
	maker := issue(t, "Seal Maker", &sealRoot, false, from, to)
	signer := issue(t, "Agency Signer", &sealRoot, false, from, to)
	seal, err := ses.MakeSeal(ses.SealRequest{
		ESID: "11010500000042", Type: 1, Name: "北京市西城区市场监督管理局", SignerCerts: [][]byte{signer.cert.Raw},
		ValidStart: start.AddDate(0, -1, 0), ValidEnd: start.AddDate(1, 0, 0),
		Picture: ses.Picture{Type: "PNG", Data: []byte("\x89PNG\r\n\x1a\n"), Width: 40, Height: 40},
	}, ses.Maker{Signer: pki.NewKeySigner(maker.key), Cert: maker.cert.Raw}, clk)
	if err != nil {
		t.Fatal(err)
	}
	sealer := pledge.NewSESSealer(map[string]pledge.AgencySeal{
		e2eAgency: {Seal: seal, Signer: ses.Signer{Signer: pki.NewKeySigner(signer.key), Cert: signer.cert.Raw}},
	}, sealStates{clk}, clk)
	catalogue := pledge.NewCatalogue(store.NewCatalogueRepo(st), clk)
	notices := pledge.NewNotices(store.NewNoticeRepo(st), catalogue, sealer, clk)
	reg := store.NewRegistry(st)
	pledges := store.NewPledgeRepo(st, prot)
	bars := store.CombinedBars{Base: store.NewBarRepo(st), Registry: reg}
	psvc := pledge.NewService(pledge.Deps{Catalogue: catalogue, Notices: notices, Bars: bars, Pledges: pledges,
		Indexer: prot, Sealer: sealer, CMS: pledge.PKICMS{}, EventCA: &pki.Issuer{Cert: eventCA.cert, Key: eventCA.key},
		ApplicantTrust: pki.NewTrustStore([]*smx509.Certificate{root.cert}, []*smx509.Certificate{eventCA.cert}), Clock: clk})
	esvc, err := New(Deps{Registry: reg, Pledges: pledges, Clock: clk, Tasks: store.NewTaskRepo(st)})
	if err != nil {
		t.Fatal(err)
	}

	policy := pledge.PostCheckPolicy{Methods: []string{pledge.CheckInterAgency}, TimeLimitDays: 60, WorkingDays: true, SamplingPermille: 100}
	entry := pledge.Entry{EntryKey: e2eKey, EffectiveFrom: start,
		MatterName:      pledge.Text{Zh: "食品经营许可", En: "Food business licence"},
		CertificateName: pledge.Text{Zh: "无犯罪记录证明", En: "Certificate of no criminal record"},
		Proves:          pledge.Text{Zh: "负责人无犯罪记录"}, LegalBasis: []pledge.Text{{Zh: "《食品经营许可管理办法》"}},
		RequestingUnit: "北京市西城区市场监督管理局", IssuingUnit: "公安机关",
		Modes: []pledge.Mode{pledge.ModeWrittenPledge}, PledgeEligible: true, PostCheck: policy,
		Disclosure: pledge.DisclosurePolicy{Publish: true, Scope: pledge.Text{Zh: "信用中国（北京）"}, Days: 365}, Owner: e2eAgency}
	if _, err := catalogue.Record(ctx, pledge.Editor{Agency: e2eAgency, Actor: "editor-1"}, entry, 0); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Minute)
	tx := func(zh string) pledge.Text { return pledge.Text{Zh: zh} }
	pub, err := notices.Publish(ctx, e2eAgency, pledge.Notice{ID: "N-M0042", Agency: e2eAgency, AgencyName: "北京市西城区市场监督管理局",
		Entry: e2eKey, MatterName: tx("食品经营许可"), CertificateName: tx("无犯罪记录证明"), CertificateContent: tx("负责人无犯罪记录"),
		LegalBasis: []pledge.Text{tx("《食品经营许可管理办法》")}, Conditions: []pledge.Text{tx("负责人无犯罪记录")},
		WouldHaveProved: tx("负责人无犯罪记录"), HowToPledge: pledge.HowToPledge{Method: tx("在线电子签名")},
		Liability: tx("承诺不实的，撤销许可"), Verification: pledge.Verification{AgencyPower: tx("可核查"), ApplicantDuty: tx("应配合")},
		Publication: pledge.Publication{Published: true, How: tx("网站公示"), Scope: tx("信用中国（北京）")},
		Withdrawal:  tx("决定前可撤回"), PostCheckWindow: tx("决定后60个工作日内"),
		Contacts: []pledge.Contact{{Kind: "CONSULTATION", Channel: "电话", Value: "010-1"}, {Kind: "COMPLAINT", Channel: "电话", Value: "12345"}}})
	if err != nil {
		t.Fatal(err)
	}
	applicant := pledge.Applicant{Kind: pledge.ApplicantPerson, Name: "李四", IDType: pledge.IDResidentCard, IDNumber: "110101199001011234"}
	req := func(key string) pledge.SignRequest {
		return pledge.SignRequest{Notice: pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.DigestHex()},
			Channel: pledge.ChannelWeb, IdempotencyKey: key}
	}

	// decided pledge
	rec, _, err := psvc.SignWithEventCertificate(ctx, applicant, req("idem-key-0001"))
	if err != nil {
		t.Fatal(err)
	}
	signedAt := clk.Now()
	clk.Advance(time.Hour)
	rec, err = psvc.Accept(ctx, pledge.Officer{Agency: e2eAgency, ID: "officer-7"}, rec.ID, "西市监许〔2026〕42号", "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	// → task (60 working days from 2026-03-02)
	task, err := esvc.CreateTask(ctx, rec, policy)
	if err != nil || task.Due != "2026-05-25" || task.Status != TaskOpen {
		t.Fatalf("task %+v %v", task, err)
	}
	// → draw (the pledge among others; ratio 100‰ with a floor of 3)
	pop := []Candidate{{PledgeID: rec.ID, Tier: "C"}}
	for _, id := range []string{"PX1", "PX2", "PX3", "PX4"} {
		pop = append(pop, Candidate{PledgeID: id, Tier: "A"})
	}
	draw, err := esvc.RunDraw(ctx, officer, DrawRequest{Region: "110105", Matter: "M-0042", Period: "2026-03",
		Spec: DrawSpec{RatioPermille: 100, TierWeights: DefaultTierWeights(), Floor: 3, Population: pop,
			Inspectors: []string{"INS-1", "INS-2", "INS-3"}, InspectorsPerPledge: 2}})
	if err != nil {
		t.Fatal(err)
	}
	var inspector string
	for _, s := range draw.Result.Selection {
		if s.PledgeID == rec.ID {
			inspector = s.Inspectors[0]
		}
	}
	if inspector == "" {
		t.Fatalf("the C-tier pledge was not drawn: %+v", draw.Result)
	}
	// → FALSE_CONFIRMED
	clk.Advance(72 * time.Hour)
	f, err := esvc.RecordFinding(ctx, officer, FindingRequest{PledgeID: rec.ID, Outcome: FalseConfirmed,
		DocumentNo: "西市监核〔2026〕7号", Evidence: []string{evidence1}, Inspector: inspector})
	if err != nil {
		t.Fatal(err)
	}
	if task, err = esvc.CreateTask(ctx, rec, policy); err != nil || task.Status != TaskDone {
		t.Fatalf("task after the finding %+v %v", task, err)
	}
	// → the verifier's status source: FALSE now, nothing at signing time
	ans, err := reg.Lookup(ctx, signedAt, []status.Subject{{Kind: status.KindPledge, ID: rec.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if r := ans.Results[0]; r.Now.Code != status.False || r.Now.Reason != "FALSE_PLEDGE" || r.At.Code != status.Unknown {
		t.Fatalf("registry now %+v at signing %+v", r.Now, r.At)
	}
	// → the applicant's next pledge is refused with the bar's reason
	_, _, err = psvc.SignWithEventCertificate(ctx, applicant, req("idem-key-0002"))
	if e := apperr.As(err); e == nil || e.Kind != apperr.Forbidden || e.Code != "APPLICANT_BARRED" || !strings.Contains(e.Detail, pledge.BarFalsePledge) {
		t.Fatalf("next pledge: %v", err)
	}
	// → appeal reversal lifts the bar
	clk.Advance(24 * time.Hour)
	if _, err := esvc.Reverse(ctx, officer, ReverseRequest{FindingID: f.ID, Reason: "APPEAL_UPHELD", DocumentNo: "西复〔2026〕1号"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := psvc.SignWithEventCertificate(ctx, applicant, req("idem-key-0003")); err != nil {
		t.Fatalf("after the appeal: %v", err)
	}
	ans, err = reg.Lookup(ctx, signedAt, []status.Subject{{Kind: status.KindPledge, ID: rec.ID}})
	if err != nil || ans.Results[0].Now.Code != status.Active {
		t.Fatalf("after the appeal %+v %v", ans, err)
	}
	// → the draw still recomputes to the same selection
	if _, same, err := esvc.Rerun(ctx, draw.ID); err != nil || !same {
		t.Fatalf("rerun same=%v %v", same, err)
	}
}
