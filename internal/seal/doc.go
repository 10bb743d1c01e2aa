// Package seal owns the seal registry (Seals) and the revocation registry
// (Revocations): making a
// seal for an agency with the service's seal-maker key, importing an
// externally made .esl after checking its maker signature, binding seal ↔
// agency ↔ signing certificates, the seal lifecycle (active, suspended,
// reported lost, frozen, cancelled) with actor, reason, legal document
// number and effective time on every change, revocations of pledges, seals
// and certificates with reversal on appeal, and "status at time T".
//
// It decides who may do what and which transitions are allowed; it keeps no
// state itself. Storage sits behind the Store interface, in the registry's
// own types (internal/registry); internal/store implements it and this
// package never imports it. It must not touch Redis, HTTP, or the SES
// encoding (it calls internal/ses only through its exported API). Actor
// identity always comes from an authenticated auth.Principal, never from a
// request body.
package seal
