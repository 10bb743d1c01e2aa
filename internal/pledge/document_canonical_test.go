package pledge

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/jcs"
)

// checkCanonicalDocument requires appendCanonicalDocument to equal
// jcs.Marshal, or to decline (ok = false) exactly where wantOK says.
func checkCanonicalDocument(t *testing.T, d Document, wantOK bool) {
	t.Helper()
	got, ok := appendCanonicalDocument(nil, &d)
	if ok != wantOK {
		t.Fatalf("ok = %v, want %v", ok, wantOK)
	}
	if !ok {
		return
	}
	want, err := jcs.Marshal(&d)
	if err != nil {
		t.Fatalf("jcs.Marshal refused what the direct encoder wrote: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func fullDocument() Document {
	stmts := Statements()
	for i := range stmts {
		stmts[i].Acknowledged = i%2 == 0
	}
	return Document{
		Format: DocumentFormat, PledgeID: "P-1", Notice: NoticeRef{ID: "N-1", Version: 3, Digest: "ab"},
		Agency: "AG-1", Entry: EntryKey{Region: "110000", Matter: "M-1", Certificate: "C-1"}, CatalogueVersion: 2,
		Applicant:  Applicant{Kind: ApplicantPerson, Name: "张三", IDType: IDResidentCard, IDNumber: "110101199001061234"},
		Statements: stmts,
		Facts:      []Fact{{Code: "F1", Label: Text{Zh: "名称", En: "Name"}, Value: "a<b>&\"c\"\\\n\u2028"}, {Code: "F2", Label: Text{Zh: "地址"}, Value: ""}},
		Channel:    ChannelWeb, SignedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		Eligibility:    Eligibility{Source: "credit", CheckedAt: time.Date(2026, 3, 2, 9, 0, 0, 123456789, time.FixedZone("CST", 8*3600)), Outcome: EligibleNotBarred, BarsConsidered: 4},
		IdempotencyKey: "idem-1",
	}
}

// TestCanonicalDocumentMatchesMarshal holds the direct canonical encoder of
// a Document to jcs.Marshal, the definition Canonical used before.
func TestCanonicalDocumentMatchesMarshal(t *testing.T) {
	full := fullDocument()
	mod := func(f func(d *Document)) Document {
		d := fullDocument()
		f(&d)
		return d
	}
	cases := []struct {
		name string
		d    Document
		ok   bool
	}{
		{"zero", Document{}, true},
		{"full", full, true},
		{"empty lists", mod(func(d *Document) { d.Facts, d.Statements = []Fact{}, []Statement{} }), true},
		{"invalid UTF-8 and controls", mod(func(d *Document) { d.Applicant.Name = "\xff\x00\x1f\t"; d.Agency = "\xed\xa0\x80" }), true},
		{"negative and large-but-exact integers", mod(func(d *Document) { d.CatalogueVersion = -7; d.Notice.Version = 999999999999999 }), true},
		{"16-digit integer declines", mod(func(d *Document) { d.Notice.Version = 1000000000000000 }), false},
		{"negative 16-digit integer declines", mod(func(d *Document) { d.Eligibility.BarsConsidered = -1000000000000000 }), false},
		{"year 10000 declines", mod(func(d *Document) { d.SignedAt = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkCanonicalDocument(t, c.d, c.ok) })
	}
	t.Run("fixtures", func(t *testing.T) {
		files, _ := filepath.Glob("testdata/packages/*.json")
		if len(files) == 0 {
			t.Fatal("no fixtures")
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var p Package
			if err := json.Unmarshal(b, &p); err != nil {
				t.Fatal(err)
			}
			raw, err := base64.StdEncoding.DecodeString(p.Document)
			if err != nil {
				t.Fatal(err)
			}
			d, err := ParseDocument(raw)
			if err != nil {
				t.Fatal(err)
			}
			checkCanonicalDocument(t, *d, true)
			if c, _ := d.Canonical(); !bytes.Equal(c, raw) {
				t.Fatal("fixture document does not re-encode to itself")
			}
		}
	})
}

// FuzzCanonicalDocument compares the direct encoder with jcs.Marshal over
// arbitrary member values.
func FuzzCanonicalDocument(f *testing.F) {
	f.Add("P-1", "张三", "a\"\\\n", "\xff", 3, 2, int64(1772442000123456789), true, 2)
	f.Add("", "", "", "", 0, 0, int64(0), false, -1)
	f.Add("<&>", "\u2028\u2029", "😀", "\x7f", -1, 999999999999999, int64(-62135596800000000), true, 5)
	f.Fuzz(func(t *testing.T, a, b, c, e string, n, m int, nanos int64, ack bool, list int) {
		d := Document{Format: a, PledgeID: b, Agency: c, Channel: e, IdempotencyKey: a + b,
			Notice:           NoticeRef{ID: c, Version: n, Digest: e},
			Entry:            EntryKey{Region: a, Matter: b, Certificate: c},
			CatalogueVersion: m,
			Applicant:        Applicant{Kind: a, Name: b, IDType: c, IDNumber: e},
			SignedAt:         time.Unix(0, nanos).UTC(),
			Eligibility:      Eligibility{Source: e, CheckedAt: time.Unix(0, nanos/3).In(time.FixedZone("X", (n%24)*3600)), Outcome: a, BarsConsidered: n - m},
		}
		if list >= 0 {
			d.Facts = []Fact{}
			d.Statements = []Statement{}
			for i := 0; i < list%4; i++ {
				d.Facts = append(d.Facts, Fact{Code: a, Label: Text{Zh: b, En: []string{"", c}[i%2]}, Value: e})
				d.Statements = append(d.Statements, Statement{Code: StatementCode(c), Text: Text{Zh: e, En: a}, Acknowledged: ack})
			}
		}
		got, ok := appendCanonicalDocument(nil, &d)
		want, err := jcs.Marshal(&d)
		if !ok {
			return // declined: Canonical uses jcs.Marshal itself
		}
		if err != nil {
			t.Fatalf("jcs.Marshal refused what the direct encoder wrote: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("got  %s\nwant %s", got, want)
		}
	})
}
