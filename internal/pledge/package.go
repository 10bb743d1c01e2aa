package pledge

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/jcs"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// PackageFormat names the package format.
const PackageFormat = "pledgeseal.package/v1"

// Package bounds.
const (
	MaxPackage         = jcs.MaxInput // 1 MiB of JSON
	maxPackageCerts    = 10
	maxPackageCert     = 16 << 10
	maxPackageSES      = 512 << 10 // a seal may carry a picture
	maxPackageURL      = 2048
	maxPackageNoticeSz = 256 << 10
)

// Package is the self-contained JSON package that applicant and agency
// download: everything needed to verify the pledge offline, and where to ask
// for its status now. Binary members are standard base64 with padding.
type Package struct {
	Format             string           `json:"format"`
	PledgeID           string           `json:"pledgeId"`
	Document           string           `json:"document"`
	ApplicantSignature PackageSignature `json:"applicantSignature"`
	Notice             PackageNotice    `json:"notice"`
	AgencySeal         *PackageSeal     `json:"agencySeal,omitempty"`
	Certificates       []string         `json:"certificates"`
	StatusURL          string           `json:"statusUrl"`
}

// PackageSignature is the applicant's detached CMS over Document.
type PackageSignature struct {
	Way string `json:"way"`
	CMS string `json:"cms"`
}

// PackageNotice is the notice version the pledge binds, with the agency's
// SES over its canonical bytes.
type PackageNotice struct {
	Document string `json:"document"`
	SES      string `json:"ses"`
}

// PackageSeal is the agency's counter-seal: an SES over SealedData (see
// SignedPledgeBytes), with the decision.
type PackageSeal struct {
	SealedData string `json:"sealedData"`
	SES        string `json:"ses"`
	DocumentNo string `json:"documentNo"`
	Date       string `json:"date"`
}

// BuildPackage assembles the package of r with the notice it binds. The
// certificates are exactly r's applicant chain as validated at signing
// (signer first, anchor last): a verifier requires the chain it uses to be
// the one carried. statusURL is the status link of a pledge not decided
// yet; a decided pledge carries the link its decision statement seals.
func BuildPackage(r Record, n PublishedNotice, statusURL string) ([]byte, error) {
	b64 := base64.StdEncoding.EncodeToString
	p := Package{
		Format:             PackageFormat,
		PledgeID:           r.ID,
		Document:           b64(r.Document),
		ApplicantSignature: PackageSignature{Way: r.Way, CMS: b64(r.ApplicantCMS)},
		Notice:             PackageNotice{Document: b64(n.Canonical), SES: b64(n.Seal)},
		StatusURL:          statusURL,
		Certificates:       []string{},
	}
	if r.Decision != nil {
		p.AgencySeal = &PackageSeal{SealedData: b64(r.Decision.SealedData), SES: b64(r.Decision.AgencySES),
			DocumentNo: r.Decision.DocumentNo, Date: r.Decision.Date}
		sd, err := ParseSealedData(r.Decision.SealedData)
		if err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "the stored decision does not parse")
		}
		if !sd.Legacy {
			p.StatusURL = sd.Statement.StatusURL
		}
	}
	for _, c := range r.Certificates {
		p.Certificates = append(p.Certificates, b64(c))
	}
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "cannot encode the package")
	}
	if _, err := ParsePackage(out); err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "built package does not parse")
	}
	return out, nil
}

// ParsedPackage is a package whose structure has been checked: every member
// decodes, the document is canonical and well formed, every DER member is
// one complete DER structure and every certificate parses. Nothing about
// signatures, digests or status has been checked yet.
type ParsedPackage struct {
	Package      Package
	Document     []byte
	Doc          *Document
	ApplicantCMS []byte
	NoticeBytes  []byte
	Notice       *Notice
	NoticeSES    []byte
	// SealedData and AgencySES are nil when the pledge is not accepted;
	// Sealed is then the zero value, else the parse of SealedData.
	SealedData   []byte
	Sealed       SealedData
	AgencySES    []byte
	Certificates []*smx509.Certificate
}

