package pki

import (
	"bytes"
	"crypto/sha1" //nolint:gosec // ESSCertID (RFC 2634) is defined with SHA-1; it identifies, it does not protect
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ErrSigningCertificate means a SignerInfo does not identify its signer's
// certificate in a signingCertificate / signingCertificateV2 attribute, or
// identifies another certificate.
var ErrSigningCertificate = errors.New("pki: the signed attributes do not identify the signer's certificate")

func oidSigningCertificate() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
}

// CheckSigningCertificate checks that signedAttrs (a SignerInfo's DER SET
// OF Attribute, CMSSignerInfo.SignedAttrs) hold an ESS signingCertificate
// (RFC 2634, SHA-1) or signingCertificateV2 (RFC 5035; SM3, SHA-256 — the
// default —, SHA-384 or SHA-512) attribute whose first ESSCertID names
// cert: its hash over cert's DER, and its issuerSerial, when present,
// cert's issuer and serial number. Each attribute appears at most once
// with one value; when both appear both must name cert. RFC 3161 §2.4.1
// requires one in a time-stamp token: without it a verifier could be
// shown another certificate of the same key. The error wraps
// ErrSigningCertificate.
func CheckSigningCertificate(signedAttrs []byte, cert *smx509.Certificate) error {
	bad := func(f string, a ...any) error {
		return fmt.Errorf("%w: "+f, append([]any{ErrSigningCertificate}, a...)...)
	}
	in := cryptobyte.String(signedAttrs)
	var set cryptobyte.String
	if !in.ReadASN1(&set, cbasn1.SET) || !in.Empty() {
		return bad("no signed attributes")
	}
	found := 0
	seen := map[string]bool{}
	for !set.Empty() {
		var a, vals, val cryptobyte.String
		var typ asn1.ObjectIdentifier
		if !set.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&typ) || !a.ReadASN1(&vals, cbasn1.SET) || !a.Empty() {
			return bad("malformed attribute")
		}
		v2 := typ.Equal(oidSigningCertificateV2())
		if !v2 && !typ.Equal(oidSigningCertificate()) {
			continue
		}
		if seen[typ.String()] {
			return bad("attribute %s appears twice", typ)
		}
		seen[typ.String()] = true
		if !vals.ReadASN1Element(&val, cbasn1.SEQUENCE) || !vals.Empty() {
			return bad("attribute %s must have exactly one value", typ)
		}
		if err := checkESSCertIDs(val, v2, cert); err != nil {
			return bad("%v", err)
		}
		found++
	}
	if found == 0 {
		return bad("neither signingCertificate nor signingCertificateV2 is present")
	}
	return nil
}

// checkESSCertIDs reads a SigningCertificate(V2) and checks its first
// ESSCertID(v2) against cert.
func checkESSCertIDs(b cryptobyte.String, v2 bool, cert *smx509.Certificate) error {
	var sc, certs, id, hash cryptobyte.String
	if !b.ReadASN1(&sc, cbasn1.SEQUENCE) || !sc.ReadASN1(&certs, cbasn1.SEQUENCE) || !certs.ReadASN1(&id, cbasn1.SEQUENCE) {
		return errors.New("not a SigningCertificate")
	}
	if sc.PeekASN1Tag(cbasn1.SEQUENCE) && !sc.SkipASN1(cbasn1.SEQUENCE) || !sc.Empty() { // policies
		return errors.New("trailing data in SigningCertificate")
	}
	for rest := certs; !rest.Empty(); { // further ESSCertIDs name other certificates of the path: well formed only
		if !rest.SkipASN1(cbasn1.SEQUENCE) {
			return errors.New("malformed certificate list")
		}
	}
	alg := asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26} // SHA-1 (ESSCertID)
	if v2 {
		alg = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1} // SHA-256, the default
		if id.PeekASN1Tag(cbasn1.SEQUENCE) {
			var ai, params cryptobyte.String
			if !id.ReadASN1(&ai, cbasn1.SEQUENCE) || !ai.ReadASN1ObjectIdentifier(&alg) {
				return errors.New("malformed hashAlgorithm")
			}
			if !ai.Empty() && (!ai.ReadASN1(&params, cbasn1.NULL) || len(params) != 0 || !ai.Empty()) {
				return errors.New("hashAlgorithm parameters must be absent or NULL")
			}
		}
	}
	if !id.ReadASN1(&hash, cbasn1.OCTET_STRING) {
		return errors.New("malformed certHash")
	}
	want, err := certHash(alg, cert.Raw)
	if err != nil {
		return err
	}
	if !bytes.Equal(want, hash) {
		return errors.New("certHash is not the hash of the signer's certificate")
	}
	if id.Empty() {
		return nil
	}
	var is, names cryptobyte.String
	serial := new(big.Int)
	if !id.ReadASN1(&is, cbasn1.SEQUENCE) || !id.Empty() || !is.ReadASN1(&names, cbasn1.SEQUENCE) || !is.ReadASN1Integer(serial) || !is.Empty() {
		return errors.New("malformed issuerSerial")
	}
	if serial.Cmp(cert.SerialNumber) != 0 {
		return errors.New("issuerSerial names another serial number")
	}
	for !names.Empty() {
		var n cryptobyte.String
		var tag cbasn1.Tag
		if !names.ReadAnyASN1(&n, &tag) {
			return errors.New("malformed issuerSerial.issuer")
		}
		if tag == cbasn1.Tag(4).Constructed().ContextSpecific() && bytes.Equal(n, cert.RawIssuer) {
			return nil
		}
	}
	return errors.New("issuerSerial names another issuer")
}

func certHash(alg asn1.ObjectIdentifier, der []byte) ([]byte, error) {
	switch {
	case alg.Equal(oidSM3()):
		d := Digest(der)
		return d[:], nil
	case alg.Equal(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}):
		d := sha256.Sum256(der)
		return d[:], nil
	case alg.Equal(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}):
		d := sha512.Sum384(der)
		return d[:], nil
	case alg.Equal(asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}):
		d := sha512.Sum512(der)
		return d[:], nil
	case alg.Equal(asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}):
		d := sha1.Sum(der) //nolint:gosec // see the import
		return d[:], nil
	}
	return nil, fmt.Errorf("unsupported certHash algorithm %s", alg)
}
