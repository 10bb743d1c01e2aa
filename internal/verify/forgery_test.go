package verify_test

import (
	"github.com/emmansun/gmsm/smx509"

	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// unsignedNotShown lists the JSON paths of an accepted package that no
// signature covers and no report shows, so that changing them may still
// verify. It is empty: every member is signed or checked against signed
// bytes. (docs/verification.md, "Which package fields are signed".)
var unsignedNotShown = []string{}

// jsonPath is one member of a decoded package: its path (dots and [i])
// and the steps to it.
type jsonPath struct {
	name  string
	steps []any // string keys and int indices
}

// paths lists every member of v, containers included, depth first.
func paths(v any, prefix string, steps []any) []jsonPath {
	var out []jsonPath
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			name := k
			if prefix != "" {
				name = prefix + "." + k
			}
			s := append(slices.Clone(steps), k)
			out = append(out, jsonPath{name, s})
			out = append(out, paths(x[k], name, s)...)
		}
	case []any:
		for i := range x {
			name := prefix + "[" + strconv.Itoa(i) + "]"
			s := append(slices.Clone(steps), i)
			out = append(out, jsonPath{name, s})
			out = append(out, paths(x[i], name, s)...)
		}
	}
	return out
}

func decodeGeneric(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func encodeGeneric(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

// get returns the value at steps in v, and whether it exists.
func get(v any, steps []any) (any, bool) {
	for _, s := range steps {
		switch k := s.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil, false
			}
			v = a[k]
		}
	}
	return v, true
}

// set replaces (or with drop, removes) the value at steps in a fresh copy
// of the package b.
func set(t *testing.T, b []byte, steps []any, val any, drop bool) []byte {
	t.Helper()
	root := decodeGeneric(t, b)
	parent, _ := get(root, steps[:len(steps)-1])
	switch k := steps[len(steps)-1].(type) {
	case string:
		m := parent.(map[string]any)
		if drop {
			delete(m, k)
		} else {
			m[k] = val
		}
	case int:
		a := parent.([]any)
		if drop {
			a = slices.Delete(a, k, k+1)
		} else {
			a[k] = val
		}
		if len(steps) == 1 {
			root = a
		} else {
			gp, _ := get(root, steps[:len(steps)-2])
			switch pk := steps[len(steps)-2].(type) {
			case string:
				gp.(map[string]any)[pk] = a
			case int:
				gp.([]any)[pk] = a
			}
		}
	}
	return encodeGeneric(t, root)
}

// changes are plausible forgeries of one value: each keeps the form a
// parser accepts where it can (dates stay dates, URLs URLs, base64
// base64 of a changed byte, enumerations another member).
func changes(v any) []any {
	switch x := v.(type) {
	case string:
		var out []any
		if d, err := time.Parse(time.DateOnly, x); err == nil {
			out = append(out, d.AddDate(0, 0, 1).Format(time.DateOnly), d.AddDate(0, 0, -1).Format(time.DateOnly))
		}
		if u, err := url.Parse(x); err == nil && u.Scheme != "" && u.Host != "" {
			f := *u
			f.Host = "pledge.evil.example"
			out = append(out, f.String(), x+"?x=1")
		}
		switch x {
		case pledge.WayEventCertificate:
			out = append(out, pledge.WayOwnCertificate)
		case pledge.WayOwnCertificate:
			out = append(out, pledge.WayEventCertificate)
		}
		if raw, err := base64.StdEncoding.Strict().DecodeString(x); err == nil && len(raw) > 8 {
			for _, i := range []int{len(raw) / 2, len(raw) - 1} {
				c := slices.Clone(raw)
				c[i] ^= 0x01
				out = append(out, base64.StdEncoding.EncodeToString(c))
			}
		}
		return append(out, x+"1", "")
	case []any:
		out := []any{[]any{}}
		if len(x) > 1 {
			r := slices.Clone(x)
			slices.Reverse(r)
			out = append(out, r)
		}
		return append(out, append(slices.Clone(x), x[0]))
	case map[string]any:
		return []any{map[string]any{}}
	}
	return nil
}

