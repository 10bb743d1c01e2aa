package pki

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// CMS SignedData (GM/T 0010 / GB/T 35275) with SM2/SM3. Signing writes the
// GM/T 0010 content types, SM3 and SignerInfo algorithm 1.2.156.10197.1.301.1
// with signed attributes (contentType, messageDigest, signingTime from the
// caller's clock). Verification reads the raw bytes (signed attributes are
// hashed as found, never re-encoded) and accepts both SignerInfo algorithm
// OIDs seen in practice, 1.2.156.10197.1.301.1 and 1.2.156.10197.1.501, and
// both PKCS#7 and GM/T 0010 content types (ses-format.md §7). Signatures are
// SM2 with ZA over the default user ID.

// CMS errors, wrapped with details.
var (
	// ErrCMSFormat: the bytes are not a SignedData this package can read.
	ErrCMSFormat = errors.New("pki: malformed CMS SignedData")
	// ErrCMSUnsupported: a well-formed SignedData with algorithms other than SM2/SM3.
	ErrCMSUnsupported = errors.New("pki: unsupported CMS algorithm")
	// ErrCMSDigest: the messageDigest attribute does not match the content.
	ErrCMSDigest = errors.New("pki: CMS message digest does not match the content")
	// ErrCMSSignature: the SM2 signature does not verify.
	ErrCMSSignature = errors.New("pki: CMS signature does not verify")
)

func oidEq(a asn1.ObjectIdentifier, b ...int) bool { return a.Equal(asn1.ObjectIdentifier(b)) }

// OID constructors (functions, so no package-level mutable state).
func oidGMData() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 1} }
func oidGMSignedData() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 2}
}
func oidSM3() asn1.ObjectIdentifier     { return asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 401} }
func oidSM2Sign() asn1.ObjectIdentifier { return asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 301, 1} }
func oidAttrContentType() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
}
func oidAttrMessageDigest() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 4}
}
func oidAttrSigningTime() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
}

func isSignedDataType(o asn1.ObjectIdentifier) bool {
	return o.Equal(oidGMSignedData()) || oidEq(o, 1, 2, 840, 113549, 1, 7, 2)
}

func isSM2SignerAlg(o asn1.ObjectIdentifier) bool {
	return o.Equal(oidSM2Sign()) || oidEq(o, 1, 2, 156, 10197, 1, 501) || oidEq(o, 1, 2, 840, 10045, 2, 1)
}

// SignDetached returns a DER ContentInfo holding a detached SignedData over
// data, signed by signer whose DER certificate is certDER, with signingTime
// as the signingTime attribute (pass the injected clock's time).
func SignDetached(data, certDER []byte, signer Signer, signingTime time.Time) ([]byte, error) {
	return signCMS(data, certDER, signer, signingTime, false, oidSM2Sign())
}

// SignAttached is SignDetached with the content embedded.
func SignAttached(data, certDER []byte, signer Signer, signingTime time.Time) ([]byte, error) {
	return signCMS(data, certDER, signer, signingTime, true, oidSM2Sign())
}

func addAlgID(b *cryptobyte.Builder, o asn1.ObjectIdentifier) {
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(o)
		b.AddASN1NULL()
	})
}

// SignDetachedCert is SignDetached for a caller that holds the parsed
// certificate (its Raw is what the SignedData carries).
func SignDetachedCert(data []byte, cert *smx509.Certificate, signer Signer, signingTime time.Time) ([]byte, error) {
	return signCMSCert(data, cert, signer, signingTime, false, oidSM2Sign())
}

func signCMS(data, certDER []byte, signer Signer, at time.Time, attached bool, sigAlg asn1.ObjectIdentifier) ([]byte, error) {
	cert, err := ParseCertificate(certDER)
	if err != nil {
		return nil, err
	}
	return signCMSCert(data, cert, signer, at, attached, sigAlg)
}

