package ses

import (
	"bytes"
	"crypto/ecdsa"
	"strings"
	"time"

	"github.com/emmansun/gmsm/smx509"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// Values written into every seal this project makes.
const (
	HeaderID  = "ES"
	VendorID  = "PledgeSeal"
	maxESID   = 128
	maxPicMM  = 1000
	hashBytes = 32
)

// PictureTypes are the picture types MakeSeal accepts (case-insensitive;
// written upper-case).
func PictureTypes() []string { return []string{"PNG", "JPG", "GIF", "BMP", "SVG", "OFD"} }

func normalisePictureType(t string) (string, bool) {
	u := strings.ToUpper(strings.TrimSpace(t))
	if u == "JPEG" {
		u = "JPG"
	}
	for _, p := range PictureTypes() {
		if u == p {
			return u, true
		}
	}
	return "", false
}

// SealRequest describes a v4 seal to make.
type SealRequest struct {
	ESID string // seal identifier (IA5)
	Type int64  // business-defined seal type
	Name string
	// SignerCerts are the DER certificates allowed to sign with the seal
	// (certListType 1). Alternatively CertDigests (certListType 2): exactly
	// one of the two must be set.
	SignerCerts [][]byte
	CertDigests []CertDigest
	ValidStart  time.Time
	ValidEnd    time.Time
	Picture     Picture
	ExtDatas    []ExtData
}

// Maker is a seal maker: its signer (key) and DER certificate.
type Maker struct {
	Signer pki.Signer
	Cert   []byte
}

func checkSignerCert(s pki.Signer, der []byte, who string) (*smx509.Certificate, error) {
	if s == nil {
		return nil, apperr.New(apperr.Malformed, "%s key is missing", who)
	}
	c, err := pki.ParseCertificate(der)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "%s certificate cannot be parsed", who)
	}
	pub, ok := c.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(s.Public()) {
		return nil, apperr.New(apperr.Malformed, "%s key does not match the %s certificate", who, who)
	}
	if c.KeyUsage != 0 && c.KeyUsage&smx509.KeyUsageDigitalSignature == 0 {
		return nil, apperr.New(apperr.Malformed, "%s certificate lacks keyUsage digitalSignature", who)
	}
	return c, nil
}

