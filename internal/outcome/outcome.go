// Package outcome owns the shared vocabulary of verification results used by
// the SES engine, the OFD verifier and pledge reports: per-check results, the
// overall indication and sub-indication (modelled on ETSI EN 319 102-1), and
// the rule that derives the overall answer from the checks.
//
// It holds no state, performs no cryptography and must not import anything
// of the project: it is pure vocabulary.
package outcome

import "fmt"

// Result is the outcome of one check.
type Result string

// Check results. NotPerformed marks a check that was deliberately not run
// (no status source configured, no timestamp present): it never changes the
// overall indication, and its Detail says why it was not run.
const (
	Passed        Result = "PASSED"
	Failed        Result = "FAILED"
	Indeterminate Result = "INDETERMINATE"
	NotPerformed  Result = "NOT_PERFORMED"
)

// Indication is the overall answer for one signature or seal.
type Indication string

// Overall indications.
const (
	TotalPassed         Indication = "TOTAL_PASSED"
	TotalFailed         Indication = "TOTAL_FAILED"
	IndeterminateResult Indication = "INDETERMINATE"
)

// SubIndication refines an indication: why it failed or could not be decided.
type SubIndication string

// Sub-indications from ETSI EN 319 102-1 that the project uses, then the
// pledge- and seal-specific ones (see docs/pledge-domain.md).
const (
	None                     SubIndication = ""
	FormatFailure            SubIndication = "FORMAT_FAILURE"
	HashFailure              SubIndication = "HASH_FAILURE"
	SigCryptoFailure         SubIndication = "SIG_CRYPTO_FAILURE"
	Revoked                  SubIndication = "REVOKED"
	Expired                  SubIndication = "EXPIRED"
	NotYetValid              SubIndication = "NOT_YET_VALID"
	NoCertificateChainFound  SubIndication = "NO_CERTIFICATE_CHAIN_FOUND"
	ChainConstraintsFailure  SubIndication = "CHAIN_CONSTRAINTS_FAILURE"
	SigConstraintsFailure    SubIndication = "SIG_CONSTRAINTS_FAILURE"
	CryptoConstraintsFailure SubIndication = "CRYPTO_CONSTRAINTS_FAILURE"
	TryLater                 SubIndication = "TRY_LATER"
	SignedDataNotFound       SubIndication = "SIGNED_DATA_NOT_FOUND"
	Unsupported              SubIndication = "UNSUPPORTED"

	PledgeWithdrawn    SubIndication = "PLEDGE_WITHDRAWN"
	PledgeFalse        SubIndication = "PLEDGE_FALSE"
	PledgeNotFulfilled SubIndication = "PLEDGE_NOT_FULFILLED"
	DecisionRevoked    SubIndication = "DECISION_REVOKED"
	SealSuspended      SubIndication = "SEAL_SUSPENDED"
	SealReportedLost   SubIndication = "SEAL_REPORTED_LOST"
	SealFrozen         SubIndication = "SEAL_FROZEN"
	SealCancelled      SubIndication = "SEAL_CANCELLED"
	SealOutOfValidity  SubIndication = "SEAL_OUT_OF_VALIDITY"
	NoticeMismatch     SubIndication = "NOTICE_MISMATCH"
	StatusUnavailable  SubIndication = "STATUS_UNAVAILABLE"
)

// Rank returns the significance of s: lower is more significant and wins
// when several checks fail. Structural and cryptographic failures come first
// (nothing else can be trusted after them), then what the registry says about
// the subject, then time and chain problems. Unknown and empty
// sub-indications rank last.
func Rank(s SubIndication) int {
	switch s {
	case FormatFailure:
		return 0
	case SigCryptoFailure:
		return 1
	case HashFailure:
		return 2
	case SignedDataNotFound:
		return 3
	case Revoked:
		return 10
	case SealCancelled:
		return 11
	case SealReportedLost:
		return 12
	case SealFrozen:
		return 13
	case SealSuspended:
		return 14
	case DecisionRevoked:
		return 15
	case PledgeFalse:
		return 16
	case PledgeNotFulfilled:
		return 17
	case PledgeWithdrawn:
		return 18
	case NoticeMismatch:
		return 19
	case SealOutOfValidity:
		return 20
	case Expired:
		return 21
	case NotYetValid:
		return 22
	case ChainConstraintsFailure:
		return 23
	case SigConstraintsFailure:
		return 24
	case CryptoConstraintsFailure:
		return 25
	case NoCertificateChainFound:
		return 30
	case TryLater:
		return 31
	case StatusUnavailable:
		return 32
	case Unsupported:
		return 33
	}
	return 1000
}

// WarningCode names a leniency the verifier applied, or a deviation from
// the standard it noticed, without it changing the check's result. Codes
// are stable: reports, the message catalogue ("warning.<code>") and
// docs/verification.md ("Leniency rules") name them.
type WarningCode string

