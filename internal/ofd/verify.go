package ofd

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/sm3"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// Check names added by this package in front of the SES checks.
const (
	CheckSignaturesFile = "ofd-signatures-file"
	CheckSignatureFile  = "ofd-signature-file"
	CheckReferences     = "ofd-references"
	CheckReferencePfx   = "ofd-reference " // + FileRef, one check per Reference
	CheckSignedValue    = "ofd-signed-value"
	CheckSealFile       = "ofd-seal-file"
	CheckCMSFormat      = "cms-format"
	CheckCMSSignature   = "cms-signature"
	CheckCMSContent     = "cms-signed-content"
	CheckCMSChain       = "cms-signer-certificate-chain"
)

// Options configures Verify.
type Options struct {
	// SES verifies seal signatures (trust, status, cache); required.
	SES *ses.Verifier
	// SignTrust holds the anchors for Type="Sign" (CMS) signers; nil means
	// their chain check is INDETERMINATE.
	SignTrust *pki.TrustStore
	// Status answers the registry questions of every seal signature (the
	// seal, its maker and signer certificates, at the signing time and
	// now) by the pledge verifier's rules; nil: offline, the status checks
	// are NOT_PERFORMED and say so. An unreadable source gives
	// INDETERMINATE (fail closed).
	Status status.Source
	Limits Limits
}

// Result is the verification of every signature of one package.
type Result struct {
	Signatures []outcome.Report `json:"signatures"`
}

// Verify reads a signed OFD package and verifies every signature listed in
// every Signatures.xml. It returns an error only when the package itself is
// unreadable (not a ZIP, refused by the limits, no usable OFD.xml); problems
// of one signature are reported as its checks.
func Verify(ctx context.Context, data []byte, opts Options) (*Result, error) {
	if opts.SES == nil {
		return nil, apperr.New(apperr.Internal, "ofd.Verify needs a ses.Verifier")
	}
	pkg, err := Open(data, opts.Limits)
	if err != nil {
		return nil, err
	}
	root, err := pkg.Read("OFD.xml")
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "the package has no readable OFD.xml")
	}
	locs, err := ParseOFDXML(root)
	if err != nil {
		return nil, err
	}
	// Every signature list is read first: the signatures' own files are
	// known before any signature's unreferenced files are judged.
	lay := newLayout(pkg)
	lists := make([]signatureList, len(locs))
	for i, loc := range locs {
		lists[i] = readList(pkg, loc)
		if lists[i].err == nil {
			lay.addSignatures(lists[i].name, lists[i].base, lists[i].entries)
		}
	}
	res := &Result{Signatures: []outcome.Report{}}
	for _, l := range lists {
		res.Signatures = append(res.Signatures, verifyList(ctx, pkg, lay, l, opts)...)
	}
	return res, nil
}

func check(name string, r outcome.Result, sub outcome.SubIndication, format string, args ...any) outcome.Check {
	if r == outcome.Passed || r == outcome.NotPerformed {
		sub = outcome.None
	}
	return outcome.Check{Name: name, Result: r, SubIndication: sub, Detail: fmt.Sprintf(format, args...)}
}

func detail(err error) string {
	if e := apperr.As(err); e != nil {
		return e.Detail
	}
	return "unreadable"
}

func failedReport(id, version string, c outcome.Check) outcome.Report {
	r := outcome.Report{ID: id, Version: version, Checks: []outcome.Check{c}}
	r.Finish()
	return r
}

// signatureList is one Signatures.xml as read (or why not).
type signatureList struct {
	loc, name, base string
	entries         []SignatureEntry
	err             error
}

func readList(pkg *Package, loc string) signatureList {
	l := signatureList{loc: loc}
	l.name, l.err = Resolve("", loc)
	var b []byte
	if l.err == nil {
		b, l.err = pkg.Read(l.name)
	}
	if l.err == nil {
		l.entries, l.err = ParseSignaturesXML(b)
	}
	l.base = path.Dir(l.name)
	return l
}

func verifyList(ctx context.Context, pkg *Package, lay *layout, l signatureList, opts Options) []outcome.Report {
	if l.err != nil {
		return []outcome.Report{failedReport(l.loc, "unknown", check(CheckSignaturesFile, outcome.Failed, outcome.FormatFailure, "%s", detail(l.err)))}
	}
	var out []outcome.Report
	for _, e := range l.entries {
		out = append(out, verifyOne(ctx, pkg, lay, l.base, e, opts))
	}
	return out
}