func signCMSCert(data []byte, cert *smx509.Certificate, signer Signer, at time.Time, attached bool, sigAlg asn1.ObjectIdentifier) ([]byte, error) {
	at = at.UTC().Truncate(time.Second)
	if at.Year() < 1950 || at.Year() >= 2050 {
		return nil, errors.New("pki: CMS signing time outside the UTCTime range")
	}
	digest := Digest(data)
	attrs := [][]byte{
		cmsAttr(oidAttrContentType(), func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidGMData()) }),
		cmsAttr(oidAttrMessageDigest(), func(b *cryptobyte.Builder) { b.AddASN1OctetString(digest[:]) }),
		cmsAttr(oidAttrSigningTime(), func(b *cryptobyte.Builder) { b.AddASN1UTCTime(at) }),
	}
	return signCMSWith(cmsParams{outer: oidGMSignedData(), eContentType: oidGMData(), content: data, attached: attached,
		withCert: true, sigAlg: sigAlg, attrs: attrs}, cert, signer)
}

// cmsAttr is the DER of one Attribute with a single value.
func cmsAttr(o asn1.ObjectIdentifier, val func(*cryptobyte.Builder)) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(o)
		b.AddASN1(cbasn1.SET, val)
	})
	return b.BytesOrPanic()
}

// cmsParams is what varies between the SignedData this package writes.
type cmsParams struct {
	outer, eContentType asn1.ObjectIdentifier
	content             []byte
	attached, withCert  bool
	sigAlg              asn1.ObjectIdentifier
	attrs               [][]byte // signed attributes, each an Attribute's DER
}

// signCMSWith writes a SignedData with one SM2/SM3 SignerInfo over the
// signed attributes p.attrs (sorted here: DER SET OF is ordered by
// encoding).
func signCMSWith(p cmsParams, cert *smx509.Certificate, signer Signer) ([]byte, error) {
	if cert == nil || len(cert.Raw) == 0 {
		return nil, errors.New("pki: CMS signer certificate missing")
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || signer == nil || !pub.Equal(signer.Public()) {
		return nil, errors.New("pki: CMS signer key does not match the certificate")
	}
	attrs := append([][]byte(nil), p.attrs...)
	sort.Slice(attrs, func(i, j int) bool { return bytes.Compare(attrs[i], attrs[j]) < 0 })
	var set cryptobyte.Builder
	set.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
		for _, a := range attrs {
			b.AddBytes(a)
		}
	})
	signedAttrs, err := set.Bytes()
	if err != nil {
		return nil, err
	}
	sig, err := signer.SignMessage(signedAttrs)
	if err != nil {
		return nil, fmt.Errorf("pki: CMS sign: %w", err)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1ObjectIdentifier(p.outer)
		b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1Int64(1)
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) { addAlgID(b, oidSM3()) })
				b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
					b.AddASN1ObjectIdentifier(p.eContentType)
					if p.attached {
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							b.AddASN1OctetString(p.content)
						})
					}
				})
				if p.withCert {
					b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
						b.AddBytes(cert.Raw)
					})
				}
				b.AddASN1(cbasn1.SET, func(b *cryptobyte.Builder) {
					b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
						b.AddASN1Int64(1)
						b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
							b.AddBytes(cert.RawIssuer)
							b.AddASN1BigInt(cert.SerialNumber)
						})
						addAlgID(b, oidSM3())
						// [0] IMPLICIT SET OF Attribute: same contents as the signed SET.
						b.AddASN1(cbasn1.Tag(0).Constructed().ContextSpecific(), func(b *cryptobyte.Builder) {
							for _, a := range attrs {
								b.AddBytes(a)
							}
						})
						addAlgID(b, p.sigAlg)
						b.AddASN1OctetString(sig)
					})
				})
			})
		})
	})
	return b.Bytes()
}

// CMSSignerInfo is one SignerInfo as read from the bytes.
type CMSSignerInfo struct {
	Cert        *smx509.Certificate // the signer's certificate from the bag (nil if absent)
	DigestAlg   asn1.ObjectIdentifier
	SigAlg      asn1.ObjectIdentifier
	Signature   []byte
	SignedAttrs []byte // DER SET OF Attribute as signed (tag 0x31), nil when absent
	// MessageDigest and SigningTime come from the signed attributes.
	MessageDigest []byte
	SigningTime   time.Time
	// UnsignedAttrs are the contents of unsignedAttrs [1] (nil when
	// absent): Attributes outside the signature (unsigned.go).
	UnsignedAttrs []byte

	issuer []byte
	serial *big.Int
}