type mutation struct {
	name string
	path string
	pkg  []byte
	// value is the forged value when it is a string (to check a report
	// that passes does not show it).
	value string
}

// mutations returns every change, drop and swap (with each donor's value
// at the same path) of every member of pkg.
func mutations(t *testing.T, pkg []byte, donors map[string][]byte) []mutation {
	t.Helper()
	root := decodeGeneric(t, pkg)
	var out []mutation
	for _, p := range paths(root, "", nil) {
		v, _ := get(root, p.steps)
		add := func(kind string, val any, drop bool) {
			s, _ := val.(string)
			out = append(out, mutation{name: p.name + " " + kind, path: p.name, pkg: set(t, pkg, p.steps, val, drop), value: s})
		}
		for i, c := range changes(v) {
			add("change#"+strconv.Itoa(i), c, false)
		}
		add("drop", nil, true)
		for name, d := range donors {
			dv, ok := get(decodeGeneric(t, d), p.steps)
			if ok && !bytes.Equal(encodeGeneric(t, dv), encodeGeneric(t, v)) {
				add("swap with "+name, dv, false)
			}
		}
	}
	return out
}

// TestEveryPackageFieldIsSigned walks every JSON path of a genuine accepted
// package, generated from the package itself, and changes, drops and swaps
// (with the value at the same path of other genuine packages: another
// event-certificate pledge, an own-certificate pledge and a legacy one)
// each value. No forgery may verify TOTAL_PASSED unless its path is listed
// in unsignedNotShown. Grafting whole parts of another genuine package
// (agencySeal, applicantSignature, certificates, notice) is among the
// swaps of the container paths.
func TestEveryPackageFieldIsSigned(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.Package(t, e.Accepted(t, "class-a-0001"))
	b := e.Package(t, e.Accepted(t, "class-b-0001"))
	citizen := verifytest.NewLeaf(t, "张三丰", e.CitizenCA, t0.AddDate(-1, 0, 0), t0.AddDate(1, 0, 0), verifytest.Applicant.IDNumber)
	own := ownSigned(t, e, "class-own-001", citizen)
	e.Clock.Advance(time.Minute)
	own, err := e.Service.Accept(ctx, pledge.Officer{Agency: verifytest.Agency, ID: "officer-1"}, own.ID, "朝市监许〔2026〕9号", pledge.CivilDate(e.Clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	c := e.Package(t, own)
	legacy := e.Package(t, e.LegacyAccepted(t, "class-legacy-1"))

	for name, pkg := range map[string][]byte{"a": a, "b": b, "own": c} {
		if r := e.Verifier.Verify(ctx, pkg, verify.Public()); r.Indication != outcome.TotalPassed {
			t.Fatalf("genuine package %s: %s/%s", name, r.Indication, r.SubIndication)
		}
	}
	ms := mutations(t, a, map[string][]byte{"b": b, "own": c, "legacy": legacy})
	covered := map[string]bool{}
	for _, m := range ms {
		covered[m.path] = true
		r := e.Verifier.Verify(ctx, m.pkg, verify.Public())
		if r.Indication == outcome.TotalPassed && !slices.Contains(unsignedNotShown, m.path) {
			js, _ := json.MarshalIndent(r.Pledge, "", " ")
			t.Errorf("forgery %s verifies TOTAL_PASSED\n%s", m.name, js)
		}
	}
	// The walk reaches every member, leaves and containers.
	for _, p := range []string{"agencySeal", "agencySeal.documentNo", "agencySeal.date", "agencySeal.sealedData", "agencySeal.ses",
		"applicantSignature.way", "applicantSignature.cms", "certificates", "certificates[0]", "certificates[2]",
		"document", "format", "notice.document", "notice.ses", "pledgeId", "statusUrl"} {
		if !covered[p] {
			t.Errorf("no mutation of %s", p)
		}
	}
	t.Logf("%d forgeries of %d paths tried", len(ms), len(covered))
}

// TestLegacyPackageVerifies: a package made before decision statements
// (the seal covers only pledge, document and applicant signature) still
// verifies, its report says it has the legacy format and which members are
// unsigned, and shows none of them: changing them may verify, but the
// forged value never appears in the report. Every other member is still
// refused when changed.
func TestLegacyPackageVerifies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	legacy := e.Package(t, e.LegacyAccepted(t, "legacy-0000001"))
	other := e.Package(t, e.Accepted(t, "legacy-other-1"))
	r := e.Verifier.Verify(ctx, legacy, verify.Public())
	want(t, r, outcome.TotalPassed, outcome.None)
	d := r.Pledge.Decision
	if d == nil || !d.Legacy || d.Format != pledge.SignedPledgeFormat || d.DocumentNo != "" || d.Date != "" || d.SealedAt == nil ||
		!slices.Equal(d.UnsignedFields, pledge.LegacyUnsignedFields()) || r.Pledge.StatusURL != "" {
		t.Fatalf("legacy decision: %+v statusUrl %q", d, r.Pledge.StatusURL)
	}
	if c, ok := r.Find(verify.CheckDecision); !ok || c.Result != outcome.NotPerformed || !strings.Contains(c.Detail, "legacy") {
		t.Fatalf("decision check of a legacy package: %+v", c)
	}
	for _, m := range mutations(t, legacy, map[string][]byte{"accepted": other}) {
		r := e.Verifier.Verify(ctx, m.pkg, verify.Public())
		if r.Indication != outcome.TotalPassed {
			continue
		}
		if !slices.Contains(pledge.LegacyUnsignedFields(), m.path) {
			t.Errorf("forgery %s of a legacy package verifies TOTAL_PASSED", m.name)
			continue
		}
		js, _ := json.Marshal(r)
		if m.value != "" && bytes.Contains(js, []byte(m.value)) {
			t.Errorf("forgery %s: the report shows the unsigned value %q", m.name, m.value)
		}
	}
}

// TestReportedForgeries are the forgeries that once verified TOTAL_PASSED
// while the report repeated them; each now fails with the check that names
// the member.
func TestReportedForgeries(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rec := e.Accepted(t, "reported-00001")
	pkg := e.Package(t, rec)
	other := e.Accepted(t, "reported-00002")
	r := e.Verifier.Verify(ctx, pkg, verify.Public())
	want(t, r, outcome.TotalPassed, outcome.None)
	if d := r.Pledge.Decision; d == nil || d.Legacy || d.DocumentNo != rec.Decision.DocumentNo || d.Date != rec.Decision.Date ||
		d.Agency != verifytest.Agency || d.Decision != pledge.DecisionAccepted || r.Pledge.StatusURL != verifytest.StatusURL(rec.ID) ||
		r.Pledge.Way != pledge.WayEventCertificate || d.SealedAt == nil || !d.SealedAt.Equal(*r.ValidAtSigning.SealedAt) {
		t.Fatalf("genuine report: %+v %+v", r.Pledge, d)
	}
	otherCerts := e.Package(t, other)
	var op pledge.Package
	if err := json.Unmarshal(otherCerts, &op); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		f     func(p *pledge.Package)
		check string
		sub   outcome.SubIndication
	}{
		{"documentNo", func(p *pledge.Package) { p.AgencySeal.DocumentNo = "朝市监许〔2026〕999号" }, verify.CheckDecisionFields, verify.FieldMismatch},
		{"date", func(p *pledge.Package) { p.AgencySeal.Date = "2026-03-01" }, verify.CheckDecisionFields, verify.FieldMismatch},
		{"statusUrl", func(p *pledge.Package) { p.StatusURL = "https://pledge.evil.example/v1/pledges/" + p.PledgeID }, verify.CheckDecisionFields, verify.FieldMismatch},
		{"way", func(p *pledge.Package) { p.ApplicantSignature.Way = pledge.WayOwnCertificate }, verify.CheckSignatureWay, verify.FieldMismatch},
		{"certificates emptied", func(p *pledge.Package) { p.Certificates = []string{} }, verify.CheckCertificates, verify.FieldMismatch},
		{"certificates replaced", func(p *pledge.Package) { p.Certificates = op.Certificates }, verify.CheckCertificates, verify.FieldMismatch},
		{"certificate corrupted", func(p *pledge.Package) {
			der := unb64(t, p.Certificates[0])
			der[len(der)-1] ^= 1 // in the signature value: still parses
			p.Certificates[0] = b64(der)
		}, verify.CheckCertificates, verify.FieldMismatch},
		{"trust anchor dropped", func(p *pledge.Package) { p.Certificates = p.Certificates[:len(p.Certificates)-1] }, verify.CheckCertificates, verify.FieldMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forged := verifytest.MutatePackage(t, pkg, tc.f)
			r := e.Verifier.Verify(ctx, forged, verify.Public())
			want(t, r, outcome.TotalFailed, tc.sub)
			if c, ok := r.Find(tc.check); !ok || c.Result != outcome.Failed || c.SubIndication != tc.sub {
				t.Fatalf("check %s: %+v", tc.check, c)
			}
			if d := r.Pledge.Decision; d != nil && (d.DocumentNo != rec.Decision.DocumentNo || d.Date != rec.Decision.Date) {
				t.Fatalf("the report shows a forged decision: %+v", d)
			}
			if u := r.Pledge.StatusURL; u != "" && u != verifytest.StatusURL(rec.ID) {
				t.Fatalf("the report shows a forged status URL %s", u)
			}
		})
	}
}

