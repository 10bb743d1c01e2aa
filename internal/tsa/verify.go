package tsa

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// Verification errors; each wraps one of these so callers can tell
// INDETERMINATE (no chain) from FAILED.
var (
	ErrFormat     = errors.New("tsa: not a readable time-stamp token")
	ErrRejected   = errors.New("tsa: the TSA did not grant the request")
	ErrSignature  = errors.New("tsa: the token's signature does not verify")
	ErrKeyPurpose = errors.New("tsa: the TSA certificate is not for time-stamping")
	ErrNoChain    = errors.New("tsa: the TSA certificate does not chain to a trusted anchor")
	ErrChain      = errors.New("tsa: the TSA certificate is not valid at the token's time")
	ErrImprint    = errors.New("tsa: the token's message imprint is not the hash of these data")
	// ErrUnsupported: the token uses an algorithm this verifier does not
	// implement (not SM2/SM3; an imprint neither SM3 nor SHA-256).
	ErrUnsupported = errors.New("tsa: the token uses an unsupported algorithm")
	// ErrSigningCert: the token does not name its signer's certificate
	// in a signed ESS signingCertificate(V2) attribute, or names another.
	ErrSigningCert = errors.New("tsa: the token does not identify its signer's certificate")
)

// MaxToken bounds a token or reply read by this package.
const MaxToken = 64 << 10

// Token is a verified time-stamp token.
type Token struct {
	Policy  asn1.ObjectIdentifier
	HashAlg asn1.ObjectIdentifier
	Imprint []byte
	Serial  *big.Int
	GenTime time.Time
	Nonce   *big.Int
	// Accuracy is the stated accuracy of GenTime (0: none stated).
	Accuracy time.Duration
	// TSAName is the TSTInfo's tsa directoryName, or else the TSA
	// certificate's subject, as a distinguished-name string.
	TSAName string
	// Cert is the TSA certificate that signed the token.
	Cert *smx509.Certificate
	// Chain is the verified chain, TSA certificate first.
	Chain []*smx509.Certificate

	tsaName []byte // the DER Name of the tsa field, when it is a directoryName
}

// Reply is a parsed TimeStampResp.
type Reply struct {
	Status   int
	Text     string
	FailInfo []byte // BIT STRING contents (without the unused-bits byte)
	Token    []byte // nil unless granted
}

// ParseReply reads a DER TimeStampResp strictly: a known status, the
// status text as UTF8Strings, a well-formed failure info, and nothing
// after any field (FuzzParseReply).
func ParseReply(der []byte) (*Reply, error) {
	if len(der) > MaxToken {
		return nil, ErrFormat
	}
	in := cryptobyte.String(der)
	var resp, st cryptobyte.String
	var status int64
	if !in.ReadASN1(&resp, cbasn1.SEQUENCE) || !in.Empty() || !resp.ReadASN1(&st, cbasn1.SEQUENCE) || !st.ReadASN1Integer(&status) ||
		status < 0 || status > 5 {
		return nil, ErrFormat
	}
	r := &Reply{Status: int(status)}
	if st.PeekASN1Tag(cbasn1.SEQUENCE) {
		var texts, s cryptobyte.String
		if !st.ReadASN1(&texts, cbasn1.SEQUENCE) || texts.Empty() {
			return nil, ErrFormat
		}
		for !texts.Empty() {
			if !texts.ReadASN1(&s, cbasn1.UTF8String) {
				return nil, ErrFormat
			}
			r.Text += string(s)
		}
	}
	if st.PeekASN1Tag(cbasn1.BIT_STRING) {
		var bits cryptobyte.String
		if !st.ReadASN1(&bits, cbasn1.BIT_STRING) || len(bits) < 1 || bits[0] > 7 || len(bits) == 1 && bits[0] != 0 {
			return nil, ErrFormat
		}
		r.FailInfo = append([]byte(nil), bits[1:]...)
	}
	if !st.Empty() {
		return nil, ErrFormat
	}
	if !resp.Empty() {
		var tok cryptobyte.String
		var tag cbasn1.Tag
		if !resp.ReadAnyASN1Element(&tok, &tag) || tag != cbasn1.SEQUENCE || !resp.Empty() {
			return nil, ErrFormat
		}
		r.Token = append([]byte(nil), tok...)
	}
	if (r.Status == StatusGranted || r.Status == 1) != (r.Token != nil) {
		return nil, ErrFormat
	}
	return r, nil
}

