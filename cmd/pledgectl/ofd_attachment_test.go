package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// rewriteOFD returns the OFD (ZIP) b with each entry named in change
// replaced by what its function makes of it.
func rewriteOFD(t *testing.T, b []byte, change map[string]func([]byte) []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		_ = rc.Close()
		if fn := change[f.Name]; fn != nil {
			data = fn(data)
		}
		w, err := zw.Create(f.Name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestOFDVerifyChecksTheAttachedPackage: `pledgectl ofd verify` checks the
// pledge package attached to the OFD as POST /v1/ofd/verifications does,
// through the same code (internal/ofdpledge). Attacks:
//   - the attachment swapped for another valid pledge's package: the
//     OFD's Reference of the attachment fails;
//   - the same swap by a holder of the agency's seal, who recomputes the
//     References and seals Signature.xml again, so that every OFD
//     signature check passes: the pages still show pledge A while the
//     attached proof is pledge B — ofd-pledge-binding fails, exit 1
//     (before, the CLI never looked at the attachment and exited 0).
func TestOFDVerifyChecksTheAttachedPackage(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e := verifytest.OnRedis(t, clk)
	ctx := context.Background()
	labels, err := web.Messages("zh-CN")
	if err != nil {
		t.Fatal(err)
	}
	a := e.Accepted(t, "cli-ofd-bind-0001")
	b := e.Accepted(t, "cli-ofd-bind-0002")
	pkgA, pkgB := e.Package(t, a), e.Package(t, b)
	doc, err := (&ofdmake.Writer{Sealer: e.Sealer, Clock: clk}).Write(ctx, ofdmake.Input{Package: pkgA, Labels: labels, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var roots []byte
	for _, c := range []verifytest.CA{e.SealRoot, e.ApplicantRoot, e.CitizenCA} {
		roots = append(roots, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})...)
	}
	trust := filepath.Join(dir, "trust.pem")
	if err := os.WriteFile(trust, roots, 0o600); err != nil {
		t.Fatal(err)
	}
	verifyOFD := func(name string, data []byte) (int, jsonReport) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		var o, eb bytes.Buffer
		code := run([]string{"ofd", "verify", "--json", "--trust", trust, p}, &o, &eb, func(string) string { return "" }, clk)
		var r jsonReport
		if err := json.Unmarshal(o.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v\n%s%s", name, err, o.String(), eb.String())
		}
		return code, r
	}

	// The genuine OFD: its signatures and the attached package pass, and
	// the package is the document's pledge.
	code, r := verifyOFD("genuine.ofd", doc)
	if code != 0 || r.Pledge == nil || r.Pledge.ValidAtSigning.Indication != outcome.TotalPassed {
		t.Fatalf("genuine OFD: exit %d %+v", code, r)
	}
	if c, ok := r.Pledge.Find(verify.CheckOFDBinding); !ok || c.Result != outcome.Passed {
		t.Fatalf("binding of the genuine OFD: %+v", c)
	}

	attach := "Doc_0/Attachs/" + a.ID + ".pledge.json"
	swap := func([]byte) []byte { return pkgB }
	// Swapped attachment alone: the OFD's Reference of it fails.
	code, r = verifyOFD("swapped.ofd", rewriteOFD(t, doc, map[string]func([]byte) []byte{attach: swap}))
	if code != 1 || len(r.Signatures) != 1 || r.Signatures[0].Indication != outcome.TotalFailed {
		t.Fatalf("swapped attachment: exit %d %+v", code, r.Signatures)
	}
	refFailed := false
	for _, c := range r.Signatures[0].Checks {
		refFailed = refFailed || strings.HasPrefix(c.Name, "ofd-reference") && strings.HasSuffix(c.Name, attach) && c.Result == outcome.Failed
	}
	if !refFailed {
		t.Errorf("the attachment's reference did not fail: %+v", r.Signatures[0].Checks)
	}

	// Swapped and sealed again with the agency's seal: every signature
	// check passes, the binding does not.
	digest := func(b []byte) string { s := sm3.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }
	var sig []byte
	resealed := rewriteOFD(t, doc, map[string]func([]byte) []byte{
		attach: swap,
		"Doc_0/Signs/Sign_0/Signature.xml": func(old []byte) []byte {
			sig = bytes.Replace(old, []byte(digest(pkgA)), []byte(digest(pkgB)), 1)
			if bytes.Equal(sig, old) {
				t.Fatal("the attachment's digest is not in Signature.xml")
			}
			return sig
		},
	})
	sv, err := e.Sealer.SealData(ctx, verifytest.Agency, sig, ofdmake.PropertyInfo)
	if err != nil {
		t.Fatal(err)
	}
	resealed = rewriteOFD(t, resealed, map[string]func([]byte) []byte{"Doc_0/Signs/Sign_0/SignedValue.dat": func([]byte) []byte { return sv }})
	code, r = verifyOFD("resealed.ofd", resealed)
	if len(r.Signatures) != 1 || r.Signatures[0].Indication != outcome.TotalPassed {
		t.Fatalf("the resealed OFD's signature should pass (the attacker holds the seal): %+v", r.Signatures)
	}
	c, ok := r.Pledge.Find(verify.CheckOFDBinding)
	if code != 1 || !ok || c.Result != outcome.Failed || !strings.Contains(c.Detail, b.ID) || r.Pledge.ValidAtSigning.Indication != outcome.TotalFailed {
		t.Fatalf("a package of another pledge than the pages show: exit %d, binding %+v", code, c)
	}
	// The same, with OFD.xml's DocID (which real signed OFDs leave
	// unsigned) rewritten to pledge B: the binding reads the signed
	// attachment list, not the DocID, and still fails.
	redoc := rewriteOFD(t, resealed, map[string]func([]byte) []byte{"OFD.xml": func(old []byte) []byte {
		out := bytes.ReplaceAll(old, []byte(strings.TrimPrefix(a.ID, "P")), []byte(strings.TrimPrefix(b.ID, "P")))
		if bytes.Equal(out, old) {
			t.Fatal("OFD.xml does not carry the pledge's DocID")
		}
		return out
	}})
	code, r = verifyOFD("redoc.ofd", redoc)
	if c, ok := r.Pledge.Find(verify.CheckOFDBinding); code != 1 || !ok || c.Result != outcome.Failed {
		t.Fatalf("DocID rewritten in the unsigned OFD.xml: exit %d, binding %+v", code, c)
	}
}

// jsonReport is `ofd verify --json`'s output.
type jsonReport struct {
	Signatures []outcome.Report `json:"signatures"`
	Pledge     *verify.Report   `json:"pledge"`
}
