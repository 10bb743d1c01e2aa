package httpapi

import (
	"context"
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/emmansun/gmsm/pkcs7"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// checkOwn posts a CMS (base64) to the signature check of draft id.
func checkOwn(t *testing.T, h *harness, id, cms string) signatureCheckView {
	t.Helper()
	rec := h.do("POST", "/v1/pledges/"+id+"/signature-check", auth.RoleApplicant, map[string]string{"cms": cms})
	wantStatus(t, rec, http.StatusOK)
	return decode[signatureCheckView](t, rec)
}

// noPledge fails when a pledge id exists: a check or a refusal wrote one.
func noPledge(t *testing.T, e *verifytest.Env, id string) {
	t.Helper()
	if _, err := e.Pledges.GetPledge(context.Background(), id); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("pledge %s exists after a check or a refusal (err %v)", id, err)
	}
}

// altered is the canonical bytes of the draft's document changed by edit.
func altered(t *testing.T, doc []byte, edit func(*pledge.Document)) []byte {
	t.Helper()
	d, err := pledge.ParseDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	edit(d)
	b, err := d.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSignatureCheck: the applicant's own CMS is checked before submitting,
// exactly as the submission checks it, and nothing is stored; a signature
// over other bytes, by a certificate outside the applicant CAs or by
// another applicant's certificate is reported refused with its code, and
// the submission refuses it the same way without writing a pledge.
func TestSignatureCheck(t *testing.T) {
	h, e := pledgeHarness(t)
	f := setUp(t, h, e)
	now := h.clock.Now()
	mine := f.citizen(t, e.CitizenCA)

	t.Run("own certificate: verified, then submitted", func(t *testing.T) {
		d := f.prepareOwn(t, "own-check-ok-01")
		doc, _ := base64.StdEncoding.DecodeString(d.Document)
		cms := signCMS(t, doc, mine, now)
		c := checkOwn(t, h, d.PledgeID, cms)
		if !c.Acceptable || !c.DigestMatches || !c.ApplicantMatches || !c.Trusted || !c.ValidAtSigning || c.Refusal != nil {
			t.Fatalf("a good signature is not acceptable: %+v", c)
		}
		if c.DocumentDigest != d.Digest || c.SignedDigest != d.Digest || c.Signer.Name != testIdentity.Name ||
			c.Signer.Issuer != "Test Citizen CA" || c.Signer.SerialNumber == testIdentity.IDNumber || c.Signer.SerialNumber == "" {
			t.Fatalf("check report %+v", c)
		}
		if !c.Signer.NotBefore.Equal(mine.Cert.NotBefore) || !c.Signer.NotAfter.Equal(mine.Cert.NotAfter) {
			t.Fatalf("validity %v–%v, certificate %v–%v", c.Signer.NotBefore, c.Signer.NotAfter, mine.Cert.NotBefore, mine.Cert.NotAfter)
		}
		noPledge(t, e, d.PledgeID)
		rec := h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature", auth.RoleApplicant, map[string]string{"cms": cms})
		wantStatus(t, rec, http.StatusCreated)
		if p := decode[struct{ Pledge pledgeView }](t, rec).Pledge; p.Way != pledge.WayOwnCertificate || p.Status != pledge.StatusSigned {
			t.Fatalf("submitted pledge %+v", p)
		}
	})

	t.Run("attached SignedData embedding exactly the draft's bytes", func(t *testing.T) {
		d := f.prepareOwn(t, "own-check-attached")
		doc, _ := base64.StdEncoding.DecodeString(d.Document)
		der, err := pki.SignAttached(doc, mine.Cert.Raw, pki.NewKeySigner(mine.Key), now)
		if err != nil {
			t.Fatal(err)
		}
		if c := checkOwn(t, h, d.PledgeID, b64Of(der)); !c.Acceptable {
			t.Fatalf("an attached signature over the draft's bytes: %+v", c)
		}
		wantStatus(t, h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature", auth.RoleApplicant, map[string]string{"cms": b64Of(der)}), http.StatusCreated)
	})

	refusals := []struct {
		name    string
		sign    func(doc []byte) string
		code    apperr.Code
		digest  bool // the signed digest is the draft's
		matches bool // the certificate is the applicant's
	}{
		{"another draft's bytes", func([]byte) string {
			other := f.prepareOwn(t, "own-check-other-02")
			b, _ := base64.StdEncoding.DecodeString(other.Document)
			return signCMS(t, b, mine, now)
		}, apperr.CodeCMSOtherDocument, false, true},
		{"one statement not acknowledged", func(doc []byte) string {
			return signCMS(t, altered(t, doc, func(d *pledge.Document) { d.Statements[len(d.Statements)-1].Acknowledged = false }), mine, now)
		}, apperr.CodeCMSOtherDocument, false, true},
		{"another notice version", func(doc []byte) string {
			return signCMS(t, altered(t, doc, func(d *pledge.Document) { d.Notice.Version++ }), mine, now)
		}, apperr.CodeCMSOtherDocument, false, true},
		{"attached SignedData embedding other bytes", func(doc []byte) string {
			// No signed attributes: only the embedded bytes say what was
			// signed (a tampered document), and they are not the draft's.
			return attachedWithoutAttributes(t, altered(t, doc, func(d *pledge.Document) { d.Facts = nil }), mine)
		}, apperr.CodeCMSOtherDocument, false, true},
		{"certificate outside the applicant CAs", func(doc []byte) string {
			return signCMS(t, doc, f.citizen(t, e.OutsideCA), now)
		}, apperr.CodeNoCertificateChainFound, true, true},
		{"another applicant's certificate", func(doc []byte) string {
			other := verifytest.NewLeaf(t, "李四", e.CitizenCA, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0), "110101198001071235")
			return signCMS(t, doc, other, now)
		}, apperr.CodeCertificateNotApplicants, true, false},
		{"certificate expired before the signing", func(doc []byte) string {
			old := verifytest.NewLeaf(t, testIdentity.Name, e.CitizenCA, now.AddDate(-2, 0, 0), now.AddDate(-1, 0, 0), testIdentity.IDNumber)
			return signCMS(t, doc, old, now.AddDate(-1, -1, 0))
		}, apperr.CodeCertificateNotValidAtSigning, true, true},
	}
	for i, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			d := f.prepareOwn(t, "own-check-bad-"+string(rune('a'+i))+"-01")
			doc, _ := base64.StdEncoding.DecodeString(d.Document)
			cms := tc.sign(doc)
			c := checkOwn(t, h, d.PledgeID, cms)
			if c.Acceptable || c.Refusal == nil || c.Refusal.Code != tc.code || c.Refusal.Detail == "" {
				t.Fatalf("check: %+v, want refusal %s", c, tc.code)
			}
			if c.DigestMatches != tc.digest || c.ApplicantMatches != tc.matches || (c.SignedDigest == d.Digest) != tc.digest {
				t.Fatalf("check: digest %v (%s vs %s) applicant %v, want %v %v", c.DigestMatches, c.SignedDigest, d.Digest, c.ApplicantMatches, tc.digest, tc.matches)
			}
			rec := h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature", auth.RoleApplicant, map[string]string{"cms": cms})
			wantProblem(t, rec, http.StatusForbidden, string(tc.code))
			noPledge(t, e, d.PledgeID)
		})
	}

	t.Run("malformed uploads", func(t *testing.T) {
		d := f.prepareOwn(t, "own-check-malformed")
		doc, _ := base64.StdEncoding.DecodeString(d.Document)
		good, _ := base64.StdEncoding.DecodeString(signCMS(t, doc, mine, now))
		for name, body := range map[string]any{
			"not base64":        map[string]string{"cms": "***"},
			"empty":             map[string]string{"cms": ""},
			"not DER":           map[string]string{"cms": b64Of([]byte{0x30, 0x80, 0x01})},
			"PEM text":          map[string]string{"cms": b64Of([]byte("-----BEGIN CMS-----\nMIIB\n-----END CMS-----\n"))},
			"truncated":         map[string]string{"cms": b64Of(good[:len(good)/2])},
			"trailing bytes":    map[string]string{"cms": b64Of(append(append([]byte{}, good...), 0))},
			"unknown field":     map[string]string{"cms": b64Of(good), "applicant": "李四"},
			"not a JSON object": "[]",
		} {
			for _, path := range []string{"/signature-check", "/signature"} {
				rec := h.do("POST", "/v1/pledges/"+d.PledgeID+path, auth.RoleApplicant, body)
				if rec.Code != http.StatusBadRequest {
					t.Errorf("%s %s: %d %s, want 400", name, path, rec.Code, rec.Body)
				}
			}
		}
		noPledge(t, e, d.PledgeID)
	})

	t.Run("another applicant's draft, an unknown one, an expired one", func(t *testing.T) {
		otherID := auth.Identity{Name: "李四", IDType: "RESIDENT_ID", IDNumber: "110101198001071235"}
		iss, err := h.tokens.Create(context.Background(), auth.CreateRequest{Role: auth.RoleApplicant, Identity: &otherID, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		d := f.prepareOwn(t, "own-check-tenant-1")
		doc, _ := base64.StdEncoding.DecodeString(d.Document)
		cms := signCMS(t, doc, verifytest.NewLeaf(t, otherID.Name, e.CitizenCA, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0), otherID.IDNumber), now)
		wantProblem(t, h.doToken("POST", "/v1/pledges/"+d.PledgeID+"/signature-check", iss.Secret, map[string]string{"cms": cms}), http.StatusNotFound, "DRAFT_NOT_FOUND")
		wantProblem(t, h.do("POST", "/v1/pledges/P00000000000000000000000000000000/signature-check", auth.RoleApplicant, map[string]string{"cms": cms}), http.StatusNotFound, "DRAFT_NOT_FOUND")
		wantStatus(t, h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature-check", auth.RolePublic, map[string]string{"cms": cms}), http.StatusUnauthorized)
		wantStatus(t, h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature-check", auth.RoleAgency, map[string]string{"cms": cms}), http.StatusForbidden)
		good := signCMS(t, doc, mine, now)
		h.clock.Advance(16 * time.Minute)
		wantProblem(t, h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature-check", auth.RoleApplicant, map[string]string{"cms": good}), http.StatusConflict, "DRAFT_EXPIRED")
		wantProblem(t, h.do("POST", "/v1/pledges/"+d.PledgeID+"/signature", auth.RoleApplicant, map[string]string{"cms": good}), http.StatusConflict, "DRAFT_EXPIRED")
		noPledge(t, e, d.PledgeID)
	})
}

func b64Of(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// attachedWithoutAttributes is an attached SignedData (as GmSSL's cmssign
// writes) over content, signed without signed attributes (gmsm's pkcs7).
func attachedWithoutAttributes(t *testing.T, content []byte, signer verifytest.CA) string {
	t.Helper()
	sd, err := pkcs7.NewSMSignedData(content)
	if err != nil {
		t.Fatal(err)
	}
	if err := sd.SignWithoutAttr(signer.Cert, signer.Key, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return b64Of(der)
}
