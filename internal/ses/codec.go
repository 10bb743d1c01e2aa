package ses

import (
	"encoding/asn1"
	"fmt"
	mbits "math/bits"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Version is the format version of a seal or signature, detected by
// structure (ses-format.md fact 7), not by the header's version number.
type Version int

// Format versions.
const (
	VersionUnknown Version = 0
	V1             Version = 1 // GM/T 0031-2014
	V4             Version = 4 // GB/T 38540-2020
	V5             Version = 5 // GM/T 0031-2025, read only
)

// String returns "v1", "v4", "v5" or "unknown".
func (v Version) String() string {
	switch v {
	case V1, V4, V5:
		return "v" + strconv.Itoa(int(v))
	}
	return "unknown"
}

// OIDSM2WithSM3 returns the OID of SM2-with-SM3 (1.2.156.10197.1.501), the
// only signature algorithm written.
func OIDSM2WithSM3() asn1.ObjectIdentifier {
	return asn1.ObjectIdentifier{1, 2, 156, 10197, 1, 501}
}

// Header is SES_Header.
type Header struct {
	ID      string // "ES"
	Version int64  // 4 for v4; 1 or 2 for v1
	VID     string // vendor identifier
}

// CertDigest is CertDigestObj (certListType 2).
type CertDigest struct {
	Type  string // digest algorithm name, e.g. "SM3"
	Value []byte
}

// ExtData is one ExtensionDatas entry.
type ExtData struct {
	ID       asn1.ObjectIdentifier
	Critical bool
	Value    []byte
}

// Picture is SES_ESPictureInfo. Width and Height are in millimetres.
type Picture struct {
	Type   string // PNG, JPG, GIF, BMP, SVG or OFD (case as found)
	Data   []byte
	Width  int64
	Height int64
}

// Certificate list types of SES_ESPropertyInfo (v4).
const (
	CertListCerts   = 1 // DER certificates
	CertListDigests = 2 // certificate digests
)

// Property is SES_ESPropertyInfo.
type Property struct {
	Type         int64
	Name         string
	CertListType int64 // 0 in v1, which has no such field
	Certs        [][]byte
	CertDigests  []CertDigest
	// CertListNote explains a certificate list read leniently (e.g. a
	// non-standard element where certificates belong); empty when standard.
	CertListNote string
	CreateDate   time.Time
	ValidStart   time.Time
	ValidEnd     time.Time
}

// SealInfo is SES_SealInfo.
type SealInfo struct {
	Header   Header
	ESID     string
	Property Property
	Picture  Picture
	// ExtDatas is present when HasExtDatas (an empty list may be present).
	ExtDatas    []ExtData
	HasExtDatas bool
}

// Seal is SESeal in any supported version. The Raw fields hold the exact
// bytes found in the input and are what verification hashes.
type Seal struct {
	Version     Version
	Info        SealInfo
	MakerCert   []byte // DER certificate of the seal maker
	SignAlgID   asn1.ObjectIdentifier
	SignedValue []byte // maker signature (BIT STRING contents)
	TimeStamp   []byte // v5 only, optional

	Raw     []byte // the whole SESeal TLV
	RawInfo []byte // TLV of SES_SealInfo
	RawCert []byte // TLV of the maker cert OCTET STRING
	RawAlg  []byte // TLV of the signature algorithm OID

	// Warnings lists lenient readings (non-canonical encodings, odd types).
	Warnings []outcome.Warning
	// SignedValueRestored counts the zero bytes restored at the end of
	// SignedValue (an encoder stripped them as unused bits; see bits).
	SignedValueRestored int
}

// MakerSignedMessage returns the bytes the maker signature covers
// (ses-format.md §4): the SES_SealInfo TLV in v4/v5; in v1 a fresh
// SEQUENCE header in front of the raw TLVs of esealInfo, cert and algorithm.
func (s *Seal) MakerSignedMessage() []byte {
	if s.Version != V1 {
		return s.RawInfo
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(s.RawInfo)
		b.AddBytes(s.RawCert)
		b.AddBytes(s.RawAlg)
	})
	return b.BytesOrPanic()
}

// TBSSign is TBS_Sign.
type TBSSign struct {
	Version int64
	Seal    *Seal
	// TimeInfo is the signing time when TimeInfoErr is empty. TimeInfoRaw
	// keeps the text as found (v1 writes free-form ASCII in a BIT STRING).
	TimeInfo    time.Time
	TimeInfoRaw string
	TimeInfoErr string
	DataHash    []byte
	// DataHashRestored counts the zero bytes restored at the end of
	// DataHash (an SM3 digest ending in 0x00 whose BIT STRING dropped them).
	DataHashRestored int
	PropertyInfo     string
	ExtDatas         []ExtData
	HasExtDatas      bool
}

