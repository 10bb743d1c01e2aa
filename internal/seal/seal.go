package seal

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// Store is what the registry needs from storage. *store.Registry implements it.
type Store interface {
	status.Source
	Apply(ctx context.Context, c store.Change) (store.Applied, error)
	CreateSeal(ctx context.Context, rec store.SealRecord, c store.Change) (store.Applied, error)
	GetSeal(ctx context.Context, esID string) (store.SealRecord, error)
	SealIDByDigest(ctx context.Context, digest [32]byte) (string, error)
	ListSeals(ctx context.Context, agency string, certDigest [32]byte, cursor string, limit int) (store.SealPage, error)
	History(ctx context.Context, sub status.Subject) ([]store.Event, error)
}

// Event is one recorded change of a subject's status.
type Event = store.Event

// TypeCode is the fine seal type kept in the registry (the SES type INTEGER
// is business-defined).
type TypeCode string

// The fine type codes.
const (
	TypeStatutoryName  TypeCode = "01"
	TypeFinance        TypeCode = "02"
	TypeInvoice        TypeCode = "03"
	TypeContract       TypeCode = "04"
	TypeLegalRepresent TypeCode = "05"
	TypeOther          TypeCode = "99"
)

const (
	maxDocumentNo    = 128
	maxReason        = 256
	maxNameLen       = 200
	maxListLimit     = 1000
	defaultListLimit = 100
	originMade       = "made"
	originImported   = "imported"
)

// Category is the seal category of the 2025 national rules.
type Category string

// The categories.
const (
	CategoryStatutoryName Category = "statutory_name"
	CategoryDepartment    Category = "internal_department"
	CategoryBranch        Category = "branch"
	CategorySpecial       Category = "special_business"
	CategoryPersonalName  Category = "personal_name"
)

func validType(t TypeCode) bool {
	switch t {
	case TypeStatutoryName, TypeFinance, TypeInvoice, TypeContract, TypeLegalRepresent, TypeOther:
		return true
	}
	return false
}

func validCategory(c Category) bool {
	switch c {
	case CategoryStatutoryName, CategoryDepartment, CategoryBranch, CategorySpecial, CategoryPersonalName:
		return true
	}
	return false
}

// agencyPattern is the shape of an agency code (the Org of agency tokens).
var agencyPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// Config holds what the registry needs besides storage.
type Config struct {
	// Maker is the service's seal-maker key and certificate; nil disables Make.
	Maker *ses.Maker
	// MakerTrust holds the anchors trusted for seal-maker certificates of
	// imported seals; nil or empty disables Import.
	MakerTrust *pki.TrustStore
}

// Registry is the seal registry service. It is safe for concurrent use.
type Registry struct {
	st    Store
	cfg   Config
	clk   clock.Clock
	check *ses.Verifier
}

// NewRegistry returns the registry over st.
func NewRegistry(st Store, cfg Config, clk clock.Clock) *Registry {
	return &Registry{st: st, cfg: cfg, clk: clk, check: ses.NewVerifier(ses.Options{SealTrust: cfg.MakerTrust})}
}

// Seal is a registered seal with its current status and history.
type Seal struct {
	ESID        string
	Digest      [32]byte
	DER         []byte
	Agency      string
	Name        string
	Category    Category
	TypeCode    TypeCode
	SignerCerts [][32]byte
	MakerCert   [32]byte
	Origin      string
	Version     string
	ValidStart  time.Time
	ValidEnd    time.Time
	Created     time.Time
	Status      status.State
	History     []Event
}

func actorOf(p auth.Principal) store.Actor {
	return store.Actor{ID: p.Actor(), Role: string(p.Role), Org: p.Org}
}

func isOneOf(p auth.Principal, roles ...auth.Role) bool {
	for _, r := range roles {
		if p.Role == r {
			return true
		}
	}
	return false
}

func forbidden(what string) error {
	return apperr.New(apperr.Forbidden, "your role may not %s / 无权执行此操作", what)
}

func checkText(what, s string, max int, required bool) error {
	if required && strings.TrimSpace(s) == "" {
		return apperr.New(apperr.Malformed, "%s is required", what)
	}
	if len(s) > max || !utf8.ValidString(s) {
		return apperr.New(apperr.Malformed, "%s must be valid UTF-8 of at most %d bytes", what, max)
	}
	return nil
}

// Filing is what every filing (make or import) records.
type Filing struct {
	Agency     string
	Category   Category
	TypeCode   TypeCode
	DocumentNo string
	Note       string
}

