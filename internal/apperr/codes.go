package apperr

// Code is a stable, machine-readable reason an error carries to clients (the
// "code" member of a problem document). Every code is one of the constants
// below: each one's comment says what it means and, on its last line, the
// kinds it is returned with, which fix its HTTP status. docs/errors.md lists
// them with the zh-CN and en texts of the message catalogue
// (internal/web/messages, keys problem.CODE); TestErrorCodes* in
// internal/httpapi and TestCodesAreConstants here keep the three in step.
type Code string

// The codes, in alphabetical order.
const (
	// The applicant is under a credit bar that excludes the pledge route for
	// this matter (a false or unfulfilled pledge, or a withdrawal bar).
	// Kinds: forbidden.
	CodeApplicantBarred Code = "APPLICANT_BARRED"
	// A credit bar names an unknown reason or scope, or has no valid start and
	// end.
	// Kinds: malformed.
	CodeBarInvalid Code = "BAR_INVALID"
	// A credit bar lasts longer than the law allows from the act.
	// Kinds: malformed.
	CodeBarTooLong Code = "BAR_TOO_LONG"
	// A verification batch holds no package or more packages than allowed.
	// Kinds: malformed.
	CodeBatchSize Code = "BATCH_SIZE"
	// The registry already binds this ID to another digest, or this digest to
	// another ID.
	// Kinds: conflict.
	CodeBindingConflict Code = "BINDING_CONFLICT"
	// The holiday calendar file is not a valid pledgeseal.holidays/v1 file
	// (read at start-up).
	// Kinds: malformed.
	CodeCalendarInvalid Code = "CALENDAR_INVALID"
	// The signing certificate's key usage does not allow signing.
	// Kinds: forbidden.
	CodeCertificateKeyUsage Code = "CERTIFICATE_KEY_USAGE"
	// The signing certificate does not belong to the signed-in applicant.
	// Kinds: forbidden.
	CodeCertificateNotApplicants Code = "CERTIFICATE_NOT_APPLICANTS"
	// The signing certificate was not valid at the signing time.
	// Kinds: forbidden.
	CodeCertificateNotValidAtSigning Code = "CERTIFICATE_NOT_VALID_AT_SIGNING"
	// The signing certificate's chain violates a constraint (path length, name
	// or policy).
	// Kinds: forbidden.
	CodeChainConstraintsFailure Code = "CHAIN_CONSTRAINTS_FAILURE"
	// A transparency log checkpoint is not a C2SP tlog-checkpoint (origin,
	// size, root hash) in a signed note within the size limit.
	// Kinds: malformed.
	CodeCheckpointInvalid Code = "CHECKPOINT_INVALID"
	// A transparency log checkpoint is not signed by the pinned log key, or
	// names another origin.
	// Kinds: malformed.
	CodeCheckpointSignature Code = "CHECKPOINT_SIGNATURE"
	// The applicant signature is not a DER CMS SignedData within the size
	// limit.
	// Kinds: malformed.
	CodeCMSMalformed Code = "CMS_MALFORMED"
	// The applicant's own signature covers other bytes than the draft's (its
	// signed messageDigest is not the draft's SM3 digest).
	// Kinds: forbidden.
	CodeCMSOtherDocument Code = "CMS_OTHER_DOCUMENT"
	// A notice lacks its consultation or its complaint channel.
	// Kinds: malformed.
	CodeContactsRequired Code = "CONTACTS_REQUIRED"
	// The page cursor was not issued by this service or has been altered.
	// Kinds: malformed.
	CodeCursorInvalid Code = "CURSOR_INVALID"
	// A date is not in the form YYYY-MM-DD.
	// Kinds: malformed.
	CodeDateInvalid Code = "DATE_INVALID"
	// The decision date is before the day the pledge was signed or after the
	// sealing day (UTC+8).
	// Kinds: malformed.
	CodeDecisionDateInvalid Code = "DECISION_DATE_INVALID"
	// The agency seal's sealed data is not the canonical decision statement
	// the format prescribes.
	// Kinds: malformed.
	CodeDecisionMalformed Code = "DECISION_MALFORMED"
	// The decision statement does not match the pledge, the applicant
	// signature or the seal it binds.
	// Kinds: forbidden.
	CodeDecisionMismatch Code = "DECISION_MISMATCH"
	// A catalogue entry's disclosure period is missing or out of range.
	// Kinds: malformed.
	CodeDisclosureInvalid Code = "DISCLOSURE_INVALID"
	// The pledge document names an unknown format.
	// Kinds: malformed.
	CodeDocumentFormat Code = "DOCUMENT_FORMAT"
	// The pledge document is not valid JSON of its format.
	// Kinds: malformed.
	CodeDocumentMalformed Code = "DOCUMENT_MALFORMED"
	// The pledge document is not in RFC 8785 canonical form.
	// Kinds: malformed.
	CodeDocumentNotCanonical Code = "DOCUMENT_NOT_CANONICAL"
	// The pledge document exceeds its size limit.
	// Kinds: too-large.
	CodeDocumentTooLarge Code = "DOCUMENT_TOO_LARGE"
	// The digest the applicant reviewed is not the digest of the draft;
	// nothing was signed.
	// Kinds: conflict.
	CodeDraftDigestMismatch Code = "DRAFT_DIGEST_MISMATCH"
	// The pledge draft expired before it was signed.
	// Kinds: conflict.
	CodeDraftExpired Code = "DRAFT_EXPIRED"
	// No draft with that ID exists for this applicant (or it was removed after
	// expiry).
	// Kinds: not-found.
	CodeDraftNotFound Code = "DRAFT_NOT_FOUND"
	// No decided pledge matches the draw's region, matter and decision dates.
	// Kinds: malformed.
	CodeDrawEmpty Code = "DRAW_EMPTY"
	// A random draw's region, matter, period or dates are malformed.
	// Kinds: malformed.
	CodeDrawInvalid Code = "DRAW_INVALID"
	// A status change takes effect before its subject (seal, certificate,
	// pledge) existed.
	// Kinds: malformed.
	CodeEffectiveBeforeSubject Code = "EFFECTIVE_BEFORE_SUBJECT"
	// A status change takes effect further in the future than the clock skew
	// allows.
	// Kinds: malformed.
	CodeEffectiveInFuture Code = "EFFECTIVE_IN_FUTURE"
	// A new catalogue version would take effect in the past.
	// Kinds: malformed.
	CodeEffectiveInPast Code = "EFFECTIVE_IN_PAST"
	// The item already has a later event; effective times may not go
	// backwards.
	// Kinds: conflict.
	CodeEffectiveTime Code = "EFFECTIVE_TIME"
	// The service has no event certificate authority to issue one-time signing
	// certificates.
	// Kinds: unavailable.
	CodeEventCAMissing Code = "EVENT_CA_MISSING"
	// A pledge-eligible catalogue entry names an exclusion reason.
	// Kinds: malformed.
	CodeExclusionConflict Code = "EXCLUSION_CONFLICT"
	// A catalogue entry that is not pledge-eligible lacks its exclusion
	// reason.
	// Kinds: malformed.
	CodeExclusionRequired Code = "EXCLUSION_REQUIRED"
	// The record already exists.
	// Kinds: conflict.
	CodeExists Code = "EXISTS"
	// A field or query parameter has a value outside its syntax or range.
	// Kinds: malformed.
	CodeFieldInvalid Code = "FIELD_INVALID"
	// A required field is missing or empty.
	// Kinds: malformed.
	CodeFieldRequired Code = "FIELD_REQUIRED"
	// A field is longer than its limit.
	// Kinds: malformed.
	CodeFieldTooLong Code = "FIELD_TOO_LONG"
	// An enforcement finding or its reversal has a malformed outcome, reason,
	// deadline or note.
	// Kinds: malformed.
	CodeFindingInvalid Code = "FINDING_INVALID"
	// The finding may not follow the pledge's latest finding (or only the
	// latest finding may be reversed).
	// Kinds: conflict.
	CodeFindingOrder Code = "FINDING_ORDER"
	// The pledge's state was set by an enforcement finding; only that
	// finding's reversal changes it.
	// Kinds: conflict.
	CodeFindingOwned Code = "FINDING_OWNED"
	// A pledge is marked false or not fulfilled only through an enforcement
	// finding, not a revocation.
	// Kinds: malformed.
	CodeFindingRequired Code = "FINDING_REQUIRED"
	// The caller's role may not do this.
	// Kinds: forbidden.
	CodeForbidden Code = "FORBIDDEN"
	// The webhook URL is not an absolute https URL without credentials, or the
	// secret is not 16 to 256 bytes.
	// Kinds: malformed.
	CodeHookInvalid Code = "HOOK_INVALID"
	// No webhook with that ID exists for this caller.
	// Kinds: not-found.
	CodeHookNotFound Code = "HOOK_NOT_FOUND"
	// The webhook host resolves to an address that is not public (loopback,
	// private, link-local and the like).
	// Kinds: malformed.
	CodeHookTargetRefused Code = "HOOK_TARGET_REFUSED"
	// The webhook host name does not resolve.
	// Kinds: malformed.
	CodeHookUnresolvable Code = "HOOK_UNRESOLVABLE"
	// The Idempotency-Key header is missing or not 8 to 64 characters.
	// Kinds: malformed.
	CodeIdempotencyKeyRequired Code = "IDEMPOTENCY_KEY_REQUIRED"
	// The idempotency key was already used for a different pledge.
	// Kinds: conflict.
	CodeIdempotencyKeyReused Code = "IDEMPOTENCY_KEY_REUSED"
	// The authenticated identity lacks the applicant kind, document type or
	// number the request needs.
	// Kinds: unauthorized.
	CodeIdentityInvalid Code = "IDENTITY_INVALID"
	// A resident ID number fails the GB 11643-1999 check.
	// Kinds: malformed.
	CodeIDNumberInvalid Code = "ID_NUMBER_INVALID"
	// A JSON object names the same member twice.
	// Kinds: malformed.
	CodeJSONDuplicateName Code = "JSON_DUPLICATE_NAME"
	// The JSON text is not valid I-JSON and cannot be canonicalised (RFC
	// 8785).
	// Kinds: malformed.
	CodeJSONInvalid Code = "JSON_INVALID"
	// The JSON text is nested deeper than allowed.
	// Kinds: malformed.
	CodeJSONTooDeep Code = "JSON_TOO_DEEP"
	// The JSON text is larger than allowed.
	// Kinds: too-large.
	CodeJSONTooLarge Code = "JSON_TOO_LARGE"
	// A JSON object names a member the format does not have (names are case-
	// sensitive).
	// Kinds: malformed.
	CodeJSONUnknownName Code = "JSON_UNKNOWN_NAME"
	// No integrated transparency log entry has this leaf hash within the tree
	// size asked for.
	// Kinds: not-found.
	CodeLeafNotFound Code = "LEAF_NOT_FOUND"
	// A catalogue entry lists no legal basis, or too many.
	// Kinds: malformed.
	CodeLegalBasisRequired Code = "LEGAL_BASIS_REQUIRED"
	// A transparency log entry is not in the pledgeseal-log-entry/1 form.
	// Kinds: malformed.
	CodeLogEntryInvalid Code = "LOG_ENTRY_INVALID"
	// This service runs no transparency log (no transparency-log identity in
	// the trust material).
	// Kinds: not-found.
	CodeLogNotConfigured Code = "LOG_NOT_CONFIGURED"
	// The matter's catalogue entry is not in force now.
	// Kinds: conflict.
	CodeMatterNotInForce Code = "MATTER_NOT_IN_FORCE"
	// A catalogue entry lists no replacement mode.
	// Kinds: malformed.
	CodeModesRequired Code = "MODES_REQUIRED"
	// A cancelled certificate lists another replacement mode beside CANCELLED.
	// Kinds: malformed.
	CodeModeCancelledAlone Code = "MODE_CANCELLED_ALONE"
	// A catalogue entry lists a replacement mode twice.
	// Kinds: malformed.
	CodeModeRepeated Code = "MODE_REPEATED"
	// A catalogue entry lists an unknown replacement mode.
	// Kinds: malformed.
	CodeModeUnknown Code = "MODE_UNKNOWN"
	// The notice digest in the request is not the digest of the notice
	// published.
	// Kinds: conflict.
	CodeNoticeDigestMismatch Code = "NOTICE_DIGEST_MISMATCH"
	// The notice in the package does not match the notice format.
	// Kinds: malformed.
	CodeNoticeMalformed Code = "NOTICE_MALFORMED"
	// The notice in the package is not the notice the pledge binds (digest
	// differs).
	// Kinds: forbidden.
	CodeNoticeMismatch Code = "NOTICE_MISMATCH"
	// The notice in the package is not canonical JSON.
	// Kinds: malformed.
	CodeNoticeNotCanonical Code = "NOTICE_NOT_CANONICAL"
	// No notice with that ID (and version) exists.
	// Kinds: not-found.
	CodeNoticeNotFound Code = "NOTICE_NOT_FOUND"
	// The notice seal was made over other data than the notice.
	// Kinds: forbidden.
	CodeNoticeSealMismatch Code = "NOTICE_SEAL_MISMATCH"
	// The catalogue entry changed after the notice was published; the agency
	// must publish a new notice.
	// Kinds: conflict.
	CodeNoticeStale Code = "NOTICE_STALE"
	// The notice version named is not the one in force.
	// Kinds: conflict.
	CodeNoticeSuperseded Code = "NOTICE_SUPERSEDED"
	// The pledge is not awaiting a decision, so it cannot be accepted.
	// Kinds: conflict.
	CodeNotAcceptable Code = "NOT_ACCEPTABLE"
	// The pledge has not been decided; post-checks, findings and decision
	// revocations follow the decision.
	// Kinds: conflict.
	CodeNotDecided Code = "NOT_DECIDED"
	// The matter is not in the catalogue: no certificate may be demanded.
	// Kinds: not-found.
	CodeNotInCatalogue Code = "NOT_IN_CATALOGUE"
	// The matter is excluded from the pledge route.
	// Kinds: conflict.
	CodeNotPledgeEligible Code = "NOT_PLEDGE_ELIGIBLE"
	// The pledge is no longer awaiting a decision, so it cannot be returned.
	// Kinds: conflict.
	CodeNotReturnable Code = "NOT_RETURNABLE"
	// The pledge has been decided or closed and can no longer be withdrawn.
	// Kinds: conflict.
	CodeNotWithdrawable Code = "NOT_WITHDRAWABLE"
	// The agency has no active seal (or no signing key for it on this
	// service).
	// Kinds: conflict.
	CodeNoActiveSeal Code = "NO_ACTIVE_SEAL"
	// The signing certificate does not chain to a configured applicant trust
	// anchor (503 when none is configured).
	// Kinds: forbidden, unavailable.
	CodeNoCertificateChainFound Code = "NO_CERTIFICATE_CHAIN_FOUND"
	// The transparency log has not signed a checkpoint yet.
	// Kinds: not-found.
	CodeNoCheckpoint Code = "NO_CHECKPOINT"
	// No notice is published for this catalogue entry.
	// Kinds: not-found.
	CodeNoNotice Code = "NO_NOTICE"
	// An OFD to write would exceed the page or size bound, or an uploaded
	// one expands beyond the upload limits.
	// Kinds: too-large.
	CodeOFDTooLarge Code = "OFD_TOO_LARGE"
	// An uploaded OFD cannot be read as an OFD package (not a ZIP, unsafe
	// entry names, no readable OFD.xml).
	// Kinds: malformed.
	CodeOFDUnreadable Code = "OFD_UNREADABLE"
	// The region, matter, agency or item lies outside the caller's
	// jurisdiction.
	// Kinds: forbidden.
	CodeOutOfScope Code = "OUT_OF_SCOPE"
	// A package member is not standard padded base64.
	// Kinds: malformed.
	CodePackageBadBase64 Code = "PACKAGE_BAD_BASE64"
	// A certificate in the package is not a valid X.509 certificate.
	// Kinds: malformed.
	CodePackageBadCertificate Code = "PACKAGE_BAD_CERTIFICATE"
	// A binary package member is not one complete DER structure of the
	// expected type.
	// Kinds: malformed.
	CodePackageBadDER Code = "PACKAGE_BAD_DER"
	// The package's statusUrl is not an absolute https URL without credentials
	// or fragment.
	// Kinds: malformed.
	CodePackageBadURL Code = "PACKAGE_BAD_URL"
	// An unsigned package member disagrees with what the signed data or
	// certificate chain says.
	// Kinds: forbidden.
	CodePackageFieldMismatch Code = "PACKAGE_FIELD_MISMATCH"
	// The package names an unknown format.
	// Kinds: malformed.
	CodePackageFormat Code = "PACKAGE_FORMAT"
	// The package's parts name different pledges or notice versions.
	// Kinds: malformed.
	CodePackageInconsistent Code = "PACKAGE_INCONSISTENT"
	// The package is not valid JSON of the package format.
	// Kinds: malformed.
	CodePackageMalformed Code = "PACKAGE_MALFORMED"
	// The package or one of its members exceeds its size limit.
	// Kinds: too-large.
	CodePackageTooLarge Code = "PACKAGE_TOO_LARGE"
	// The event certificate's pledge binding is malformed or names another
	// pledge document.
	// Kinds: forbidden.
	CodePledgeBindingMismatch Code = "PLEDGE_BINDING_MISMATCH"
	// WRITTEN_PLEDGE is listed but the entry is not pledge-eligible.
	// Kinds: malformed.
	CodePledgeModeConflict Code = "PLEDGE_MODE_CONFLICT"
	// A pledge-eligible entry does not list WRITTEN_PLEDGE among its modes.
	// Kinds: malformed.
	CodePledgeModeMissing Code = "PLEDGE_MODE_MISSING"
	// Only a pledge that was accepted (with a sealed decision statement)
	// has a sealed OFD; a later revocation or finding does not take it away.
	// Kinds: conflict.
	CodePledgeNotAccepted Code = "PLEDGE_NOT_ACCEPTED"
	// No pledge with that ID exists (or is visible to the caller, or is
	// published).
	// Kinds: not-found.
	CodePledgeNotFound Code = "PLEDGE_NOT_FOUND"
	// A matter's post-check window is outside the allowed days.
	// Kinds: malformed.
	CodePolicyInvalid Code = "POLICY_INVALID"
	// A catalogue entry's post-check methods, time limit or sampling ratio are
	// invalid.
	// Kinds: malformed.
	CodePostcheckInvalid Code = "POSTCHECK_INVALID"
	// A transparency log inclusion or consistency proof does not verify.
	// Kinds: malformed.
	CodeProofInvalid Code = "PROOF_INVALID"
	// A transparency log range or tree size is malformed, empty, too long or
	// beyond the log.
	// Kinds: malformed, not-found.
	CodeRangeInvalid Code = "RANGE_INVALID"
	// The client sent too many requests or items; retry after Retry-After.
	// Kinds: rate-limited.
	CodeRateLimited Code = "RATE_LIMITED"
	// Returning or refusing a pledge needs a reason.
	// Kinds: malformed.
	CodeReasonRequired Code = "REASON_REQUIRED"
	// The rectification deadline of the last finding has not passed.
	// Kinds: conflict.
	CodeRectificationPending Code = "RECTIFICATION_PENDING"
	// The agency seal was made over another pledge, applicant signature or
	// data.
	// Kinds: forbidden.
	CodeSealBindingMismatch Code = "SEAL_BINDING_MISMATCH"
	// A seal with that ID or the same bytes is already registered.
	// Kinds: conflict.
	CodeSealExists Code = "SEAL_EXISTS"
	// The agency's seal is not active (suspended, lost, revoked, ...) and may
	// not seal.
	// Kinds: conflict.
	CodeSealNotActive Code = "SEAL_NOT_ACTIVE"
	// The seal fails a check against the trust material (maker, signer,
	// picture, validity).
	// Kinds: malformed.
	CodeSealNotTrusted Code = "SEAL_NOT_TRUSTED"
	// A seal signature is not a valid SES_Signature.
	// Kinds: malformed.
	CodeSESMalformed Code = "SES_MALFORMED"
	// The applicant signature does not verify over the pledge document.
	// Kinds: forbidden.
	CodeSignatureInvalid Code = "SIGNATURE_INVALID"
	// The pledge document lacks one of the six statements or one is not
	// acknowledged.
	// Kinds: malformed.
	CodeStatementsIncomplete Code = "STATEMENTS_INCOMPLETE"
	// The item's registry state does not allow this change.
	// Kinds: conflict.
	CodeStateConflict Code = "STATE_CONFLICT"
	// The pledge's status does not allow the change (or changed meanwhile).
	// Kinds: conflict.
	CodeStatusConflict Code = "STATUS_CONFLICT"
	// This service signs no status statements (no status identity in the
	// trust material).
	// Kinds: not-found.
	CodeStatusKeyNotConfigured Code = "STATUS_KEY_NOT_CONFIGURED"
	// A status statement is past its nextUpdate: it no longer says what the
	// state is now.
	// Kinds: malformed.
	CodeStatusStatementExpired Code = "STATUS_STATEMENT_EXPIRED"
	// A status statement is not a pledgeseal.status-statement/v1 signed note
	// within the size limit, or its signature does not verify with the
	// pinned status key.
	// Kinds: malformed.
	CodeStatusStatementInvalid Code = "STATUS_STATEMENT_INVALID"
	// A status statement names another pledge than the package it is
	// presented with.
	// Kinds: malformed.
	CodeStatusStatementMismatch Code = "STATUS_STATEMENT_MISMATCH"
	// The digest given is not the digest of the pledge or seal named.
	// Kinds: malformed.
	CodeSubjectMismatch Code = "SUBJECT_MISMATCH"
	// The pledge or seal a status change names does not exist.
	// Kinds: not-found.
	CodeSubjectNotFound Code = "SUBJECT_NOT_FOUND"
	// The store or another dependency cannot answer now (or is busy); retry
	// after Retry-After.
	// Kinds: unavailable.
	CodeTryLater Code = "TRY_LATER"
	// This service runs no time-stamping authority.
	// Kinds: not-found.
	CodeTSANotConfigured Code = "TSA_NOT_CONFIGURED"
	// No organisation of that role and code is known to the trust material or
	// the catalogue.
	// Kinds: malformed.
	CodeUnknownOrg Code = "UNKNOWN_ORG"
	// The version given is not the current (or the next) version of the
	// catalogue entry or notice.
	// Kinds: conflict.
	CodeVersionConflict Code = "VERSION_CONFLICT"
	// A catalogue entry's withdrawal bar days or scope are invalid.
	// Kinds: malformed.
	CodeWithdrawalInvalid Code = "WITHDRAWAL_INVALID"
)