// Signature is SES_Signature in any supported version. In v1 the signer
// certificate and algorithm sit inside TBS_Sign; they are exposed here as
// Cert and SignatureAlgID all the same.
type Signature struct {
	Version        Version
	TBS            TBSSign
	Cert           []byte
	SignatureAlgID asn1.ObjectIdentifier
	Value          []byte // signer signature (BIT STRING contents)
	TimeStamp      []byte // optional RFC 3161 token (v4/v5)

	Raw    []byte // the whole SES_Signature TLV
	RawTBS []byte // TLV of TBS_Sign: what the signer signature covers

	Warnings []outcome.Warning
	// ValueRestored counts the zero bytes restored at the end of Value.
	ValueRestored int
}

// SignedMessage returns the bytes the signer signature covers: the TBS_Sign TLV.
func (s *Signature) SignedMessage() []byte { return s.RawTBS }

// tlv is one element: its tag, full bytes and contents.
type tlv struct {
	tag     cbasn1.Tag
	full    []byte
	content []byte
}

func malformed(format string, args ...any) *apperr.Error {
	return apperr.New(apperr.Malformed, format, args...)
}

// readTLV reads one element from the front of b.
func readTLV(b []byte) (tlv, []byte, bool) {
	s := cryptobyte.String(b)
	var full cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1Element(&full, &tag) {
		return tlv{}, nil, false
	}
	c := full
	var content cryptobyte.String
	if !c.ReadAnyASN1(&content, &tag) {
		return tlv{}, nil, false
	}
	return tlv{tag: tag, full: []byte(full), content: []byte(content)}, []byte(s), true
}

// maxChildren bounds the elements read from one SEQUENCE.
const maxChildren = 4096

// children splits the contents of a constructed element into its elements.
func children(t tlv, what string) ([]tlv, error) {
	if t.tag&0x20 == 0 {
		return nil, malformed("%s: expected a SEQUENCE", what)
	}
	var out []tlv
	rest := t.content
	for len(rest) > 0 {
		if len(out) >= maxChildren {
			return nil, malformed("%s: too many elements", what)
		}
		c, r, ok := readTLV(rest)
		if !ok {
			return nil, malformed("%s: element %d is not valid DER", what, len(out)+1)
		}
		out = append(out, c)
		rest = r
	}
	return out, nil
}

func seqOf(t tlv, what string) ([]tlv, error) {
	if t.tag != cbasn1.SEQUENCE {
		return nil, malformed("%s: expected a SEQUENCE", what)
	}
	return children(t, what)
}

// readTop reads the single top-level SEQUENCE of b.
func readTop(b []byte, what string) (tlv, []byte, error) {
	if len(b) == 0 {
		return tlv{}, nil, malformed("%s: empty input", what)
	}
	t, rest, ok := readTLV(b)
	if !ok {
		return tlv{}, nil, malformed("%s: not valid DER", what)
	}
	if t.tag != cbasn1.SEQUENCE {
		return tlv{}, nil, malformed("%s: expected a SEQUENCE at the top", what)
	}
	return t, rest, nil
}

func isStringTag(tag cbasn1.Tag) bool {
	switch tag {
	case cbasn1.IA5String, cbasn1.UTF8String, cbasn1.PrintableString, cbasn1.Tag(26) /* VisibleString */, cbasn1.Tag(20) /* T61 */, cbasn1.OCTET_STRING:
		return true
	}
	return false
}

// str reads a character string. IA5String is standard; other string types
// are accepted with a warning.
func str(t tlv, want cbasn1.Tag, what string, warn *[]outcome.Warning) (string, error) {
	if !isStringTag(t.tag) {
		return "", malformed("%s: expected a character string", what)
	}
	if !utf8.Valid(t.content) {
		return "", malformed("%s: text is not valid UTF-8", what)
	}
	if t.tag != want && warn != nil {
		warnf(warn, outcome.WarnLenientReading, "%s: unexpected string type (tag %d)", what, int(t.tag))
	}
	return string(t.content), nil
}

// integer reads an INTEGER that fits in int64 (non-minimal encodings accepted).
func integer(t tlv, what string) (int64, error) {
	if t.tag != cbasn1.INTEGER || len(t.content) == 0 {
		return 0, malformed("%s: expected an INTEGER", what)
	}
	c := t.content
	for len(c) > 1 && (c[0] == 0 && c[1]&0x80 == 0 || c[0] == 0xff && c[1]&0x80 != 0) {
		c = c[1:]
	}
	if len(c) > 8 {
		return 0, malformed("%s: INTEGER too large", what)
	}
	var v int64
	if c[0]&0x80 != 0 {
		v = -1
	}
	for _, b := range c {
		v = v<<8 | int64(b)
	}
	return v, nil
}