// CMSSignedData is a parsed SignedData.
type CMSSignedData struct {
	ContentType  asn1.ObjectIdentifier // of the encapsulated content
	Content      []byte                // nil when detached
	Certificates []*smx509.Certificate // the certificate bag
	Signers      []CMSSignerInfo
	// FromBER is true when ParseCMSAllowBER read BER input (indefinite
	// lengths) through BERToDER.
	FromBER bool
}

// ParseCMS reads a ContentInfo holding a SignedData in DER. It refuses
// BER: pledge packages hold DER only (pledge.ParsePackage), so what a
// pledge path accepts must be DER too.
func ParseCMS(der []byte) (*CMSSignedData, error) { return parseCMS(der, nil) }

// ParseCMSKnown is ParseCMS for a caller that has already parsed
// certificates the SignedData may carry: a bag certificate with the same
// DER as one in known is that certificate (shared, never modify it).
func ParseCMSKnown(der []byte, known []*smx509.Certificate) (*CMSSignedData, error) {
	return parseCMS(der, known)
}

// ParseCMSAllowBER is ParseCMS for input from other products, which may be
// BER (BouncyCastle writes indefinite lengths): input that is not DER but
// valid BER is converted by BERToDER and read; FromBER then says so. It
// returns the DER it read (b itself when b was DER): give that to
// VerifyDetached / VerifyAttached.
func ParseCMSAllowBER(b []byte) (*CMSSignedData, []byte, error) {
	sd, err := parseCMS(b, nil)
	if err == nil {
		return sd, b, nil
	}
	der, cerr := BERToDER(b)
	if cerr != nil || bytes.Equal(der, b) {
		return nil, nil, err
	}
	if sd, err = parseCMS(der, nil); err != nil {
		return nil, nil, fmt.Errorf("%w (read as BER converted to DER)", err)
	}
	sd.FromBER = true
	return sd, der, nil
}

// parseCMS is ParseCMS; a certificate of the bag whose DER equals that of
// one in known is taken from known instead of being parsed again.
func parseCMS(der []byte, known []*smx509.Certificate) (*CMSSignedData, error) {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrCMSFormat, what) }
	in := cryptobyte.String(der)
	var ci, sd cryptobyte.String
	var ct asn1.ObjectIdentifier
	if !in.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&ct) {
		return nil, bad("not a ContentInfo")
	}
	if !in.Empty() {
		return nil, bad("data after the ContentInfo")
	}
	if !isSignedDataType(ct) {
		return nil, bad("content type " + ct.String() + " is not SignedData")
	}
	var explicit cryptobyte.String
	if !ci.ReadASN1(&explicit, cbasn1.Tag(0).Constructed().ContextSpecific()) || !explicit.ReadASN1(&sd, cbasn1.SEQUENCE) {
		return nil, bad("no SignedData")
	}
	out := &CMSSignedData{}
	var version int64
	var digestAlgs, encap, signerInfos cryptobyte.String
	if !sd.ReadASN1Integer(&version) || !sd.ReadASN1(&digestAlgs, cbasn1.SET) || !sd.ReadASN1(&encap, cbasn1.SEQUENCE) {
		return nil, bad("SignedData header")
	}
	if !encap.ReadASN1ObjectIdentifier(&out.ContentType) {
		return nil, bad("encapsulated content type")
	}
	if encap.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var c cryptobyte.String
		if !encap.ReadASN1(&c, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, bad("encapsulated content")
		}
		var oct cryptobyte.String
		if c.PeekASN1Tag(cbasn1.OCTET_STRING) && c.ReadASN1(&oct, cbasn1.OCTET_STRING) {
			out.Content = append([]byte{}, oct...)
		} else {
			out.Content = append([]byte{}, c...) // some products embed the content's own TLV
		}
		if out.Content == nil {
			out.Content = []byte{}
		}
	}
	if sd.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var certs cryptobyte.String
		if !sd.ReadASN1(&certs, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, bad("certificates")
		}
		for !certs.Empty() {
			var c cryptobyte.String
			var tag cbasn1.Tag
			if !certs.ReadAnyASN1Element(&c, &tag) {
				return nil, bad("certificate bag")
			}
			if tag != cbasn1.SEQUENCE {
				continue // other certificate choices are ignored
			}
			cert := knownCert(c, known)
			if cert == nil {
				var err error
				if cert, err = ParseCertificate(c); err != nil {
					continue // unreadable certificates cannot be signers; the signer check reports it
				}
			}
			out.Certificates = append(out.Certificates, cert)
		}
	}
	if sd.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		if !sd.SkipASN1(cbasn1.Tag(1).Constructed().ContextSpecific()) {
			return nil, bad("crls")
		}
	}
	if !sd.ReadASN1(&signerInfos, cbasn1.SET) {
		return nil, bad("signerInfos")
	}
	for !signerInfos.Empty() {
		var si cryptobyte.String
		if !signerInfos.ReadASN1(&si, cbasn1.SEQUENCE) {
			return nil, bad("SignerInfo")
		}
		s, err := parseSignerInfo(si)
		if err != nil {
			return nil, err
		}
		for _, c := range out.Certificates {
			if bytes.Equal(c.RawIssuer, s.issuer) && c.SerialNumber.Cmp(s.serial) == 0 {
				s.Cert = c
				break
			}
		}
		out.Signers = append(out.Signers, s)
	}
	if len(out.Signers) == 0 {
		return nil, bad("no SignerInfo")
	}
	return out, nil
}

