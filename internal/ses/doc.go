// Package ses owns electronic seals and seal signatures in the formats of
// GB/T 38540-2020 ("v4"), GM/T 0031-2014 ("v1", header version 1 or 2) and,
// read only, GM/T 0031-2025 ("v5"): a codec that keeps every raw TLV and
// hashes the bytes as found, seal making (v4), data signing (SES_Signature
// v4) and verification returning every check of ses-format.md §6.
//
// Facts about the formats are in docs/ses-format.md; the parser is lenient
// exactly where real files deviate (facts 4, 8, 9 and 10) and strict
// elsewhere. It never re-encodes before verifying.
//
// Entry points: ParseSeal, ParseSignature, MakeSeal, Sign, and a Verifier
// (NewVerifier) with VerifySeal and VerifySignature.
//
// It must not touch Redis, HTTP or OFD containers: status comes in through
// status.Source and trust anchors through pki.TrustStore.
package ses
