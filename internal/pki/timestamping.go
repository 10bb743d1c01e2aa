package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// OIDTSTInfo is id-ct-TSTInfo (RFC 3161 §2.4.2), the content type of a
// time-stamp token's SignedData.
func OIDTSTInfo() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
}

// OIDSM3 is the SM3 hash algorithm (GM/T 0006).
func OIDSM3() asn1.ObjectIdentifier { return oidSM3() }

func oidPKCS7SignedData() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
}
func oidSigningCertificateV2() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
}
func oidExtKeyUsage() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{2, 5, 29, 37} }

// SignTimeStampToken returns a time-stamp token (RFC 3161 §2.4.2): a
// ContentInfo holding a SignedData (PKCS #7 OIDs, as RFC 3161 and OpenSSL
// expect) that encapsulates tstInfo (the DER of a TSTInfo) with content
// type id-ct-TSTInfo, signed by the TSA's SM2 key with SM3 (GM/T 0033).
// The signed attributes are contentType, messageDigest and the RFC 5035
// signingCertificateV2 naming the TSA certificate by its SM3 hash
// (RFC 3161 §2.4.1: the signer's certificate must be identified). withCert
// puts the TSA certificate in the token (the request's certReq).
func SignTimeStampToken(tstInfo []byte, cert *smx509.Certificate, signer Signer, withCert bool) ([]byte, error) {
	if cert == nil {
		return nil, fmt.Errorf("pki: time-stamp token: no TSA certificate")
	}
	digest := Digest(tstInfo)
	certHash := Digest(cert.Raw)
	attrs := [][]byte{
		cmsAttr(oidAttrContentType(), func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(OIDTSTInfo()) }),
		cmsAttr(oidAttrMessageDigest(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest[:]) }),
		cmsAttr(oidSigningCertificateV2(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // SigningCertificateV2
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // certs
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { // ESSCertIDv2
						addAlgID(b, oidSM3())
						b.AddASN1OctetString(certHash[:])
					})
				})
			})
		}),
	}
	return signCMSWith(cmsParams{outer: oidPKCS7SignedData(), eContentType: OIDTSTInfo(), content: tstInfo, attached: true,
		withCert: withCert, sigAlg: oidSM2Sign(), attrs: attrs}, cert, signer)
}

// CheckTimeStamping checks a TSA certificate's key purpose as RFC 3161
// §2.3 requires: an extendedKeyUsage extension that is CRITICAL and holds
// exactly id-kp-timeStamping. The error wraps ErrKeyUsage.
func CheckTimeStamping(cert *smx509.Certificate) error {
	if cert == nil {
		return fmt.Errorf("%w: no TSA certificate", ErrKeyUsage)
	}
	critical, found := false, false
	for _, e := range cert.Extensions {
		if e.Id.Equal(oidExtKeyUsage()) {
			found, critical = true, e.Critical
		}
	}
	switch {
	case !found:
		return fmt.Errorf("%w: the TSA certificate has no extendedKeyUsage (timeStamping required)", ErrKeyUsage)
	case !critical:
		return fmt.Errorf("%w: the TSA certificate's extendedKeyUsage is not critical", ErrKeyUsage)
	case len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != smx509.ExtKeyUsageTimeStamping || len(cert.UnknownExtKeyUsage) != 0:
		return fmt.Errorf("%w: the TSA certificate's extendedKeyUsage is not exactly timeStamping", ErrKeyUsage)
	}
	return nil
}

// TimeStampingExtension is a CRITICAL extendedKeyUsage extension holding
// exactly id-kp-timeStamping, for CertRequest.ExtraExtensions of a TSA
// certificate (RFC 3161 §2.3).
func TimeStampingExtension() pkix.Extension {
	v, _ := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
	return pkix.Extension{Id: oidExtKeyUsage(), Critical: true, Value: v}
}

// TimeStampingChain returns the first of chains (each leaf first, as
// TrustStore.VerifyAt returns them) in which every CA certificate that
// restricts its purposes with an extendedKeyUsage allows time-stamping
// (id-kp-timeStamping or anyExtendedKeyUsage): a CA limited to, say,
// serverAuth cannot certify a TSA (the nested rule Go and OpenSSL apply;
// VerifyAt itself accepts any purpose). The leaf is CheckTimeStamping's.
// The error wraps ErrKeyUsage.
func TimeStampingChain(chains [][]*smx509.Certificate) ([]*smx509.Certificate, error) {
	var why string
	for _, chain := range chains {
		if len(chain) == 0 {
			continue
		}
		ok := true
		for _, ca := range chain[1:] {
			if !allowsTimeStamping(ca) {
				ok, why = false, ca.Subject.String()
				break
			}
		}
		if ok {
			return chain, nil
		}
	}
	if why == "" {
		return nil, fmt.Errorf("%w: no chain", ErrKeyUsage)
	}
	return nil, fmt.Errorf("%w: the CA %q restricts its extendedKeyUsage to purposes other than timeStamping", ErrKeyUsage, why)
}

func allowsTimeStamping(c *smx509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	for _, u := range c.ExtKeyUsage {
		if u == smx509.ExtKeyUsageTimeStamping || u == smx509.ExtKeyUsageAny {
			return true
		}
	}
	return false
}
