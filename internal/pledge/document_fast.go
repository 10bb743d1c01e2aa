package pledge

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/jcs"
)

// decodeDocumentFast decodes canonical document bytes with a jcs.Scanner
// instead of encoding/json: members in canonical order, strings without
// escapes. Its result is only a candidate: the caller accepts it only when
// it re-encodes to exactly b, and otherwise takes the encoding/json path,
// which also chooses the error. FuzzDocumentFastMatchesJSON holds the two
// together, and jcs.FuzzScannerMatchesJSON the Scanner to encoding/json.
func decodeDocumentFast(b []byte) (*Document, bool) {
	s := jcs.NewScanner(b)
	var d Document
	s.Token(`{"agency":`)
	d.Agency = s.String()
	s.Token(`,"applicant":{"idNumber":`)
	d.Applicant.IDNumber = s.String()
	s.Token(`,"idType":`)
	d.Applicant.IDType = s.String()
	s.Token(`,"kind":`)
	d.Applicant.Kind = s.String()
	s.Token(`,"name":`)
	d.Applicant.Name = s.String()
	s.Token(`},"catalogueVersion":`)
	d.CatalogueVersion = s.Int()
	s.Token(`,"channel":`)
	d.Channel = s.String()
	s.Token(`,"eligibility":{"barsConsidered":`)
	d.Eligibility.BarsConsidered = s.Int()
	s.Token(`,"checkedAt":`)
	d.Eligibility.CheckedAt = scanTime(s)
	s.Token(`,"outcome":`)
	d.Eligibility.Outcome = s.String()
	s.Token(`,"source":`)
	d.Eligibility.Source = s.String()
	s.Token(`},"entry":{"certificate":`)
	d.Entry.Certificate = s.String()
	s.Token(`,"matter":`)
	d.Entry.Matter = s.String()
	s.Token(`,"region":`)
	d.Entry.Region = s.String()
	s.Token(`},"facts":`)
	if !s.Try("null") {
		d.Facts = []Fact{}
		s.Token("[")
		for s.OK() && !s.Try("]") {
			if len(d.Facts) > 0 {
				s.Token(",")
			}
			var f Fact
			s.Token(`{"code":`)
			f.Code = s.String()
			s.Token(`,"label":`)
			f.Label = scanText(s)
			s.Token(`,"value":`)
			f.Value = s.String()
			s.Token("}")
			d.Facts = append(d.Facts, f)
		}
	}
	s.Token(`,"format":`)
	d.Format = s.String()
	s.Token(`,"idempotencyKey":`)
	d.IdempotencyKey = s.String()
	s.Token(`,"notice":{"digest":`)
	d.Notice.Digest = s.String()
	s.Token(`,"id":`)
	d.Notice.ID = s.String()
	s.Token(`,"version":`)
	d.Notice.Version = s.Int()
	s.Token(`},"pledgeId":`)
	d.PledgeID = s.String()
	s.Token(`,"signedAt":`)
	d.SignedAt = scanTime(s)
	s.Token(`,"statements":`)
	if !s.Try("null") {
		d.Statements = []Statement{}
		s.Token("[")
		for s.OK() && !s.Try("]") {
			if len(d.Statements) > 0 {
				s.Token(",")
			}
			var st Statement
			s.Token(`{"acknowledged":`)
			st.Acknowledged = s.Bool()
			s.Token(`,"code":`)
			st.Code = StatementCode(s.String())
			s.Token(`,"text":`)
			st.Text = scanText(s)
			s.Token("}")
			d.Statements = append(d.Statements, st)
		}
	}
	s.Token("}")
	if !s.Done() {
		return nil, false
	}
	return &d, true
}

// scanTime reads a string as encoding/json reads a time.Time.
func scanTime(s *jcs.Scanner) time.Time {
	var t time.Time
	if q := s.QuotedString(); s.OK() && t.UnmarshalJSON(q) != nil {
		s.Fail()
	}
	return t
}

// scanText reads a Text in canonical member order (en optional).
func scanText(s *jcs.Scanner) Text {
	var t Text
	s.Token("{")
	if s.Try(`"en":`) {
		t.En = s.String()
		s.Token(",")
	}
	s.Token(`"zh":`)
	t.Zh = s.String()
	s.Token("}")
	return t
}