func verifyOne(ctx context.Context, pkg *Package, lay *layout, base string, e SignatureEntry, opts Options) outcome.Report {
	id := e.ID
	if id == "" {
		id = e.BaseLoc
	}
	version := "unknown"
	isSign := strings.EqualFold(strings.TrimSpace(e.Type), "Sign")
	if isSign {
		version = "cms"
	}
	fail := func(name string, err error) outcome.Report {
		return failedReport(id, version, check(name, outcome.Failed, outcome.FormatFailure, "%s", detail(err)))
	}
	sigName, err := Resolve(base, e.BaseLoc)
	if err != nil {
		return fail(CheckSignatureFile, err)
	}
	sigXML, err := pkg.Read(sigName)
	if err != nil {
		return fail(CheckSignatureFile, err)
	}
	sx, err := ParseSignatureXML(sigXML)
	if err != nil {
		return fail(CheckSignatureFile, err)
	}
	r := outcome.Report{ID: id, Version: version}
	r.Add(check(CheckSignatureFile, outcome.Passed, "", "%s read (%d bytes)", sigName, len(sigXML)))
	sigDir := path.Dir(sigName)
	svName, err := Resolve(sigDir, sx.SignedValue)
	var sv []byte
	if err == nil {
		sv, err = pkg.Read(svName)
	}
	if err != nil {
		r.Add(check(CheckSignedValue, outcome.Failed, outcome.FormatFailure, "SignedValue: %s", detail(err)))
		r.Checks = append(r.Checks, referenceChecks(pkg, lay, sigDir, sx, nil)...)
		r.Finish()
		return r
	}
	r.Add(check(CheckSignedValue, outcome.Passed, "", "%s read (%d bytes)", svName, len(sv)))
	if isSign {
		return verifyCMS(r, pkg, lay, sigDir, sx, sigXML, sv, opts)
	}
	sig, err := ses.ParseSignature(sv)
	if err != nil {
		r.Checks = append(r.Checks, referenceChecks(pkg, lay, sigDir, sx, nil)...)
		r.Add(check(ses.CheckFormat, outcome.Failed, outcome.FormatFailure, "SignedValue is not an SES_Signature: %s", detail(err)))
		r.Finish()
		return r
	}
	var pub *ecdsa.PublicKey // only SM3 with ZA needs the signer's key
	if parseCheckMethod(sx.SignedInfo.References.CheckMethod) == methodSM3ZA {
		if c, err := pki.ParseCertificateLenient(sig.Cert); err == nil {
			pub = c.PublicKey
		}
	}
	// Seal.esl is read (and compared) before the references are hashed, so
	// a Reference to it hashes the bytes already in memory.
	sealCheck := sealFileCheck(pkg, sigDir, sx, sig)
	r.Checks = append(r.Checks, referenceChecks(pkg, lay, sigDir, sx, pub)...)
	r.Add(sealCheck)
	sr := opts.SES.VerifySignature(ctx, sig, ses.Input{ID: id, Data: sigXML, HasData: true})
	if opts.Status != nil {
		sr = withStatus(ctx, opts.Status, sig, sr)
	}
	r.Version = sr.Version
	r.Checks = append(r.Checks, sr.Checks...)
	r.Finish()
	return r
}

func sealFileCheck(pkg *Package, sigDir string, sx *SignatureXML, sig *ses.Signature) outcome.Check {
	loc := strings.TrimSpace(sx.SignedInfo.Seal.BaseLoc)
	if loc == "" {
		return check(CheckSealFile, outcome.NotPerformed, "", "not performed: Signature.xml names no Seal.esl; the embedded seal is used")
	}
	name, err := Resolve(sigDir, loc)
	var b []byte
	if err == nil {
		b, err = pkg.Read(name)
	}
	if err != nil {
		return check(CheckSealFile, outcome.Failed, outcome.FormatFailure, "Seal.esl: %s", detail(err))
	}
	if !bytes.Equal(b, sig.TBS.Seal.Raw) {
		return check(CheckSealFile, outcome.Failed, outcome.HashFailure, "%s differs from the seal embedded in the signature", name)
	}
	return check(CheckSealFile, outcome.Passed, "", "%s is byte-identical to the embedded seal", name)
}

// checkMethod tells how Reference digests are computed.
type checkMethod int

const (
	methodUnknown checkMethod = iota
	methodSM3
	methodSM3ZA
)

func parseCheckMethod(m string) checkMethod {
	switch strings.ToLower(strings.TrimSpace(m)) {
	case "sm3", "1.2.156.10197.1.401", "":
		return methodSM3
	case "1.2.156.10197.1.401.2":
		return methodSM3ZA
	}
	return methodUnknown
}

