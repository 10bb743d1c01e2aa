// Package pki owns SM2/SM3 public-key plumbing on top of gmsm: key generation
// and encrypted PKCS#8 storage, certificate issuing and parsing (strict and
// lenient), chain validation at a given time, lenient signature decoding, CMS
// SignedData (GM/T 0010 / GB/T 35275) and the Signer interface.
//
// It knows nothing of seals, pledges, HTTP or Redis.
package pki

// DefaultUID is the SM2 signer identity used everywhere (GB/T 35276):
// signatures are over SM3(ZA ‖ M) with ZA computed from this ID.
const DefaultUID = "1234567812345678"