// TestForgedDecisionStatements: statements the agency's own seal signs but
// that disagree with the pledge (another agency, matter or notice, a
// sealing time other than the seal's, a decision date outside the signing
// and sealing days, a return) fail the decision check.
func TestForgedDecisionStatements(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rec := e.Accepted(t, "statement-0001")
	pkg := e.Package(t, rec)
	sd, err := pledge.ParseSealedData(rec.Decision.SealedData)
	if err != nil {
		t.Fatal(err)
	}
	sealedAt, _ := sd.Statement.SealTime()
	reseal := func(f func(s *pledge.DecisionStatement), at time.Time) []byte {
		s := sd.Statement
		f(&s)
		data, err := s.Canonical()
		if err != nil {
			t.Fatal(err)
		}
		return verifytest.MutatePackage(t, pkg, func(p *pledge.Package) {
			p.AgencySeal.SealedData = b64(data)
			p.AgencySeal.SES = b64(e.SignAt(t, data, at, "pledge:"+p.PledgeID))
			p.AgencySeal.DocumentNo, p.AgencySeal.Date, p.StatusURL = s.DecisionNo, s.DecisionDate, s.StatusURL
		})
	}
	// Resealing the genuine statement with the genuine time passes: the
	// cases below fail for what they change, not for being resealed.
	want(t, e.Verifier.Verify(ctx, reseal(func(*pledge.DecisionStatement) {}, sealedAt), verify.Public()), outcome.TotalPassed, outcome.None)
	for _, tc := range []struct {
		name string
		f    func(s *pledge.DecisionStatement)
		at   time.Time
		sub  outcome.SubIndication
	}{
		{"other agency", func(s *pledge.DecisionStatement) { s.Agency = "110105-OTHER" }, sealedAt, verify.DecisionMismatch},
		{"other matter", func(s *pledge.DecisionStatement) { s.Entry.Matter = "M-0002" }, sealedAt, verify.DecisionMismatch},
		{"other notice version", func(s *pledge.DecisionStatement) { s.Notice.Version++ }, sealedAt, verify.DecisionMismatch},
		{"sealing time not the seal's", func(s *pledge.DecisionStatement) {}, sealedAt.Add(time.Second), verify.DecisionMismatch},
		{"decided before signing", func(s *pledge.DecisionStatement) { s.DecisionDate = "2026-03-01" }, sealedAt, verify.DecisionMismatch},
		{"decided after sealing", func(s *pledge.DecisionStatement) { s.DecisionDate = "2026-03-03" }, sealedAt, verify.DecisionMismatch},
		{"returned", func(s *pledge.DecisionStatement) { s.Decision = pledge.DecisionReturned }, sealedAt, verify.PledgeReturned},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Verifier.Verify(ctx, reseal(tc.f, tc.at), verify.Public())
			if c, ok := r.Find(verify.CheckDecision); !ok || c.Result != outcome.Failed || c.SubIndication != tc.sub {
				t.Fatalf("decision check: %+v", c)
			}
			if r.Indication != outcome.TotalFailed || r.Pledge.Decision != nil {
				t.Fatalf("got %s/%s, decision shown: %+v", r.Indication, r.SubIndication, r.Pledge.Decision)
			}
		})
	}
}