func pkgErr(code apperr.Code, format string, args ...any) error {
	return apperr.New(apperr.Malformed, format, args...).WithCode(code)
}

// ParsePackage parses a package strictly: size bounded, valid I-JSON with no
// duplicate member names, no unknown fields, no trailing data, strict
// base64, complete DER, strictly parsed certificates and a canonical pledge
// document that names the package's pledge and notice. Every failure is an
// *apperr.Error (Malformed or TooLarge) with a stable code.
func ParsePackage(b []byte) (*ParsedPackage, error) {
	return parsePackage(b, nil)
}

// PackageParser parses packages as ParsePackage does and remembers the
// parse of up to a fixed number of embedded notices by the SM3 digest of
// their bytes: every package of one notice version carries the same notice
// bytes, so a verifier that sees many packages parses each notice once. It
// is safe for concurrent use. The Notice of a package it returns is a copy
// of the cached value whose slices are shared: treat it as read-only.
//
// It also keeps the parse of up to maxCACerts CA certificates by their
// exact DER (an applicant CA is in every package it issued for); leaf
// certificates, new in every package, are parsed each time. Certificates
// are shared between the packages returned: never modify them.
type PackageParser struct {
	mu      sync.Mutex
	max     int
	notices map[[32]byte]*Notice
	order   [][32]byte // insertion order, for eviction
	cas     map[string]*smx509.Certificate
	caOrder []string
}

// maxCACerts bounds the CA certificates a PackageParser keeps.
const maxCACerts = 64

// NewPackageParser returns a parser that caches up to maxNotices notices
// (at least 1).
func NewPackageParser(maxNotices int) *PackageParser {
	if maxNotices < 1 {
		maxNotices = 1
	}
	return &PackageParser{max: maxNotices, notices: make(map[[32]byte]*Notice, maxNotices), cas: make(map[string]*smx509.Certificate)}
}

// certificate parses der strictly, from the cache when it is a CA
// certificate parsed before. Only successful parses are kept.
func (pp *PackageParser) certificate(der []byte) (*smx509.Certificate, error) {
	if pp == nil {
		return pki.ParseCertificate(der)
	}
	pp.mu.Lock()
	c, ok := pp.cas[string(der)]
	pp.mu.Unlock()
	if ok {
		return c, nil
	}
	c, err := pki.ParseCertificate(der)
	if err != nil || !c.IsCA {
		return c, err
	}
	key := string(der)
	pp.mu.Lock()
	if _, ok := pp.cas[key]; !ok {
		if len(pp.caOrder) >= maxCACerts {
			delete(pp.cas, pp.caOrder[0])
			pp.caOrder = pp.caOrder[1:]
		}
		pp.cas[key] = c
		pp.caOrder = append(pp.caOrder, key)
	}
	pp.mu.Unlock()
	return c, nil
}

// Parse parses b strictly, exactly as ParsePackage does.
func (pp *PackageParser) Parse(b []byte) (*ParsedPackage, error) { return parsePackage(b, pp) }

// CachedNotices returns the number of notices in the cache.
func (pp *PackageParser) CachedNotices() int {
	pp.mu.Lock()
	defer pp.mu.Unlock()
	return len(pp.notices)
}

// notice returns the parse of b, from the cache when b was parsed before.
// Only successful parses are cached, so errors are always the parser's own.
func (pp *PackageParser) notice(b []byte) (*Notice, error) {
	if pp == nil {
		return parseNotice(b)
	}
	key := pki.Digest(b)
	pp.mu.Lock()
	n, ok := pp.notices[key]
	pp.mu.Unlock()
	if ok {
		c := *n
		return &c, nil
	}
	n, err := parseNotice(b)
	if err != nil {
		return nil, err
	}
	stored := *n
	pp.mu.Lock()
	if _, ok := pp.notices[key]; !ok {
		if len(pp.order) >= pp.max {
			delete(pp.notices, pp.order[0])
			pp.order = pp.order[1:]
		}
		pp.notices[key] = &stored
		pp.order = append(pp.order, key)
	}
	pp.mu.Unlock()
	return n, nil
}