func (f *Filing) validate() error {
	if !agencyPattern.MatchString(f.Agency) {
		return apperr.New(apperr.Malformed, "agency must be an agency code (letters, digits, . _ -; at most 64)")
	}
	if !validCategory(f.Category) {
		return apperr.New(apperr.Malformed, "category must be one of statutory_name, internal_department, branch, special_business, personal_name")
	}
	if !validType(f.TypeCode) {
		return apperr.New(apperr.Malformed, "type code must be 01, 02, 03, 04, 05 or 99")
	}
	if err := checkText("document number", f.DocumentNo, maxDocumentNo, true); err != nil {
		return err
	}
	return checkText("note", f.Note, maxReason, false)
}

// MakeRequest asks the service to make a seal for an agency.
type MakeRequest struct {
	Filing
	ESID        string
	Name        string
	SignerCerts [][]byte
	ValidStart  time.Time
	ValidEnd    time.Time
	Picture     ses.Picture
}

// Make makes a v4 seal with the service's seal-maker key, files it and
// makes it active, atomically with its audit entry. Only seal_maker (and
// admin) may make seals.
func (r *Registry) Make(ctx context.Context, p auth.Principal, req MakeRequest) (Seal, error) {
	if !isOneOf(p, auth.RoleSealMaker, auth.RoleAdmin) {
		return Seal{}, forbidden("make seals")
	}
	if r.cfg.Maker == nil {
		return Seal{}, apperr.New(apperr.Unsupported, "this service has no seal-maker key configured")
	}
	if err := req.Filing.validate(); err != nil {
		return Seal{}, err
	}
	if err := checkText("name", req.Name, maxNameLen, true); err != nil {
		return Seal{}, err
	}
	if len(req.SignerCerts) == 0 {
		return Seal{}, apperr.New(apperr.Malformed, "a seal needs at least one signer certificate")
	}
	typ, _ := strconv.ParseInt(string(req.TypeCode), 10, 64)
	s, err := ses.MakeSeal(ses.SealRequest{ESID: req.ESID, Type: typ, Name: req.Name, SignerCerts: req.SignerCerts,
		ValidStart: req.ValidStart, ValidEnd: req.ValidEnd, Picture: req.Picture}, *r.cfg.Maker, r.clk)
	if err != nil {
		return Seal{}, err
	}
	return r.file(ctx, p, s, req.Filing, originMade, "seal.make")
}

// ImportRequest files an externally made seal.
type ImportRequest struct {
	Filing
	DER []byte
}

// Import files an externally made .esl after checking its structure and its
// maker signature and maker certificate chain against the trusted maker
// anchors. Only seal_maker (and admin) may import.
func (r *Registry) Import(ctx context.Context, p auth.Principal, req ImportRequest) (Seal, error) {
	if !isOneOf(p, auth.RoleSealMaker, auth.RoleAdmin) {
		return Seal{}, forbidden("import seals")
	}
	if r.cfg.MakerTrust.Empty() {
		return Seal{}, apperr.New(apperr.Unsupported, "no trusted seal-maker certificates are configured")
	}
	if err := req.Filing.validate(); err != nil {
		return Seal{}, err
	}
	s, err := ses.ParseSeal(req.DER)
	if err != nil {
		if apperr.As(err) == nil {
			err = apperr.Wrap(apperr.Malformed, err, "the seal cannot be parsed")
		}
		return Seal{}, err
	}
	rep := r.check.VerifySeal(ctx, s, r.clk.Now())
	for _, name := range []string{ses.CheckMakerSignature, ses.CheckMakerChain, ses.CheckMakerValidity, ses.CheckMakerKeyUsage} {
		c, ok := rep.Find(name)
		if !ok || c.Result != outcome.Passed {
			detail := "not performed"
			if ok {
				detail = c.Detail
			}
			return Seal{}, apperr.New(apperr.Malformed, "the seal fails the %s check: %s", name, detail).WithCode(apperr.CodeSealNotTrusted)
		}
	}
	return r.file(ctx, p, s, req.Filing, originImported, "seal.import")
}

