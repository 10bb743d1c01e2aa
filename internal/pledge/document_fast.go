package pledge

import (
	"bytes"
	"strconv"
	"time"
)

// docReader reads the canonical form of a Document member by member, in
// the sorted order RFC 8785 puts them in, with no white space. The first
// mismatch clears ok and every later read is a no-op.
type docReader struct {
	fastScanner
	ok bool
}

// lit consumes exactly s.
func (r *docReader) lit(s string) {
	if r.ok && bytes.HasPrefix(r.in[r.i:], []byte(s)) {
		r.i += len(s)
		return
	}
	r.ok = false
}

// try consumes s if it comes next and reports whether it did.
func (r *docReader) try(s string) bool {
	if r.ok && bytes.HasPrefix(r.in[r.i:], []byte(s)) {
		r.i += len(s)
		return true
	}
	return false
}

func (r *docReader) str() string {
	if !r.ok || r.i >= len(r.in) || r.in[r.i] != '"' {
		r.ok = false
		return ""
	}
	v, ok := r.fastScanner.str()
	r.ok = ok
	return v
}

// integer reads -?[0-9]+ as an int (the canonical form of an integer of
// at most 15 digits).
func (r *docReader) integer() int {
	if !r.ok {
		return 0
	}
	start := r.i
	if r.i < len(r.in) && r.in[r.i] == '-' {
		r.i++
	}
	for r.i < len(r.in) && r.in[r.i] >= '0' && r.in[r.i] <= '9' {
		r.i++
	}
	n, err := strconv.Atoi(string(r.in[start:r.i]))
	if err != nil {
		r.ok = false
	}
	return n
}

func (r *docReader) boolean() bool {
	if r.try("true") {
		return true
	}
	r.lit("false")
	return false
}

// time reads a string as encoding/json reads a time.Time.
func (r *docReader) time() time.Time {
	var t time.Time
	if !r.ok || r.i >= len(r.in) || r.in[r.i] != '"' {
		r.ok = false
		return t
	}
	start := r.i
	if _, ok := r.fastScanner.rawStr(); !ok {
		r.ok = false
		return t
	}
	if err := t.UnmarshalJSON(r.in[start:r.i]); err != nil {
		r.ok = false
	}
	return t
}

func (r *docReader) text() Text {
	var t Text
	r.lit("{")
	if r.try(`"en":`) {
		t.En = r.str()
		r.lit(",")
	}
	r.lit(`"zh":`)
	t.Zh = r.str()
	r.lit("}")
	return t
}

// decodeDocumentFast decodes canonical document bytes without
// encoding/json: members in canonical order, strings without escapes.
// Its result is only a candidate: the caller accepts it only when it
// re-encodes to exactly b, and otherwise takes the encoding/json path,
// which also chooses the error. FuzzDocumentFastMatchesJSON holds the two
// together.
func decodeDocumentFast(b []byte) (*Document, bool) {
	r := docReader{fastScanner: fastScanner{in: b}, ok: true}
	var d Document
	r.lit(`{"agency":`)
	d.Agency = r.str()
	r.lit(`,"applicant":{"idNumber":`)
	d.Applicant.IDNumber = r.str()
	r.lit(`,"idType":`)
	d.Applicant.IDType = r.str()
	r.lit(`,"kind":`)
	d.Applicant.Kind = r.str()
	r.lit(`,"name":`)
	d.Applicant.Name = r.str()
	r.lit(`},"catalogueVersion":`)
	d.CatalogueVersion = r.integer()
	r.lit(`,"channel":`)
	d.Channel = r.str()
	r.lit(`,"eligibility":{"barsConsidered":`)
	d.Eligibility.BarsConsidered = r.integer()
	r.lit(`,"checkedAt":`)
	d.Eligibility.CheckedAt = r.time()
	r.lit(`,"outcome":`)
	d.Eligibility.Outcome = r.str()
	r.lit(`,"source":`)
	d.Eligibility.Source = r.str()
	r.lit(`},"entry":{"certificate":`)
	d.Entry.Certificate = r.str()
	r.lit(`,"matter":`)
	d.Entry.Matter = r.str()
	r.lit(`,"region":`)
	d.Entry.Region = r.str()
	r.lit(`},"facts":`)
	if !r.try("null") {
		d.Facts = []Fact{}
		r.lit("[")
		for r.ok && !r.try("]") {
			if len(d.Facts) > 0 {
				r.lit(",")
			}
			var f Fact
			r.lit(`{"code":`)
			f.Code = r.str()
			r.lit(`,"label":`)
			f.Label = r.text()
			r.lit(`,"value":`)
			f.Value = r.str()
			r.lit("}")
			d.Facts = append(d.Facts, f)
		}
	}
	r.lit(`,"format":`)
	d.Format = r.str()
	r.lit(`,"idempotencyKey":`)
	d.IdempotencyKey = r.str()
	r.lit(`,"notice":{"digest":`)
	d.Notice.Digest = r.str()
	r.lit(`,"id":`)
	d.Notice.ID = r.str()
	r.lit(`,"version":`)
	d.Notice.Version = r.integer()
	r.lit(`},"pledgeId":`)
	d.PledgeID = r.str()
	r.lit(`,"signedAt":`)
	d.SignedAt = r.time()
	r.lit(`,"statements":`)
	if !r.try("null") {
		d.Statements = []Statement{}
		r.lit("[")
		for r.ok && !r.try("]") {
			if len(d.Statements) > 0 {
				r.lit(",")
			}
			var s Statement
			r.lit(`{"acknowledged":`)
			s.Acknowledged = r.boolean()
			r.lit(`,"code":`)
			s.Code = StatementCode(r.str())
			r.lit(`,"text":`)
			s.Text = r.text()
			r.lit("}")
			d.Statements = append(d.Statements, s)
		}
	}
	r.lit("}")
	if !r.ok || r.i != len(b) {
		return nil, false
	}
	return &d, true
}
