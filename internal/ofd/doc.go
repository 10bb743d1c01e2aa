// Package ofd owns the verification of signed OFD packages (GB/T 33190 §18,
// ses-format.md §5): safe reading of the ZIP container, the OFD.xml →
// Signatures.xml → Signature.xml chain, every Reference digest, the Seal.esl
// file against the embedded seal, and then the SES checks of internal/ses
// with dataHash = SM3(Signature.xml as stored). Type="Sign" signatures are
// verified as GM/T 0010 CMS SignedData via internal/pki.
//
// It stays read-only: it must not render, edit or write OFD files (the
// sealed OFD of a pledge is written by internal/ofdmake, which never reads
// untrusted OFD bytes), and it knows nothing of Redis or HTTP: the seal
// registry's state comes in through a status.Source (Options.Status) and is
// judged by the pledge verifier's rules (verify.SESStatusChecks), one code
// path for a counter-seal and a sealed OFD.
package ofd
