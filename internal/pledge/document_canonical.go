package pledge

import (
	"strconv"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/jcs"
)

// canonWriter appends RFC 8785 JSON for the fixed shapes of this package.
// Member names are written in the order the caller gives them, which must
// be the sorted order (all names are ASCII, so byte order is UTF-16 order).
type canonWriter struct {
	b   []byte
	ok  bool
	sep bool // a member or element was written at this level
}

func (w *canonWriter) open(c byte) {
	w.b = append(w.b, c)
	w.sep = false
}

func (w *canonWriter) close(c byte) {
	w.b = append(w.b, c)
	w.sep = true
}

func (w *canonWriter) name(n string) {
	if w.sep {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, n...)
	w.b = append(w.b, '"', ':')
	w.sep = false
}

func (w *canonWriter) elem() {
	if w.sep {
		w.b = append(w.b, ',')
	}
	w.sep = false
}

func (w *canonWriter) str(v string) {
	w.b = jcs.AppendString(w.b, v)
	w.sep = true
}

// integer writes v as written when it has at most 15 digits, where the
// canonical form of the number is its decimal form; larger values are left
// to jcs.Marshal (ok = false).
func (w *canonWriter) integer(v int) {
	if v <= -1e15 || v >= 1e15 {
		w.ok = false
	}
	w.b = strconv.AppendInt(w.b, int64(v), 10)
	w.sep = true
}

func (w *canonWriter) boolean(v bool) {
	w.b = strconv.AppendBool(w.b, v)
	w.sep = true
}

// time writes t as encoding/json does (RFC 3339 with nanoseconds as
// needed); a time it refuses is left to jcs.Marshal.
func (w *canonWriter) time(t time.Time) {
	b, err := t.MarshalJSON()
	if err != nil {
		w.ok = false
		return
	}
	w.b = append(w.b, b...)
	w.sep = true
}

func (w *canonWriter) text(t Text) {
	w.open('{')
	if t.En != "" {
		w.name("en")
		w.str(t.En)
	}
	w.name("zh")
	w.str(t.Zh)
	w.close('}')
}

// appendCanonicalDocument appends what jcs.Marshal(d) returns, or reports
// false when d holds a value it does not write exactly as jcs.Marshal
// would (a time encoding/json refuses, an integer of 16 or more digits).
// Writing directly avoids encoding/json and a second canonicalisation;
// TestCanonicalDocumentMatchesMarshal and FuzzCanonicalDocument hold it to
// jcs.Marshal.
func appendCanonicalDocument(dst []byte, d *Document) ([]byte, bool) {
	w := canonWriter{b: dst, ok: true}
	w.open('{')
	w.name("agency")
	w.str(d.Agency)
	w.name("applicant")
	w.open('{')
	w.name("idNumber")
	w.str(d.Applicant.IDNumber)
	w.name("idType")
	w.str(d.Applicant.IDType)
	w.name("kind")
	w.str(d.Applicant.Kind)
	w.name("name")
	w.str(d.Applicant.Name)
	w.close('}')
	w.name("catalogueVersion")
	w.integer(d.CatalogueVersion)
	w.name("channel")
	w.str(d.Channel)
	w.name("eligibility")
	w.open('{')
	w.name("barsConsidered")
	w.integer(d.Eligibility.BarsConsidered)
	w.name("checkedAt")
	w.time(d.Eligibility.CheckedAt)
	w.name("outcome")
	w.str(d.Eligibility.Outcome)
	w.name("source")
	w.str(d.Eligibility.Source)
	w.close('}')
	w.name("entry")
	w.open('{')
	w.name("certificate")
	w.str(d.Entry.Certificate)
	w.name("matter")
	w.str(d.Entry.Matter)
	w.name("region")
	w.str(d.Entry.Region)
	w.close('}')
	w.name("facts")
	if d.Facts == nil {
		w.b = append(w.b, "null"...)
		w.sep = true
	} else {
		w.open('[')
		for _, f := range d.Facts {
			w.elem()
			w.open('{')
			w.name("code")
			w.str(f.Code)
			w.name("label")
			w.text(f.Label)
			w.name("value")
			w.str(f.Value)
			w.close('}')
		}
		w.close(']')
	}
	w.name("format")
	w.str(d.Format)
	w.name("idempotencyKey")
	w.str(d.IdempotencyKey)
	w.name("notice")
	w.open('{')
	w.name("digest")
	w.str(d.Notice.Digest)
	w.name("id")
	w.str(d.Notice.ID)
	w.name("version")
	w.integer(d.Notice.Version)
	w.close('}')
	w.name("pledgeId")
	w.str(d.PledgeID)
	w.name("signedAt")
	w.time(d.SignedAt)
	w.name("statements")
	if d.Statements == nil {
		w.b = append(w.b, "null"...)
		w.sep = true
	} else {
		w.open('[')
		for _, s := range d.Statements {
			w.elem()
			w.open('{')
			w.name("acknowledged")
			w.boolean(s.Acknowledged)
			w.name("code")
			w.str(string(s.Code))
			w.name("text")
			w.text(s.Text)
			w.close('}')
		}
		w.close(']')
	}
	w.close('}')
	return w.b, w.ok
}