func (r *Registry) file(ctx context.Context, p auth.Principal, s *ses.Seal, f Filing, origin, action string) (Seal, error) {
	if s.Info.ESID == "" || len(s.Info.ESID) > 128 {
		return Seal{}, apperr.New(apperr.Malformed, "the seal's esID must have 1 to 128 characters")
	}
	rec := store.SealRecord{ESID: s.Info.ESID, Digest: pki.Digest(s.Raw), DER: s.Raw, Agency: f.Agency,
		Name: s.Info.Property.Name, Category: string(f.Category), TypeCode: string(f.TypeCode),
		MakerCert: pki.Digest(s.MakerCert), Origin: origin, Version: s.Version.String(),
		ValidStart: s.Info.Property.ValidStart, ValidEnd: s.Info.Property.ValidEnd, Created: r.clk.Now()}
	for _, c := range s.Info.Property.Certs {
		rec.SignerCerts = append(rec.SignerCerts, pki.Digest(c))
	}
	for _, d := range s.Info.Property.CertDigests {
		if len(d.Value) == 32 {
			var x [32]byte
			copy(x[:], d.Value)
			rec.SignerCerts = append(rec.SignerCerts, x)
		}
	}
	now := r.clk.Now()
	_, err := r.st.CreateSeal(ctx, rec, store.Change{Action: action, Actor: actorOf(p), To: status.Active,
		Reason: "FILED", DocumentNo: f.DocumentNo, Effective: now, Note: f.Note,
		Data: map[string]string{"agency": f.Agency, "category": string(f.Category), "type": string(f.TypeCode), "origin": origin}})
	if err != nil {
		if apperr.KindOf(err) == apperr.Conflict {
			return Seal{}, apperr.New(apperr.Conflict, "seal %q (or one with the same bytes) is already registered / 该印章已备案", rec.ESID).WithCode(apperr.CodeSealExists)
		}
		return Seal{}, err
	}
	return r.Get(ctx, rec.ESID)
}

// Get returns a seal with its status now and its whole history.
func (r *Registry) Get(ctx context.Context, esID string) (Seal, error) {
	rec, err := r.st.GetSeal(ctx, esID)
	if err != nil {
		return Seal{}, err
	}
	sub := status.Subject{Kind: status.KindSeal, ID: rec.ESID, Digest: rec.Digest}
	h, err := r.st.History(ctx, sub)
	if err != nil {
		return Seal{}, err
	}
	ans, err := r.st.Lookup(ctx, r.clk.Now(), []status.Subject{sub})
	if err != nil {
		return Seal{}, err
	}
	return Seal{ESID: rec.ESID, Digest: rec.Digest, DER: rec.DER, Agency: rec.Agency, Name: rec.Name,
		Category: Category(rec.Category), TypeCode: TypeCode(rec.TypeCode), SignerCerts: rec.SignerCerts,
		MakerCert: rec.MakerCert, Origin: rec.Origin, Version: rec.Version, ValidStart: rec.ValidStart,
		ValidEnd: rec.ValidEnd, Created: rec.Created, Status: ans.Results[0].Now, History: h}, nil
}

// GetByDigest returns the seal whose DER has the given SM3 digest.
func (r *Registry) GetByDigest(ctx context.Context, digest [32]byte) (Seal, error) {
	id, err := r.st.SealIDByDigest(ctx, digest)
	if err != nil {
		return Seal{}, err
	}
	return r.Get(ctx, id)
}

// ListFilter narrows a listing.
type ListFilter struct {
	Agency string
	// SignerCert is the SM3 digest of a signer certificate (zero: any).
	SignerCert [32]byte
	Cursor     string
	Limit      int
}

// Page is one page of esIDs in filing order.
type Page struct {
	IDs []string
	// Next is the cursor of the next page ("" at the end).
	Next string
}

// List returns a page of esIDs. An agency sees only its own seals.
func (r *Registry) List(ctx context.Context, p auth.Principal, f ListFilter) (Page, error) {
	if p.Role == auth.RoleAgency {
		if f.Agency != "" && f.Agency != p.Org {
			return Page{}, forbidden("list another agency's seals")
		}
		f.Agency = p.Org
	}
	if f.Limit <= 0 {
		f.Limit = defaultListLimit
	}
	if f.Limit > maxListLimit {
		return Page{}, apperr.New(apperr.Malformed, "limit must be at most %d", maxListLimit)
	}
	pg, err := r.st.ListSeals(ctx, f.Agency, f.SignerCert, f.Cursor, f.Limit)
	if err != nil {
		return Page{}, err
	}
	return Page{IDs: pg.IDs, Next: pg.Next}, nil
}

// StatusAnswer says whether a seal was usable at a time and what it is now.
type StatusAnswer struct {
	At  status.State
	Now status.State
	// WithinValidity is whether the time lies inside the seal's own window.
	WithinValidity bool
	// UsableAt is true only when the seal was ACTIVE at that time and inside its window.
	UsableAt bool
	ReadAt   time.Time
}

