package seal

import (
	"context"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// seedPledge stores a decided pledge of an agency in region, created now.
func (f fixture) seedPledge(t *testing.T, id, region string) pledge.Record {
	t.Helper()
	now := f.clk.Now()
	rec := pledge.Record{ID: id, Status: pledge.StatusAccepted, Document: []byte(`{"id":"` + id + `"}`), Digest: sm3.Sum([]byte(id)),
		Applicant: "subj-" + id, Agency: region + "-SCJGJ", Entry: pledge.EntryKey{Region: region, Matter: "M-0001", Certificate: "C-1"},
		Way: pledge.WayEventCertificate, CreatedAt: now, Events: []pledge.Event{{To: pledge.StatusAccepted, At: now, Actor: "agency"}},
		Decision: &pledge.Decision{DocumentNo: "朝市监许〔2026〕1号", Date: now.Format("2006-01-02"), Officer: "o", DecidedAt: now}}
	if _, _, err := f.pledges.CreatePledge(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

// TestRevocationScope: the attacks of issue 12 §2 on the registry route,
// each against real Redis. Before the fix every one of them was accepted.
func TestRevocationScope(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	own := f.seedPledge(t, "PL-SCOPE-OWN", "110105")
	f.clk.Advance(time.Hour)
	chaoyang := auth.Principal{Role: auth.RoleEnforcement, Org: "110105", TokenID: "tc"}
	shanghai := auth.Principal{Role: auth.RoleEnforcement, Org: "310000", TokenID: "ts"}
	haidian := auth.Principal{Role: auth.RoleEnforcement, Org: "110108", TokenID: "th"}
	sub := func(id string) []status.Subject { return []status.Subject{{Kind: status.KindPledge, ID: id}} }
	req := func(subs []status.Subject) RevokeRequest {
		return RevokeRequest{Subjects: subs, Reason: ReasonDecisionRevoked, DocumentNo: "沪执〔2026〕1号"}
	}
	cases := []struct {
		name string
		p    auth.Principal
		req  RevokeRequest
		kind apperr.Kind
		code apperr.Code
	}{
		{"another province's enforcement", shanghai, req(sub(own.ID)), apperr.Forbidden, "OUT_OF_SCOPE"},
		{"a neighbouring district's enforcement", haidian, req(sub(own.ID)), apperr.Forbidden, "OUT_OF_SCOPE"},
		{"a pledge that does not exist", chaoyang, req(sub("PL-NEVER-EXISTED")), apperr.NotFound, "SUBJECT_NOT_FOUND"},
		{"a nonexistent pledge among real ones", chaoyang, req(append(sub(own.ID), sub("PL-NONE")...)), apperr.NotFound, "SUBJECT_NOT_FOUND"},
		{"a digest that is not the pledge's", chaoyang, req([]status.Subject{{Kind: status.KindPledge, ID: own.ID, Digest: sm3.Sum([]byte("other"))}}), apperr.Malformed, "SUBJECT_MISMATCH"},
		{"effective before the pledge existed", chaoyang, RevokeRequest{Subjects: sub(own.ID), Reason: ReasonDecisionRevoked, DocumentNo: "d",
			Effective: own.CreatedAt.Add(-time.Second)}, apperr.Malformed, "EFFECTIVE_BEFORE_SUBJECT"},
		{"effective far in the future", chaoyang, RevokeRequest{Subjects: sub(own.ID), Reason: ReasonDecisionRevoked, DocumentNo: "d",
			Effective: f.clk.Now().Add(DefaultClockSkew + time.Second)}, apperr.Malformed, "EFFECTIVE_IN_FUTURE"},
		{"a seal that is not registered", maker, RevokeRequest{Subjects: []status.Subject{{Kind: status.KindSeal, ID: "11010000009999"}},
			Reason: ReasonForged, DocumentNo: "d"}, apperr.NotFound, "SUBJECT_NOT_FOUND"},
		{"a seal digest that is not registered", maker, RevokeRequest{Subjects: []status.Subject{{Kind: status.KindSeal, Digest: sm3.Sum([]byte("x"))}},
			Reason: ReasonForged, DocumentNo: "d"}, apperr.NotFound, "SUBJECT_NOT_FOUND"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ops := []struct {
				fn     func(context.Context, auth.Principal, RevokeRequest) (Receipt, error)
				reason Reason
			}{{f.rev.Revoke, c.req.Reason}, {f.rev.Reverse, ReasonCorrection}}
			for _, op := range ops {
				r := c.req
				r.Reason = op.reason
				_, err := op.fn(ctx, c.p, r)
				if e := apperr.As(err); e == nil || e.Kind != c.kind || e.Code != c.code {
					t.Fatalf("got %v, want %s %s", err, c.kind, c.code)
				}
			}
			if rec, err := f.rev.Get(ctx, status.Subject{Kind: status.KindPledge, ID: own.ID}); apperr.KindOf(err) != apperr.NotFound {
				t.Fatalf("something was written: %+v %v", rec, err)
			}
		})
	}
	// Within the jurisdiction (and as admin) the same change is accepted,
	// and a slightly fast client clock is tolerated.
	if _, err := f.rev.Revoke(ctx, chaoyang, RevokeRequest{Subjects: sub(own.ID), Reason: ReasonDecisionRevoked, DocumentNo: "朝执〔2026〕1号",
		Effective: f.clk.Now().Add(DefaultClockSkew / 2)}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Hour)
	if _, err := f.rev.Reverse(ctx, admin, RevokeRequest{Subjects: sub(own.ID), Reason: ReasonCorrection, DocumentNo: "d"}); err != nil {
		t.Fatal(err)
	}
	// A registered seal is revocable by digest alone.
	s, err := f.reg.Make(ctx, maker, f.makeReq("11010000000042"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.rev.Revoke(ctx, maker, RevokeRequest{Subjects: []status.Subject{{Kind: status.KindSeal, Digest: s.Digest}},
		Reason: ReasonForged, DocumentNo: "d", Effective: s.Created.Add(-time.Second)}); apperr.As(err) == nil || apperr.As(err).Code != "EFFECTIVE_BEFORE_SUBJECT" {
		t.Fatalf("seal effective before its filing: %v", err)
	}
	if r, err := f.rev.Revoke(ctx, maker, RevokeRequest{Subjects: []status.Subject{{Kind: status.KindSeal, Digest: s.Digest}},
		Reason: ReasonForged, DocumentNo: "d"}); err != nil || r.State != status.Revoked {
		t.Fatalf("seal by digest: %+v %v", r, err)
	}
}
