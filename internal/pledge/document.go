package pledge

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/jcs"
)

// DocumentFormat names the pledge document format.
const DocumentFormat = "pledgeseal.pledge/v1"

// Applicant kinds and identity document types.
const (
	ApplicantPerson       = "PERSON"
	ApplicantOrganisation = "ORGANISATION"

	IDResidentCard = "RESIDENT_ID"         // 居民身份证
	IDCreditCode   = "UNIFIED_CREDIT_CODE" // 统一社会信用代码
	IDPassport     = "PASSPORT"
	IDOther        = "OTHER"
)

// Applicant is the authenticated identity of whoever signs. It comes from
// the authentication layer (the token), never from a request body.
type Applicant struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	IDType   string `json:"idType"`
	IDNumber string `json:"idNumber"`
}

func (a *Applicant) validate() error {
	if a.Kind != ApplicantPerson && a.Kind != ApplicantOrganisation {
		return apperr.New(apperr.Unauthorized, "the authenticated identity has no applicant kind").WithCode(apperr.CodeIdentityInvalid)
	}
	switch a.IDType {
	case IDResidentCard, IDCreditCode, IDPassport, IDOther:
	default:
		return apperr.New(apperr.Unauthorized, "the authenticated identity has an unknown document type").WithCode(apperr.CodeIdentityInvalid)
	}
	if requireString("name", a.Name, maxShort) != nil || checkCode("idNumber", a.IDNumber) != nil {
		return apperr.New(apperr.Unauthorized, "the authenticated identity is incomplete").WithCode(apperr.CodeIdentityInvalid)
	}
	return nil
}

// StatementCode names one of the six pledge statements.
type StatementCode string

// The six statements of pledge-domain.md "Pledge", in document order.
const (
	StmtKnowsNotice     StatementCode = "KNOWS_NOTICE"
	StmtMeetsConditions StatementCode = "MEETS_CONDITIONS"
	StmtCanProvide      StatementCode = "CAN_PROVIDE_MATERIALS"
	StmtTruthful        StatementCode = "INFORMATION_TRUE"
	StmtAcceptsCheck    StatementCode = "ACCEPTS_VERIFICATION"
	StmtBearsLiability  StatementCode = "BEARS_LIABILITY"
)

// Statement is one statement as shown and acknowledged.
type Statement struct {
	Code         StatementCode `json:"code"`
	Text         Text          `json:"text"`
	Acknowledged bool          `json:"acknowledged"`
}

// Statements returns the six statements, in order, with their texts.
func Statements() []Statement {
	return []Statement{
		{Code: StmtKnowsNotice, Text: Text{Zh: "本人已知晓告知书告知的全部内容。", En: "I know everything the notice says."}},
		{Code: StmtMeetsConditions, Text: Text{Zh: "本人符合告知书所列条件和标准。", En: "I meet the conditions and standards stated in the notice."}},
		{Code: StmtCanProvide, Text: Text{Zh: "本人能够按要求提供相关材料。", En: "I can provide the relevant materials if asked."}},
		{Code: StmtTruthful, Text: Text{Zh: "本人所填写的信息真实、准确、完整。", En: "The information I have given is true, accurate and complete."}},
		{Code: StmtAcceptsCheck, Text: Text{Zh: "本人愿意接受行政机关或第三方的核查。", En: "I accept verification by the agency or a third party."}},
		{Code: StmtBearsLiability, Text: Text{Zh: "本人愿意承担不实承诺的法律责任。", En: "I bear the legal liability of an untrue pledge."}},
	}
}

// Fact is one fact the applicant attests (e.g. an address, a qualification
// number), as a labelled value.
type Fact struct {
	Code  string `json:"code"`
	Label Text   `json:"label"`
	Value string `json:"value"`
}

// Channels through which a pledge is signed.
const (
	ChannelWeb     = "WEB"
	ChannelApp     = "APP"
	ChannelCounter = "COUNTER" // at the service counter, on a terminal
	ChannelAPI     = "API"
)

// Eligibility outcomes.
const (
	EligibleNotBarred = "NOT_BARRED"
)

// Eligibility is the snapshot of the credit-bar check made at signing time.
type Eligibility struct {
	Source    string    `json:"source"`
	CheckedAt time.Time `json:"checkedAt"`
	Outcome   string    `json:"outcome"`
	// BarsConsidered counts the bar records read for the subject (active
	// or not); 0 means the subject has no record.
	BarsConsidered int `json:"barsConsidered"`
}

// NoticeRef binds the exact notice version shown.
type NoticeRef struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Digest  string `json:"digest"` // lowercase hex SM3 of the notice's canonical bytes
}

