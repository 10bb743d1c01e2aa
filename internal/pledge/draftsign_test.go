package pledge_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// TestSignDraftWithEventCertificate: prepare, review, sign exactly the
// reviewed bytes with an event certificate; every refusal has its own case
// and leaves nothing signed.
func TestSignDraftWithEventCertificate(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	other := applicant
	other.IDNumber = "110101198001071235"

	prepare := func(t *testing.T, key string) pledge.Draft {
		t.Helper()
		p, err := e.svc.Prepare(ctx, applicant, e.request(key))
		if err != nil || p.Repeat != nil {
			t.Fatalf("prepare: %v %+v", err, p.Repeat)
		}
		return p.Draft
	}
	flip := func(d [32]byte) [32]byte { d[31] ^= 1; return d }

	// The happy path first: the signed pledge carries the reviewed bytes.
	d := prepare(t, "draft-sign-01")
	e.clk.Advance(3 * time.Minute) // the applicant reads the document
	rec, created, err := e.svc.SignDraftWithEventCertificate(ctx, applicant, d.ID, d.Digest)
	if err != nil || !created {
		t.Fatalf("sign: created=%v err=%v", created, err)
	}
	if rec.ID != d.ID || !bytes.Equal(rec.Document, d.Document) || rec.Digest != pki.Digest(d.Document) ||
		rec.Way != pledge.WayEventCertificate || rec.Status != pledge.StatusSigned {
		t.Fatalf("signed record does not carry the reviewed draft: %+v", rec)
	}
	doc, err := pledge.ParseDocument(rec.Document)
	if err != nil {
		t.Fatal(err)
	}
	res, err := pledge.VerifyApplicantSignature(pledge.PKICMS{}, pki.NewTrustStore([]*smx509.Certificate{e.root.cert}, []*smx509.Certificate{e.eventCA.cert}), rec.ID, rec.Document, rec.ApplicantCMS, doc.SignedAt)
	if err != nil || !res.EventCertificate {
		t.Fatalf("the stored signature does not verify: %v %+v", err, res)
	}
	// A repeat returns the same pledge, not a new signature.
	again, created, err := e.svc.SignDraftWithEventCertificate(ctx, applicant, d.ID, d.Digest)
	if err != nil || created || again.ID != rec.ID || !bytes.Equal(again.ApplicantCMS, rec.ApplicantCMS) {
		t.Fatalf("repeat: created=%v err=%v", created, err)
	}
	// Preparing again with the same key is the pledge too.
	if p, err := e.svc.Prepare(ctx, applicant, e.request("draft-sign-01")); err != nil || p.Repeat == nil || p.Repeat.ID != rec.ID {
		t.Fatalf("prepare after signing: %v %+v", err, p)
	}

	fresh := prepare(t, "draft-sign-02")
	expiring := prepare(t, "draft-sign-03")
	cases := []struct {
		name     string
		who      pledge.Applicant
		id       string
		digest   [32]byte
		advance  time.Duration
		kind     apperr.Kind
		code     apperr.Code
		unsigned string // a draft that must stay unsigned
	}{
		{name: "digest mismatch", who: applicant, id: fresh.ID, digest: flip(fresh.Digest), kind: apperr.Conflict, code: apperr.CodeDraftDigestMismatch, unsigned: fresh.ID},
		{name: "another applicant's draft", who: other, id: fresh.ID, digest: fresh.Digest, kind: apperr.NotFound, code: apperr.CodeDraftNotFound, unsigned: fresh.ID},
		{name: "another applicant's pledge", who: other, id: rec.ID, digest: rec.Digest, kind: apperr.NotFound, code: apperr.CodeDraftNotFound},
		{name: "repeat with another digest", who: applicant, id: rec.ID, digest: flip(rec.Digest), kind: apperr.Conflict, code: apperr.CodeDraftDigestMismatch},
		{name: "no such draft", who: applicant, id: "P" + strings.Repeat("0", 32), digest: fresh.Digest, kind: apperr.NotFound, code: apperr.CodeDraftNotFound},
		{name: "malformed id", who: applicant, id: "P/../x", digest: fresh.Digest, kind: apperr.Malformed, code: "FIELD_INVALID"},
		{name: "incomplete identity", who: pledge.Applicant{Kind: pledge.ApplicantPerson}, id: fresh.ID, digest: fresh.Digest, kind: apperr.Unauthorized, code: "IDENTITY_INVALID"},
		{name: "expired draft", who: applicant, id: expiring.ID, digest: expiring.Digest, advance: 16 * time.Minute, kind: apperr.Conflict, code: apperr.CodeDraftExpired, unsigned: expiring.ID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.clk.Advance(tc.advance)
			_, _, err := e.svc.SignDraftWithEventCertificate(ctx, tc.who, tc.id, tc.digest)
			wantErr(t, err, tc.kind, tc.code)
			if tc.unsigned != "" {
				if _, err := e.pledges.GetPledge(ctx, tc.unsigned); apperr.KindOf(err) != apperr.NotFound {
					t.Fatalf("a refused draft was signed: %v", err)
				}
			}
		})
	}
}

// TestSignDraftConcurrently: two sign calls for one draft make one pledge;
// both get it, exactly one as created.
func TestSignDraftConcurrently(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	p, err := e.svc.Prepare(ctx, applicant, e.request("draft-race-01"))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	type out struct {
		rec     pledge.Record
		created bool
		err     error
	}
	res := make([]out, 4)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, c, err := e.svc.SignDraftWithEventCertificate(ctx, applicant, p.Draft.ID, p.Draft.Digest)
			res[i] = out{r, c, err}
		}()
	}
	wg.Wait()
	created := 0
	for _, o := range res {
		if o.err != nil {
			t.Fatal(o.err)
		}
		if o.rec.ID != p.Draft.ID || !bytes.Equal(o.rec.Document, p.Draft.Document) {
			t.Fatalf("got pledge %s", o.rec.ID)
		}
		if o.created {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d calls report creating the pledge, want 1", created)
	}
}

func TestParseDigestHex(t *testing.T) {
	want := pki.Digest([]byte("abc"))
	tests := []struct {
		in string
		ok bool
	}{
		{"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", true},
		{"66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0", true},
		{"", false},
		{"66c7f0", false},
		{"zz" + strings.Repeat("0", 62), false},
		{strings.Repeat("0", 66), false},
	}
	for _, tc := range tests {
		got, err := pledge.ParseDigestHex(tc.in)
		if tc.ok != (err == nil) || tc.ok && got != want {
			t.Errorf("%q: %x %v", tc.in, got, err)
		}
		if err != nil {
			wantErr(t, err, apperr.Malformed, "FIELD_INVALID")
		}
	}
}

// FuzzParseDigestHex: any string either fails with a Malformed error or is
// the hex form (either case) of the digest returned.
func FuzzParseDigestHex(f *testing.F) {
	for _, s := range []string{"66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0", strings.Repeat("A", 64), "", "0", strings.Repeat("g", 64), strings.Repeat("00", 33)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := pledge.ParseDigestHex(s)
		if err != nil {
			if apperr.KindOf(err) != apperr.Malformed {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if hex.EncodeToString(d[:]) != strings.ToLower(s) {
			t.Fatalf("%q parsed to %x", s, d)
		}
	})
}
