package pledge

import (
	"bytes"
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pki/pkitest"
)

// FuzzOwnCMS: reading an uploaded own signature never panics; a refusal
// is Malformed CMS_MALFORMED; what is read is one DER ContentInfo with
// exactly one signer whose certificate it carries, and sameDocument
// refuses it (CMS_OTHER_DOCUMENT, Forbidden) unless its signed digest and
// embedded content are the draft's. Seeds: a detached and an attached
// signature over the draft, one over other bytes, trailing bytes, garbage.
func FuzzOwnCMS(f *testing.F) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ca := pkitest.NewCA(f, "Fuzz CA", at.AddDate(-1, 0, 0), at.AddDate(1, 0, 0), 0)
	leaf := ca.Issue(f, pki.CertRequest{Subject: pkix.Name{CommonName: "张三丰", SerialNumber: "110101199001061234"},
		NotBefore: at.AddDate(-1, 0, 0), NotAfter: at.AddDate(1, 0, 0)})
	doc := []byte(`{"pledgeId":"P0"}`)
	d := Draft{ID: "P0", Document: doc, Digest: pki.Digest(doc)}
	detached, err := pki.SignDetached(doc, leaf.DER, leaf.Signer(), at)
	if err != nil {
		f.Fatal(err)
	}
	attached, err := pki.SignAttached(doc, leaf.DER, leaf.Signer(), at)
	if err != nil {
		f.Fatal(err)
	}
	other, err := pki.SignDetached([]byte(`{"pledgeId":"P1"}`), leaf.DER, leaf.Signer(), at)
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][]byte{detached, attached, other, append(bytes.Clone(detached), 0), nil, {0x30, 0x80}, []byte("-----BEGIN CMS-----")} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := signedCMS(b)
		if err != nil {
			if apperr.KindOf(err) != apperr.Malformed || apperr.As(err).Code != apperr.CodeCMSMalformed {
				t.Fatalf("refusal %v is not Malformed CMS_MALFORMED", err)
			}
			return
		}
		if c.signer.Cert == nil {
			t.Fatal("read a signer without its certificate")
		}
		if err := sameDocument(c, d); err != nil {
			if apperr.KindOf(err) != apperr.Forbidden || apperr.As(err).Code != apperr.CodeCMSOtherDocument {
				t.Fatalf("sameDocument refusal %v", err)
			}
			return
		}
		if c.signer.SignedAttrs != nil && !bytes.Equal(c.signer.MessageDigest, d.Digest[:]) || c.content != nil && !bytes.Equal(c.content, doc) {
			t.Fatal("sameDocument let other bytes through")
		}
	})
}

// TestOwnCMSSeeds: the seeds read as they should.
func TestOwnCMSSeeds(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ca := pkitest.NewCA(t, "Seed CA", at.AddDate(-1, 0, 0), at.AddDate(1, 0, 0), 0)
	leaf := ca.Issue(t, pki.CertRequest{Subject: pkix.Name{CommonName: "张三丰"}, NotBefore: at.AddDate(-1, 0, 0), NotAfter: at.AddDate(1, 0, 0)})
	doc := []byte(`{"pledgeId":"P0"}`)
	d := Draft{ID: "P0", Document: doc, Digest: pki.Digest(doc)}
	sign := func(content []byte, attach bool) []byte {
		var b []byte
		var err error
		if attach {
			b, err = pki.SignAttached(content, leaf.DER, leaf.Signer(), at)
		} else {
			b, err = pki.SignDetached(content, leaf.DER, leaf.Signer(), at)
		}
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for name, tc := range map[string]struct {
		in   []byte
		want apperr.Code // "" accepted
	}{
		"detached over the draft": {sign(doc, false), ""},
		"attached over the draft": {sign(doc, true), ""},
		"detached over other":     {sign([]byte("other"), false), apperr.CodeCMSOtherDocument},
		"attached over other":     {sign([]byte("other"), true), apperr.CodeCMSOtherDocument},
		"trailing byte":           {append(sign(doc, false), 0), apperr.CodeCMSMalformed},
		"two ContentInfos":        {append(sign(doc, false), sign(doc, false)...), apperr.CodeCMSMalformed},
		"not DER":                 {[]byte{0x30, 0x80, 0, 0}, apperr.CodeCMSMalformed},
		"too large":               {make([]byte, maxCMS+1), apperr.CodeCMSMalformed},
	} {
		t.Run(name, func(t *testing.T) {
			c, err := signedCMS(tc.in)
			if err == nil {
				err = sameDocument(c, d)
			}
			if got := apperr.As(err); (tc.want == "") != (err == nil) || got != nil && got.Code != tc.want {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
