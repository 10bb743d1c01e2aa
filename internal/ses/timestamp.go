package ses

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

// timestampCheck verifies the RFC 3161 token of s.
// TODO(ses): verify the token's CMS signature and message imprint.
func (v *Verifier) timestampCheck(s *Signature) (time.Time, outcome.Check) {
	return time.Time{}, check(CheckTimestamp, outcome.Indeterminate, outcome.Unsupported, "the signature carries a timestamp token, which this version does not verify; timeInfo is used instead")
}
