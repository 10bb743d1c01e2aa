// Package auth owns who a caller is: roles, principals, and bearer tokens
// (creation, authentication, revocation). Tokens are 256-bit random secrets
// shown once; only their keyed hash (HMAC-SM3) is stored. An applicant's
// identity is personal data and is stored only encrypted.
//
// It knows nothing of HTTP; the HTTP layer turns a bearer header into a
// Principal with Authenticate.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
)

// Role is what a principal may do.
type Role string

// The roles. Public is the anonymous caller.
const (
	RoleAdmin       Role = "admin"
	RoleSealMaker   Role = "seal_maker"
	RoleAgency      Role = "agency"
	RoleEnforcement Role = "enforcement"
	RoleApplicant   Role = "applicant"
	RolePublic      Role = "public"
)

// Roles lists every role, public last.
func Roles() []Role {
	return []Role{RoleAdmin, RoleSealMaker, RoleAgency, RoleEnforcement, RoleApplicant, RolePublic}
}

// ParseRole validates a role name (public cannot be issued a token).
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s && r != RolePublic {
			return r, nil
		}
	}
	return "", apperr.New(apperr.Malformed, "unknown role %q (want admin, seal_maker, agency, enforcement or applicant)", s)
}

// Identity is a verified natural or legal person (an applicant).
type Identity struct {
	Name     string `json:"name"`
	IDType   string `json:"idType"`
	IDNumber string `json:"idNumber"`
}

// ID types accepted for applicants.
var idTypePattern = regexp.MustCompile(`^[A-Z][A-Z_]{1,31}$`)

// Validate checks an identity's shape.
func (id Identity) Validate() error {
	if strings.TrimSpace(id.Name) == "" || len(id.Name) > 200 {
		return apperr.New(apperr.Malformed, "applicant name is required (at most 200 bytes)")
	}
	if !idTypePattern.MatchString(id.IDType) {
		return apperr.New(apperr.Malformed, "applicant ID type must be an upper-case code such as RESIDENT_ID or USCC")
	}
	if len(id.IDNumber) < 4 || len(id.IDNumber) > 64 {
		return apperr.New(apperr.Malformed, "applicant ID number must be 4 to 64 characters")
	}
	if id.IDType == IDTypeResident && !ValidResidentID(id.IDNumber) {
		return apperr.New(apperr.Malformed, "a RESIDENT_ID number has 17 digits, a valid birth date and the GB 11643-1999 check character / 居民身份证号码校验失败").WithCode(apperr.CodeIDNumberInvalid)
	}
	return nil
}

// IDTypeResident is the ID type of the resident identity card (居民身份证).
const IDTypeResident = "RESIDENT_ID"

// residentWeights are the GB 11643-1999 weights (2^(17-i) mod 11).
var residentWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// ValidResidentID reports whether n is an 18-character citizen
// identification number (GB 11643-1999): 17 digits whose 7th to 14th are a
// valid birth date, then the ISO 7064 MOD 11-2 check character (0-9 or X).
func ValidResidentID(n string) bool {
	if len(n) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := n[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * residentWeights[i]
	}
	if _, err := time.Parse("20060102", n[6:14]); err != nil {
		return false
	}
	return n[17] == "10X98765432"[sum%11]
}

// Principal is an authenticated caller.
type Principal struct {
	Role Role
	// Org is the agency code (agency) or jurisdiction code (enforcement).
	Org string
	// Identity is set for applicants only.
	Identity *Identity
	// TokenID identifies the token used (empty for public).
	TokenID string
}

// Public is the anonymous principal.
func Public() Principal { return Principal{Role: RolePublic} }

// Actor names the principal in audit records without personal data.
func (p Principal) Actor() string {
	switch {
	case p.Role == RolePublic:
		return "public"
	case p.Org != "":
		return fmt.Sprintf("%s:%s:%s", p.Role, p.Org, p.TokenID)
	default:
		return fmt.Sprintf("%s:%s", p.Role, p.TokenID)
	}
}

// Protector encrypts personal data at rest, bound to a record and field
// (pii.Protector: SM4-GCM).
type Protector interface {
	Seal(recordID, field string, plaintext []byte) ([]byte, error)
	Open(recordID, field string, sealed []byte) ([]byte, error)
}