func parsePackage(b []byte, pp *PackageParser) (*ParsedPackage, error) {
	if len(b) > MaxPackage {
		return nil, apperr.New(apperr.TooLarge, "the package is larger than %d bytes", MaxPackage).WithCode(apperr.CodePackageTooLarge)
	}
	p, err := decodePackage(b)
	if err != nil {
		return nil, err
	}
	return checkPackage(p, pp)
}

// checkPackage checks and decodes the members of a decoded package.
func checkPackage(p Package, pp *PackageParser) (*ParsedPackage, error) {
	var err error
	if p.Format != PackageFormat {
		return nil, pkgErr(apperr.CodePackageFormat, "unknown package format %q", p.Format)
	}
	if err := checkCode("pledgeId", p.PledgeID); err != nil {
		return nil, err
	}
	out := &ParsedPackage{Package: p}
	if out.Document, err = decodeB64("document", p.Document, MaxDocument); err != nil {
		return nil, err
	}
	if out.Doc, err = ParseDocument(out.Document); err != nil {
		return nil, err
	}
	if out.Doc.PledgeID != p.PledgeID {
		return nil, pkgErr(apperr.CodePackageInconsistent, "the document names another pledge than the package")
	}
	if p.ApplicantSignature.Way != WayEventCertificate && p.ApplicantSignature.Way != WayOwnCertificate {
		return nil, pkgErr(apperr.CodePackageMalformed, "applicantSignature.way must be %s or %s", WayEventCertificate, WayOwnCertificate)
	}
	if out.ApplicantCMS, err = decodeDER("applicantSignature.cms", p.ApplicantSignature.CMS, maxCMS); err != nil {
		return nil, err
	}
	if err := checkContentInfo(out.ApplicantCMS); err != nil {
		return nil, err
	}
	if out.NoticeBytes, err = decodeB64("notice.document", p.Notice.Document, maxPackageNoticeSz); err != nil {
		return nil, err
	}
	if out.Notice, err = pp.notice(out.NoticeBytes); err != nil {
		return nil, err
	}
	if out.Notice.ID != out.Doc.Notice.ID || out.Notice.Version != out.Doc.Notice.Version {
		return nil, pkgErr(apperr.CodePackageInconsistent, "the notice in the package is not the version the document names")
	}
	if out.NoticeSES, err = decodeDER("notice.ses", p.Notice.SES, maxPackageSES); err != nil {
		return nil, err
	}
	if s := p.AgencySeal; s != nil {
		if out.SealedData, err = decodeB64("agencySeal.sealedData", s.SealedData, 4096); err != nil {
			return nil, err
		}
		if out.Sealed, err = ParseSealedData(out.SealedData); err != nil {
			return nil, err
		}
		if out.AgencySES, err = decodeDER("agencySeal.ses", s.SES, maxPackageSES); err != nil {
			return nil, err
		}
		if err := requireString("agencySeal.documentNo", s.DocumentNo, maxShort); err != nil {
			return nil, err
		}
		if _, err := time.Parse(time.DateOnly, s.Date); err != nil {
			return nil, pkgErr(apperr.CodePackageMalformed, "agencySeal.date must be YYYY-MM-DD")
		}
	}
	if len(p.Certificates) > maxPackageCerts {
		return nil, pkgErr(apperr.CodePackageMalformed, "at most %d certificates", maxPackageCerts)
	}
	for i, c := range p.Certificates {
		der, err := decodeDER("certificates", c, maxPackageCert)
		if err != nil {
			return nil, err
		}
		cert, err := pp.certificate(der)
		if err != nil {
			return nil, apperr.Wrap(apperr.Malformed, err, "certificates[%d] is not a valid X.509 certificate", i).WithCode(apperr.CodePackageBadCertificate)
		}
		out.Certificates = append(out.Certificates, cert)
	}
	if err := checkStatusURL(p.StatusURL); err != nil {
		return nil, err
	}
	return out, nil
}