// Document is the pledge document (承诺书). Its canonical bytes (RFC 8785)
// are what the applicant signs and the agency counter-seals.
type Document struct {
	Format           string      `json:"format"`
	PledgeID         string      `json:"pledgeId"`
	Notice           NoticeRef   `json:"notice"`
	Agency           string      `json:"agency"`
	Entry            EntryKey    `json:"entry"`
	CatalogueVersion int         `json:"catalogueVersion"`
	Applicant        Applicant   `json:"applicant"`
	Statements       []Statement `json:"statements"`
	Facts            []Fact      `json:"facts"`
	Channel          string      `json:"channel"`
	SignedAt         time.Time   `json:"signedAt"`
	Eligibility      Eligibility `json:"eligibility"`
	IdempotencyKey   string      `json:"idempotencyKey"`
}

// Canonical returns the document's canonical bytes.
func (d *Document) Canonical() ([]byte, error) {
	if b, ok := appendCanonicalDocument(make([]byte, 0, 2048), d); ok {
		return b, nil
	}
	return jcs.Marshal(d)
}

// MaxDocument bounds a pledge document's canonical size.
const MaxDocument = 64 << 10

// ParseDocument parses canonical document bytes strictly: they must be
// canonical JCS, of the known format, with no unknown fields, and carry all
// six statements acknowledged in order.
func ParseDocument(b []byte) (*Document, error) {
	if len(b) > MaxDocument {
		return nil, apperr.New(apperr.TooLarge, "the pledge document is larger than %d bytes", MaxDocument).WithCode(apperr.CodeDocumentTooLarge)
	}
	// Fast path: bytes that decode and re-encode to themselves are
	// canonical (the re-encoding is Canonicalize's output, a fixed point),
	// so the full path's first canonicalisation could only agree. On any
	// difference the full path runs and chooses the error.
	if d, ok := decodeDocumentExact(b); ok {
		return checkDocument(d)
	}
	canon, err := jcs.Canonicalize(b)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "the pledge document is not valid JSON").WithCode(apperr.CodeDocumentMalformed)
	}
	if !bytes.Equal(canon, b) {
		return nil, malformed(apperr.CodeDocumentNotCanonical, "the pledge document is not in RFC 8785 canonical form")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "the pledge document does not match the format %s", DocumentFormat).WithCode(apperr.CodeDocumentMalformed)
	}
	// encoding/json matches member names case-insensitively and fills
	// absent members with zero values; requiring the decoded document to
	// re-encode to the very bytes given closes both gaps.
	if again, err := d.Canonical(); err != nil || !bytes.Equal(again, b) {
		return nil, malformed(apperr.CodeDocumentMalformed, "the pledge document does not match the format %s exactly (member names, types or missing members)", DocumentFormat)
	}
	return checkDocument(&d)
}

// decodeDocumentExact decodes b as a document and reports whether it
// re-encodes to exactly b: by decodeDocumentFast when it can, else by
// encoding/json.
func decodeDocumentExact(b []byte) (*Document, bool) {
	if d, ok := decodeDocumentFast(b); ok {
		if again, err := d.Canonical(); err == nil && bytes.Equal(again, b) {
			return d, true
		}
	}
	return decodeDocumentJSON(b)
}

// decodeDocumentJSON is decodeDocumentExact by encoding/json.
func decodeDocumentJSON(b []byte) (*Document, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var d Document
	if dec.Decode(&d) != nil {
		return nil, false
	}
	again, err := d.Canonical()
	if err != nil || !bytes.Equal(again, b) {
		return nil, false
	}
	return &d, true
}

// checkDocument checks the content of a document whose bytes are exact.
func checkDocument(d *Document) (*Document, error) {
	if d.Format != DocumentFormat {
		return nil, malformed(apperr.CodeDocumentFormat, "unknown pledge document format %q", d.Format)
	}
	if err := checkCode("pledgeId", d.PledgeID); err != nil {
		return nil, err
	}
	want := Statements()
	if len(d.Statements) != len(want) {
		return nil, malformed(apperr.CodeStatementsIncomplete, "the pledge document must carry the six statements")
	}
	for i, s := range d.Statements {
		if s.Code != want[i].Code || !s.Acknowledged {
			return nil, malformed(apperr.CodeStatementsIncomplete, "statement %d (%s) is missing or not acknowledged", i+1, want[i].Code)
		}
	}
	if d.SignedAt.IsZero() {
		return nil, malformed(apperr.CodeDocumentMalformed, "the pledge document has no signing time")
	}
	return d, nil
}
