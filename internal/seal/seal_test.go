package seal

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

var (
	maker    = auth.Principal{Role: auth.RoleSealMaker, Org: "SEALMAKER", TokenID: "tm"}
	admin    = auth.Principal{Role: auth.RoleAdmin, TokenID: "ta"}
	agencyA  = auth.Principal{Role: auth.RoleAgency, Org: "110000-AMR", TokenID: "tA"}
	agencyB  = auth.Principal{Role: auth.RoleAgency, Org: "310000-AMR", TokenID: "tB"}
	enforcer = auth.Principal{Role: auth.RoleEnforcement, Org: "110000", TokenID: "te"}
	public   = auth.Public()
)

// testPKI is a root with a seal-maker and an agency signer certificate.
type testPKI struct {
	root      *smx509.Certificate
	maker     ses.Maker
	signerDER []byte
	trust     *pki.TrustStore
}

func newPKI(t *testing.T, cn string) testPKI {
	t.Helper()
	ca := pkitest.NewCA(t, cn, t0.AddDate(-1, 0, 0), t0.AddDate(10, 0, 0), 0)
	root := ca.Cert
	leaf := func(name string) ([]byte, pki.Signer) {
		l := ca.Leaf(t, name, t0.AddDate(0, -1, 0), t0.AddDate(3, 0, 0))
		return l.DER, l.Signer()
	}
	mDER, mSigner := leaf(cn + " Seal Maker")
	sDER, _ := leaf(cn + " Agency Signer")
	return testPKI{root: root, maker: ses.Maker{Signer: mSigner, Cert: mDER}, signerDER: sDER,
		trust: pki.NewTrustStore([]*smx509.Certificate{root}, nil)}
}

type fixture struct {
	reg     *Seals
	rev     *Revocations
	st      *store.Registry
	pledges *store.PledgeRepo
	clk     *clock.Fake
	pki     testPKI
	srv     *testredis.Server
	addr    string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	return newFixtureAt(t, testredis.Addr(t), nil)
}