// StatusAt answers whether the seal was usable at time at, and its status now.
func (r *Registry) StatusAt(ctx context.Context, esID string, at time.Time) (StatusAnswer, error) {
	rec, err := r.st.GetSeal(ctx, esID)
	if err != nil {
		return StatusAnswer{}, err
	}
	ans, err := r.st.Lookup(ctx, at, []status.Subject{{Kind: status.KindSeal, ID: rec.ESID, Digest: rec.Digest}})
	if err != nil {
		return StatusAnswer{}, err
	}
	res := ans.Results[0]
	within := !at.Before(rec.ValidStart) && !at.After(rec.ValidEnd)
	return StatusAnswer{At: res.At, Now: res.Now, WithinValidity: within,
		UsableAt: within && res.At.Code == status.Active, ReadAt: ans.ReadAt}, nil
}

// Action is a lifecycle change.
type Action string

// The lifecycle actions.
const (
	Suspend    Action = "suspend"
	Restore    Action = "restore"
	ReportLost Action = "report_lost"
	Freeze     Action = "freeze"
	Unfreeze   Action = "unfreeze"
	Cancel     Action = "cancel"
)

// transition says what an action does: the states it may leave, the state it
// sets, and whether the owning agency may take it (the seal maker and admin
// may take every action).
type transition struct {
	from        []status.Code
	to          status.Code
	agencyMayDo bool
}

func transitionOf(a Action) (transition, bool) {
	switch a {
	case Suspend:
		return transition{[]status.Code{status.Active}, status.Suspended, true}, true
	case Restore:
		return transition{[]status.Code{status.Suspended}, status.Active, true}, true
	case ReportLost:
		return transition{[]status.Code{status.Active, status.Suspended}, status.ReportedLost, true}, true
	case Freeze:
		return transition{[]status.Code{status.Active, status.Suspended, status.ReportedLost}, status.Frozen, false}, true
	case Unfreeze:
		return transition{[]status.Code{status.Frozen}, status.Active, false}, true
	case Cancel:
		return transition{[]status.Code{status.Active, status.Suspended, status.ReportedLost, status.Frozen}, status.Cancelled, false}, true
	}
	return transition{}, false
}

// Actions lists the lifecycle actions.
func Actions() []Action { return []Action{Suspend, Restore, ReportLost, Freeze, Unfreeze, Cancel} }

// StatusChange is one lifecycle change request.
type StatusChange struct {
	Action     Action
	Reason     string
	DocumentNo string
	// Effective is when the change takes legal effect; zero means now. It may
	// lie in the past (e.g. lost since yesterday) but not before the seal's
	// previous event.
	Effective time.Time
	Note      string
}

// ChangeStatus applies a lifecycle change. The seal maker and admin may take
// every action; an agency may suspend, restore or report lost its own seals.
func (r *Registry) ChangeStatus(ctx context.Context, p auth.Principal, esID string, c StatusChange) (Seal, error) {
	tr, ok := transitionOf(c.Action)
	if !ok {
		return Seal{}, apperr.New(apperr.Malformed, "unknown action %q (want suspend, restore, report_lost, freeze, unfreeze or cancel)", c.Action)
	}
	if err := checkText("reason", c.Reason, maxReason, true); err != nil {
		return Seal{}, err
	}
	if err := checkText("document number", c.DocumentNo, maxDocumentNo, true); err != nil {
		return Seal{}, err
	}
	if err := checkText("note", c.Note, maxReason, false); err != nil {
		return Seal{}, err
	}
	rec, err := r.st.GetSeal(ctx, esID)
	if err != nil {
		return Seal{}, err
	}
	switch {
	case isOneOf(p, auth.RoleSealMaker, auth.RoleAdmin):
	case p.Role == auth.RoleAgency && tr.agencyMayDo && p.Org == rec.Agency:
	default:
		return Seal{}, forbidden(fmt.Sprintf("%s this seal", c.Action))
	}
	eff := c.Effective
	if eff.IsZero() {
		eff = r.clk.Now()
	}
	_, err = r.st.Apply(ctx, store.Change{Action: "seal." + string(c.Action), Actor: actorOf(p), To: tr.to, From: tr.from,
		Reason: c.Reason, DocumentNo: c.DocumentNo, Effective: eff, Note: c.Note,
		Items: []status.Subject{{Kind: status.KindSeal, ID: rec.ESID, Digest: rec.Digest}}})
	if err != nil {
		if e := apperr.As(err); e != nil && e.Kind == apperr.Conflict {
			return Seal{}, apperr.New(apperr.Conflict, "cannot %s seal %q: %s / 当前状态不允许此操作", c.Action, esID, e.Detail).WithCode(e.Code)
		}
		return Seal{}, err
	}
	return r.Get(ctx, esID)
}
