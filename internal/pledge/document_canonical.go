package pledge

import "github.com/pledgeseal/pledgeseal/internal/jcs"

// writeText writes a Text (en omitted when empty, as its JSON tag says).
func writeText(w *jcs.Writer, t Text) {
	w.Open('{')
	if t.En != "" {
		w.Name("en")
		w.String(t.En)
	}
	w.Name("zh")
	w.String(t.Zh)
	w.Close('}')
}

// writeArray writes xs as a JSON array, each element by elem (null when xs
// is nil, as encoding/json writes a nil slice).
func writeArray[T any](w *jcs.Writer, xs []T, elem func(T)) {
	if xs == nil {
		w.Null()
		return
	}
	w.Open('[')
	for _, x := range xs {
		w.Elem()
		elem(x)
	}
	w.Close(']')
}

// appendCanonicalDocument appends what jcs.Marshal(d) returns, or reports
// false when d holds a value it does not write exactly as jcs.Marshal
// would (a time encoding/json refuses, an integer of 16 or more digits).
// Writing directly (jcs.Writer) avoids encoding/json and a second
// canonicalisation; TestCanonicalDocumentMatchesMarshal and
// FuzzCanonicalDocument hold it to jcs.Marshal.
func appendCanonicalDocument(dst []byte, d *Document) ([]byte, bool) {
	w := jcs.NewWriter(dst)
	w.Open('{')
	w.Name("agency")
	w.String(d.Agency)
	w.Name("applicant")
	w.Open('{')
	w.Name("idNumber")
	w.String(d.Applicant.IDNumber)
	w.Name("idType")
	w.String(d.Applicant.IDType)
	w.Name("kind")
	w.String(d.Applicant.Kind)
	w.Name("name")
	w.String(d.Applicant.Name)
	w.Close('}')
	w.Name("catalogueVersion")
	w.Int(d.CatalogueVersion)
	w.Name("channel")
	w.String(d.Channel)
	w.Name("eligibility")
	w.Open('{')
	w.Name("barsConsidered")
	w.Int(d.Eligibility.BarsConsidered)
	w.Name("checkedAt")
	w.Time(d.Eligibility.CheckedAt)
	w.Name("outcome")
	w.String(d.Eligibility.Outcome)
	w.Name("source")
	w.String(d.Eligibility.Source)
	w.Close('}')
	w.Name("entry")
	w.Open('{')
	w.Name("certificate")
	w.String(d.Entry.Certificate)
	w.Name("matter")
	w.String(d.Entry.Matter)
	w.Name("region")
	w.String(d.Entry.Region)
	w.Close('}')
	w.Name("facts")
	writeArray(w, d.Facts, func(f Fact) {
		w.Open('{')
		w.Name("code")
		w.String(f.Code)
		w.Name("label")
		writeText(w, f.Label)
		w.Name("value")
		w.String(f.Value)
		w.Close('}')
	})
	w.Name("format")
	w.String(d.Format)
	w.Name("idempotencyKey")
	w.String(d.IdempotencyKey)
	w.Name("notice")
	w.Open('{')
	w.Name("digest")
	w.String(d.Notice.Digest)
	w.Name("id")
	w.String(d.Notice.ID)
	w.Name("version")
	w.Int(d.Notice.Version)
	w.Close('}')
	w.Name("pledgeId")
	w.String(d.PledgeID)
	w.Name("signedAt")
	w.Time(d.SignedAt)
	w.Name("statements")
	writeArray(w, d.Statements, func(s Statement) {
		w.Open('{')
		w.Name("acknowledged")
		w.Bool(s.Acknowledged)
		w.Name("code")
		w.String(string(s.Code))
		w.Name("text")
		writeText(w, s.Text)
		w.Close('}')
	})
	w.Close('}')
	return w.Bytes()
}
