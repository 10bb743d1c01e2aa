package pledge_test

import (
	"context"
	"crypto/x509/pkix"
	"encoding/hex"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/pledge/pledgesample"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// t0 is the fixed start of every test's fake clock.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

const agency = "110000-MZJ"

var entryKey = pledge.EntryKey{Region: "110000", Matter: "M-0001", Certificate: "C-NO-CRIME"}

// ca is a certificate authority for tests.
type ca struct {
	cert *smx509.Certificate
	key  *sm2.PrivateKey
}

func (c ca) issuer() *pki.Issuer { return &pki.Issuer{Cert: c.cert, Key: c.key} }

func newCA(t testing.TB, cn string, parent *ca, from, to time.Time) ca {
	t.Helper()
	var iss *pkitest.Cert // nil: self-signed
	if parent != nil {
		iss = &pkitest.Cert{Cert: parent.cert, Key: parent.key}
	}
	c := iss.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: cn}, NotBefore: from, NotAfter: to, IsCA: true, MaxPathLen: -1})
	return ca{cert: c.Cert, key: c.Key}
}

// leaf is a signing key and certificate.
type leaf struct {
	cert *smx509.Certificate
	key  *sm2.PrivateKey
}

// newLeaf issues a signing certificate; serial, if given, becomes the
// subject serialNumber (where CAs write the identity document number).
func newLeaf(t testing.TB, cn string, parent ca, from, to time.Time, serial ...string) leaf {
	t.Helper()
	subject := pkix.Name{CommonName: cn}
	if len(serial) > 0 {
		subject.SerialNumber = serial[0]
	}
	l := (&pkitest.Cert{Cert: parent.cert, Key: parent.key}).Issue(t, pki.CertRequest{Subject: subject, NotBefore: from, NotAfter: to})
	return leaf{cert: l.Cert, key: l.Key}
}

// sourceFunc is a status.Source built from a function (for seal states the
// registry engineer's store would answer).
type sourceFunc func(ctx context.Context, at time.Time, subjects []status.Subject) (status.Answer, error)

func (f sourceFunc) Lookup(ctx context.Context, at time.Time, s []status.Subject) (status.Answer, error) {
	return f(ctx, at, s)
}

// env is a complete pledge service over a real Redis.
type env struct {
	clk       *clock.Fake
	st        *store.Store
	protector *pii.Protector
	catalogue *pledge.Catalogue
	notices   *pledge.Notices
	svc       *pledge.Service
	bars      *store.BarRepo
	pledges   *store.PledgeRepo
	root      ca // applicant trust root (holds the event CA)
	eventCA   ca
	citizenCA ca // a second configured applicant anchor (own certificates)
	outsideCA ca // not configured
	sealRoot  ca
	seal      *ses.Seal
	sealSign  leaf
	sealState status.Code
	published pledge.PublishedNotice
}

var applicant = pledge.Applicant{Kind: pledge.ApplicantPerson, Name: "张三丰", IDType: pledge.IDResidentCard, IDNumber: "110101199001061234"}

