// Package enforce owns post-checks (事中事后核查): check tasks created when a
// pledge is decided and their due dates, reproducible sampling draws
// (双随机: subjects ranked by SM3(seed ‖ pledge id), inspectors the same
// way), findings, and the consequences of a false or unfulfilled pledge —
// the pledge's decision revoked in the revocation registry, a credit bar on
// the applicant and the audit entry, in one atomic change — and their
// reversal on appeal; and what the public sees: the list of false pledges
// and the published pledges of matters whose disclosure policy says so,
// personal data masked.
//
// It decides who may record what and which findings may follow which. It
// must not touch Redis (it defines the interfaces FindingStore, Pledges and
// Tasks in the registry's types, internal/registry, and internal/store
// implements them; this package never imports store), must not rewrite pledge records (the registry event is
// the legal status a verifier reads), and never handles an applicant's
// identity: the applicant is known only by the keyed-hash index kept in the
// pledge record.
package enforce