func octets(t tlv, what string) ([]byte, error) {
	if t.tag != cbasn1.OCTET_STRING {
		return nil, malformed("%s: expected an OCTET STRING", what)
	}
	return t.content, nil
}

// warnf appends a warning.
func warnf(warn *[]outcome.Warning, code outcome.WarningCode, format string, args ...any) {
	*warn = append(*warn, outcome.Warning{Code: code, Detail: fmt.Sprintf(format, args...)})
}

// bitString is a BIT STRING read as bytes.
type bitString struct {
	b []byte
	// stripped says the encoder evidently drops trailing zero bits and
	// counts them as unused: the last byte is non-zero and its trailing zero
	// bits are exactly the unused bits. Such an encoder also drops whole
	// trailing 0x00 bytes, which restore puts back where the value's own
	// structure or fixed size shows them missing.
	stripped bool
}

// readBits reads a BIT STRING, honouring its unused-bits count: the unused
// bits of the last byte are not part of the value and read as zero. An
// OCTET STRING is accepted with a warning (seen in the wild for v1 timeInfo
// and dataHash).
func readBits(t tlv, what string, warn *[]outcome.Warning) (bitString, error) {
	switch t.tag {
	case cbasn1.BIT_STRING:
		if len(t.content) == 0 || t.content[0] > 7 || (len(t.content) == 1 && t.content[0] != 0) {
			return bitString{}, malformed("%s: invalid BIT STRING", what)
		}
		n := int(t.content[0])
		b := t.content[1:]
		if n == 0 {
			return bitString{b: b, stripped: len(b) > 0 && b[len(b)-1]&1 == 1}, nil
		}
		last := b[len(b)-1]
		warnf(warn, outcome.WarnBitStringUnusedBits, "%s: BIT STRING has %d unused bits", what, n)
		if mask := byte(1)<<n - 1; last&mask != 0 {
			warnf(warn, outcome.WarnLenientReading, "%s: the %d unused bits are not zero; they are not part of the value and were ignored", what, n)
			b = append([]byte{}, b...)
			b[len(b)-1] = last &^ mask
			return bitString{b: b}, nil
		}
		return bitString{b: b, stripped: mbits.TrailingZeros8(last) == n}, nil
	case cbasn1.OCTET_STRING:
		warnf(warn, outcome.WarnLenientReading, "%s: OCTET STRING where a BIT STRING belongs", what)
		return bitString{b: t.content}, nil
	}
	return bitString{}, malformed("%s: expected a BIT STRING", what)
}

// bits is readBits for values that are never restored.
func bits(t tlv, what string, warn *[]outcome.Warning) ([]byte, error) {
	v, err := readBits(t, what, warn)
	return v.b, err
}

// maxRestore bounds the zero bytes restore puts back: an SM2 INTEGER or an
// SM3 digest, the longest runs of zeros a stripping encoder can drop.
const maxRestore = hashBytes

// padDER returns b completed with the zero bytes its own DER header says
// are missing, or b and 0 when it is complete or not a DER element.
func padDER(b []byte) ([]byte, int) {
	if len(b) < 2 || b[0]&0x1f == 0x1f {
		return b, 0
	}
	l, hdr := int(b[1]), 2
	if l&0x80 != 0 {
		k := l & 0x7f
		if k == 0 || k > 3 || len(b) < 2+k {
			return b, 0
		}
		l = 0
		for _, x := range b[2 : 2+k] {
			l = l<<8 | int(x)
		}
		hdr += k
	}
	missing := hdr + l - len(b)
	if missing <= 0 || missing > maxRestore {
		return b, 0
	}
	return append(append([]byte{}, b...), make([]byte, missing)...), missing
}

// restoreSignature puts back the trailing zero bytes a stripping encoder
// dropped from a signature value: the bytes its DER SEQUENCE header
// declares, or up to 64 for raw r‖s, when the result decodes as a
// signature and the value as found does not.
func restoreSignature(v bitString) ([]byte, int) {
	if !v.stripped {
		return v.b, 0
	}
	if _, _, _, err := pki.DecodeSignature(v.b); err == nil {
		return v.b, 0
	}
	if len(v.b) > 0 && v.b[0] == 0x30 {
		if r, n := padDER(v.b); n > 0 {
			if _, _, _, err := pki.DecodeSignature(r); err == nil {
				return r, n
			}
		}
	}
	if n := 2*hashBytes - len(v.b); n > 0 && n <= maxRestore {
		r := append(append([]byte{}, v.b...), make([]byte, n)...)
		if _, _, _, err := pki.DecodeSignature(r); err == nil {
			return r, n
		}
	}
	return v.b, 0
}