// Failed reports whether failure bit is set in the reply.
func (r *Reply) Failed(bit int) bool {
	return bit/8 < len(r.FailInfo) && r.FailInfo[bit/8]&(0x80>>(bit%8)) != 0
}

// VerifyToken verifies a time-stamp token: a SignedData of one SM2/SM3
// signer over a TSTInfo (content type id-ct-TSTInfo, read strictly),
// whose signer certificate is in the token and named by its signed ESS
// signingCertificate(V2) attribute, has a critical extendedKeyUsage of
// exactly timeStamping (RFC 3161 §2.3), and chains to trust at the
// token's genTime through CAs whose extendedKeyUsage (when they have one)
// allows time-stamping. It does not check the imprint (Token.Covers).
func VerifyToken(der []byte, trust *pki.TrustStore) (*Token, error) {
	if len(der) > MaxToken {
		return nil, ErrFormat
	}
	sd, err := pki.ParseCMS(der)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	if !sd.ContentType.Equal(pki.OIDTSTInfo()) || sd.Content == nil || len(sd.Signers) != 1 {
		return nil, fmt.Errorf("%w: not one signer over a TSTInfo", ErrFormat)
	}
	res, err := pki.VerifyAttached(der)
	if err != nil {
		if errors.Is(err, pki.ErrCMSFormat) {
			return nil, fmt.Errorf("%w: %v", ErrFormat, err)
		}
		if errors.Is(err, pki.ErrCMSUnsupported) {
			return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	t, err := parseTSTInfo(res.Content)
	if err != nil {
		return nil, err
	}
	t.Cert = res.Signers[0]
	if err := pki.CheckTimeStamping(t.Cert); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKeyPurpose, err)
	}
	if err := pki.CheckSigningCertificate(sd.Signers[0].SignedAttrs, t.Cert); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSigningCert, err)
	}
	if t.tsaName != nil && !bytes.Equal(t.tsaName, t.Cert.RawSubject) {
		return nil, fmt.Errorf("%w: the TSTInfo's tsa name is not the signer certificate's subject", ErrSigningCert)
	}
	if t.TSAName == "" {
		t.TSAName = t.Cert.Subject.String()
	}
	chains, err := trust.VerifyAt(t.Cert, res.Certificates, t.GenTime, true)
	switch {
	case errors.Is(err, pki.ErrNoChain):
		return t, fmt.Errorf("%w: %v", ErrNoChain, err)
	case err != nil:
		return t, fmt.Errorf("%w: %v", ErrChain, err)
	}
	chain, err := pki.TimeStampingChain(chains)
	if err != nil {
		return t, fmt.Errorf("%w: %v", ErrKeyPurpose, err)
	}
	t.Chain = chain
	return t, nil
}

// Covers checks that the token's imprint is the hash of data: SM3, or
// SHA-256 as some other TSAs are asked for (this TSA grants SM3 only).
func (t *Token) Covers(data []byte) error {
	var d []byte
	switch {
	case t.HashAlg.Equal(pki.OIDSM3()):
		h := pki.Digest(data)
		d = h[:]
	case t.HashAlg.Equal(oidSHA256):
		h := sha256.Sum256(data)
		d = h[:]
	default:
		return fmt.Errorf("%w: imprint hash %s is neither SM3 nor SHA-256", ErrUnsupported, t.HashAlg)
	}
	if !bytes.Equal(d, t.Imprint) {
		return ErrImprint
	}
	return nil
}

var oidSHA256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