func newEnv(t testing.TB, addrs ...string) *env {
	t.Helper()
	if len(addrs) == 0 {
		addrs = []string{testredis.Addr(t)}
	}
	e := &env{clk: clock.NewFake(t0), sealState: status.Active}
	st, err := store.New(store.Options{Addrs: addrs, Prefix: testredis.Prefix(t), Timeout: time.Second}, e.clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	e.st = st
	encKey, _ := hex.DecodeString("0f1e2d3c4b5a69788796a5b4c3d2e1f0")
	idxKey, _ := hex.DecodeString("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0")
	if e.protector, err = pii.New(encKey, idxKey); err != nil {
		t.Fatal(err)
	}
	from, to := t0.AddDate(-1, 0, 0), t0.AddDate(5, 0, 0)
	e.root = newCA(t, "Test Applicant Root", nil, from, to)
	e.eventCA = newCA(t, "Test Applicant Event CA", &e.root, from, to)
	e.citizenCA = newCA(t, "Test Citizen CA", nil, from, to)
	e.outsideCA = newCA(t, "Untrusted CA", nil, from, to)
	trust := pki.NewTrustStore([]*smx509.Certificate{e.root.cert, e.citizenCA.cert}, []*smx509.Certificate{e.eventCA.cert})

	e.sealRoot = newCA(t, "Test Seal Root", nil, from, to)
	maker := newLeaf(t, "Test Seal Maker", e.sealRoot, from, to)
	e.sealSign = newLeaf(t, "Test Agency Signer", e.sealRoot, from, to)
	e.seal, err = ses.MakeSeal(ses.SealRequest{
		ESID: "11000000000001", Type: 1, Name: "北京市民政局", SignerCerts: [][]byte{e.sealSign.cert.Raw},
		ValidStart: t0.AddDate(0, -1, 0), ValidEnd: t0.AddDate(1, 0, 0),
		Picture: ses.Picture{Type: "PNG", Data: []byte("\x89PNG\r\n\x1a\n"), Width: 40, Height: 40},
	}, ses.Maker{Signer: pki.NewKeySigner(maker.key), Cert: maker.cert.Raw}, e.clk)
	if err != nil {
		t.Fatal(err)
	}
	src := sourceFunc(func(_ context.Context, _ time.Time, s []status.Subject) (status.Answer, error) {
		res := make([]status.Result, len(s))
		for i := range s {
			res[i] = status.Result{Subject: s[i], Now: status.State{Code: e.sealState, Since: t0}}
		}
		return status.Answer{Results: res, ReadAt: e.clk.Now()}, nil
	})
	sealer := pledge.NewSESSealer(map[string]pledge.AgencySeal{
		agency: {Seal: e.seal, Signer: ses.Signer{Signer: pki.NewKeySigner(e.sealSign.key), Cert: e.sealSign.cert.Raw}},
	}, src, e.clk)

	e.catalogue = pledge.NewCatalogue(store.NewCatalogueRepo(st), e.clk)
	e.notices = pledge.NewNotices(store.NewNoticeRepo(st), e.catalogue, sealer, e.clk)
	e.bars = store.NewBarRepo(st)
	e.pledges = store.NewPledgeRepo(st, e.protector, e.catalogue)
	e.svc = pledge.NewService(pledge.Deps{
		Catalogue: e.catalogue, Notices: e.notices, Bars: e.bars, Pledges: e.pledges,
		Indexer: e.protector, Sealer: sealer, CMS: pledge.PKICMS{},
		EventCA: e.eventCA.issuer(), ApplicantTrust: trust, Clock: e.clk,
	})
	return e
}

func sampleEntry() pledge.Entry {
	return pledgesample.Entry(entryKey, agency, "北京市民政局", t0)
}

func sampleNotice() pledge.Notice {
	return pledgesample.Notice("N-M0001-NOCRIME", entryKey, agency, "北京市民政局")
}

// ready records the catalogue entry and publishes the notice.
func (e *env) ready(t testing.TB) pledge.PublishedNotice {
	t.Helper()
	ctx := context.Background()
	if _, err := e.catalogue.Record(ctx, pledge.Editor{Agency: agency, Actor: "officer-1"}, sampleEntry(), 0); err != nil {
		t.Fatalf("record entry: %v", err)
	}
	e.clk.Advance(time.Minute)
	p, err := e.notices.Publish(ctx, agency, sampleNotice())
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	e.published = p
	return p
}

func (e *env) request(key string) pledge.SignRequest {
	return pledge.SignRequest{
		Notice:         pledge.NoticeRef{ID: e.published.Notice.ID, Version: e.published.Notice.Version, Digest: e.published.DigestHex()},
		Facts:          []pledge.Fact{{Code: "ORG_NAME", Label: pledge.Text{Zh: "社会团体名称"}, Value: "北京市围棋协会"}},
		Channel:        pledge.ChannelWeb,
		IdempotencyKey: key,
	}
}

// wantErr checks err's kind and code.
func wantErr(t *testing.T, err error, kind apperr.Kind, code apperr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %v/%s", kind, code)
	}
	e := apperr.As(err)
	if e == nil {
		t.Fatalf("not an *apperr.Error: %v", err)
	}
	if e.Kind != kind || (code != "" && e.Code != code) {
		t.Fatalf("got %v/%s (%v), want %v/%s", e.Kind, e.Code, err, kind, code)
	}
	if e.Detail == "" {
		t.Fatal("empty detail")
	}
}
