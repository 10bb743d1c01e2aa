package pledge

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/jcs"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// DecisionFormat names the decision statement: the canonical (RFC 8785)
// bytes the agency's counter-seal covers since packages carry every
// decision fact signed. Packages made before it carry SignedPledgeFormat
// bytes instead (see LegacyUnsignedFields).
const DecisionFormat = "pledgeseal.decision/v1"

// Decisions a statement may record. Only acceptances are counter-sealed
// today; RETURNED is reserved so that a sealed return can be told apart.
const (
	DecisionAccepted = "ACCEPTED"
	DecisionReturned = "RETURNED"
)

// decisionZone is where decision dates are civil dates (China Standard
// Time; a fixed zone needs no time zone database).
var decisionZone = time.FixedZone("UTC+8", 8*3600)

// CivilDate is the decision-date form (YYYY-MM-DD, UTC+8) of t.
func CivilDate(t time.Time) string { return t.In(decisionZone).Format(time.DateOnly) }

// DecisionStatement is what the agency counter-seals at acceptance:
// everything a report or a page shows about the decision. Reports take
// these values from the sealed bytes, never from other package members.
type DecisionStatement struct {
	Format                   string    `json:"format"`
	PledgeID                 string    `json:"pledgeId"`
	DocumentDigest           string    `json:"documentDigest"`           // lowercase hex SM3 of the pledge document
	ApplicantSignatureDigest string    `json:"applicantSignatureDigest"` // lowercase hex SM3 of the applicant CMS
	Decision                 string    `json:"decision"`                 // ACCEPTED (RETURNED reserved)
	DecisionNo               string    `json:"decisionNo"`               // the decision document number
	DecisionDate             string    `json:"decisionDate"`             // YYYY-MM-DD (UTC+8)
	Agency                   string    `json:"agency"`                   // the deciding agency's code
	Entry                    EntryKey  `json:"entry"`                    // the matter decided
	Notice                   NoticeRef `json:"notice"`                   // the notice version the pledge answers
	StatusURL                string    `json:"statusUrl"`                // where to ask for the status now
	SealedAt                 string    `json:"sealedAt"`                 // RFC 3339 UTC, whole seconds: the SES timeInfo
}

// Canonical returns the RFC 8785 bytes of s.
func (s DecisionStatement) Canonical() ([]byte, error) {
	b, err := jcs.Marshal(s)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "cannot encode the decision statement")
	}
	return b, nil
}

// SealTime is the sealing time the statement states.
func (s DecisionStatement) SealTime() (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s.SealedAt)
	if err != nil || t.Format(time.RFC3339) != s.SealedAt || t.Location() != time.UTC {
		return time.Time{}, pkgErr(apperr.CodeDecisionMalformed, "the decision statement's sealedAt must be RFC 3339 UTC whole seconds")
	}
	return t, nil
}

// LegacyUnsignedFields are the package members that the legacy seal
// format (SignedPledgeFormat) does not sign: a report of such a package
// says so and shows none of them.
func LegacyUnsignedFields() []string {
	return []string{"agencySeal.documentNo", "agencySeal.date", "statusUrl"}
}

// decisionStatement builds the statement of accepting r with the document
// doc it holds.
func decisionStatement(r Record, doc *Document, agency, documentNo, date, statusURL string, sealedAt time.Time) DecisionStatement {
	sd := pki.Digest(r.ApplicantCMS)
	return DecisionStatement{
		Format: DecisionFormat, PledgeID: r.ID,
		DocumentDigest: hex.EncodeToString(r.Digest[:]), ApplicantSignatureDigest: hex.EncodeToString(sd[:]),
		Decision: DecisionAccepted, DecisionNo: documentNo, DecisionDate: date, Agency: agency,
		Entry: doc.Entry, Notice: doc.Notice, StatusURL: statusURL,
		SealedAt: sealedAt.UTC().Truncate(time.Second).Format(time.RFC3339),
	}
}

// CheckDecisionDate refuses a decision date (YYYY-MM-DD, UTC+8) before the
// day the pledge was signed or after the day it is sealed.
func CheckDecisionDate(date string, signedAt, sealedAt time.Time) error {
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return malformed(apperr.CodeFieldInvalid, "date must be YYYY-MM-DD")
	}
	if first := CivilDate(signedAt); date < first {
		return malformed(apperr.CodeDecisionDateInvalid, "the decision date %s is before the pledge was signed (%s, UTC+8) (决定日期早于承诺签署日期)", date, first)
	}
	if last := CivilDate(sealedAt); date > last {
		return malformed(apperr.CodeDecisionDateInvalid, "the decision date %s is after the sealing day %s (UTC+8) (决定日期晚于盖章日期)", date, last)
	}
	return nil
}

