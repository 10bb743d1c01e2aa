// Package registry is the contract of the seal and revocation registry: the
// status events it records, the change that records them (with who made it,
// Actor), the seal records it files, and the enforcement records a change may
// carry (findings, bars, lifts, draws). The domain packages (seal, enforce,
// notify) speak these types and own the rules about them (Change.Validate,
// EnforcementWrite.Validate, the finding order); internal/store implements
// them in Redis and keeps only keys, scripts and encoding.
//
// It holds no state and imports no storage: only apperr, status and pledge.
package registry