// TestStatementSealedByAnotherAgency: agency Y's genuine, registered and
// active seal seals a statement that names agency X (the pledge's agency).
// The seal, its chain and its status all hold; only the registry's record
// of who owns the seal tells the forgery, and it must not pass.
func TestStatementSealedByAnotherAgency(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	rec := e.Accepted(t, "statement-other-agency")
	pkg := e.Package(t, rec)
	sd, err := pledge.ParseSealedData(rec.Decision.SealedData)
	if err != nil {
		t.Fatal(err)
	}
	sealedAt, _ := sd.Statement.SealTime()
	other := e.OtherAgencySeal(t, "110108-SCJGJ", "11010899990001")
	forged := verifytest.MutatePackage(t, pkg, func(p *pledge.Package) {
		p.AgencySeal.SES = b64(verifytest.SignWith(t, other, rec.Decision.SealedData, sealedAt, "pledge:"+p.PledgeID))
	})
	r := e.Verifier.Verify(ctx, forged, verify.Public())
	want(t, r, outcome.TotalFailed, verify.SealAgencyMismatch)
	c, ok := r.Find(verify.CheckSealOwner)
	if !ok || c.Result != outcome.Failed || !strings.Contains(c.Detail, "110108-SCJGJ") || !strings.Contains(c.Detail, verifytest.Agency) {
		t.Fatalf("owner check: %+v", c)
	}
	if r.Pledge.Decision != nil || r.Pledge.StatusURL != "" {
		t.Fatalf("the decision of a seal of another agency is shown: %+v", r.Pledge.Decision)
	}
	// Everything but the owner holds: the same statement under the
	// agency's own seal passes.
	genuine := e.Verifier.Verify(ctx, pkg, verify.Public())
	want(t, genuine, outcome.TotalPassed, outcome.None)
	if c, ok := genuine.Find(verify.CheckSealOwner); !ok || c.Result != outcome.Passed {
		t.Fatalf("owner check of the genuine seal: %+v", c)
	}
	// A seal that reuses the agency's registered esID with other bytes is
	// not the registered seal: its owner is unknown, nothing passes.
	now := e.Clock.Now()
	twin, err := ses.MakeSeal(ses.SealRequest{ESID: verifytest.ESID, Type: 1, Name: "北京市朝阳区市场监督管理局",
		SignerCerts: [][]byte{e.SealSigner.Cert.Raw}, ValidStart: now.Add(-48 * time.Hour), ValidEnd: now.AddDate(1, 0, 0),
		Picture: ses.Picture{Type: "PNG", Data: []byte("\x89PNG\r\n\x1a\n"), Width: 40, Height: 40}},
		ses.Maker{Signer: pki.NewKeySigner(e.Maker.Key), Cert: e.Maker.Cert.Raw}, e.Clock)
	if err != nil {
		t.Fatal(err)
	}
	copied := pledge.AgencySeal{Seal: twin, Signer: other.Signer}
	reuse := verifytest.MutatePackage(t, pkg, func(p *pledge.Package) {
		p.AgencySeal.SES = b64(verifytest.SignWith(t, copied, rec.Decision.SealedData, sealedAt, "pledge:"+p.PledgeID))
	})
	r = e.Verifier.Verify(ctx, reuse, verify.Public())
	if c, _ := r.Find(verify.CheckSealOwner); r.Indication == outcome.TotalPassed || c.Result == outcome.Passed {
		t.Fatalf("a seal reusing a registered esID: %s, owner check %+v", r.Indication, c)
	}
	if r.Pledge.Decision != nil || r.Pledge.StatusURL != "" {
		t.Fatalf("the decision under a seal of unknown owner is shown: %+v", r.Pledge.Decision)
	}
}

