package verify

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// Format names the report format.
const Format = "pledgeseal.verification/v1"

// Scopes of a check: which question it answers.
const (
	// ScopeSigning checks answer "was it validly signed and sealed at the
	// signing time": integrity, bindings, signatures, chains and the status
	// of seal and certificates at the signing and sealing times.
	ScopeSigning = "SIGNING"
	// ScopeNow checks answer "what is its legal status now".
	ScopeNow = "NOW"
)

// Check names, in the order they are reported.
const (
	CheckPackage            = "package-format"
	CheckApplicantSignature = "applicant-signature"
	CheckApplicantChain     = "applicant-certificate-chain"
	CheckPledgeBinding      = "applicant-pledge-binding"
	CheckApplicantStatus    = "applicant-certificate-status"
	CheckNoticeBinding      = "notice-binding"
	CheckNoticeSeal         = "notice-seal"
	CheckSignatureWay       = "applicant-signature-way"
	CheckCertificates       = "package-certificates"
	CheckSealBinding        = "agency-seal-binding"
	CheckAgencySeal         = "agency-seal"
	CheckDecision           = "decision-statement"
	CheckDecisionFields     = "decision-fields"
	CheckSealStatus         = "seal-status-at-sealing"
	CheckSealOwner          = "agency-seal-owner"
	CheckMakerStatus        = "seal-maker-certificate-status"
	CheckSealSignerStatus   = "seal-signer-certificate-status"
	CheckPledgeState        = "pledge-state-now"
	CheckFindings           = "pledge-findings-now"
	CheckSealNow            = "seal-status-now"
)

// Sub-indications this package adds to outcome's vocabulary.
const (
	// PledgeReturned: the agency returned the pledge without a decision.
	PledgeReturned outcome.SubIndication = "PLEDGE_RETURNED"
	// AwaitingDecision: signed, not yet accepted by the agency.
	AwaitingDecision outcome.SubIndication = "AWAITING_DECISION"
	// PredatesDecision: the copy verified was made before the agency's
	// decision, which the registry shows was made since: the copy is
	// genuine but does not carry the decision; the decided copy
	// (counter-sealed package, sealed OFD) is with the applicant and the
	// agency.
	PredatesDecision outcome.SubIndication = "PREDATES_DECISION"
	// DecisionMismatch: the sealed decision statement names another
	// agency, matter or notice than the document, another sealing time
	// than its seal, or a decision date outside the signing and sealing
	// days.
	DecisionMismatch outcome.SubIndication = outcome.SubIndication(apperr.CodeDecisionMismatch)
	// FieldMismatch: a package member that no signature covers disagrees
	// with the signed bytes it must repeat (the check names the member).
	FieldMismatch outcome.SubIndication = outcome.SubIndication(apperr.CodePackageFieldMismatch)
	// SealAgencyMismatch: the seal registry files the agency seal under
	// another agency than the one whose decision it seals.
	SealAgencyMismatch outcome.SubIndication = "SEAL_AGENCY_MISMATCH"
)

// Check is one verification step with the question it answers.
type Check struct {
	Name          string                `json:"name"`
	Scope         string                `json:"scope"`
	Result        outcome.Result        `json:"result"`
	SubIndication outcome.SubIndication `json:"subIndication,omitempty"`
	Detail        string                `json:"detail"`
	// Text says what the check found in plain words in the language the
	// reader asked for (Accept-Language; the HTTP layer fills it from the
	// message catalogue); Detail stays the verifier's own English words.
	Text string `json:"text,omitempty"`
	// Warnings are the leniency the check's SES verification applied
	// (docs/verification.md, "Leniency rules"); absent when none.
	Warnings []outcome.Warning `json:"warnings,omitempty"`
}

// Party is the applicant as the reader may see them: masked for the
// public, in full for the applicant and the owning agency.
type Party struct {
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	IDType   string `json:"idType"`
	IDNumber string `json:"idNumber"`
	Masked   bool   `json:"masked"`
}

// DecisionInfo is the agency's decision as its counter-seal signs it: every
// value comes from the sealed decision statement. A legacy package
// (Format pledgeseal.signed-pledge/v1) signs no decision facts: then only
// the format, the sealing time and the unsigned fields are given.
type DecisionInfo struct {
	// Format is the format of the sealed data; Legacy is true for the
	// format of packages made before decision statements.
	Format string `json:"format"`
	Legacy bool   `json:"legacy"`
	// Decision is ACCEPTED; DocumentNo and Date the decision document's
	// number and date; Agency the deciding agency.
	Decision   string     `json:"decision,omitempty"`
	DocumentNo string     `json:"documentNo,omitempty"`
	Date       string     `json:"date,omitempty"`
	Agency     string     `json:"agency,omitempty"`
	SealedAt   *time.Time `json:"sealedAt,omitempty"`
	// UnsignedFields are the package members this format does not sign
	// (legacy only): they are not shown.
	UnsignedFields []string `json:"unsignedFields,omitempty"`
}