// MakeSeal makes, signs and returns a v4 seal (header "ES", version 4, vid
// "PledgeSeal"). createDate is clk.Now(). The request is checked before
// signing; the maker certificate must be valid now. The returned Seal is the
// parse of the bytes written, so its Raw fields are set.
func MakeSeal(req SealRequest, maker Maker, clk clock.Clock) (*Seal, error) {
	now := canonicalTime(clk.Now())
	mc, err := checkSignerCert(maker.Signer, maker.Cert, "seal maker")
	if err != nil {
		return nil, err
	}
	if now.Before(mc.NotBefore) || now.After(mc.NotAfter) {
		return nil, apperr.New(apperr.Malformed, "the seal maker certificate is not valid now")
	}
	if req.ESID == "" || len(req.ESID) > maxESID {
		return nil, apperr.New(apperr.Malformed, "esID must have 1 to %d characters", maxESID)
	}
	if strings.TrimSpace(req.Name) == "" {
		return nil, apperr.New(apperr.Malformed, "the seal name is empty")
	}
	if req.Type < 0 {
		return nil, apperr.New(apperr.Malformed, "the seal type must not be negative")
	}
	start, end := canonicalTime(req.ValidStart), canonicalTime(req.ValidEnd)
	if !end.After(start) {
		return nil, apperr.New(apperr.Malformed, "the seal validity ends before it starts")
	}
	prop := Property{Type: req.Type, Name: req.Name, CreateDate: now, ValidStart: start, ValidEnd: end}
	switch {
	case len(req.SignerCerts) > 0 && len(req.CertDigests) == 0:
		prop.CertListType = CertListCerts
		for i, c := range req.SignerCerts {
			if _, err := pki.ParseCertificate(c); err != nil {
				return nil, apperr.Wrap(apperr.Malformed, err, "signer certificate %d cannot be parsed", i+1)
			}
		}
		prop.Certs = req.SignerCerts
	case len(req.CertDigests) > 0 && len(req.SignerCerts) == 0:
		prop.CertListType = CertListDigests
		for i, d := range req.CertDigests {
			if !strings.EqualFold(d.Type, "SM3") || len(d.Value) != hashBytes {
				return nil, apperr.New(apperr.Malformed, "certificate digest %d must be a 32-byte SM3 digest", i+1)
			}
		}
		prop.CertDigests = req.CertDigests
	default:
		return nil, apperr.New(apperr.Malformed, "give either signer certificates or certificate digests")
	}
	pic := req.Picture
	typ, ok := normalisePictureType(pic.Type)
	if !ok {
		return nil, apperr.New(apperr.Malformed, "picture type %q is not one of %s", pic.Type, strings.Join(PictureTypes(), ", "))
	}
	pic.Type = typ
	if len(pic.Data) == 0 {
		return nil, apperr.New(apperr.Malformed, "the seal picture is empty")
	}
	if pic.Width <= 0 || pic.Height <= 0 || pic.Width > maxPicMM || pic.Height > maxPicMM {
		return nil, apperr.New(apperr.Malformed, "picture width and height must be 1 to %d mm", maxPicMM)
	}
	info := SealInfo{
		Header:      Header{ID: HeaderID, Version: 4, VID: VendorID},
		ESID:        req.ESID,
		Property:    prop,
		Picture:     pic,
		ExtDatas:    req.ExtDatas,
		HasExtDatas: len(req.ExtDatas) > 0,
	}
	infoDER, err := EncodeSealInfo(&info)
	if err != nil {
		return nil, err
	}
	sig, err := maker.Signer.SignMessage(infoDER)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "the seal maker key could not sign")
	}
	if sig, err = pki.NormalizeSignature(sig); err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "the seal maker key returned a malformed signature")
	}
	s := &Seal{Version: V4, Info: info, MakerCert: maker.Cert, SignAlgID: OIDSM2WithSM3(), SignedValue: sig}
	der, err := s.Encode()
	if err != nil {
		return nil, err
	}
	out, err := ParseSeal(der)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "a seal we made does not parse")
	}
	if !bytes.Equal(out.RawInfo, infoDER) {
		return nil, apperr.New(apperr.Internal, "seal info changed while encoding")
	}
	return out, nil
}

// SignRequest describes data to sign with a seal.
type SignRequest struct {
	Seal *Seal
	// DataHash is SM3 of the protected data (use DataDigest).
	DataHash     []byte
	PropertyInfo string // what was signed (OFD: path of Signature.xml)
	ExtDatas     []ExtData
}

// DataDigest returns SM3(data) as a slice, the dataHash of TBS_Sign.
func DataDigest(data []byte) []byte {
	d := pki.Digest(data)
	return d[:]
}

// Signer is a seal user (签章者): its signer (key) and DER certificate.
type Signer struct {
	Signer pki.Signer
	Cert   []byte
}