// restoreDigest puts back the trailing zero bytes a stripping encoder
// dropped from a 32-byte SM3 digest.
func restoreDigest(v bitString) ([]byte, int) {
	n := hashBytes - len(v.b)
	if !v.stripped || n <= 0 {
		return v.b, 0
	}
	return append(append([]byte{}, v.b...), make([]byte, n)...), n
}

// restoreStructure puts back the trailing zero bytes a stripping encoder
// dropped from a DER structure held in a BIT STRING (a timestamp token).
func restoreStructure(v bitString, what string, warn *[]outcome.Warning) []byte {
	if !v.stripped {
		return v.b
	}
	r, n := padDER(v.b)
	if n > 0 {
		warnf(warn, outcome.WarnZeroBytesRestored, "%s: %d trailing zero byte(s) its DER header declares were restored (the encoder dropped them as unused bits)", what, n)
	}
	return r
}

func oid(t tlv, what string) (asn1.ObjectIdentifier, error) {
	if t.tag != cbasn1.OBJECT_IDENTIFIER {
		return nil, malformed("%s: expected an OBJECT IDENTIFIER", what)
	}
	s := cryptobyte.String(t.full)
	var o asn1.ObjectIdentifier
	if !s.ReadASN1ObjectIdentifier(&o) {
		return nil, malformed("%s: invalid OBJECT IDENTIFIER", what)
	}
	return o, nil
}

// chinaTime is the zone assumed for times written without one: every seal
// product seen writes local time in China (UTC+8) when it omits the zone.
func chinaTime() *time.Location { return time.FixedZone("UTC+8", 8*3600) }