// referenceChecks verifies every Reference. For SM3-with-ZA the ZA prefix is
// computed from the signer's public key and the default user ID (worked out
// on the dms360 sample, whose Seal.esl reference matches exactly so).
// The last check lists the files the References leave out (CheckUnreferenced).
func referenceChecks(pkg *Package, lay *layout, sigDir string, sx *SignatureXML, pub *ecdsa.PublicKey) []outcome.Check {
	refs := sx.SignedInfo.References
	if len(refs.Items) == 0 {
		return []outcome.Check{check(CheckReferences, outcome.Failed, outcome.FormatFailure, "Signature.xml lists no References: no document part is protected")}
	}
	out := referenceDigests(pkg, sigDir, sx, pub)
	return append(out, lay.unreferencedCheck(sigDir, sx))
}

// referenceDigests checks the digest of every Reference.
func referenceDigests(pkg *Package, sigDir string, sx *SignatureXML, pub *ecdsa.PublicKey) []outcome.Check {
	refs := sx.SignedInfo.References
	method := parseCheckMethod(refs.CheckMethod)
	var prefix []byte // ZA for SM3 with ZA, computed once per signature
	how := "SM3"
	if method == methodSM3ZA {
		how = "SM3 with ZA (signer key, default ID)"
		if pub != nil {
			prefix, _ = sm2.CalculateZA(pub, []byte(pki.DefaultUID))
		}
	}
	var out []outcome.Check
	for _, ref := range refs.Items {
		name := CheckReferencePfx + ref.FileRef
		if method == methodUnknown {
			out = append(out, check(name, outcome.Indeterminate, outcome.Unsupported, "CheckMethod %q is not supported", refs.CheckMethod))
			continue
		}
		want, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(ref.CheckValue), ""))
		if err != nil {
			out = append(out, check(name, outcome.Failed, outcome.FormatFailure, "CheckValue is not Base64"))
			continue
		}
		file, err := Resolve(sigDir, ref.FileRef) // a missing file fails in pkg.Digest below
		if err != nil {
			out = append(out, check(name, outcome.Failed, outcome.HashFailure, "%s", detail(err)))
			continue
		}
		noZA := method == methodSM3ZA && prefix == nil
		var got [sm3.Size]byte
		if noZA {
			_, err = pkg.Digest(file, nil) // an unreadable part fails before a missing key
		} else {
			got, err = pkg.Digest(file, prefix)
		}
		switch {
		case err != nil:
			out = append(out, check(name, outcome.Failed, outcome.HashFailure, "%s", detail(err)))
			continue
		case noZA && pub == nil:
			out = append(out, check(name, outcome.Indeterminate, outcome.FormatFailure, "SM3 with ZA needs the signer's public key, which could not be read"))
			continue
		case noZA:
			out = append(out, check(name, outcome.Indeterminate, outcome.FormatFailure, "ZA cannot be computed from the signer's key"))
			continue
		}
		if bytes.Equal(got[:], want) {
			out = append(out, check(name, outcome.Passed, "", "%s of %s matches", how, file))
		} else {
			out = append(out, check(name, outcome.Failed, outcome.HashFailure, "%s of %s does not match its CheckValue: the part changed after signing", how, file))
		}
	}
	return out
}

