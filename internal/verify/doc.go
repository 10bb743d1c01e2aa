// Package verify owns pledge verification reports: it parses a pledge
// package (pledge.ParsePackage), runs every cryptographic and binding check
// (applicant CMS through the one shared verifier, notice binding and notice
// seal, agency counter-seal through an internal/ses Verifier whose cache
// makes a seal and chain shared by many packages cost one SM2 check and one
// chain build), asks every status question in one batch, and derives the
// overall indication with outcome.Derive.
//
// Every report keeps two questions apart: "was it validly signed and sealed
// at the signing time" (checks of scope SIGNING: seal, seal-maker and signer
// certificate status at the sealing time, applicant certificate at the
// signing time) and "what is its legal status now" (checks of scope NOW:
// the pledge's workflow state, enforcement findings and revocation of the
// decision, and the seal's state now, which is informational: a seal
// suspended after the sealing does not undo it). Status lookups fail closed:
// any error is INDETERMINATE / TRY_LATER, never PASSED.
//
// It must not touch Redis, HTTP or files: status comes in through
// status.Source values, trust anchors through pki.TrustStore, and metrics
// are registered on a prometheus.Registerer the caller passes in.
package verify