// TestOfflineDecisionNeedsNamedOwner: offline there is no seal registry, so
// the report may show the decision only when the agency signer certificate
// (chained to the seal trust anchors) names the deciding agency. A genuine
// seal of agency Y whose signer certificate names Y, sealing a statement of
// agency X, must not present X's decision as proven offline.
func TestOfflineDecisionNeedsNamedOwner(t *testing.T) {
	e := newEnv(t)
	rec := e.Accepted(t, "offline-owner")
	pkg := e.Package(t, rec)
	offline, err := verify.New(verify.Options{SealTrust: e.SealTrust, ApplicantTrust: e.ApplicantTrust, Clock: e.Clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	genuine := offline.Verify(ctx, pkg, verify.Public())
	want(t, genuine, outcome.TotalPassed, outcome.None)
	if c, ok := genuine.Find(verify.CheckSealOwner); !ok || c.Result != outcome.Passed || genuine.Pledge.Decision == nil {
		t.Fatalf("offline, a signer certificate naming the agency: owner %+v, decision %+v", c, genuine.Pledge.Decision)
	}

	now := e.Clock.Now()
	otherSigner := verifytest.NewLeaf(t, "Other Agency Signer", e.SealRoot, now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0), "110108-SCJGJ")
	otherSeal, err := ses.MakeSeal(ses.SealRequest{ESID: "11010899990002", Type: 1, Name: "北京市海淀区市场监督管理局",
		SignerCerts: [][]byte{otherSigner.Cert.Raw}, ValidStart: now.Add(-48 * time.Hour), ValidEnd: now.AddDate(1, 0, 0),
		Picture: ses.Picture{Type: "PNG", Data: []byte("\x89PNG\r\n\x1a\n"), Width: 40, Height: 40}},
		ses.Maker{Signer: pki.NewKeySigner(e.Maker.Key), Cert: e.Maker.Cert.Raw}, e.Clock)
	if err != nil {
		t.Fatal(err)
	}
	sd, err := pledge.ParseSealedData(rec.Decision.SealedData)
	if err != nil {
		t.Fatal(err)
	}
	sealedAt, _ := sd.Statement.SealTime()
	other := pledge.AgencySeal{Seal: otherSeal, Signer: ses.Signer{Signer: pki.NewKeySigner(otherSigner.Key), Cert: otherSigner.Cert.Raw}}
	forged := verifytest.MutatePackage(t, pkg, func(p *pledge.Package) {
		p.AgencySeal.SES = b64(verifytest.SignWith(t, other, rec.Decision.SealedData, sealedAt, "pledge:"+p.PledgeID))
	})
	r := offline.Verify(ctx, forged, verify.Public())
	if c, ok := r.Find(verify.CheckSealOwner); !ok || c.Result == outcome.Passed {
		t.Fatalf("offline owner check of another agency's seal: %+v", c)
	}
	if r.Pledge.Decision != nil || r.Pledge.StatusURL != "" {
		t.Fatalf("offline, the decision under another agency's seal is shown: %+v", r.Pledge.Decision)
	}
	// A signer certificate that names the agency but does not chain to the
	// seal trust anchors (here: a verifier trusting another root) names
	// nobody: the owner check does not pass on its say-so.
	otherRoot := verifytest.NewCA(t, "Other Seal Root", nil, now.AddDate(-1, 0, 0), now.AddDate(5, 0, 0))
	untrusting, err := verify.New(verify.Options{SealTrust: pki.NewTrustStore([]*smx509.Certificate{otherRoot.Cert}, nil),
		ApplicantTrust: e.ApplicantTrust, Clock: e.Clock})
	if err != nil {
		t.Fatal(err)
	}
	u := untrusting.Verify(ctx, pkg, verify.Public())
	if c, ok := u.Find(verify.CheckSealOwner); !ok || c.Result == outcome.Passed {
		t.Fatalf("offline owner check on a signer certificate no anchor vouches for: %+v", c)
	}
}
