package pledge

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// OIDPledgeDigest is the private, non-critical certificate extension that
// binds an event certificate to one pledge document. PledgeSeal has no
// registered arc yet; the UUID arc 2.25 needs none but its 128-bit arcs do
// not fit encoding/asn1, so the OID is derived from the UUID
// 809e2a83-7ec3-4001-8374-fbdbe55fda74 (generated for PledgeSeal) under
// the GUID-derived private arc 1.2.840.113556.1.8000.2554 in the usual way
// (16,16,16,16,16,24,24-bit pieces). See docs/pledge.md.
var OIDPledgeDigest = asn1.ObjectIdentifier{1, 2, 840, 113556, 1, 8000, 2554, 32926, 10883, 32451, 16385, 33652, 16505829, 6281844}

// oidSM3 is the SM3 hash algorithm.
var oidSM3 = asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401}

// pledgeDigestExt is the extension value:
//
//	PledgeDigest ::= SEQUENCE {
//	  version       INTEGER (1),
//	  pledgeId      UTF8String,
//	  hashAlgorithm OBJECT IDENTIFIER,   -- SM3 1.2.156.10197.1.401
//	  digest        OCTET STRING (SIZE(32)) }
type pledgeDigestExt struct {
	Version       int
	PledgeID      string `asn1:"utf8"`
	HashAlgorithm asn1.ObjectIdentifier
	Digest        []byte
}

// PledgeDigestExtension returns the extension binding pledgeID and digest.
func PledgeDigestExtension(pledgeID string, digest [32]byte) (pkix.Extension, error) {
	v, err := asn1.Marshal(pledgeDigestExt{Version: 1, PledgeID: pledgeID, HashAlgorithm: oidSM3, Digest: digest[:]})
	if err != nil {
		return pkix.Extension{}, err
	}
	return pkix.Extension{Id: OIDPledgeDigest, Critical: false, Value: v}, nil
}

// ParsePledgeDigestExtension finds and decodes the pledge binding in cert.
// ok is false when the certificate carries none.
func ParsePledgeDigestExtension(cert *smx509.Certificate) (pledgeID string, digest [32]byte, ok bool, err error) {
	for _, ext := range cert.Extensions {
		if !ext.Id.Equal(OIDPledgeDigest) {
			continue
		}
		var v pledgeDigestExt
		rest, err := asn1.Unmarshal(ext.Value, &v)
		if err != nil || len(rest) > 0 || v.Version != 1 || !v.HashAlgorithm.Equal(oidSM3) || len(v.Digest) != 32 {
			return "", digest, true, errors.New("pledge digest extension is malformed")
		}
		copy(digest[:], v.Digest)
		return v.PledgeID, digest, true, nil
	}
	return "", digest, false, nil
}

// Event certificate lifetime: it covers the signing moment with a little
// clock skew and dies soon after, as its key is destroyed at once.
const (
	eventCertBackdate = 5 * time.Minute
	eventCertLifetime = 10 * time.Minute
)

// eventSubject is what an event certificate says about its holder. A
// certificate is copied into packages, logs and caches, so under PIPL it
// carries only masked forms: the full identity is in the signed document,
// which the certificate is bound to by the pledge digest extension.
func eventSubject(a Applicant, pledgeID string) pkix.Name {
	return pkix.Name{
		CommonName:         pii.MaskName(a.Name),
		SerialNumber:       pii.MaskID(a.IDNumber),
		OrganizationalUnit: []string{"PledgeSeal event certificate " + pledgeID},
		Country:            []string{"CN"},
	}
}

// SignWithEventCertificate signs doc (canonical bytes of pledgeID) with a
// one-time SM2 key certified by the applicant CA for ten minutes, then
// zeroises the key. It returns the detached CMS and the certificate chain
// (event certificate first).
func SignWithEventCertificate(cms CMS, ca *pki.Issuer, a Applicant, pledgeID string, doc []byte, signedAt time.Time) ([]byte, [][]byte, error) {
	if ca == nil || ca.Cert == nil || ca.Key == nil {
		return nil, nil, apperr.New(apperr.Unavailable, "event certificates are not configured").WithCode(apperr.CodeEventCAMissing)
	}
	key, err := pki.GenerateKey()
	if err != nil {
		return nil, nil, apperr.Wrap(apperr.Internal, err, "no one-time key")
	}
	defer pki.Zeroize(key)
	ext, err := PledgeDigestExtension(pledgeID, pki.Digest(doc))
	if err != nil {
		return nil, nil, apperr.Wrap(apperr.Internal, err, "cannot encode the pledge binding")
	}
	der, err := pki.Issue(pki.CertRequest{
		Subject:         eventSubject(a, pledgeID),
		PublicKey:       key,
		NotBefore:       signedAt.Add(-eventCertBackdate),
		NotAfter:        signedAt.Add(eventCertLifetime),
		ExtraExtensions: []pkix.Extension{ext},
	}, ca)
	if err != nil {
		return nil, nil, apperr.Wrap(apperr.Internal, err, "cannot issue the event certificate")
	}
	cert, err := pki.ParseCertificate(der)
	if err != nil {
		return nil, nil, apperr.Wrap(apperr.Internal, err, "issued event certificate does not parse")
	}
	sig, err := cms.SignDetached(doc, cert, key, signedAt)
	if err != nil {
		return nil, nil, apperr.Wrap(apperr.Internal, err, "cannot sign with the event certificate")
	}
	return sig, [][]byte{der, ca.Cert.Raw}, nil
}