func parseSignerInfo(si cryptobyte.String) (CMSSignerInfo, error) {
	bad := func(what string) error { return fmt.Errorf("%w: SignerInfo %s", ErrCMSFormat, what) }
	var s CMSSignerInfo
	var version int64
	var sid, alg cryptobyte.String
	if !si.ReadASN1Integer(&version) || !si.ReadASN1(&sid, cbasn1.SEQUENCE) {
		return s, bad("version/sid (only issuerAndSerialNumber is supported)")
	}
	var issuer cryptobyte.String
	s.serial = new(big.Int)
	if !sid.ReadASN1Element(&issuer, cbasn1.SEQUENCE) || !sid.ReadASN1Integer(s.serial) {
		return s, bad("issuerAndSerialNumber")
	}
	s.issuer = issuer
	if !si.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&s.DigestAlg) {
		return s, bad("digestAlgorithm")
	}
	if si.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var full cryptobyte.String
		if !si.ReadASN1Element(&full, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return s, bad("signedAttrs")
		}
		// What is signed is the SET OF with the universal SET tag (RFC 5652 §5.4).
		s.SignedAttrs = append([]byte{0x31}, full[1:]...)
		if err := s.readAttrs(); err != nil {
			return s, err
		}
	}
	alg = nil
	var sig cryptobyte.String
	if !si.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&s.SigAlg) || !si.ReadASN1(&sig, cbasn1.OCTET_STRING) {
		return s, bad("signatureAlgorithm/signature")
	}
	s.Signature = sig
	if si.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		var u cryptobyte.String
		if !si.ReadASN1(&u, cbasn1.Tag(1).Constructed().ContextSpecific()) {
			return s, bad("unsignedAttrs")
		}
		s.UnsignedAttrs = append([]byte{}, u...)
	}
	return s, nil
}

func (s *CMSSignerInfo) readAttrs() error {
	bad := func(what string) error { return fmt.Errorf("%w: signed attribute %s", ErrCMSFormat, what) }
	in := cryptobyte.String(s.SignedAttrs)
	var set cryptobyte.String
	if !in.ReadASN1(&set, cbasn1.SET) {
		return bad("set")
	}
	for !set.Empty() {
		var a, vals cryptobyte.String
		var typ asn1.ObjectIdentifier
		if !set.ReadASN1(&a, cbasn1.SEQUENCE) || !a.ReadASN1ObjectIdentifier(&typ) || !a.ReadASN1(&vals, cbasn1.SET) {
			return bad("structure")
		}
		switch {
		case typ.Equal(oidAttrMessageDigest()):
			var d cryptobyte.String
			if !vals.ReadASN1(&d, cbasn1.OCTET_STRING) {
				return bad("messageDigest")
			}
			s.MessageDigest = d
		case typ.Equal(oidAttrSigningTime()):
			var t time.Time
			if vals.PeekASN1Tag(cbasn1.UTCTime) {
				if !vals.ReadASN1UTCTime(&t) {
					return bad("signingTime")
				}
			} else if !vals.ReadASN1GeneralizedTime(&t) {
				return bad("signingTime")
			}
			s.SigningTime = t
		}
	}
	return nil
}

