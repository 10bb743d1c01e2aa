package tsa

import (
	"bytes"
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
	// Cert is the TSA certificate that signed the token.
	Cert *smx509.Certificate
	// Chain is the verified chain, TSA certificate first.
	Chain []*smx509.Certificate
}

// Reply is a parsed TimeStampResp.
type Reply struct {
	Status   int
	Text     string
	FailInfo []byte // BIT STRING contents (without the unused-bits byte)
	Token    []byte // nil unless granted
}

// ParseReply reads a DER TimeStampResp.
func ParseReply(der []byte) (*Reply, error) {
	if len(der) > MaxToken {
		return nil, ErrFormat
	}
	in := cryptobyte.String(der)
	var resp, st cryptobyte.String
	var status int64
	if !in.ReadASN1(&resp, cbasn1.SEQUENCE) || !in.Empty() || !resp.ReadASN1(&st, cbasn1.SEQUENCE) || !st.ReadASN1Integer(&status) {
		return nil, ErrFormat
	}
	r := &Reply{Status: int(status)}
	if st.PeekASN1Tag(cbasn1.SEQUENCE) {
		var texts, s cryptobyte.String
		if !st.ReadASN1(&texts, cbasn1.SEQUENCE) {
			return nil, ErrFormat
		}
		for texts.ReadASN1(&s, cbasn1.UTF8String) {
			r.Text += string(s)
		}
	}
	if st.PeekASN1Tag(cbasn1.BIT_STRING) {
		var bits cryptobyte.String
		if !st.ReadASN1(&bits, cbasn1.BIT_STRING) || len(bits) < 1 {
			return nil, ErrFormat
		}
		r.FailInfo = append([]byte(nil), bits[1:]...)
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
// signer over a TSTInfo (content type id-ct-TSTInfo), whose signer
// certificate is in the token, has a critical extendedKeyUsage of exactly
// timeStamping (RFC 3161 §2.3) and chains to trust at the token's genTime.
// It does not check the imprint (Token.Covers).
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
	chains, err := trust.VerifyAt(t.Cert, res.Certificates, t.GenTime, true)
	switch {
	case errors.Is(err, pki.ErrNoChain):
		return t, fmt.Errorf("%w: %v", ErrNoChain, err)
	case err != nil:
		return t, fmt.Errorf("%w: %v", ErrChain, err)
	}
	t.Chain = chains[0]
	return t, nil
}

// Covers checks that the token's imprint is the SM3 hash of data.
func (t *Token) Covers(data []byte) error {
	if !t.HashAlg.Equal(pki.OIDSM3()) {
		return fmt.Errorf("%w: imprint hash %s is not SM3", ErrImprint, t.HashAlg)
	}
	d := pki.Digest(data)
	if !bytes.Equal(d[:], t.Imprint) {
		return ErrImprint
	}
	return nil
}

// parseTSTInfo reads a DER TSTInfo (the fields this package uses; the rest
// must be well formed).
func parseTSTInfo(b []byte) (*Token, error) {
	bad := fmt.Errorf("%w: TSTInfo", ErrFormat)
	in := cryptobyte.String(b)
	var seq, imprint, alg, hashed, gt cryptobyte.String
	var version int64
	t := &Token{Serial: new(big.Int)}
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() || !seq.ReadASN1Integer(&version) || version != 1 ||
		!seq.ReadASN1ObjectIdentifier(&t.Policy) || !seq.ReadASN1(&imprint, cbasn1.SEQUENCE) ||
		!imprint.ReadASN1(&alg, cbasn1.SEQUENCE) || !alg.ReadASN1ObjectIdentifier(&t.HashAlg) ||
		!imprint.ReadASN1(&hashed, cbasn1.OCTET_STRING) || !seq.ReadASN1Integer(t.Serial) ||
		!seq.ReadASN1(&gt, cbasn1.GeneralizedTime) {
		return nil, bad
	}
	t.Imprint = append([]byte(nil), hashed...)
	v, err := parseGenTime(string(gt))
	if err != nil {
		return nil, bad
	}
	t.GenTime = v
	if seq.PeekASN1Tag(cbasn1.SEQUENCE) && !seq.SkipASN1(cbasn1.SEQUENCE) { // accuracy
		return nil, bad
	}
	if seq.PeekASN1Tag(cbasn1.BOOLEAN) && !seq.SkipASN1(cbasn1.BOOLEAN) { // ordering
		return nil, bad
	}
	if seq.PeekASN1Tag(cbasn1.INTEGER) {
		t.Nonce = new(big.Int)
		if !seq.ReadASN1Integer(t.Nonce) {
			return nil, bad
		}
	}
	return t, nil
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
