// Package ses owns electronic seals and seal signatures in the formats of
// GB/T 38540-2020 ("v4"), GM/T 0031-2014 ("v1", header version 1 or 2) and,
// read only, GM/T 0031-2025 ("v5"): a codec that keeps every raw TLV and
// hashes the bytes as found, seal making (v4), data signing (SES_Signature
// v4) and verification returning every check of ses-format.md §6.
//
// Facts about the formats are in docs/ses-format.md; the parser is lenient
// exactly where real files deviate (facts 4, 8, 9 and 10) and strict
// elsewhere, recording each lenient reading as a warning in the format
// check. It never re-encodes before verifying.
//
// Entry points: ParseSeal and ParseSignature (bytes → structure, Raw kept);
// MakeSeal and Sign (checked before signing, signing time from an injected
// clock.Clock); a Verifier (NewVerifier) with VerifySeal, VerifySealBytes,
// VerifySignature and VerifySignatureBytes returning an outcome.Report.
//
// Decisions worth knowing:
//   - Every check is reported, whatever fails first; the indication is
//     derived by outcome.Derive. Status checks without a status.Source, and
//     the timestamp check without a token, are NOT_PERFORMED (they say so)
//     and do not change the indication.
//   - All status questions of one verification (seal by esID and SM3, maker
//     and signer certificates by SM3) go to the Source in one Lookup call;
//     an error gives INDETERMINATE/TRY_LATER, UNKNOWN counts as "no
//     revocation recorded".
//   - The maker certificate is checked at the seal's createDate (when the
//     maker signed); the signer certificate, the seal window and statuses at
//     the signing time (timestamp genTime when a token verifies, else
//     timeInfo; zoneless v1 times are read as UTC+8).
//   - The cache (bounded LRU, keyed by SM3 of the seal or certificate and
//     the trust store) keeps maker-signature results and built chains, so a
//     seal and chain shared by many signatures cost one SM2 check and one
//     chain build; Stats exposes the counters.
//
// It must not touch Redis, HTTP or OFD containers: status comes in through
// status.Source and trust anchors through pki.TrustStore.
package ses