// Warning codes.
const (
	// WarnLenientReading: a non-canonical encoding was read (another string
	// type, an OCTET STRING for a BIT STRING, an explicit FALSE, trailing bytes).
	WarnLenientReading WarningCode = "LENIENT_READING"
	// WarnBitStringUnusedBits: a BIT STRING declares unused bits.
	WarnBitStringUnusedBits WarningCode = "BIT_STRING_UNUSED_BITS"
	// WarnZeroBytesRestored: trailing zero bytes an encoder stripped from a
	// BIT STRING were restored to complete a DER structure or a fixed-size value.
	WarnZeroBytesRestored WarningCode = "ZERO_BYTES_RESTORED"
	// WarnBEREncoding: the structure is BER (indefinite lengths); it was
	// converted to DER to be read.
	WarnBEREncoding WarningCode = "BER_ENCODING"
	// WarnCreateDateOutsideMakerCert: the seal's createDate lies outside the
	// seal maker certificate's validity (judged at the time of use instead).
	WarnCreateDateOutsideMakerCert WarningCode = "CREATE_DATE_OUTSIDE_MAKER_CERT"
	// WarnCertListTypeUnknown: an unknown certListType whose list has the
	// shape of type 1 or type 2 was read as that type.
	WarnCertListTypeUnknown WarningCode = "CERT_LIST_TYPE_UNKNOWN"
	// WarnTimeTwoDigitYear: a GeneralizedTime with a two-digit year.
	WarnTimeTwoDigitYear WarningCode = "TIME_TWO_DIGIT_YEAR"
	// WarnTimeNoZone: a time without a zone, read as China time (UTC+8).
	WarnTimeNoZone WarningCode = "TIME_NO_ZONE"
	// WarnTimeNotDER: a time readable but not in its DER form (offset,
	// separators, missing seconds).
	WarnTimeNotDER WarningCode = "TIME_NOT_DER"
	// WarnCertNotStrict: a certificate fails strict X.509 parsing; its
	// public key was read leniently.
	WarnCertNotStrict WarningCode = "CERT_NOT_STRICT_X509"
	// WarnSignatureNotDER: a signature value is raw r‖s or DER with
	// non-minimal INTEGERs.
	WarnSignatureNotDER WarningCode = "SIGNATURE_NOT_CANONICAL_DER"
	// WarnUnreferencedFiles: a signed OFD's References leave out files of a
	// class real signed files leave out (OFD.xml, resources, annotations).
	WarnUnreferencedFiles WarningCode = "UNREFERENCED_FILES"
)

// WarningCodes lists every warning code; the message catalogue holds a
// text for each ("warning.<code>").
func WarningCodes() []WarningCode {
	return []WarningCode{WarnLenientReading, WarnBitStringUnusedBits, WarnZeroBytesRestored, WarnBEREncoding,
		WarnCreateDateOutsideMakerCert, WarnCertListTypeUnknown, WarnTimeTwoDigitYear, WarnTimeNoZone,
		WarnTimeNotDER, WarnCertNotStrict, WarnSignatureNotDER, WarnUnreferencedFiles}
}

// Warning is one leniency or deviation of a check: a stable code and a
// detail in English naming the exact element.
type Warning struct {
	Code   WarningCode `json:"code"`
	Detail string      `json:"detail"`
}

// Check is the outcome of one verification step. SubIndication is what this
// check contributes to the overall answer when it fails or is indeterminate;
// it is not part of the JSON shape of a check. Warnings list leniency the
// check applied (absent from the JSON when none): a relying party sees that
// a result was reached only by reading a deviation leniently.
type Check struct {
	Name          string        `json:"name"`
	Result        Result        `json:"result"`
	Detail        string        `json:"detail"`
	Warnings      []Warning     `json:"warnings,omitempty"`
	SubIndication SubIndication `json:"-"`
}

// Warn returns c with a warning appended; c's own list is never written to
// (checks are cached and shared), the result holds a fresh copy.
func (c Check) Warn(code WarningCode, format string, args ...any) Check {
	c.Warnings = append(c.Warnings[:len(c.Warnings):len(c.Warnings)], Warning{Code: code, Detail: fmt.Sprintf(format, args...)})
	return c
}

// Derive computes the overall indication and sub-indication from checks: any
// FAILED check gives TOTAL_FAILED with the sub-indication of the most
// significant failed check; else any INDETERMINATE check gives INDETERMINATE
// likewise; else TOTAL_PASSED. NOT_PERFORMED checks are ignored. No checks at
// all is INDETERMINATE: nothing was shown to hold.
func Derive(checks []Check) (Indication, SubIndication) {
	if len(checks) == 0 {
		return IndeterminateResult, SignedDataNotFound
	}
	if sub, ok := mostSignificant(checks, Failed); ok {
		return TotalFailed, sub
	}
	if sub, ok := mostSignificant(checks, Indeterminate); ok {
		return IndeterminateResult, sub
	}
	return TotalPassed, None
}

func mostSignificant(checks []Check, want Result) (SubIndication, bool) {
	found := false
	best := None
	for _, c := range checks {
		if c.Result != want {
			continue
		}
		if !found || Rank(c.SubIndication) < Rank(best) {
			best = c.SubIndication
		}
		found = true
	}
	return best, found
}

// Report is the verification answer for one signature or seal: its
// identifier, format version, every check and the derived indication. Its
// JSON form is the CLI's and API's contract.
type Report struct {
	ID            string        `json:"id"`
	Version       string        `json:"version"`
	Indication    Indication    `json:"indication"`
	SubIndication SubIndication `json:"subIndication"`
	Checks        []Check       `json:"checks"`
}

// Add appends a check.
func (r *Report) Add(c Check) { r.Checks = append(r.Checks, c) }

// Finish derives Indication and SubIndication from the checks.
func (r *Report) Finish() { r.Indication, r.SubIndication = Derive(r.Checks) }

// Find returns the first check named name.
func (r Report) Find(name string) (Check, bool) {
	for _, c := range r.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return Check{}, false
}

// Worst returns the worst indication of reports: TOTAL_FAILED over
// INDETERMINATE over TOTAL_PASSED. No reports is INDETERMINATE.
func Worst(reports []Report) Indication {
	if len(reports) == 0 {
		return IndeterminateResult
	}
	worst := TotalPassed
	for _, r := range reports {
		switch r.Indication {
		case TotalFailed:
			return TotalFailed
		case IndeterminateResult, "":
			worst = IndeterminateResult
		}
	}
	return worst
}
