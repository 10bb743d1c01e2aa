package pledge_test

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func sampleStatement() pledge.DecisionStatement {
	return pledge.DecisionStatement{Format: pledge.DecisionFormat, PledgeID: "P0123456789abcdef0123456789abcdef",
		DocumentDigest: "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90", ApplicantSignatureDigest: "0000000000000000000000000000000000000000000000000000000000000001",
		Decision: pledge.DecisionAccepted, DecisionNo: "京民登字〔2026〕8号", DecisionDate: "2026-03-02", Agency: "110105-MZJ",
		Entry: pledge.EntryKey{Region: "110105", Matter: "M-0001", Certificate: "C-1"}, Notice: pledge.NoticeRef{ID: "N-1", Version: 2, Digest: "ab"},
		StatusURL: "https://pledge.example.gov.cn/v1/pledges/P0123456789abcdef0123456789abcdef/verification", SealedAt: "2026-03-02T09:00:00Z"}
}

// TestPackageFixtures: the committed packages parse, the current one with
// a decision statement, the one made before decision statements (kept as
// it was made) in the legacy format.
func TestPackageFixtures(t *testing.T) {
	for name, legacy := range map[string]bool{"valid-accepted.json": false, "legacy-accepted.json": true} {
		b, err := os.ReadFile("testdata/packages/" + name)
		if err != nil {
			t.Fatal(err)
		}
		p, err := pledge.ParsePackage(b)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Sealed.Legacy != legacy {
			t.Fatalf("%s: legacy %v", name, p.Sealed.Legacy)
		}
		if ok, err := checkAgencySeal(p); !ok || err != nil {
			t.Fatalf("%s: binding %v %v", name, ok, err)
		}
		if !legacy && (p.Sealed.Statement.DecisionNo != p.Package.AgencySeal.DocumentNo || p.Sealed.Statement.StatusURL != p.Package.StatusURL || len(p.FieldMismatches()) != 0) {
			t.Fatalf("%s: statement %+v", name, p.Sealed.Statement)
		}
		if legacy && p.FieldMismatches() != nil {
			t.Fatalf("%s: a legacy package has no statement to disagree with", name)
		}
	}
}

// TestParseSealedDataStrict: only the exact canonical forms of the two
// formats parse.
func TestParseSealedDataStrict(t *testing.T) {
	good, err := sampleStatement().Canonical()
	if err != nil {
		t.Fatal(err)
	}
	if sd, err := pledge.ParseSealedData(good); err != nil || sd.Legacy || sd.Statement != sampleStatement() {
		t.Fatalf("genuine: %v %+v", err, sd)
	}
	legacy := []byte(`{"applicantSignatureDigest":"01","documentDigest":"02","format":"pledgeseal.signed-pledge/v1","pledgeId":"P1"}`)
	if sd, err := pledge.ParseSealedData(legacy); err != nil || !sd.Legacy || sd.Statement.PledgeID != "P1" {
		t.Fatalf("legacy: %v %+v", err, sd)
	}
	var m map[string]any
	if err := json.Unmarshal(good, &m); err != nil {
		t.Fatal(err)
	}
	bad := map[string][]byte{
		"not canonical":   append([]byte(" "), good...),
		"unknown format":  bytes.Replace(good, []byte(pledge.DecisionFormat), []byte("pledgeseal.decision/v9"), 1),
		"extra member":    bytes.Replace(good, []byte(`{"agency"`), []byte(`{"a":1,"agency"`), 1),
		"legacy + member": bytes.Replace(legacy, []byte(`"pledgeId"`), []byte(`"decisionNo":"X","pledgeId"`), 1),
		"not JSON":        []byte("x"),
	}
	for field, v := range map[string]any{"decision": "MAYBE", "decisionDate": "2026-3-2", "statusUrl": "http://evil.example/", "sealedAt": "2026-03-02T17:00:00+08:00",
		"documentDigest": "AB", "agency": "", "decisionNo": " "} {
		c := map[string]any{}
		for k, x := range m {
			c[k] = x
		}
		c[field] = v
		b, _ := json.Marshal(c)
		bad[field] = b
	}
	for name, b := range bad {
		if _, err := pledge.ParseSealedData(b); apperr.KindOf(err) != apperr.Malformed {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestCheckDecisionDate: the decision day lies between the signing day and
// the sealing day, both in UTC+8.
func TestCheckDecisionDate(t *testing.T) {
	signed := time.Date(2026, 3, 1, 17, 0, 0, 0, time.UTC)  // 2026-03-02 01:00 UTC+8
	sealed := time.Date(2026, 3, 3, 15, 59, 0, 0, time.UTC) // 2026-03-03 23:59 UTC+8
	for date, ok := range map[string]bool{"2026-03-01": false, "2026-03-02": true, "2026-03-03": true, "2026-03-04": false} {
		err := pledge.CheckDecisionDate(date, signed, sealed)
		if (err == nil) != ok || (err != nil && apperr.As(err).Code != apperr.CodeDecisionDateInvalid) {
			t.Errorf("%s: %v", date, err)
		}
	}
}

func FuzzParseSealedData(f *testing.F) {
	good, _ := sampleStatement().Canonical()
	f.Add(good)
	f.Add([]byte(`{"applicantSignatureDigest":"01","documentDigest":"02","format":"pledgeseal.signed-pledge/v1","pledgeId":"P1"}`))
	f.Add([]byte(`{"format":"pledgeseal.decision/v1"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		sd, err := pledge.ParseSealedData(b)
		if err != nil {
			if apperr.KindOf(err) != apperr.Malformed {
				t.Fatalf("error kind %v", err)
			}
			return
		}
		if sd.Legacy {
			return
		}
		again, err := sd.Statement.Canonical()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("parsed statement does not re-encode to its bytes")
		}
		if _, err := sd.Statement.SealTime(); err != nil {
			t.Fatal(err)
		}
	})
}
