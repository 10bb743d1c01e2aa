package registry

import "time"

// SealRecord is what the registry keeps about one seal besides its status
// history: the seal bytes and the bindings a verifier or an officer needs.
type SealRecord struct {
	ESID     string
	Digest   [32]byte // SM3 of DER
	DER      []byte
	Agency   string
	Name     string
	Category string
	// TypeCode is the fine type: 01 statutory name, 02 finance, 03 invoice,
	// 04 contract, 05 legal representative, 99 other.
	TypeCode string
	// SignerCerts are SM3 digests of the DER certificates allowed to use the seal.
	SignerCerts [][32]byte
	MakerCert   [32]byte
	// Origin is "made" (by this service) or "imported".
	Origin     string
	Version    string
	ValidStart time.Time
	ValidEnd   time.Time
	Created    time.Time
}

// SealPage is one page of a listing.
type SealPage struct {
	IDs []string
	// Next is the cursor of the next page ("" at the end).
	Next string
}