// SealedData is the parse of an agency seal's sealed data: a decision
// statement, or (Legacy) the SignedPledgeFormat bytes of older packages,
// which bind only the pledge, the document and the applicant signature.
type SealedData struct {
	Legacy    bool
	Statement DecisionStatement // in Legacy only the four binding members are set
}

// ParseSealedData parses the bytes an agency seal covers strictly: canonical
// JSON of exactly one of the two formats.
func ParseSealedData(b []byte) (SealedData, error) {
	var head struct {
		Format string `json:"format"`
	}
	if !jcs.IsCanonical(b) || json.Unmarshal(b, &head) != nil {
		return SealedData{}, pkgErr(apperr.CodeDecisionMalformed, "agencySeal.sealedData is not canonical JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	switch head.Format {
	case DecisionFormat:
		var s DecisionStatement
		if err := dec.Decode(&s); err != nil {
			return SealedData{}, apperr.Wrap(apperr.Malformed, err, "agencySeal.sealedData does not match %s", DecisionFormat).WithCode(apperr.CodeDecisionMalformed)
		}
		if again, err := s.Canonical(); err != nil || !bytes.Equal(again, b) {
			return SealedData{}, pkgErr(apperr.CodeDecisionMalformed, "agencySeal.sealedData does not match %s exactly", DecisionFormat)
		}
		if err := s.validate(); err != nil {
			return SealedData{}, err
		}
		return SealedData{Statement: s}, nil
	case SignedPledgeFormat:
		var s struct {
			Format                   string `json:"format"`
			PledgeID                 string `json:"pledgeId"`
			DocumentDigest           string `json:"documentDigest"`
			ApplicantSignatureDigest string `json:"applicantSignatureDigest"`
		}
		if err := dec.Decode(&s); err != nil {
			return SealedData{}, apperr.Wrap(apperr.Malformed, err, "agencySeal.sealedData does not match %s", SignedPledgeFormat).WithCode(apperr.CodeDecisionMalformed)
		}
		if again, err := jcs.Marshal(s); err != nil || !bytes.Equal(again, b) {
			return SealedData{}, pkgErr(apperr.CodeDecisionMalformed, "agencySeal.sealedData does not match %s exactly", SignedPledgeFormat)
		}
		return SealedData{Legacy: true, Statement: DecisionStatement{Format: s.Format, PledgeID: s.PledgeID,
			DocumentDigest: s.DocumentDigest, ApplicantSignatureDigest: s.ApplicantSignatureDigest}}, nil
	}
	return SealedData{}, pkgErr(apperr.CodeDecisionMalformed, "agencySeal.sealedData has the unknown format %q", head.Format)
}

// validate checks the members' forms (not what they must agree with).
func (s DecisionStatement) validate() error {
	bad := func(field, want string) error {
		return pkgErr(apperr.CodeDecisionMalformed, "the decision statement's %s must be %s", field, want)
	}
	if checkCode("pledgeId", s.PledgeID) != nil {
		return bad("pledgeId", "a pledge ID")
	}
	if !isDigestHex(s.DocumentDigest) || !isDigestHex(s.ApplicantSignatureDigest) {
		return bad("digests", "64 lowercase hex characters")
	}
	if s.Decision != DecisionAccepted && s.Decision != DecisionReturned {
		return bad("decision", DecisionAccepted+" or "+DecisionReturned)
	}
	if requireString("decisionNo", s.DecisionNo, maxShort) != nil {
		return bad("decisionNo", "a document number")
	}
	if _, err := time.Parse(time.DateOnly, s.DecisionDate); err != nil {
		return bad("decisionDate", "YYYY-MM-DD")
	}
	if checkCode("agency", s.Agency) != nil {
		return bad("agency", "an agency code")
	}
	if checkStatusURL(s.StatusURL) != nil {
		return bad("statusUrl", "an absolute https URL")
	}
	if _, err := s.SealTime(); err != nil {
		return err
	}
	return nil
}

func isDigestHex(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
