package seal

import (
	"context"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

func TestRevocations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	pl := f.seedPledge(t, "PL-2026-0001", "110105")
	pledge := status.Subject{Kind: status.KindPledge, ID: pl.ID, Digest: pl.Digest}
	cert := status.Subject{Kind: status.KindCertificate, Digest: pki.Digest(f.pki.signerDER)}
	steps := []struct {
		name string
		p    auth.Principal
		rev  bool // revoke (else reverse)
		req  RevokeRequest
		err  apperr.Kind
		want status.Code // state of req.Subjects[0] now, after the step
	}{
		{"agency may not revoke a pledge", agencyA, true, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonFalsePledge, DocumentNo: "d"}, apperr.Forbidden, ""},
		{"seal maker may not revoke a pledge", maker, true, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonFalsePledge, DocumentNo: "d"}, apperr.Forbidden, ""},
		{"certificate reason on a pledge", enforcer, true, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonKeyCompromise, DocumentNo: "d"}, apperr.Malformed, ""},
		{"no document number", enforcer, true, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonFalsePledge}, apperr.Malformed, ""},
		{"mixed kinds", admin, true, RevokeRequest{Subjects: []status.Subject{pledge, cert}, Reason: ReasonUnspecified, DocumentNo: "d"}, apperr.Malformed, ""},
		{"false pledge only through a finding", enforcer, true, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonFalsePledge, DocumentNo: "京执核〔2026〕3号"}, apperr.Malformed, ""},
		{"not fulfilled only through a finding", admin, true, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonNotFulfilled, DocumentNo: "京执核〔2026〕3号"}, apperr.Malformed, ""},
		{"decision revoked", enforcer, true, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonDecisionRevoked, DocumentNo: "京执核〔2026〕3号"}, 0, status.Revoked},
		{"twice", enforcer, true, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonDecisionRevoked, DocumentNo: "d2"}, apperr.Conflict, ""},
		{"bad reversal reason", enforcer, false, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonFalsePledge, DocumentNo: "d"}, apperr.Malformed, ""},
		{"a pledge by digest only", admin, false, RevokeRequest{Subjects: []status.Subject{{Kind: status.KindPledge, Digest: pledge.Digest}}, Reason: ReasonAppealUpheld, DocumentNo: "d"}, apperr.Malformed, ""},
		{"appeal upheld", admin, false, RevokeRequest{Subjects: []status.Subject{{Kind: status.KindPledge, ID: pledge.ID}}, Reason: ReasonAppealUpheld, DocumentNo: "京复〔2026〕5号"}, 0, status.Active},
		{"reverse again", admin, false, RevokeRequest{Subjects: []status.Subject{pledge}, Reason: ReasonAppealUpheld, DocumentNo: "d"}, apperr.Conflict, ""},
		{"enforcement may not revoke a certificate", enforcer, true, RevokeRequest{Subjects: []status.Subject{cert}, Reason: ReasonKeyCompromise, DocumentNo: "d"}, apperr.Forbidden, ""},
		{"certificate known by digest only", maker, true, RevokeRequest{Subjects: []status.Subject{cert}, Reason: ReasonKeyCompromise, DocumentNo: "CRL-7"}, 0, status.Revoked},
	}
	for _, s := range steps {
		f.clk.Advance(time.Hour)
		var err error
		if s.rev {
			_, err = f.rev.Revoke(ctx, s.p, s.req)
		} else {
			_, err = f.rev.Reverse(ctx, s.p, s.req)
		}
		if s.err != 0 {
			if apperr.KindOf(err) != s.err {
				t.Fatalf("%s: got %v, want %s", s.name, err, s.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		rec, err := f.rev.Get(ctx, s.req.Subjects[0])
		if err != nil || rec.Now.Code != s.want {
			t.Fatalf("%s: %+v %v", s.name, rec, err)
		}
	}
	rec, err := f.rev.Get(ctx, status.Subject{Kind: status.KindPledge, ID: pledge.ID})
	if err != nil || len(rec.History) != 2 || rec.History[0].Reason != "DECISION_REVOKED" || rec.History[1].DocumentNo != "京复〔2026〕5号" {
		t.Fatalf("pledge record: %+v %v", rec, err)
	}
	if _, err := f.rev.Get(ctx, status.Subject{Kind: status.KindPledge, ID: "never"}); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("unknown: %v", err)
	}
	// the decision was revoked at step 8 (t0+8h) and the appeal upheld later
	ans, err := f.rev.Lookup(ctx, t0.Add(8*time.Hour+30*time.Minute), []status.Subject{pledge, cert, {Kind: status.KindSeal, ID: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if ans.Results[0].At.Code != status.Revoked || ans.Results[0].Now.Code != status.Active || ans.Results[1].Now.Code != status.Revoked ||
		ans.Results[2].Now.Code != status.Unknown {
		t.Fatalf("batch: %+v", ans.Results)
	}
}

// TestVerifierOverRegistry wires the SES verifier to the real registry: a
// revoked signer certificate, a suspended seal and a stopped Redis each show
// in the verification report, and "at signing time" differs from "now".
// TestStatesOverRegistry: the registry answers a seal's state at the time
// of use (suspended now, fine an hour earlier), a revoked maker
// certificate, and fails closed when Redis is down.
func TestStatesOverRegistry(t *testing.T) {
	srv := testredis.Start(t)
	f := newFixtureAt(t, srv.Addr, srv)
	ctx := context.Background()
	s, err := f.reg.Make(ctx, maker, f.makeReq("11010000000009"))
	if err != nil {
		t.Fatal(err)
	}
	sealSub := status.Subject{Kind: status.KindSeal, ID: s.ESID, Digest: s.Digest}
	state := func(at time.Time, sub status.Subject) status.Code {
		t.Helper()
		a, err := f.rev.Lookup(ctx, at, []status.Subject{sub})
		if err != nil {
			t.Fatal(err)
		}
		return a.Results[0].At.Code
	}
	f.clk.Advance(time.Hour)
	if c := state(f.clk.Now(), sealSub); c != status.Active {
		t.Fatalf("fresh seal: %s", c)
	}
	f.clk.Advance(time.Hour)
	if _, err := f.reg.ChangeStatus(ctx, agencyA, s.ESID, StatusChange{Action: Suspend, Reason: "印章更换", DocumentNo: "A-1"}); err != nil {
		t.Fatal(err)
	}
	if c := state(f.clk.Now(), sealSub); c != status.Suspended {
		t.Fatalf("suspended seal: %s", c)
	}
	// The seal was fine an hour earlier: the question "at the time of use".
	if c := state(f.clk.Now().Add(-90*time.Minute), sealSub); c != status.Active {
		t.Fatalf("seal before suspension: %s", c)
	}
	makerSub := status.Subject{Kind: status.KindCertificate, Digest: s.MakerCert}
	if _, err := f.rev.Revoke(ctx, maker, RevokeRequest{Subjects: []status.Subject{makerSub},
		Reason: ReasonKeyCompromise, DocumentNo: "CRL-1", Effective: t0}); err != nil {
		t.Fatal(err)
	}
	if c := state(f.clk.Now(), makerSub); c != status.Revoked {
		t.Fatalf("revoked maker: %s", c)
	}
	srv.Stop()
	if _, err := f.reg.StatusAt(ctx, s.ESID, t0); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("status at with redis down: %v", err)
	}
	if _, err := f.rev.Lookup(ctx, t0, []status.Subject{{Kind: status.KindSeal, ID: s.ESID}}); apperr.KindOf(err) != apperr.Unavailable {
		t.Fatalf("lookup with redis down: %v", err)
	}
}