// decodePackage decodes b strictly into a Package: valid I-JSON, exactly
// the members of the format. The common shape takes decodePackageFast;
// anything else the full path, which chooses the error.
func decodePackage(b []byte) (Package, error) {
	if p, ok := decodePackageFast(b); ok {
		return p, nil
	}
	return decodePackageFull(b)
}

// decodePackageFull is the general path: canonicalise, decode with
// encoding/json, and require the decoded value to re-encode to the
// canonical input.
func decodePackageFull(b []byte) (Package, error) {
	// Canonicalising first refuses duplicate names, invalid UTF-8 and lone
	// surrogates, which encoding/json would silently accept.
	canon, err := jcs.Canonicalize(b)
	if err != nil {
		return Package{}, apperr.Wrap(apperr.Malformed, err, "the package is not valid JSON").WithCode(apperr.CodePackageMalformed)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p Package
	if err := dec.Decode(&p); err != nil {
		return Package{}, apperr.Wrap(apperr.Malformed, err, "the package does not match the format %s (unknown or mistyped field)", PackageFormat).WithCode(apperr.CodePackageMalformed)
	}
	// encoding/json matches names case-insensitively and leaves absent
	// members at zero: the decoded package must re-encode to the same
	// canonical JSON, so only the exact schema passes.
	if !bytes.Equal(appendCanonicalPackage(make([]byte, 0, len(canon)), &p), canon) {
		return Package{}, pkgErr(apperr.CodePackageMalformed, "the package does not match the format %s exactly (member names, types or missing members)", PackageFormat)
	}
	return p, nil
}

func decodeB64(field, s string, limit int) ([]byte, error) {
	if s == "" {
		return nil, pkgErr(apperr.CodePackageMalformed, "%s is required", field)
	}
	if base64.StdEncoding.DecodedLen(len(s)) > limit+2 {
		return nil, apperr.New(apperr.TooLarge, "%s is larger than %d bytes", field, limit).WithCode(apperr.CodePackageTooLarge)
	}
	// Strict decoding still skips CR and LF, so refuse them first.
	if strings.ContainsAny(s, "\r\n") {
		return nil, pkgErr(apperr.CodePackageBadBase64, "%s is not valid base64 (standard alphabet, padded, no line breaks)", field)
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "%s is not valid base64 (standard alphabet, padded, no line breaks)", field).WithCode(apperr.CodePackageBadBase64)
	}
	if len(b) > limit {
		return nil, apperr.New(apperr.TooLarge, "%s is larger than %d bytes", field, limit).WithCode(apperr.CodePackageTooLarge)
	}
	return b, nil
}

// decodeDER decodes base64 and checks the bytes are exactly one DER
// SEQUENCE with nothing after it.
func decodeDER(field, s string, limit int) ([]byte, error) {
	b, err := decodeB64(field, s, limit)
	if err != nil {
		return nil, err
	}
	var raw asn1.RawValue
	rest, err := asn1.Unmarshal(b, &raw)
	if err != nil || len(rest) != 0 || raw.Class != asn1.ClassUniversal || raw.Tag != asn1.TagSequence || !raw.IsCompound {
		return nil, pkgErr(apperr.CodePackageBadDER, "%s is not one complete DER SEQUENCE", field)
	}
	return b, nil
}

var (
	oidSignedData   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidSMSignedData = asn1.ObjectIdentifier{1, 2, 156, 10197, 6, 1, 4, 2, 2}
)

// checkContentInfo checks the outer CMS ContentInfo names SignedData.
func checkContentInfo(der []byte) error {
	var ci struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue `asn1:"explicit,optional,tag:0"`
	}
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil || len(rest) != 0 {
		return pkgErr(apperr.CodePackageBadDER, "applicantSignature.cms is not a CMS ContentInfo")
	}
	if !ci.ContentType.Equal(oidSignedData) && !ci.ContentType.Equal(oidSMSignedData) {
		return pkgErr(apperr.CodePackageBadDER, "applicantSignature.cms is not a SignedData")
	}
	return nil
}