// Summary describes the pledge a report is about: from its document, the
// applicant signature's certificate (Way) and the agency's sealed decision
// statement (Decision, StatusURL), never from unsigned package members.
type Summary struct {
	PledgeID         string           `json:"pledgeId"`
	Agency           string           `json:"agency"`
	Entry            pledge.EntryKey  `json:"entry"`
	Notice           pledge.NoticeRef `json:"notice"`
	CatalogueVersion int              `json:"catalogueVersion"`
	Applicant        Party            `json:"applicant"`
	Way              string           `json:"way,omitempty"`
	Channel          string           `json:"channel"`
	SignedAt         time.Time        `json:"signedAt"`
	Digest           string           `json:"digest"`
	Decision         *DecisionInfo    `json:"decision,omitempty"`
	StatusURL        string           `json:"statusUrl,omitempty"`
}

// AtSigning answers "was it validly signed and sealed at the signing time".
type AtSigning struct {
	Indication    outcome.Indication    `json:"indication"`
	SubIndication outcome.SubIndication `json:"subIndication"`
	// SignedAt is the applicant's signing time; SealedAt the agency's
	// counter-sealing time (absent before acceptance): the time each
	// signature was judged at, proven by a time-stamp when it has one.
	SignedAt *time.Time `json:"signedAt,omitempty"`
	SealedAt *time.Time `json:"sealedAt,omitempty"`
	// SignedAtSource and SealedAtSource say where SignedAt and SealedAt
	// came from: a TSA's proof, or the signer's claim (poe.go).
	SignedAtSource *TimeSource `json:"signedAtSource,omitempty"`
	SealedAtSource *TimeSource `json:"sealedAtSource,omitempty"`
	Checks         []Check     `json:"checks"`
}

// Now answers "what is its legal status now".
type Now struct {
	Indication    outcome.Indication    `json:"indication"`
	SubIndication outcome.SubIndication `json:"subIndication"`
	// State is the pledge's state now: its workflow state (SIGNED, ACTIVE,
	// WITHDRAWN, RETURNED, UNKNOWN) unless the registry records a finding or
	// revocation of it (FALSE, NOT_FULFILLED, REVOKED), which wins; empty
	// when not read.
	State  status.Code `json:"state,omitempty"`
	Checks []Check     `json:"checks"`
}

// Freshness says when the report was made and how fresh its status is.
type Freshness struct {
	VerifiedAt time.Time `json:"verifiedAt"`
	// StatusReadAt is when the registries were read; absent when status
	// was not read (offline, or the read failed).
	StatusReadAt *time.Time `json:"statusReadAt,omitempty"`
	// Online tells whether status sources were configured at all.
	Online bool `json:"online"`
}

// Report is the verification report of one pledge package.
type Report struct {
	Format         string                `json:"format"`
	Indication     outcome.Indication    `json:"indication"`
	SubIndication  outcome.SubIndication `json:"subIndication"`
	Pledge         *Summary              `json:"pledge,omitempty"`
	ValidAtSigning AtSigning             `json:"validAtSigning"`
	StatusNow      Now                   `json:"statusNow"`
	Freshness      Freshness             `json:"freshness"`
	// Log proves the state now from the transparency log (logproof.go);
	// added by the service that read the status, absent offline.
	Log *LogSection `json:"log,omitempty"`
}

// Checks returns every check of the report, signing scope first.
func (r *Report) Checks() []Check {
	return append(append([]Check{}, r.ValidAtSigning.Checks...), r.StatusNow.Checks...)
}

// Find returns the check named name.
func (r *Report) Find(name string) (Check, bool) {
	for _, c := range r.Checks() {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

func toOutcome(cs []Check) []outcome.Check {
	out := make([]outcome.Check, len(cs))
	for i, c := range cs {
		out[i] = outcome.Check{Name: c.Name, Result: c.Result, Detail: c.Detail, SubIndication: c.SubIndication}
	}
	return out
}

// finish derives the indications of both parts and of the whole.
func (r *Report) finish() {
	r.ValidAtSigning.Indication, r.ValidAtSigning.SubIndication = outcome.Derive(toOutcome(r.ValidAtSigning.Checks))
	performed := 0
	for _, c := range r.StatusNow.Checks {
		if c.Result != outcome.NotPerformed {
			performed++
		}
	}
	if performed == 0 {
		r.StatusNow.Indication, r.StatusNow.SubIndication = outcome.IndeterminateResult, outcome.StatusUnavailable
	} else {
		r.StatusNow.Indication, r.StatusNow.SubIndication = outcome.Derive(toOutcome(r.StatusNow.Checks))
	}
	r.Indication, r.SubIndication = outcome.Derive(toOutcome(r.Checks()))
}
