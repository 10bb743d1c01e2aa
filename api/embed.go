// Package api holds the HTTP contract of PledgeSeal (openapi.yaml) so that
// the server can serve it and tests can hold routes and responses to it.
package api

import _ "embed"

//go:embed openapi.yaml
var spec []byte

// Spec returns a copy of the OpenAPI document.
func Spec() []byte { return append([]byte(nil), spec...) }