func newFixtureAt(t *testing.T, addr string, srv *testredis.Server) fixture {
	t.Helper()
	clk := clock.NewFake(t0)
	st, err := store.New(store.Options{Addrs: []string{addr}, Prefix: testredis.Prefix(t), Timeout: 500 * time.Millisecond}, clk)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	p := newPKI(t, "PledgeSeal Test Root")
	sr := store.NewRegistry(st)
	prot, err := pii.New(bytes.Repeat([]byte{7}, 16), bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	pledges := store.NewPledgeRepo(st, prot, pledge.NewCatalogue(store.NewCatalogueRepo(st), clk))
	return fixture{reg: NewSeals(sr, Config{Maker: &p.maker, MakerTrust: p.trust}, clk),
		rev: NewRevocations(sr, clk, RevocationOptions{Pledges: pledges}), pledges: pledges,
		st: sr, clk: clk, pki: p, srv: srv, addr: addr}
}

func (f fixture) makeReq(esID string) MakeRequest {
	return MakeRequest{
		Filing: Filing{Agency: "110000-AMR", Category: CategoryStatutoryName, TypeCode: TypeStatutoryName, DocumentNo: "京市监印备〔2026〕1号"},
		ESID:   esID, Name: "北京市市场监督管理局", SignerCerts: [][]byte{f.pki.signerDER},
		ValidStart: t0, ValidEnd: t0.AddDate(2, 0, 0),
		Picture: ses.Picture{Type: "PNG", Data: []byte("\x89PNG\r\n\x1a\nfake"), Width: 40, Height: 40},
	}
}

func TestMakeAndGet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s, err := f.reg.Make(ctx, maker, f.makeReq("11010000000001"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Status.Code != status.Active || s.Origin != "made" || s.Version != "v4" || len(s.History) != 1 ||
		s.History[0].Actor.Role != "seal_maker" || s.History[0].DocumentNo != "京市监印备〔2026〕1号" {
		t.Fatalf("made seal: %+v", s)
	}
	if s.SignerCerts[0] != pki.Digest(f.pki.signerDER) || s.Digest != pki.Digest(s.DER) {
		t.Fatal("bindings not recorded")
	}
	parsed, err := ses.ParseSeal(s.DER)
	if err != nil || parsed.Info.ESID != s.ESID {
		t.Fatalf("stored DER does not parse back: %v", err)
	}
	byDigest, err := f.reg.GetByDigest(ctx, s.Digest)
	if err != nil || byDigest.ESID != s.ESID {
		t.Fatalf("by digest: %v", err)
	}
	cases := []struct {
		name string
		p    auth.Principal
		mut  func(*MakeRequest)
		want apperr.Kind
	}{
		{"agency may not make", agencyA, nil, apperr.Forbidden},
		{"public may not make", public, nil, apperr.Forbidden},
		{"duplicate esID", maker, nil, apperr.Conflict},
		{"bad type code", maker, func(r *MakeRequest) { r.ESID = "x2"; r.TypeCode = "07" }, apperr.Malformed},
		{"bad category", maker, func(r *MakeRequest) { r.ESID = "x3"; r.Category = "misc" }, apperr.Malformed},
		{"no document number", maker, func(r *MakeRequest) { r.ESID = "x4"; r.DocumentNo = " " }, apperr.Malformed},
		{"bad agency", maker, func(r *MakeRequest) { r.ESID = "x5"; r.Agency = "a b" }, apperr.Malformed},
		{"no signer", maker, func(r *MakeRequest) { r.ESID = "x6"; r.SignerCerts = nil }, apperr.Malformed},
		{"window backwards", maker, func(r *MakeRequest) { r.ESID = "x7"; r.ValidEnd = t0.AddDate(-1, 0, 0) }, apperr.Malformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := f.makeReq("11010000000001")
			if c.mut != nil {
				c.mut(&req)
			}
			if _, err := f.reg.Make(ctx, c.p, req); apperr.KindOf(err) != c.want {
				t.Fatalf("got %v, want %s", err, c.want)
			}
		})
	}
}

func TestImport(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	other := newPKI(t, "Foreign Root")
	foreign, err := ses.MakeSeal(ses.SealRequest{ESID: "EXT-1", Type: 4, Name: "合同专用章", SignerCerts: [][]byte{other.signerDER},
		ValidStart: t0, ValidEnd: t0.AddDate(1, 0, 0), Picture: ses.Picture{Type: "PNG", Data: []byte("png"), Width: 40, Height: 40}},
		other.maker, f.clk)
	if err != nil {
		t.Fatal(err)
	}
	trusted, err := ses.MakeSeal(ses.SealRequest{ESID: "EXT-2", Type: 4, Name: "合同专用章", SignerCerts: [][]byte{f.pki.signerDER},
		ValidStart: t0, ValidEnd: t0.AddDate(1, 0, 0), Picture: ses.Picture{Type: "PNG", Data: []byte("png"), Width: 40, Height: 40}},
		f.pki.maker, f.clk)
	if err != nil {
		t.Fatal(err)
	}
	tampered := append([]byte(nil), trusted.Raw...)
	if i := indexOf(tampered, []byte("EXT-2")); i < 0 {
		t.Fatal("esID not found in DER")
	} else {
		tampered[i+4] = '3'
	}
	sample, err := os.ReadFile("testdata/ofdrw-UserV4.esl")
	if err != nil {
		t.Fatal(err)
	}
	filing := Filing{Agency: "310000-AMR", Category: CategorySpecial, TypeCode: TypeContract, DocumentNo: "沪印备〔2026〕7号"}
	cases := []struct {
		name string
		p    auth.Principal
		der  []byte
		want apperr.Kind
		code apperr.Code
	}{
		{"trusted maker", maker, trusted.Raw, 0, ""},
		{"again", maker, trusted.Raw, apperr.Conflict, "SEAL_EXISTS"},
		{"untrusted maker", maker, foreign.Raw, apperr.Malformed, "SEAL_NOT_TRUSTED"},
		{"real external seal, untrusted", admin, sample, apperr.Malformed, "SEAL_NOT_TRUSTED"},
		{"tampered seal info", maker, tampered, apperr.Malformed, "SEAL_NOT_TRUSTED"},
		{"garbage", maker, []byte("not a seal"), apperr.Malformed, ""},
		{"agency may not import", agencyB, trusted.Raw, apperr.Forbidden, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := f.reg.Import(ctx, c.p, ImportRequest{Filing: filing, DER: c.der})
			if c.want == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if s.Origin != "imported" || s.Agency != "310000-AMR" || s.TypeCode != TypeContract || s.Status.Code != status.Active {
					t.Fatalf("imported: %+v", s)
				}
				return
			}
			if apperr.KindOf(err) != c.want || (c.code != "" && apperr.As(err).Code != c.code) {
				t.Fatalf("got %v, want %s %s", err, c.want, c.code)
			}
		})
	}
}

func indexOf(b, sub []byte) int {
	for i := 0; i+len(sub) <= len(b); i++ {
		if string(b[i:i+len(sub)]) == string(sub) {
			return i
		}
	}
	return -1
}

func TestLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s, err := f.reg.Make(ctx, maker, f.makeReq("11010000000002"))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		p      auth.Principal
		action Action
		want   status.Code // expected state after, or "" with wantErr
		err    apperr.Kind
	}{
		{"other agency may not suspend", agencyB, Suspend, "", apperr.Forbidden},
		{"public may not suspend", public, Suspend, "", apperr.Forbidden},
		{"owner suspends", agencyA, Suspend, status.Suspended, 0},
		{"suspend twice", agencyA, Suspend, "", apperr.Conflict},
		{"owner restores", agencyA, Restore, status.Active, 0},
		{"agency may not freeze", agencyA, Freeze, "", apperr.Forbidden},
		{"maker freezes", maker, Freeze, status.Frozen, 0},
		{"restore is not unfreeze", maker, Restore, "", apperr.Conflict},
		{"maker unfreezes", maker, Unfreeze, status.Active, 0},
		{"owner reports lost", agencyA, ReportLost, status.ReportedLost, 0},
		{"lost cannot be restored", agencyA, Restore, "", apperr.Conflict},
		{"agency may not cancel", agencyA, Cancel, "", apperr.Forbidden},
		{"admin cancels", admin, Cancel, status.Cancelled, 0},
		{"cancelled is terminal", maker, Unfreeze, "", apperr.Conflict},
		{"cancelled is terminal (restore)", admin, Restore, "", apperr.Conflict},
		{"unknown action", maker, "destroy", "", apperr.Malformed},
	}
	for i, st := range steps {
		f.clk.Advance(time.Hour)
		_, err := f.reg.ChangeStatus(ctx, st.p, s.ESID, StatusChange{Action: st.action, Reason: "测试 " + st.name, DocumentNo: "DOC-" + st.name})
		if st.err != 0 {
			if apperr.KindOf(err) != st.err {
				t.Fatalf("step %d %s: got %v, want %s", i, st.name, err, st.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("step %d %s: %v", i, st.name, err)
		}
		got, err := f.reg.Get(ctx, s.ESID)
		if err != nil || got.Status.Code != st.want {
			t.Fatalf("step %d %s: state %s, want %s (%v)", i, st.name, got.Status.Code, st.want, err)
		}
	}
	got, err := f.reg.Get(ctx, s.ESID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 7 {
		t.Fatalf("history has %d events, want 7 (filing + 6 changes)", len(got.History))
	}
	// Status at a time: suspended between hours 3 and 4 after t0.
	for _, c := range []struct {
		at     time.Time
		code   status.Code
		usable bool
	}{
		{t0.Add(-time.Hour), status.Unknown, false},
		{t0.Add(150 * time.Minute), status.Active, true},
		{t0.Add(210 * time.Minute), status.Suspended, false},
		{t0.Add(24 * time.Hour), status.Cancelled, false},
	} {
		a, err := f.reg.StatusAt(ctx, s.ESID, c.at)
		if err != nil || a.At.Code != c.code || a.UsableAt != c.usable || a.Now.Code != status.Cancelled {
			t.Fatalf("status at %s: %+v %v", c.at, a, err)
		}
	}
	if _, err := f.reg.ChangeStatus(ctx, maker, "nope", StatusChange{Action: Suspend, Reason: "r", DocumentNo: "d"}); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("unknown seal: %v", err)
	}
	if _, err := f.reg.ChangeStatus(ctx, maker, s.ESID, StatusChange{Action: Suspend, DocumentNo: "d"}); apperr.KindOf(err) != apperr.Malformed {
		t.Fatalf("no reason: %v", err)
	}
	rep, err := f.st.Store().VerifyAudit(ctx)
	if err != nil || !rep.Intact {
		t.Fatalf("audit: %+v %v", rep, err)
	}
	idx, err := f.st.Store().VerifyIndex(ctx)
	if err != nil || !idx.Consistent || idx.Events != 14 { // 7 events, each under the esID and the digest
		t.Fatalf("index: %+v %v", idx, err)
	}
}

func TestList(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for i, ag := range []string{"110000-AMR", "110000-AMR", "310000-AMR"} {
		req := f.makeReq("L" + string(rune('0'+i)))
		req.Agency = ag
		if _, err := f.reg.Make(ctx, maker, req); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		p    auth.Principal
		f    ListFilter
		want int
		err  apperr.Kind
	}{
		{"maker sees all", maker, ListFilter{}, 3, 0},
		{"maker filters", maker, ListFilter{Agency: "310000-AMR"}, 1, 0},
		{"agency sees its own", agencyA, ListFilter{}, 2, 0},
		{"agency may not see others", agencyA, ListFilter{Agency: "310000-AMR"}, 0, apperr.Forbidden},
		{"by signer cert", maker, ListFilter{SignerCert: pki.Digest(f.pki.signerDER)}, 3, 0},
		{"limit too big", maker, ListFilter{Limit: 5000}, 0, apperr.Malformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := f.reg.List(ctx, c.p, c.f)
			if apperr.KindOf(err) != c.err && !(c.err == 0 && err == nil) {
				t.Fatalf("got %v", err)
			}
			if err == nil && len(p.IDs) != c.want {
				t.Fatalf("got %v, want %d", p.IDs, c.want)
			}
		})
	}
	p, err := f.reg.List(ctx, maker, ListFilter{Limit: 2})
	if err != nil || len(p.IDs) != 2 || p.Next == "" {
		t.Fatalf("page 1: %+v %v", p, err)
	}
	p2, err := f.reg.List(ctx, maker, ListFilter{Limit: 2, Cursor: p.Next})
	if err != nil || len(p2.IDs) != 1 || p2.Next != "" {
		t.Fatalf("page 2: %+v %v", p2, err)
	}
}
