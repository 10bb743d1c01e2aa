// Package trust owns the service's trust material on disk: generating the dev
// set (`pledgectl init --dev`), describing any set with a manifest, and
// loading and checking a set at start-up (every key matches its certificate,
// every certificate chains to the configured roots at the given time, every
// secret decrypts). It also owns the two symmetric secrets the server needs
// (the token-hashing key and the personal-data keys) and how they are stored
// encrypted under the key passphrase.
//
// It builds on internal/pki for all SM2/SM3 work and must not touch Redis,
// HTTP or any domain package; it never logs, and its types redact secrets
// when printed.
package trust