// Sign makes an SES_Signature v4 over req.DataHash with the signing time
// clk.Now(). The seal must be v4, valid now, and list the signer's
// certificate; the signer certificate must be valid now. The returned
// Signature is the parse of the bytes written.
func Sign(req SignRequest, signer Signer, clk clock.Clock) (*Signature, error) {
	now := canonicalTime(clk.Now())
	if req.Seal == nil || req.Seal.Raw == nil {
		return nil, apperr.New(apperr.Malformed, "no seal given (use a parsed seal)")
	}
	if req.Seal.Version != V4 {
		return nil, apperr.New(apperr.Unsupported, "only v4 seals can sign new data, this seal is %s", req.Seal.Version)
	}
	sc, err := checkSignerCert(signer.Signer, signer.Cert, "signer")
	if err != nil {
		return nil, err
	}
	if now.Before(sc.NotBefore) || now.After(sc.NotAfter) {
		return nil, apperr.New(apperr.Malformed, "the signer certificate is not valid now")
	}
	p := req.Seal.Info.Property
	if now.Before(p.ValidStart) || now.After(p.ValidEnd) {
		return nil, apperr.New(apperr.Conflict, "the seal is outside its validity window now")
	}
	if ok, _ := certInList(req.Seal, signer.Cert); !ok {
		return nil, apperr.New(apperr.Forbidden, "the signer certificate is not in the seal's certificate list")
	}
	if len(req.DataHash) != hashBytes {
		return nil, apperr.New(apperr.Malformed, "dataHash must be a 32-byte SM3 digest")
	}
	tbs := TBSSign{
		Version: 4, Seal: req.Seal, TimeInfo: now, DataHash: req.DataHash,
		PropertyInfo: req.PropertyInfo, ExtDatas: req.ExtDatas, HasExtDatas: len(req.ExtDatas) > 0,
	}
	tbsDER, err := EncodeTBS(&tbs)
	if err != nil {
		return nil, err
	}
	sig, err := signer.Signer.SignMessage(tbsDER)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "the signer key could not sign")
	}
	if sig, err = pki.NormalizeSignature(sig); err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "the signer key returned a malformed signature")
	}
	s := &Signature{Version: V4, TBS: tbs, Cert: signer.Cert, SignatureAlgID: OIDSM2WithSM3(), Value: sig}
	der, err := s.Encode()
	if err != nil {
		return nil, err
	}
	out, err := ParseSignature(der)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "a signature we made does not parse")
	}
	if !bytes.Equal(out.RawTBS, tbsDER) {
		return nil, apperr.New(apperr.Internal, "TBS_Sign changed while encoding")
	}
	return out, nil
}

// certInList reports whether the DER certificate cert is allowed by the
// seal's certificate list (by bytes for certListType 1, by SM3 digest for
// type 2), and a reason when it is not.
func certInList(s *Seal, cert []byte) (bool, string) {
	p := s.Info.Property
	if s.Version != V1 && (p.CertListType == CertListDigests || len(p.CertDigests) > 0) {
		d := pki.Digest(cert)
		for _, cd := range p.CertDigests {
			if bytes.Equal(cd.Value, d[:]) {
				return true, "the signer certificate's SM3 digest is in the seal's digest list"
			}
		}
		return false, "the signer certificate's SM3 digest is not in the seal's digest list"
	}
	for _, c := range p.Certs {
		if bytes.Equal(c, cert) {
			return true, "the signer certificate is in the seal's certificate list"
		}
	}
	if len(p.Certs) == 0 {
		if p.CertListNote != "" {
			return false, "the seal's certificate list holds no certificates: " + p.CertListNote
		}
		return false, "the seal's certificate list is empty"
	}
	return false, "the signer certificate is not in the seal's certificate list"
}

// VerifyMakerSignature checks only the seal maker's SM2 signature over the
// bytes ses-format.md §4 names for the seal's version, with the maker
// certificate read leniently. It is the quick test a registry runs on import;
// chains, validity and status need a Verifier.
func (s *Seal) VerifyMakerSignature() error {
	c, err := pki.ParseCertificateLenient(s.MakerCert)
	if err != nil {
		return apperr.Wrap(apperr.Malformed, err, "the seal maker certificate is unreadable")
	}
	if !s.SignAlgID.Equal(OIDSM2WithSM3()) {
		return apperr.New(apperr.Unsupported, "seal signature algorithm %s is not SM2-with-SM3", s.SignAlgID)
	}
	if !pki.VerifyMessage(c.PublicKey, s.MakerSignedMessage(), s.SignedValue) {
		return apperr.New(apperr.Malformed, "the seal maker signature does not verify")
	}
	return nil
}
