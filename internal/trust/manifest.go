package trust

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// ManifestFile is the name of the manifest inside a trust directory.
const ManifestFile = "manifest.json"

// ManifestFormat identifies the manifest schema.
const ManifestFormat = "pledgeseal-trust/1"

// maxManifest bounds the manifest size.
const maxManifest = 1 << 20

// Roles of manifest items.
const (
	RoleTrustBundle = "trust-bundle" // file: PEM roots trusted for every chain
	RoleRootCA      = "root-ca"      // cert (+ optional key): the issuing root, informational; its key stays offline in production
	RoleSealMaker   = "seal-maker"   // cert + key: the service's seal-maker (制章者) identity
	RoleAgency      = "agency"       // code + name + cert + key: an agency's signing identity
	RoleApplicantCA = "applicant-ca" // cert + key: the CA that issues one-time event certificates
	RoleTokenKey    = "token-key"    // file: the 32-byte token-hashing key, encrypted
	RoleDataKeys    = "data-keys"    // file: the personal-data keys (SM4 + HMAC-SM3 index), encrypted
	RoleTSA         = "tsa"          // cert + key (optional, at most once): the time-stamping authority, critical EKU timeStamping
	// RoleTransparencyLog is the transparency log's checkpoint key (cert +
	// key, optional, at most once; docs/transparency.md). It must be a key
	// of its own: never the seal maker's, an agency's or the TSA's.
	RoleTransparencyLog = "transparency-log"
	// RoleStatus is the key that signs pledge status statements (cert +
	// key, optional, at most once; docs/status-statements.md). It must be a
	// key of its own: never the seal maker's, an agency's, the TSA's or
	// the log's.
	RoleStatus = "status"
)

// Manifest lists every item of a trust directory with its role. Paths are
// relative to the directory unless absolute, so a production deployment can
// point at its own material wherever it lives.
type Manifest struct {
	Format  string    `json:"format"`
	Dev     bool      `json:"dev"`
	Created time.Time `json:"created"`
	Items   []Item    `json:"items"`
}

// Item is one entry of a manifest.
type Item struct {
	Role string `json:"role"`
	// Code and Name identify an agency (role agency only).
	Code string `json:"code,omitempty"`
	Name string `json:"name,omitempty"`
	// Cert is a PEM file: the certificate first, then any intermediates.
	Cert string `json:"cert,omitempty"`
	// Key is an encrypted PKCS#8 PEM file.
	Key string `json:"key,omitempty"`
	// File holds a bundle or an encrypted secret.
	File string `json:"file,omitempty"`
	// Note is free text for operators.
	Note string `json:"note,omitempty"`
}

var agencyCode = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$`)

// ParseManifest decodes and validates a manifest strictly: unknown fields,
// trailing data, missing required roles, duplicates and misplaced fields are
// all errors.
func ParseManifest(data []byte) (*Manifest, error) {
	bad := func(format string, args ...any) (*Manifest, error) {
		return nil, apperr.New(apperr.Malformed, "manifest: "+format, args...)
	}
	if len(data) > maxManifest {
		return bad("larger than %d bytes", maxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "manifest: not valid JSON of the expected shape")
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("trailing data after the JSON object")
	}
	if m.Format != ManifestFormat {
		return bad("format %q, want %q", m.Format, ManifestFormat)
	}
	count := map[string]int{}
	codes := map[string]bool{}
	for i, it := range m.Items {
		where := fmt.Sprintf("item %d (%s)", i, it.Role)
		needCert, needKey, needFile, keyOptional := false, false, false, false
		switch it.Role {
		case RoleTrustBundle, RoleTokenKey, RoleDataKeys:
			needFile = true
		case RoleRootCA:
			needCert, keyOptional = true, true
		case RoleSealMaker, RoleApplicantCA, RoleTSA, RoleTransparencyLog, RoleStatus:
			needCert, needKey = true, true
		case RoleAgency:
			needCert, needKey = true, true
			if !agencyCode.MatchString(it.Code) {
				return bad("%s: code %q must be 1-64 letters, digits, '-' or '_'", where, it.Code)
			}
			if codes[it.Code] {
				return bad("%s: agency code %q listed twice", where, it.Code)
			}
			codes[it.Code] = true
			if it.Name == "" || len(it.Name) > 256 {
				return bad("%s: name must be 1-256 bytes", where)
			}
		default:
			return bad("%s: unknown role", where)
		}
		if it.Role != RoleAgency && (it.Code != "" || it.Name != "") {
			return bad("%s: code and name belong to agency items only", where)
		}
		if needFile != (it.File != "") {
			return bad("%s: file %s", where, presence(needFile))
		}
		if needCert != (it.Cert != "") {
			return bad("%s: cert %s", where, presence(needCert))
		}
		if !keyOptional && needKey != (it.Key != "") {
			return bad("%s: key %s", where, presence(needKey))
		}
		count[it.Role]++
	}
	for _, r := range []string{RoleTrustBundle, RoleSealMaker, RoleApplicantCA, RoleTokenKey, RoleDataKeys} {
		if count[r] != 1 {
			return bad("role %s must appear exactly once (found %d)", r, count[r])
		}
	}
	for _, r := range []string{RoleRootCA, RoleTSA, RoleTransparencyLog, RoleStatus} {
		if count[r] > 1 {
			return bad("role %s may appear at most once", r)
		}
	}
	return &m, nil
}

func presence(required bool) string {
	if required {
		return "is required"
	}
	return "is not allowed"
}

// item returns the first item with role r.
func (m *Manifest) item(r string) (Item, bool) {
	for _, it := range m.Items {
		if it.Role == r {
			return it, true
		}
	}
	return Item{}, false
}