// parseNotice parses canonical notice bytes strictly.
func parseNotice(b []byte) (*Notice, error) {
	// Fast path: bytes that decode and re-encode to themselves are
	// canonical (the re-encoding is Canonicalize's output, a fixed point),
	// so the separate IsCanonical pass below can only agree. Anything else
	// takes the full path, which chooses the error.
	if n, ok := decodeNoticeExact(b); ok {
		return n, nil
	}
	if !jcs.IsCanonical(b) {
		return nil, pkgErr(apperr.CodeNoticeNotCanonical, "the notice in the package is not canonical JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var n Notice
	if err := dec.Decode(&n); err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "the notice in the package does not match %s", NoticeFormat).WithCode(apperr.CodeNoticeMalformed)
	}
	if again, err := n.Canonical(); err != nil || !bytes.Equal(again, b) {
		return nil, pkgErr(apperr.CodeNoticeMalformed, "the notice in the package does not match %s exactly", NoticeFormat)
	}
	if n.Format != NoticeFormat {
		return nil, pkgErr(apperr.CodeNoticeMalformed, "unknown notice format %q", n.Format)
	}
	return &n, nil
}

// checkStatusURL accepts an absolute https URL (http only on loopback, for
// development) without credentials or fragment.
func checkStatusURL(s string) error {
	if s == "" || len(s) > maxPackageURL {
		return pkgErr(apperr.CodePackageBadURL, "statusUrl must be an absolute URL of at most %d characters", maxPackageURL)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.ContainsAny(s, " \t\r\n") {
		return pkgErr(apperr.CodePackageBadURL, "statusUrl must be an absolute URL without credentials or fragment")
	}
	switch u.Scheme {
	case "https":
	case "http":
		host := u.Hostname()
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return pkgErr(apperr.CodePackageBadURL, "statusUrl must use https")
		}
	default:
		return pkgErr(apperr.CodePackageBadURL, "statusUrl must use https")
	}
	return nil
}

// decodeNoticeExact decodes b as a notice and reports whether it re-encodes
// to exactly b and names the known format.
func decodeNoticeExact(b []byte) (*Notice, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var n Notice
	if dec.Decode(&n) != nil || n.Format != NoticeFormat {
		return nil, false
	}
	again, err := n.Canonical()
	if err != nil || !bytes.Equal(again, b) {
		return nil, false
	}
	return &n, true
}

// appendCanonicalPackage appends the RFC 8785 form of what jcs.Marshal(p)
// would produce: members in sorted order, agencySeal omitted when nil, a
// nil certificate list as null. Writing it with a jcs.Writer (only strings:
// always exact) avoids a second canonicalisation of the package's long
// base64 members; TestCanonicalPackageMatchesMarshal and
// FuzzCanonicalPackage hold it to jcs.Marshal.
func appendCanonicalPackage(dst []byte, p *Package) []byte {
	w := jcs.NewWriter(dst)
	str := func(name, v string) {
		w.Name(name)
		w.String(v)
	}
	w.Open('{')
	if s := p.AgencySeal; s != nil {
		w.Name("agencySeal")
		w.Open('{')
		str("date", s.Date)
		str("documentNo", s.DocumentNo)
		str("sealedData", s.SealedData)
		str("ses", s.SES)
		w.Close('}')
	}
	w.Name("applicantSignature")
	w.Open('{')
	str("cms", p.ApplicantSignature.CMS)
	str("way", p.ApplicantSignature.Way)
	w.Close('}')
	w.Name("certificates")
	if p.Certificates == nil {
		w.Null()
	} else {
		w.Open('[')
		for _, c := range p.Certificates {
			w.Elem()
			w.String(c)
		}
		w.Close(']')
	}
	str("document", p.Document)
	str("format", p.Format)
	w.Name("notice")
	w.Open('{')
	str("document", p.Notice.Document)
	str("ses", p.Notice.SES)
	w.Close('}')
	str("pledgeId", p.PledgeID)
	str("statusUrl", p.StatusURL)
	w.Close('}')
	out, _ := w.Bytes()
	return out
}