// identityField names the sealed identity inside a token record.
const identityField = "token.identity"

// TokenRecord is what the store keeps for one token. It never holds the secret.
type TokenRecord struct {
	ID         string
	Hash       []byte // HMAC-SM3(key, secret)
	Role       Role
	Org        string
	IdentityCT []byte // encrypted Identity JSON, applicants only
	Label      string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time // zero when not revoked
}

// TokenRepo persists token records.
type TokenRepo interface {
	PutToken(ctx context.Context, rec TokenRecord) error
	GetToken(ctx context.Context, id string) (TokenRecord, error) // apperr.NotFound when absent
	RevokeToken(ctx context.Context, id string, at time.Time) error
	ListTokens(ctx context.Context) ([]TokenRecord, error)
}

// TokenPrefix starts every token so that leaked tokens are easy to scan for.
const TokenPrefix = "pst_"

// MaxTTL bounds a token's lifetime.
const MaxTTL = 366 * 24 * time.Hour

// OrgDirectory says whether the organisation an agency or enforcement token
// names exists (internal/app answers from the trust material and the
// catalogue).
type OrgDirectory interface {
	OrgExists(ctx context.Context, role Role, org string) (bool, error)
}

// Tokens issues and checks bearer tokens.
type Tokens struct {
	repo    TokenRepo
	key     []byte
	protect Protector
	clock   clock.Clock
	orgs    OrgDirectory
}

// CheckOrgs makes Create refuse agency and enforcement tokens whose
// organisation orgs does not know (400 UNKNOWN_ORG). Call it while wiring,
// before the service is used; without it only the code's shape is checked.
func (t *Tokens) CheckOrgs(orgs OrgDirectory) { t.orgs = orgs }

// NewTokens returns a token service. key is the 32-byte token-hashing key.
func NewTokens(repo TokenRepo, key []byte, protect Protector, clk clock.Clock) (*Tokens, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("auth: token hashing key must be at least 32 bytes, got %d", len(key))
	}
	return &Tokens{repo: repo, key: append([]byte(nil), key...), protect: protect, clock: clk}, nil
}

// CreateRequest describes a token to issue.
type CreateRequest struct {
	Role     Role
	Org      string
	Identity *Identity
	Label    string
	TTL      time.Duration
}

var tokenIDPattern = regexp.MustCompile(`^[0-9a-f]{20}$`)

var orgPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$`)

// Validate checks that the request binds each role to what it needs.
func (r CreateRequest) Validate() error {
	if _, err := ParseRole(string(r.Role)); err != nil {
		return err
	}
	switch r.Role {
	case RoleAgency, RoleEnforcement:
		if !orgPattern.MatchString(r.Org) {
			return apperr.New(apperr.Malformed, "role %s needs an organisation code (--org): letters, digits, '-', '_' or '.', at most 64", r.Role)
		}
	default:
		if r.Org != "" {
			return apperr.New(apperr.Malformed, "role %s takes no organisation code", r.Role)
		}
	}
	if r.Role == RoleApplicant {
		if r.Identity == nil {
			return apperr.New(apperr.Malformed, "role applicant needs a verified identity (name, ID type, ID number)")
		}
		if err := r.Identity.Validate(); err != nil {
			return err
		}
	} else if r.Identity != nil {
		return apperr.New(apperr.Malformed, "only applicant tokens carry an identity")
	}
	if r.TTL <= 0 || r.TTL > MaxTTL {
		return apperr.New(apperr.Malformed, "token lifetime must be between 1s and %s", MaxTTL)
	}
	if len(r.Label) > 200 {
		return apperr.New(apperr.Malformed, "label too long (at most 200 bytes)")
	}
	return nil
}

// Issued is a freshly created token: Secret is shown once and never stored.
type Issued struct {
	ID        string
	Secret    string
	ExpiresAt time.Time
}

func (t *Tokens) hash(secret string) []byte {
	m := hmac.New(sm3.New, t.key)
	m.Write([]byte(secret))
	return m.Sum(nil)
}

// idOf derives the public token ID from the keyed hash of the secret.
func idOf(h []byte) string { return hex.EncodeToString(h[:10]) }

// Create issues a token.
func (t *Tokens) Create(ctx context.Context, req CreateRequest) (Issued, error) {
	if err := req.Validate(); err != nil {
		return Issued{}, err
	}
	if t.orgs != nil && (req.Role == RoleAgency || req.Role == RoleEnforcement) {
		ok, err := t.orgs.OrgExists(ctx, req.Role, req.Org)
		if err != nil {
			return Issued{}, err
		}
		if !ok {
			return Issued{}, apperr.New(apperr.Malformed, "no %s organisation %q is known to the trust material or the catalogue / 机关或辖区不存在", req.Role, req.Org).WithCode(apperr.CodeUnknownOrg)
		}
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Issued{}, apperr.Wrap(apperr.Internal, err, "random source failed")
	}
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	h := t.hash(secret)
	now := t.clock.Now()
	rec := TokenRecord{ID: idOf(h), Hash: h, Role: req.Role, Org: req.Org, Label: req.Label,
		CreatedAt: now, ExpiresAt: now.Add(req.TTL)}
	if req.Identity != nil {
		pt, err := json.Marshal(req.Identity)
		if err != nil {
			return Issued{}, apperr.Wrap(apperr.Internal, err, "encode identity")
		}
		if rec.IdentityCT, err = t.protect.Seal(rec.ID, identityField, pt); err != nil {
			return Issued{}, apperr.Wrap(apperr.Internal, err, "encrypt identity")
		}
	}
	if err := t.repo.PutToken(ctx, rec); err != nil {
		return Issued{}, err
	}
	return Issued{ID: rec.ID, Secret: secret, ExpiresAt: rec.ExpiresAt}, nil
}

var errBadToken = apperr.New(apperr.Unauthorized, "the bearer token is invalid, expired or revoked")

// Authenticate resolves a bearer secret to its principal. Unknown, expired
// and revoked tokens all give the same Unauthorized error; a store failure
// gives Unavailable (never a public principal).
func (t *Tokens) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) != len(TokenPrefix)+43 {
		return Principal{}, errBadToken
	}
	h := t.hash(secret)
	rec, err := t.repo.GetToken(ctx, idOf(h))
	if apperr.Is(err, apperr.NotFound) {
		return Principal{}, errBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	if subtle.ConstantTimeCompare(rec.Hash, h) != 1 {
		return Principal{}, errBadToken
	}
	now := t.clock.Now()
	if !rec.RevokedAt.IsZero() || !now.Before(rec.ExpiresAt) {
		return Principal{}, errBadToken
	}
	p := Principal{Role: rec.Role, Org: rec.Org, TokenID: rec.ID}
	if rec.Role == RoleApplicant {
		pt, err := t.protect.Open(rec.ID, identityField, rec.IdentityCT)
		if err != nil {
			return Principal{}, apperr.Wrap(apperr.Internal, err, "cannot read the token's identity")
		}
		var id Identity
		if err := json.Unmarshal(pt, &id); err != nil {
			return Principal{}, apperr.Wrap(apperr.Internal, err, "cannot read the token's identity")
		}
		p.Identity = &id
	}
	return p, nil
}

// Revoke revokes a token by ID.
func (t *Tokens) Revoke(ctx context.Context, id string) error {
	if !tokenIDPattern.MatchString(id) {
		return apperr.New(apperr.Malformed, "a token ID is 20 lower-case hex digits")
	}
	return t.repo.RevokeToken(ctx, id, t.clock.Now())
}

// TokenInfo describes a token without its secret or personal data.
type TokenInfo struct {
	ID        string    `json:"id"`
	Role      Role      `json:"role"`
	Org       string    `json:"org,omitempty"`
	Label     string    `json:"label,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
	Revoked   bool      `json:"revoked"`
}

// List returns every token's public description.
func (t *Tokens) List(ctx context.Context) ([]TokenInfo, error) {
	recs, err := t.repo.ListTokens(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TokenInfo, 0, len(recs))
	for _, r := range recs {
		out = append(out, TokenInfo{ID: r.ID, Role: r.Role, Org: r.Org, Label: r.Label,
			CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, Revoked: !r.RevokedAt.IsZero()})
	}
	return out, nil
}