// CMSResult is a verified SignedData.
type CMSResult struct {
	Content      []byte                // the content that was verified
	Signers      []*smx509.Certificate // one per SignerInfo, in order
	Certificates []*smx509.Certificate // the bag, for chain building (TrustStore.VerifyAt extra)
	SigningTimes []time.Time           // signingTime attributes (zero when absent)
	// DigestAsE is true when a signature verified only with the content
	// itself as the SM2 digest e (no ZA, no hashing): a non-standard form
	// some products write for 32-byte contents.
	DigestAsE bool
}

// VerifyDetached verifies a detached SignedData over data. It checks every
// SignerInfo's messageDigest and SM2 signature; chain validation is the
// caller's (TrustStore.VerifyAt with the returned Certificates as extra).
func VerifyDetached(der, data []byte) (*CMSResult, error) {
	sd, err := ParseCMS(der)
	if err != nil {
		return nil, err
	}
	return sd.verify(data)
}

// VerifyDetachedKnown is VerifyDetached for a caller that has already
// parsed certificates the SignedData may carry (e.g. a package's
// certificate list): a bag certificate with the same DER as one in known is
// that certificate, not a new parse. Parsing is deterministic, so the
// result is VerifyDetached's; the certificates are shared, never modified.
func VerifyDetachedKnown(der, data []byte, known []*smx509.Certificate) (*CMSResult, error) {
	sd, err := parseCMS(der, known)
	if err != nil {
		return nil, err
	}
	return sd.verify(data)
}

func knownCert(der []byte, known []*smx509.Certificate) *smx509.Certificate {
	for _, k := range known {
		if k != nil && bytes.Equal(k.Raw, der) {
			return k
		}
	}
	return nil
}

// VerifyAttached verifies a SignedData with embedded content.
func VerifyAttached(der []byte) (*CMSResult, error) {
	sd, err := ParseCMS(der)
	if err != nil {
		return nil, err
	}
	if sd.Content == nil {
		return nil, fmt.Errorf("%w: the SignedData is detached: no content to verify", ErrCMSFormat)
	}
	return sd.verify(sd.Content)
}

func (sd *CMSSignedData) verify(content []byte) (*CMSResult, error) {
	res := &CMSResult{Content: content, Certificates: sd.Certificates}
	for i, s := range sd.Signers {
		if s.Cert == nil {
			return nil, fmt.Errorf("%w: signer %d: its certificate is not in the SignedData", ErrCMSFormat, i+1)
		}
		if !s.DigestAlg.Equal(oidSM3()) {
			return nil, fmt.Errorf("%w: signer %d digest %s is not SM3", ErrCMSUnsupported, i+1, s.DigestAlg)
		}
		if !isSM2SignerAlg(s.SigAlg) {
			return nil, fmt.Errorf("%w: signer %d signature algorithm %s is not SM2", ErrCMSUnsupported, i+1, s.SigAlg)
		}
		pub, ok := s.Cert.PublicKey.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%w: signer %d key is not SM2", ErrCMSUnsupported, i+1)
		}
		msg := content
		if s.SignedAttrs != nil {
			d := Digest(content)
			if !bytes.Equal(s.MessageDigest, d[:]) {
				return nil, fmt.Errorf("%w (signer %d)", ErrCMSDigest, i+1)
			}
			msg = s.SignedAttrs
		}
		if !VerifyMessage(pub, msg, s.Signature) {
			der, err := NormalizeSignature(s.Signature)
			if s.SignedAttrs == nil && err == nil && len(content) == 32 && sm2.VerifyASN1(pub, content, der) {
				res.DigestAsE = true
			} else {
				return nil, fmt.Errorf("%w (signer %d)", ErrCMSSignature, i+1)
			}
		}
		res.Signers = append(res.Signers, s.Cert)
		res.SigningTimes = append(res.SigningTimes, s.SigningTime)
	}
	return res, nil
}
