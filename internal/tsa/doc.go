// Package tsa is the service's RFC 3161 time-stamping authority with SM3
// message imprints and SM2 signatures (GM/T 0033 conventions): it parses
// TimeStampReq (strict DER, size-capped), answers with a TimeStampResp
// whose token is a CMS SignedData over a TSTInfo signed by the TSA key
// (internal/pki), and verifies tokens (TSA chain, the critical
// extendedKeyUsage timeStamping, the message imprint). Serial numbers come
// from a durable counter (store: one Redis INCR); the clock is injected.
package tsa
