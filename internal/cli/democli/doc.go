// Package democli is the `pledgectl demo` command group: it seeds a running
// dev pledged with one realistic catalogue entry and one sealed notice per
// demo agency, through the public HTTP API only, so that the applicant page
// has something to sign right after `make run`.
//
// It owns the demo content (Chinese names, legal bases, post-check
// policies) and the seeding steps. It must not touch Redis, keys or the
// domain services directly: everything goes through /v1 routes with the
// tokens it is given, and it never prints a token.
package democli
