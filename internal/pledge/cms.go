package pledge

import (
	"errors"
	"fmt"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// CMS signs and verifies detached CMS SignedData (GM/T 0010 / GB/T 35275,
// SM2/SM3). Verification here is cryptographic only; chains are validated
// by the caller against a pki.TrustStore at the signing time.
type CMS interface {
	// SignDetached signs content with key for cert at signing time at and
	// returns the DER ContentInfo without the content.
	SignDetached(content []byte, cert *smx509.Certificate, key *sm2.PrivateKey, at time.Time) ([]byte, error)
	// VerifyDetached checks that sig is a SignedData over content made by
	// exactly one signer whose certificate it carries; it returns that
	// certificate and every certificate in the bag.
	VerifyDetached(sig, content []byte) (signer *smx509.Certificate, bag []*smx509.Certificate, err error)
}

// PKICMS implements CMS with internal/pki's SignedData code: signed
// attributes (contentType, messageDigest, signingTime) on signing; on
// verification exactly one signer, standard SM2-with-ZA only.
type PKICMS struct{}

// SignDetached implements CMS.
func (PKICMS) SignDetached(content []byte, cert *smx509.Certificate, key *sm2.PrivateKey, at time.Time) ([]byte, error) {
	return pki.SignDetachedCert(content, cert, pki.NewKeySigner(key), at)
}

// errCMSShape marks structural refusals that are not pki's own.
var errCMSShape = errors.New("cms: unacceptable SignedData shape")

// VerifyDetached implements CMS.
func (c PKICMS) VerifyDetached(sig, content []byte) (*smx509.Certificate, []*smx509.Certificate, error) {
	return c.verifyKnown(sig, content, nil)
}

// verifyKnown is VerifyDetached taking bag certificates equal to one in
// known from known instead of parsing them again.
func (PKICMS) verifyKnown(sig, content []byte, known []*smx509.Certificate) (*smx509.Certificate, []*smx509.Certificate, error) {
	res, err := pki.VerifyDetachedKnown(sig, content, known)
	if err != nil {
		return nil, nil, err
	}
	if len(res.Signers) != 1 {
		return nil, nil, fmt.Errorf("%w: %d signers, want exactly one", errCMSShape, len(res.Signers))
	}
	if res.DigestAsE {
		// A non-standard SM2 form (no ZA): never accepted for pledges.
		return nil, nil, fmt.Errorf("%w: %w", pki.ErrCMSSignature, errors.New("signature without ZA preprocessing"))
	}
	return res.Signers[0], res.Certificates, nil
}

// isCMSFormatError tells a structural failure from a signature that fails.
func isCMSFormatError(err error) bool {
	return errors.Is(err, pki.ErrCMSFormat) || errors.Is(err, errCMSShape) || errors.Is(err, pki.ErrCMSUnsupported)
}
