// Package pledge owns the notice-and-pledge domain (证明事项告知承诺制): the
// certificate catalogue and its query, agency notices (versioned, immutable
// once published, sealed), the canonical pledge document (RFC 8785 JSON, SM3
// digest), credit-bar checks, applicant signatures (a one-time event
// certificate, or the applicant's own certificate and an uploaded detached
// CMS, both verified by one code path), withdrawal, the status model and the
// self-contained package format with its strict parser.
//
// It defines the repository, sealer and CMS interfaces it needs and takes
// them as plain Go values: it never imports go-redis, gin or the SES codec's
// internals, never sees HTTP status codes, and never reads the applicant's
// identity from a request body (the caller passes the authenticated
// identity). It must not touch seals' lifecycle (internal/seal), verification
// reports (internal/verify) or enforcement (internal/enforce).
package pledge
