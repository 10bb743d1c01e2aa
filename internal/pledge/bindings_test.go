package pledge_test

import (
	"context"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// TestPackageBindings: the notice, the applicant signature and the agency
// seal in a package must all bind the same pledge; parts taken from another
// package are caught.
func TestPackageBindings(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	officer := pledge.Officer{Agency: agency, ID: "o"}
	sign := func(key string) pledge.Record {
		r, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request(key))
		if err != nil {
			t.Fatal(err)
		}
		r, err = e.svc.Accept(ctx, officer, r.ID, "D-"+key, "2026-03-02")
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	a, b := sign("bind-0001"), sign("bind-0002")
	build := func(r pledge.Record, n pledge.PublishedNotice) *pledge.ParsedPackage {
		raw, err := pledge.BuildPackage(r, n, statusURL+r.ID)
		if err != nil {
			t.Fatal(err)
		}
		p, err := pledge.ParsePackage(raw)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := build(a, e.published)
	if err := checkNotice(good); err != nil {
		t.Fatal(err)
	}
	if ok, err := checkAgencySeal(good); !ok || err != nil {
		t.Fatalf("agency seal: %v %v", ok, err)
	}

	// The SES of pledge b in pledge a's package (an SES made over another pledge).
	swappedSeal := a
	swappedSeal.Decision = b.Decision
	_, err := checkAgencySeal(build(swappedSeal, e.published))
	wantErr(t, err, apperr.Forbidden, apperr.CodeSealBindingMismatch)

	// Sealed data of a with the SES of b: the data binds, the SES does not.
	mixed := a
	d := *a.Decision
	d.AgencySES = b.Decision.AgencySES
	mixed.Decision = &d
	_, err = checkAgencySeal(build(mixed, e.published))
	wantErr(t, err, apperr.Forbidden, apperr.CodeSealBindingMismatch)

	// The applicant signature of b with a's document and seal.
	swappedSig := a
	swappedSig.ApplicantCMS = b.ApplicantCMS
	_, err = checkAgencySeal(build(swappedSig, e.published))
	wantErr(t, err, apperr.Forbidden, apperr.CodeSealBindingMismatch)

	// A notice other than the one the document binds, and a notice SES
	// made over other data.
	cp := *good
	cp.NoticeBytes = append(append([]byte{}, good.NoticeBytes...), ' ')
	wantErr(t, checkNotice(&cp), apperr.Forbidden, apperr.CodeNoticeMismatch)
	cp = *good
	cp.NoticeSES = good.AgencySES
	wantErr(t, checkNotice(&cp), apperr.Forbidden, apperr.CodeNoticeSealMismatch)
	cp.NoticeSES = []byte{0x30, 0x00}
	wantErr(t, checkNotice(&cp), apperr.Malformed, apperr.CodeSESMalformed)

	// A pledge not yet accepted has no counter-seal to check.
	c, _, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("bind-0003"))
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := checkAgencySeal(build(c, e.published)); ok || err != nil {
		t.Fatalf("unaccepted pledge: %v %v", ok, err)
	}
}

// checkNotice and checkAgencySeal check a package's bindings with the
// package's own SES parse, as the verifier hands its parse over.
func checkNotice(p *pledge.ParsedPackage) error {
	return p.CheckNotice(ses.ParseSignature(p.NoticeSES))
}

func checkAgencySeal(p *pledge.ParsedPackage) (bool, error) {
	if p.AgencySES == nil {
		return p.CheckAgencySeal(nil, nil)
	}
	return p.CheckAgencySeal(ses.ParseSignature(p.AgencySES))
}