func verifyCMS(r outcome.Report, pkg *Package, lay *layout, sigDir string, sx *SignatureXML, sigXML, sv []byte, opts Options) outcome.Report {
	sd, der, err := pki.ParseCMSAllowBER(sv) // der: sv, or its DER when sv is BER
	if err != nil {
		r.Checks = append(r.Checks, referenceChecks(pkg, lay, sigDir, sx, nil)...)
		r.Add(check(CheckCMSFormat, outcome.Indeterminate, outcome.Unsupported,
			"unsupported: the Type=\"Sign\" SignedValue is not a GM/T 0010 / GB/T 35275 SignedData this verifier reads: %v", err))
		r.Finish()
		return r
	}
	var pub *ecdsa.PublicKey
	if len(sd.Signers) > 0 && sd.Signers[0].Cert != nil {
		pub, _ = sd.Signers[0].Cert.PublicKey.(*ecdsa.PublicKey)
	}
	r.Checks = append(r.Checks, referenceChecks(pkg, lay, sigDir, sx, pub)...)
	format := check(CheckCMSFormat, outcome.Passed, "", "GM/T 0010 SignedData with %d signer(s)", len(sd.Signers))
	if sd.FromBER {
		format.Detail += " (BER with indefinite lengths, read as its DER)"
		format = format.Warn(outcome.WarnBEREncoding, "the SignedData is BER (indefinite lengths), not DER; it was converted to DER to be read and its signed attributes were hashed as found")
	}
	r.Add(format)
	digest := sm3.Sum(sigXML)
	var res *pki.CMSResult
	var what string
	if sd.Content != nil {
		res, err = pki.VerifyAttached(der)
		switch {
		case err != nil:
		case bytes.Equal(res.Content, digest[:]):
			what = "the content is SM3 of Signature.xml"
		case bytes.Equal(res.Content, sigXML):
			what = "the content is Signature.xml"
		}
	} else {
		if res, err = pki.VerifyDetached(der, sigXML); err == nil {
			what = "detached over Signature.xml"
		} else if res2, err2 := pki.VerifyDetached(der, digest[:]); err2 == nil {
			res, err, what = res2, nil, "detached over SM3 of Signature.xml"
		}
	}
	switch {
	case errors.Is(err, pki.ErrCMSUnsupported):
		r.Add(check(CheckCMSSignature, outcome.Indeterminate, outcome.Unsupported, "unsupported algorithm in the SignedData: %v", err))
	case errors.Is(err, pki.ErrCMSDigest):
		r.Add(check(CheckCMSSignature, outcome.Failed, outcome.HashFailure, "the signed messageDigest does not match the content"))
	case err != nil:
		r.Add(check(CheckCMSSignature, outcome.Failed, outcome.SigCryptoFailure, "the SM2 signature of the SignedData does not verify: %v", err))
	case res.DigestAsE:
		r.Add(check(CheckCMSSignature, outcome.Failed, outcome.SigCryptoFailure, "the signature verifies only with the content itself as the digest e, not over SM3(ZA ‖ content)"))
	default:
		r.Add(check(CheckCMSSignature, outcome.Passed, "", "SM2 signature of the SignedData verifies"))
	}
	if err != nil || res == nil {
		r.Add(check(CheckCMSContent, outcome.Indeterminate, outcome.SignedDataNotFound, "the signed content could not be established"))
		r.Finish()
		return r
	}
	if what == "" {
		r.Add(check(CheckCMSContent, outcome.Failed, outcome.HashFailure, "the signed content is neither Signature.xml nor its SM3 digest"))
	} else {
		r.Add(check(CheckCMSContent, outcome.Passed, "", "%s", what))
	}
	r.Add(cmsChain(res, sx, opts.SignTrust))
	r.Finish()
	return r
}

func cmsChain(res *pki.CMSResult, sx *SignatureXML, store *pki.TrustStore) outcome.Check {
	if store.Empty() {
		return check(CheckCMSChain, outcome.Indeterminate, outcome.NoCertificateChainFound, "no trust anchors are configured for CMS signers: no chain to a trusted anchor")
	}
	at := res.SigningTimes[0]
	if at.IsZero() {
		t, ok := parseDateTime(sx.SignedInfo.SignatureDateTime)
		if !ok {
			return check(CheckCMSChain, outcome.Indeterminate, outcome.FormatFailure, "the signing time is unknown")
		}
		at = t
	}
	_, err := store.VerifyAt(res.Signers[0], res.Certificates, at, true)
	switch {
	case err == nil:
		return check(CheckCMSChain, outcome.Passed, "", "the signer chains to a trusted anchor at %s", at.UTC().Format(time.RFC3339))
	case errors.Is(err, pki.ErrNoChain):
		return check(CheckCMSChain, outcome.Indeterminate, outcome.NoCertificateChainFound, "no chain to a trusted anchor")
	case errors.Is(err, pki.ErrNotValidAtTime):
		return check(CheckCMSChain, outcome.Failed, outcome.Expired, "a certificate of the chain was not valid at the signing time")
	case errors.Is(err, pki.ErrKeyUsage):
		return check(CheckCMSChain, outcome.Failed, outcome.ChainConstraintsFailure, "the signer certificate's key usage does not allow signing")
	}
	return check(CheckCMSChain, outcome.Failed, outcome.ChainConstraintsFailure, "the chain is invalid")
}

// parseDateTime reads SignatureDateTime (free format); zoneless forms are
// China time (UTC+8).
func parseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range []string{"20060102150405Z0700", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	cst := time.FixedZone("UTC+8", 8*3600)
	for _, l := range []string{"2006-01-02 15:04:05", "20060102150405", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(l, s, cst); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