// SignerResult describes a verified applicant signature.
type SignerResult struct {
	// Signer is the signing certificate; Chain the validated path to an anchor.
	Signer *smx509.Certificate
	Chain  []*smx509.Certificate
	// EventCertificate is true when the signer carries the pledge binding.
	EventCertificate bool
}

const maxCMS = 64 << 10

// VerifyApplicantSignature is the one code path for both signing ways: sig
// must be a detached CMS over doc by one signer whose certificate chains to
// trust at signedAt with digitalSignature; a certificate carrying the pledge
// binding must name this pledge and this document's digest. Errors carry a
// stable code (CodeXxx) and kind Malformed (bad structure), Forbidden (a
// signature or chain that fails) or Unavailable (no anchors configured).
//
// extra are further certificates a verifier holds (e.g. a package's
// certificate list) for building the chain; the CMS bag is always used.
func VerifyApplicantSignature(cms CMS, trust *pki.TrustStore, pledgeID string, doc, sig []byte, signedAt time.Time, extra ...*smx509.Certificate) (SignerResult, error) {
	if len(sig) == 0 || len(sig) > maxCMS {
		return SignerResult{}, malformed(apperr.CodeCMSMalformed, "the applicant signature must be a DER CMS SignedData of at most %d bytes", maxCMS)
	}
	var signer *smx509.Certificate
	var bag []*smx509.Certificate
	var err error
	if pc, ok := cms.(PKICMS); ok {
		// The caller's certificates (a package's list) are usually the
		// bag's too: reuse their parse.
		signer, bag, err = pc.verifyKnown(sig, doc, extra)
	} else {
		signer, bag, err = cms.VerifyDetached(sig, doc)
	}
	if err != nil {
		if isCMSFormatError(err) {
			return SignerResult{}, apperr.Wrap(apperr.Malformed, err, "the applicant signature is not a valid CMS SignedData").WithCode(apperr.CodeCMSMalformed)
		}
		return SignerResult{}, apperr.Wrap(apperr.Forbidden, err, "the applicant signature does not verify over the pledge document").WithCode(apperr.CodeSignatureInvalid)
	}
	if trust.Empty() {
		return SignerResult{}, apperr.New(apperr.Unavailable, "no applicant trust anchors are configured").WithCode(apperr.CodeNoCertificateChainFound)
	}
	chains, err := trust.VerifyAt(signer, append(bag, extra...), signedAt, true)
	if err != nil {
		switch {
		case errors.Is(err, pki.ErrNoChain):
			return SignerResult{}, apperr.Wrap(apperr.Forbidden, err, "the signing certificate does not chain to a configured applicant trust anchor").WithCode(apperr.CodeNoCertificateChainFound)
		case errors.Is(err, pki.ErrNotValidAtTime):
			return SignerResult{}, apperr.Wrap(apperr.Forbidden, err, "the signing certificate was not valid at the signing time").WithCode(apperr.CodeCertificateNotValidAtSigning)
		case errors.Is(err, pki.ErrKeyUsage):
			return SignerResult{}, apperr.Wrap(apperr.Forbidden, err, "the signing certificate may not sign (key usage)").WithCode(apperr.CodeCertificateKeyUsage)
		default:
			return SignerResult{}, apperr.Wrap(apperr.Forbidden, err, "the signing certificate chain is not acceptable").WithCode(apperr.CodeChainConstraintsFailure)
		}
	}
	res := SignerResult{Signer: signer, Chain: chains[0]}
	id, digest, ok, err := ParsePledgeDigestExtension(signer)
	if err != nil {
		return SignerResult{}, apperr.Wrap(apperr.Forbidden, err, "the event certificate's pledge binding is malformed").WithCode(apperr.CodePledgeBindingMismatch)
	}
	if ok {
		if id != pledgeID || digest != pki.Digest(doc) {
			return SignerResult{}, apperr.New(apperr.Forbidden, "the event certificate was issued for another pledge document").WithCode(apperr.CodePledgeBindingMismatch)
		}
		res.EventCertificate = true
	}
	return res, nil
}