// parseTSTInfo reads a DER TSTInfo (RFC 3161 §2.4.2) strictly: every
// field in its place and well formed, algorithm parameters absent or NULL,
// accuracy within its ranges, the tsa name one GeneralName, extensions
// well formed and none critical (this verifier knows none), and nothing
// after any field.
func parseTSTInfo(b []byte) (*Token, error) {
	bad := func(what string) error { return fmt.Errorf("%w: TSTInfo %s", ErrFormat, what) }
	in := cryptobyte.String(b)
	var seq, imprint, alg, hashed, gt cryptobyte.String
	var version int64
	t := &Token{Serial: new(big.Int)}
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&version) || version != 1 ||
		!seq.ReadASN1ObjectIdentifier(&t.Policy) || !seq.ReadASN1(&imprint, cbasn1.SEQUENCE) ||
		!imprint.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&t.HashAlg) ||
		!imprint.ReadASN1(&hashed, cbasn1.OCTET_STRING) || !imprint.Empty() || !seq.ReadASN1Integer(t.Serial) ||
		!seq.ReadASN1(&gt, cbasn1.GeneralizedTime) {
		return nil, bad("fields")
	}
	if !alg.Empty() {
		var null cryptobyte.String
		if !alg.ReadASN1(&null, cbasn1.NULL) || len(null) != 0 || !alg.Empty() {
			return nil, bad("hash algorithm parameters")
		}
	}
	t.Imprint = append([]byte(nil), hashed...)
	v, err := parseGenTime(string(gt))
	if err != nil {
		return nil, bad("genTime")
	}
	t.GenTime = v
	if seq.PeekASN1Tag(cbasn1.SEQUENCE) {
		var acc cryptobyte.String
		if !seq.ReadASN1(&acc, cbasn1.SEQUENCE) {
			return nil, bad("accuracy")
		}
		if t.Accuracy, err = parseAccuracy(acc); err != nil {
			return nil, bad("accuracy")
		}
	}
	if seq.PeekASN1Tag(cbasn1.BOOLEAN) {
		var ordering bool
		if !seq.ReadASN1Boolean(&ordering) {
			return nil, bad("ordering")
		}
	}
	if seq.PeekASN1Tag(cbasn1.INTEGER) {
		t.Nonce = new(big.Int)
		if !seq.ReadASN1Integer(t.Nonce) {
			return nil, bad("nonce")
		}
	}
	if seq.PeekASN1Tag(cbasn1.Tag(0).Constructed().ContextSpecific()) {
		var gn, name cryptobyte.String
		var tag cbasn1.Tag
		if !seq.ReadASN1(&gn, cbasn1.Tag(0).Constructed().ContextSpecific()) || !gn.ReadAnyASN1(&name, &tag) || !gn.Empty() {
			return nil, bad("tsa")
		}
		if tag == cbasn1.Tag(4).Constructed().ContextSpecific() { // directoryName
			var rdn pkix.RDNSequence
			if rest, err := asn1.Unmarshal(name, &rdn); err != nil || len(rest) != 0 {
				return nil, bad("tsa directoryName")
			}
			var n pkix.Name
			n.FillFromRDNSequence(&rdn)
			t.TSAName = n.String()
			t.tsaName = append([]byte(nil), name...)
		}
	}
	if seq.PeekASN1Tag(cbasn1.Tag(1).Constructed().ContextSpecific()) {
		var exts cryptobyte.String
		if !seq.ReadASN1(&exts, cbasn1.Tag(1).Constructed().ContextSpecific()) {
			return nil, bad("extensions")
		}
		list, err := parseExtensions(exts)
		if err != nil {
			return nil, bad("extensions")
		}
		for _, e := range list {
			if e.Critical {
				return nil, bad("critical extension " + e.ID.String())
			}
		}
	}
	if !seq.Empty() {
		return nil, bad("trailing data")
	}
	return t, nil
}

// parseAccuracy reads an Accuracy's contents: seconds, millis [0] and
// micros [1] (1..999), each optional.
func parseAccuracy(acc cryptobyte.String) (time.Duration, error) {
	var d time.Duration
	var n int64
	if acc.PeekASN1Tag(cbasn1.INTEGER) {
		if !acc.ReadASN1Integer(&n) || n < 0 || n > 1<<31 {
			return 0, ErrFormat
		}
		d += time.Duration(n) * time.Second
	}
	for i, unit := range []time.Duration{time.Millisecond, time.Microsecond} {
		tag := cbasn1.Tag(i).ContextSpecific()
		if acc.PeekASN1Tag(tag) {
			if !acc.ReadASN1Int64WithTag(&n, tag) || n < 1 || n > 999 {
				return 0, ErrFormat
			}
			d += time.Duration(n) * unit
		}
	}
	if !acc.Empty() {
		return 0, ErrFormat
	}
	return d, nil
}

// parseGenTime reads a DER GeneralizedTime: UTC ("Z"), optional fraction
// without trailing zeros.
func parseGenTime(s string) (time.Time, error) {
	for _, layout := range []string{"20060102150405Z", "20060102150405.999999999Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("genTime")
}