// parseLenientTime reads a time in any of the forms seen in real files
// (fact 8); zoneless forms are read as UTC+8.
func parseLenientTime(s string) (time.Time, bool) {
	timeLayouts := [...]string{
		"20060102150405Z0700",
		"20060102150405.999999999Z0700",
		"060102150405Z0700",
		"0601021504Z0700",
		"2006-01-02T15:04:05Z07:00",
		"2006-01-02T15:04:05.999999999Z07:00",
	}
	zonelessLayouts := [...]string{
		"2006-01-02 15:04:05",
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05.999999999",
		"20060102150405",
		"2006/01/02 15:04:05",
		"060102150405",
	}
	s = strings.TrimSpace(strings.TrimRight(s, "\x00"))
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	for _, l := range zonelessLayouts {
		if t, err := time.ParseInLocation(l, s, chinaTime()); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// DER forms of the two time types: UTC ("Z"), whole seconds or a
// fraction without trailing zeros.
var (
	derGeneralized = regexp.MustCompile(`^[0-9]{14}(\.[0-9]*[1-9])?Z$`)
	derUTC         = regexp.MustCompile(`^[0-9]{12}Z$`)
	leadingDigits  = regexp.MustCompile(`^[0-9]*`)
)

// timeDeviation names how a time that was read differs from its DER form.
func timeDeviation(tag cbasn1.Tag, s, what string, v time.Time, warn *[]outcome.Warning) {
	if tag == cbasn1.UTCTime && derUTC.MatchString(s) || tag == cbasn1.GeneralizedTime && derGeneralized.MatchString(s) {
		return
	}
	zone := strings.ContainsAny(s, "Z+") || strings.Count(s, "-") > 2 || strings.LastIndex(s, "-") > 10
	switch {
	case tag == cbasn1.GeneralizedTime && len(leadingDigits.FindString(s)) == 12:
		warnf(warn, outcome.WarnTimeTwoDigitYear, "%s: GeneralizedTime %q has a two-digit year (read as %d)", what, s, v.Year())
	case !zone:
		warnf(warn, outcome.WarnTimeNoZone, "%s: time %q has no zone (\"Z\"); it was read as China time (UTC+8)", what, s)
	default:
		warnf(warn, outcome.WarnTimeNotDER, "%s: time %q is not in DER form (UTC with \"Z\", seconds)", what, s)
	}
}

// timeValue reads UTCTime or GeneralizedTime leniently; want is the tag the
// version prescribes (a different one gives a warning), and a time not in
// its DER form gives a warning naming the deviation.
func timeValue(t tlv, want cbasn1.Tag, what string, warn *[]outcome.Warning) (time.Time, error) {
	if t.tag != cbasn1.UTCTime && t.tag != cbasn1.GeneralizedTime {
		return time.Time{}, malformed("%s: expected a time", what)
	}
	if t.tag != want {
		warnf(warn, outcome.WarnLenientReading, "%s: unexpected time type", what)
	}
	s := string(t.content)
	if t.tag == cbasn1.UTCTime {
		for _, l := range [...]string{"060102150405Z0700", "0601021504Z0700"} {
			if v, err := time.Parse(l, s); err == nil {
				timeDeviation(t.tag, s, what, v, warn)
				return v.UTC(), nil
			}
		}
		for _, l := range [...]string{"060102150405", "0601021504"} {
			if v, err := time.ParseInLocation(l, s, chinaTime()); err == nil {
				timeDeviation(t.tag, s, what, v, warn)
				return v.UTC(), nil
			}
		}
		return time.Time{}, malformed("%s: invalid UTCTime", what)
	}
	v, ok := parseLenientTime(s)
	if !ok {
		return time.Time{}, malformed("%s: invalid GeneralizedTime", what)
	}
	timeDeviation(t.tag, s, what, v, warn)
	return v, nil
}

func parseExtDatas(t tlv, what string, warn *[]outcome.Warning) ([]ExtData, error) {
	items, err := seqOf(t, what)
	if err != nil {
		return nil, err
	}
	out := make([]ExtData, 0, len(items))
	for i, it := range items {
		w := fmt.Sprintf("%s[%d]", what, i)
		f, err := seqOf(it, w)
		if err != nil {
			return nil, err
		}
		if len(f) < 2 || len(f) > 3 {
			return nil, malformed("%s: expected 2 or 3 fields", w)
		}
		var e ExtData
		if e.ID, err = oid(f[0], w+".extnID"); err != nil {
			return nil, err
		}
		if len(f) == 3 {
			if f[1].tag != cbasn1.BOOLEAN || len(f[1].content) != 1 {
				return nil, malformed("%s.critical: expected a BOOLEAN", w)
			}
			e.Critical = f[1].content[0] != 0
			if !e.Critical {
				warnf(warn, outcome.WarnLenientReading, "%s.critical: explicit FALSE (not canonical DER)", w)
			}
		}
		if e.Value, err = octets(f[len(f)-1], w+".extnValue"); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// ParseSeal parses an SESeal of any supported version. The result keeps the
// raw TLVs; nothing is verified here.
func ParseSeal(der []byte) (*Seal, error) {
	top, rest, err := readTop(der, "SESeal")
	if err != nil {
		return nil, err
	}
	s, err := parseSealTLV(top)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		warnf(&s.Warnings, outcome.WarnLenientReading, "SESeal: %d trailing bytes ignored", len(rest))
	}
	return s, nil
}

func parseSealTLV(top tlv) (*Seal, error) {
	f, err := seqOf(top, "SESeal")
	if err != nil {
		return nil, err
	}
	s := &Seal{Raw: top.full}
	switch len(f) {
	case 2:
		s.Version = V1
	case 4:
		s.Version = V4
	case 5:
		s.Version = V5
	default:
		return nil, malformed("SESeal: %d fields is no known version (2 = v1, 4 = v4, 5 = v5)", len(f))
	}
	if err := s.parseInfo(f[0]); err != nil {
		return nil, err
	}
	if s.Version == V1 {
		si, err := seqOf(f[1], "SES_SignInfo")
		if err != nil {
			return nil, err
		}
		if len(si) != 3 {
			return nil, malformed("SES_SignInfo: expected 3 fields, found %d", len(si))
		}
		err = s.parseMakerSig(si[0], si[1], si[2])
		return s, err
	}
	if s.Version == V4 && s.Info.Header.Version == 5 {
		s.Version = V5
	}
	if err := s.parseMakerSig(f[1], f[2], f[3]); err != nil {
		return nil, err
	}
	if len(f) == 5 {
		ts := f[4]
		switch {
		case ts.tag == cbasn1.Tag(0).ContextSpecific():
			s.TimeStamp = ts.content // [0] IMPLICIT BIT STRING
			if len(s.TimeStamp) > 0 {
				s.TimeStamp = s.TimeStamp[1:]
			}
		case ts.tag == cbasn1.Tag(0).Constructed().ContextSpecific():
			in, _, ok := readTLV(ts.content)
			if !ok {
				return nil, malformed("SESeal.timeStamp: not valid DER")
			}
			v, err := readBits(in, "SESeal.timeStamp", &s.Warnings)
			if err != nil {
				return nil, err
			}
			s.TimeStamp = restoreStructure(v, "SESeal.timeStamp", &s.Warnings)
		default:
			return nil, malformed("SESeal: fifth field is not a [0] timeStamp")
		}
	}
	return s, nil
}

func (s *Seal) parseMakerSig(cert, alg, sig tlv) error {
	var err error
	s.RawCert, s.RawAlg = cert.full, alg.full
	if s.MakerCert, err = octets(cert, "SESeal.cert"); err != nil {
		return err
	}
	if s.SignAlgID, err = oid(alg, "SESeal.signAlgID"); err != nil {
		return err
	}
	v, err := readBits(sig, "SESeal.signedValue", &s.Warnings)
	if err != nil {
		return err
	}
	s.SignedValue, s.SignedValueRestored = restoreSignature(v)
	return nil
}

func (s *Seal) parseInfo(t tlv) error {
	s.RawInfo = t.full
	f, err := seqOf(t, "SES_SealInfo")
	if err != nil {
		return err
	}
	if len(f) < 4 || len(f) > 5 {
		return malformed("SES_SealInfo: expected 4 or 5 fields, found %d", len(f))
	}
	in := &s.Info
	h, err := seqOf(f[0], "SES_Header")
	if err != nil {
		return err
	}
	if len(h) != 3 {
		return malformed("SES_Header: expected 3 fields, found %d", len(h))
	}
	if in.Header.ID, err = str(h[0], cbasn1.IA5String, "SES_Header.id", &s.Warnings); err != nil {
		return err
	}
	if in.Header.Version, err = integer(h[1], "SES_Header.version"); err != nil {
		return err
	}
	if in.Header.VID, err = str(h[2], cbasn1.IA5String, "SES_Header.vid", &s.Warnings); err != nil {
		return err
	}
	if in.Header.ID != "ES" {
		warnf(&s.Warnings, outcome.WarnLenientReading, "SES_Header.id is %q, not \"ES\"", in.Header.ID)
	}
	if in.ESID, err = str(f[1], cbasn1.IA5String, "SES_SealInfo.esID", &s.Warnings); err != nil {
		return err
	}
	if err := s.parseProperty(f[2]); err != nil {
		return err
	}
	p, err := seqOf(f[3], "SES_ESPictureInfo")
	if err != nil {
		return err
	}
	if len(p) != 4 {
		return malformed("SES_ESPictureInfo: expected 4 fields, found %d", len(p))
	}
	if in.Picture.Type, err = str(p[0], cbasn1.IA5String, "SES_ESPictureInfo.type", &s.Warnings); err != nil {
		return err
	}
	if in.Picture.Data, err = octets(p[1], "SES_ESPictureInfo.data"); err != nil {
		return err
	}
	if in.Picture.Width, err = integer(p[2], "SES_ESPictureInfo.width"); err != nil {
		return err
	}
	if in.Picture.Height, err = integer(p[3], "SES_ESPictureInfo.height"); err != nil {
		return err
	}
	if len(f) == 5 {
		in.HasExtDatas = true
		if in.ExtDatas, err = parseExtDatas(f[4], "SES_SealInfo.extDatas", &s.Warnings); err != nil {
			return err
		}
	}
	return nil
}

func (s *Seal) parseProperty(t tlv) error {
	f, err := seqOf(t, "SES_ESPropertyInfo")
	if err != nil {
		return err
	}
	p := &s.Info.Property
	// v1 has no certListType: 6 fields; v4/v5: 7.
	want, timeTag := 7, cbasn1.GeneralizedTime
	if s.Version == V1 {
		want, timeTag = 6, cbasn1.UTCTime
	}
	if len(f) != want {
		return malformed("SES_ESPropertyInfo: expected %d fields for %s, found %d", want, s.Version, len(f))
	}
	if p.Type, err = integer(f[0], "SES_ESPropertyInfo.type"); err != nil {
		return err
	}
	if p.Name, err = str(f[1], cbasn1.UTF8String, "SES_ESPropertyInfo.name", &s.Warnings); err != nil {
		return err
	}
	i := 2
	if s.Version != V1 {
		if p.CertListType, err = integer(f[2], "SES_ESPropertyInfo.certListType"); err != nil {
			return err
		}
		i = 3
	}
	if err := s.parseCertList(f[i]); err != nil {
		return err
	}
	times := []*time.Time{&p.CreateDate, &p.ValidStart, &p.ValidEnd}
	names := []string{"createDate", "validStart", "validEnd"}
	for k := range times {
		if *times[k], err = timeValue(f[i+1+k], timeTag, "SES_ESPropertyInfo."+names[k], &s.Warnings); err != nil {
			return err
		}
	}
	return nil
}

func (s *Seal) parseCertList(t tlv) error {
	p := &s.Info.Property
	items, err := seqOf(t, "SES_ESPropertyInfo.certList")
	if err != nil {
		return err
	}
	if s.Version == V1 {
		return s.readCerts(items)
	}
	switch p.CertListType {
	case CertListCerts:
		return s.readCerts(items)
	case CertListDigests:
		return s.readDigests(items, &s.Warnings)
	}
	// An unknown type (one product writes 3 over a plain certificate list):
	// read the list as the type whose shape it has, and say so.
	if certsShape(items) {
		warnf(&s.Warnings, outcome.WarnCertListTypeUnknown, "SES_ESPropertyInfo.certListType %d is not 1 or 2; the list has the type 1 shape (certificates) and was read as such", p.CertListType)
		return s.readCerts(items)
	}
	var quiet []outcome.Warning
	if err := s.readDigests(items, &quiet); err == nil {
		warnf(&s.Warnings, outcome.WarnCertListTypeUnknown, "SES_ESPropertyInfo.certListType %d is not 1 or 2; the list has the type 2 shape (certificate digests) and was read as such", p.CertListType)
		s.Warnings = append(s.Warnings, quiet...)
		return nil
	}
	p.CertDigests = nil
	return malformed("SES_ESPropertyInfo.certListType: unknown value %d, and the list has neither the type 1 nor the type 2 shape", p.CertListType)
}

// certsShape reports whether every element is an OCTET STRING holding a
// SEQUENCE (a DER certificate).
func certsShape(items []tlv) bool {
	for _, it := range items {
		if it.tag != cbasn1.OCTET_STRING || len(it.content) == 0 || it.content[0] != 0x30 {
			return false
		}
	}
	return true
}

func (s *Seal) readDigests(items []tlv, warn *[]outcome.Warning) error {
	p := &s.Info.Property
	for i, it := range items {
		w := fmt.Sprintf("certDigestList[%d]", i)
		f, err := seqOf(it, w)
		if err != nil {
			return err
		}
		if len(f) != 2 {
			return malformed("%s: expected 2 fields", w)
		}
		var d CertDigest
		if d.Type, err = str(f[0], cbasn1.PrintableString, w+".type", warn); err != nil {
			return err
		}
		if d.Value, err = octets(f[1], w+".value"); err != nil {
			return err
		}
		p.CertDigests = append(p.CertDigests, d)
	}
	return nil
}

func (s *Seal) readCerts(items []tlv) error {
	p := &s.Info.Property
	for i, it := range items {
		if it.tag != cbasn1.OCTET_STRING {
			// dms360 writes an IA5String "1" here: keep reading, say so.
			p.CertListNote = fmt.Sprintf("certList[%d] is not a certificate (ASN.1 tag %d) — non-standard", i, int(it.tag))
			warnf(&s.Warnings, outcome.WarnLenientReading, "%s", p.CertListNote)
			continue
		}
		p.Certs = append(p.Certs, it.content)
	}
	return nil
}

// ParseSignature parses an SES_Signature of any supported version, with its
// embedded seal. Nothing is verified here.
func ParseSignature(der []byte) (*Signature, error) { return parseSignature(der, nil) }

// parseSignature is ParseSignature taking the embedded seal from seals
// (nil: parsed every time).
func parseSignature(der []byte, seals *sealMemo) (*Signature, error) {
	top, rest, err := readTop(der, "SES_Signature")
	if err != nil {
		return nil, err
	}
	f, err := children(top, "SES_Signature")
	if err != nil {
		return nil, err
	}
	s := &Signature{Raw: top.full}
	if len(rest) > 0 {
		warnf(&s.Warnings, outcome.WarnLenientReading, "SES_Signature: %d trailing bytes ignored", len(rest))
	}
	switch len(f) {
	case 2:
		s.Version = V1
	case 4, 5:
		s.Version = V4
	default:
		return nil, malformed("SES_Signature: %d fields is no known version (2 = v1, 4 or 5 = v4/v5)", len(f))
	}
	if err := s.parseTBS(f[0], seals); err != nil {
		return nil, err
	}
	if s.Version == V1 {
		return s, s.readValue(f[1])
	}
	if s.TBS.Seal.Version == V5 {
		s.Version = V5
	}
	if s.Cert, err = octets(f[1], "SES_Signature.cert"); err != nil {
		return nil, err
	}
	if s.SignatureAlgID, err = oid(f[2], "SES_Signature.signatureAlgID"); err != nil {
		return nil, err
	}
	if err := s.readValue(f[3]); err != nil {
		return nil, err
	}
	if len(f) == 5 {
		ts := f[4]
		if ts.tag != cbasn1.Tag(0).Constructed().ContextSpecific() {
			return nil, malformed("SES_Signature: fifth field is not a [0] EXPLICIT timeStamp")
		}
		in, r, ok := readTLV(ts.content)
		if !ok || len(r) > 0 {
			return nil, malformed("SES_Signature.timeStamp: not valid DER")
		}
		v, err := readBits(in, "SES_Signature.timeStamp", &s.Warnings)
		if err != nil {
			return nil, err
		}
		s.TimeStamp = restoreStructure(v, "SES_Signature.timeStamp", &s.Warnings)
	}
	return s, nil
}

func (s *Signature) readValue(t tlv) error {
	v, err := readBits(t, "SES_Signature.signature", &s.Warnings)
	if err != nil {
		return err
	}
	s.Value, s.ValueRestored = restoreSignature(v)
	return nil
}

func (s *Signature) parseTBS(t tlv, seals *sealMemo) error {
	s.RawTBS = t.full
	f, err := seqOf(t, "TBS_Sign")
	if err != nil {
		return err
	}
	tb := &s.TBS
	if s.Version == V1 {
		if len(f) != 7 {
			return malformed("TBS_Sign (v1): expected 7 fields, found %d", len(f))
		}
	} else if len(f) < 5 || len(f) > 6 {
		return malformed("TBS_Sign: expected 5 or 6 fields, found %d", len(f))
	}
	if tb.Version, err = integer(f[0], "TBS_Sign.version"); err != nil {
		return err
	}
	if f[1].tag != cbasn1.SEQUENCE {
		return malformed("TBS_Sign.eseal: expected a SEQUENCE")
	}
	if tb.Seal, err = seals.parse(f[1]); err != nil {
		return err
	}
	if err := s.parseTimeInfo(f[2]); err != nil {
		return err
	}
	dh, err := readBits(f[3], "TBS_Sign.dataHash", &s.Warnings)
	if err != nil {
		return err
	}
	tb.DataHash, tb.DataHashRestored = restoreDigest(dh)
	if tb.PropertyInfo, err = str(f[4], cbasn1.IA5String, "TBS_Sign.propertyInfo", &s.Warnings); err != nil {
		return err
	}
	if s.Version == V1 {
		if s.Cert, err = octets(f[5], "TBS_Sign.cert"); err != nil {
			return err
		}
		if s.SignatureAlgID, err = oid(f[6], "TBS_Sign.signatureAlgorithm"); err != nil {
			return err
		}
		return nil
	}
	if len(f) == 6 {
		x := f[5]
		if x.tag != cbasn1.Tag(0).Constructed().ContextSpecific() {
			return malformed("TBS_Sign.extDatas: expected [0] EXPLICIT")
		}
		in, r, ok := readTLV(x.content)
		if !ok || len(r) > 0 {
			return malformed("TBS_Sign.extDatas: not valid DER")
		}
		tb.HasExtDatas = true
		if tb.ExtDatas, err = parseExtDatas(in, "TBS_Sign.extDatas", &s.Warnings); err != nil {
			return err
		}
	}
	return nil
}

func (s *Signature) parseTimeInfo(t tlv) error {
	tb := &s.TBS
	switch t.tag {
	case cbasn1.GeneralizedTime, cbasn1.UTCTime:
		if s.Version == V1 {
			warnf(&s.Warnings, outcome.WarnLenientReading, "TBS_Sign.timeInfo: a time type where v1 has a BIT STRING")
		}
		tb.TimeInfoRaw = string(t.content)
		v, err := timeValue(t, cbasn1.GeneralizedTime, "TBS_Sign.timeInfo", &s.Warnings)
		if err != nil {
			tb.TimeInfoErr = apperr.As(err).Detail
			return nil
		}
		tb.TimeInfo = v
	case cbasn1.BIT_STRING, cbasn1.OCTET_STRING:
		if s.Version != V1 {
			warnf(&s.Warnings, outcome.WarnLenientReading, "TBS_Sign.timeInfo: a string where v4 has a GeneralizedTime")
		}
		b, err := bits(t, "TBS_Sign.timeInfo", &s.Warnings)
		if err != nil {
			return err
		}
		if !utf8.Valid(b) {
			tb.TimeInfoErr = "timeInfo is not text"
			tb.TimeInfoRaw = fmt.Sprintf("%x", b)
			return nil
		}
		tb.TimeInfoRaw = string(b)
		v, ok := parseLenientTime(tb.TimeInfoRaw)
		if !ok {
			tb.TimeInfoErr = fmt.Sprintf("timeInfo %q is in no known time format", tb.TimeInfoRaw)
			return nil
		}
		tb.TimeInfo = v
	default:
		return malformed("TBS_Sign.timeInfo: expected a time or a BIT STRING")
	}
	return nil
}
