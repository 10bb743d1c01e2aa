// Package scope holds the authorisation rule of every subject kind that a
// state change acts on: which caller may change which pledge, seal,
// catalogue entry or notice. The domain services call it (never only the
// HTTP layer), so a rule holds for every route that writes. docs/security.md
// ("Authorization") states the rules as a table.
//
// It knows roles as plain strings of internal/auth and nothing of HTTP or
// storage.
package scope

import (
	"regexp"
	"strings"
)

// regionPattern is a 6-digit administrative division code (GB/T 2260).
var regionPattern = regexp.MustCompile(`^[0-9]{6}$`)

// IsRegion reports whether s is a 6-digit region code.
func IsRegion(s string) bool { return regionPattern.MatchString(s) }

// Covers reports whether a jurisdiction (a 6-digit region code: 110000
// province, 110100 city, 110105 district) covers a region code: trailing
// "00" pairs of the jurisdiction are wildcards. Anything that is not a
// 6-digit code covers only itself.
func Covers(jurisdiction, region string) bool {
	if !IsRegion(jurisdiction) || !IsRegion(region) {
		return jurisdiction != "" && jurisdiction == region
	}
	j := jurisdiction
	for len(j) > 2 && strings.HasSuffix(j, "00") {
		j = j[:len(j)-2]
	}
	return strings.HasPrefix(region, j)
}

// AgencyRegion returns the region an agency acts in: the 6-digit region
// code its agency code starts with ("110105-SCJGJ" → "110105"). ok is
// false for a code without one; such an agency has no region and may not
// act where a region is required.
func AgencyRegion(agency string) (region string, ok bool) {
	r, _, found := strings.Cut(agency, "-")
	if !found || !IsRegion(r) {
		return "", false
	}
	return r, true
}

// AgencyActsIn reports whether an agency may act in a region: exactly its
// own region (an agency is not a jurisdiction; it does not cover the
// districts of a city code).
func AgencyActsIn(agency, region string) bool {
	r, ok := AgencyRegion(agency)
	return ok && r == region
}
