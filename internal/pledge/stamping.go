package pledge

import "context"

// CMSStamper adds proof of existence to an applicant's CMS once it has
// verified: an RFC 3161 token over its signature value as an unsigned
// attribute (internal/stamp). The signed bytes stay as the applicant
// made them. An error refuses the signing (nothing is stored).
type CMSStamper interface {
	CMS(ctx context.Context, der []byte) ([]byte, error)
}
