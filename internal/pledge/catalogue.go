package pledge

import (
	"context"
	"slices"
	"sort"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/scope"
)

// Mode is a way a certificate is replaced.
type Mode string

// Replacement modes (pledge-domain.md "Catalogue entry").
const (
	ModeCancelled     Mode = "CANCELLED"      // 直接取消
	ModeDataSharing   Mode = "DATA_SHARING"   // 信息共享/部门核验
	ModeIDOrVoucher   Mode = "ID_OR_VOUCHER"  // 证件凭证
	ModeWrittenPledge Mode = "WRITTEN_PLEDGE" // 告知承诺
	ModeCreditReport  Mode = "CREDIT_REPORT"  // 信用代证
)

var knownModes = []Mode{ModeCancelled, ModeDataSharing, ModeIDOrVoucher, ModeWrittenPledge, ModeCreditReport}

// Exclusion reasons for matters that may not be pledged.
const (
	ExclusionNationalSecurity     = "NATIONAL_SECURITY"
	ExclusionPublicSafety         = "PUBLIC_SAFETY"
	ExclusionHealthAndLife        = "HEALTH_AND_LIFE"
	ExclusionFinancialSupervision = "FINANCIAL_SUPERVISION"
	ExclusionEnvironment          = "ENVIRONMENT"
	ExclusionHardToUndo           = "HARD_TO_UNDO"
)

var knownExclusions = []string{ExclusionNationalSecurity, ExclusionPublicSafety, ExclusionHealthAndLife,
	ExclusionFinancialSupervision, ExclusionEnvironment, ExclusionHardToUndo}

// Post-check methods.
const (
	CheckWritten     = "WRITTEN"
	CheckOnline      = "ONLINE_SHARED_DATA"
	CheckOnSite      = "ON_SITE"
	CheckPublic      = "PUBLIC_NOTICE"
	CheckInterAgency = "INTER_AGENCY"
)

var knownCheckMethods = []string{CheckWritten, CheckOnline, CheckOnSite, CheckPublic, CheckInterAgency}

// PostCheckPolicy says how pledges for a matter are checked afterwards.
type PostCheckPolicy struct {
	Methods []string `json:"methods,omitempty"`
	// TimeLimitDays is the window after the decision; WorkingDays tells
	// whether it counts working days (60 working days) or calendar days.
	TimeLimitDays int  `json:"timeLimitDays,omitempty"`
	WorkingDays   bool `json:"workingDays,omitempty"`
	// SamplingPermille is the share of pledges drawn for checking (0–1000).
	SamplingPermille int  `json:"samplingPermille,omitempty"`
	Exempt           bool `json:"exempt,omitempty"`
	ExemptReason     Text `json:"exemptReason,omitzero"`
}

// DisclosurePolicy says whether and how pledges are published.
type DisclosurePolicy struct {
	Publish bool `json:"publish"`
	// Scope says where (e.g. "agency website", "credit portal").
	Scope Text `json:"scope,omitzero"`
	// Days the publication lasts; at most 5 years.
	Days int `json:"days,omitempty"`
}

// WithdrawalPolicy is a matter's rule on withdrawal (pledge-domain.md
// "Withdrawal": "May create a scoped bar (exams)"). With BarDays set, a
// withdrawal bars the applicant's pledges for this matter (Scope MATTER, the
// default, or EXAM) for that many days from the withdrawal; the bar's
// reason is BarWithdrawnExam.
type WithdrawalPolicy struct {
	BarDays int    `json:"barDays,omitempty"`
	Scope   string `json:"scope,omitempty"`
}

// MaxWithdrawalBarDays bounds a withdrawal bar (within MaxBarYears).
const MaxWithdrawalBarDays = 5 * 365

func (w *WithdrawalPolicy) validate() error {
	if w.BarDays < 0 || w.BarDays > MaxWithdrawalBarDays {
		return malformed(apperr.CodeWithdrawalInvalid, "withdrawal.barDays must be between 0 and %d", MaxWithdrawalBarDays)
	}
	switch w.Scope {
	case "", ScopeMatter, ScopeExam:
	default:
		return malformed(apperr.CodeWithdrawalInvalid, "withdrawal.scope must be MATTER or EXAM")
	}
	if w.BarDays == 0 && w.Scope != "" {
		return malformed(apperr.CodeWithdrawalInvalid, "withdrawal.scope needs withdrawal.barDays")
	}
	return nil
}

// EntryKey names one certificate demanded for one matter in one region.
type EntryKey struct {
	Region      string `json:"region"`
	Matter      string `json:"matter"`
	Certificate string `json:"certificate"`
}

// Entry is one version of a catalogue entry (per certificate and matter).
// Versions are immutable; a change is a new version with its own
// EffectiveFrom, and a Retired version removes the certificate from the
// catalogue from that time.
type Entry struct {
	EntryKey
	Version       int       `json:"version"`
	EffectiveFrom time.Time `json:"effectiveFrom"`
	Retired       bool      `json:"retired,omitempty"`

	// RegionName names the region (e.g. 北京市朝阳区) for the public
	// listing; optional, the code is shown without it.
	RegionName      Text             `json:"regionName,omitzero"`
	MatterName      Text             `json:"matterName"`
	CertificateName Text             `json:"certificateName"`
	Proves          Text             `json:"proves"`
	LegalBasis      []Text           `json:"legalBasis"`
	RequestingUnit  string           `json:"requestingUnit"`
	IssuingUnit     string           `json:"issuingUnit"`
	Guide           Text             `json:"guide,omitzero"`
	Modes           []Mode           `json:"modes"`
	PledgeEligible  bool             `json:"pledgeEligible"`
	Exclusion       string           `json:"exclusion,omitempty"`
	ExclusionDetail Text             `json:"exclusionDetail,omitzero"`
	PostCheck       PostCheckPolicy  `json:"postCheck"`
	Disclosure      DisclosurePolicy `json:"disclosure"`
	// Withdrawal says whether withdrawing a pledge of this matter bars the
	// applicant from pledging for it again for a while (e.g. exams).
	Withdrawal WithdrawalPolicy `json:"withdrawal,omitzero"`

	// Owner is the agency whose scope the entry is in; RecordedBy and
	// RecordedAt say who recorded this version and when.
	Owner      string    `json:"owner"`
	RecordedBy string    `json:"recordedBy"`
	RecordedAt time.Time `json:"recordedAt"`
}

// maxDisclosureDays is five years: published dishonesty data expires by then.
const maxDisclosureDays = 5 * 366

// Validate checks an entry's content (not its version, which the repository
// assigns).
func (e *Entry) Validate() error {
	if err := checkCode("region", e.Region); err != nil {
		return err
	}
	if err := checkCode("matter", e.Matter); err != nil {
		return err
	}
	if err := checkCode("certificate", e.Certificate); err != nil {
		return err
	}
	if err := checkCode("owner", e.Owner); err != nil {
		return err
	}
	if e.EffectiveFrom.IsZero() {
		return malformed(apperr.CodeFieldRequired, "effectiveFrom is required")
	}
	if err := checkText("regionName", e.RegionName, false, maxShort); err != nil {
		return err
	}
	if e.Retired {
		return nil
	}
	for _, f := range []struct {
		name string
		t    Text
	}{{"matterName", e.MatterName}, {"certificateName", e.CertificateName}, {"proves", e.Proves}} {
		if err := checkText(f.name, f.t, true, maxShort*5); err != nil {
			return err
		}
	}
	if err := checkText("guide", e.Guide, false, maxText); err != nil {
		return err
	}
	if len(e.LegalBasis) == 0 || len(e.LegalBasis) > maxList {
		return malformed(apperr.CodeLegalBasisRequired, "legalBasis: at least one legal basis (设定依据) is required, at most %d", maxList)
	}
	for _, lb := range e.LegalBasis {
		if err := checkText("legalBasis", lb, true, maxText); err != nil {
			return err
		}
	}
	if err := requireString("requestingUnit", e.RequestingUnit, maxShort); err != nil {
		return err
	}
	if err := requireString("issuingUnit", e.IssuingUnit, maxShort); err != nil {
		return err
	}
	if len(e.Modes) == 0 {
		return malformed(apperr.CodeModesRequired, "modes: at least one replacement mode is required")
	}
	seen := map[Mode]bool{}
	for _, m := range e.Modes {
		if !slices.Contains(knownModes, m) {
			return malformed(apperr.CodeModeUnknown, "modes: unknown replacement mode %q", m)
		}
		if seen[m] {
			return malformed(apperr.CodeModeRepeated, "modes: %s is listed twice", m)
		}
		seen[m] = true
	}
	if seen[ModeCancelled] && len(e.Modes) > 1 {
		return malformed(apperr.CodeModeCancelledAlone, "modes: a cancelled certificate has no other replacement mode")
	}
	if e.PledgeEligible {
		if !seen[ModeWrittenPledge] {
			return malformed(apperr.CodePledgeModeMissing, "a pledge-eligible entry must list WRITTEN_PLEDGE among its modes")
		}
		if e.Exclusion != "" {
			return malformed(apperr.CodeExclusionConflict, "a pledge-eligible entry has no exclusion reason")
		}
		if err := e.PostCheck.validate(); err != nil {
			return err
		}
	} else {
		if seen[ModeWrittenPledge] {
			return malformed(apperr.CodePledgeModeConflict, "WRITTEN_PLEDGE is listed but the entry is not pledge-eligible")
		}
		if !slices.Contains(knownExclusions, e.Exclusion) {
			return malformed(apperr.CodeExclusionRequired, "an entry that is not pledge-eligible needs an exclusion reason, one of %v", knownExclusions)
		}
		if err := checkText("exclusionDetail", e.ExclusionDetail, false, maxText); err != nil {
			return err
		}
	}
	if e.Disclosure.Days < 0 || e.Disclosure.Days > maxDisclosureDays {
		return malformed(apperr.CodeDisclosureInvalid, "disclosure.days must be between 0 and %d (five years)", maxDisclosureDays)
	}
	if e.Disclosure.Publish && e.Disclosure.Days == 0 {
		return malformed(apperr.CodeDisclosureInvalid, "disclosure.days is required when pledges are published")
	}
	if err := e.Withdrawal.validate(); err != nil {
		return err
	}
	return checkText("disclosure.scope", e.Disclosure.Scope, e.Disclosure.Publish, maxShort)
}

func (p *PostCheckPolicy) validate() error {
	if p.Exempt {
		if len(p.Methods) > 0 || p.SamplingPermille != 0 {
			return malformed(apperr.CodePostcheckInvalid, "postCheck: an exempt matter has no methods or sampling ratio")
		}
		return checkText("postCheck.exemptReason", p.ExemptReason, true, maxText)
	}
	if len(p.Methods) == 0 {
		return malformed(apperr.CodePostcheckInvalid, "postCheck: at least one method (or an exemption) is required")
	}
	for _, m := range p.Methods {
		if !slices.Contains(knownCheckMethods, m) {
			return malformed(apperr.CodePostcheckInvalid, "postCheck: unknown method %q", m)
		}
	}
	if p.TimeLimitDays <= 0 || p.TimeLimitDays > 366 {
		return malformed(apperr.CodePostcheckInvalid, "postCheck.timeLimitDays must be between 1 and 366")
	}
	if p.SamplingPermille < 0 || p.SamplingPermille > 1000 {
		return malformed(apperr.CodePostcheckInvalid, "postCheck.samplingPermille must be between 0 and 1000")
	}
	return nil
}

// InForce reports whether version e governs time at among versions, that
// is, it is the newest version whose EffectiveFrom is not after at.
func inForce(versions []Entry, at time.Time) (Entry, bool) {
	var best Entry
	found := false
	for _, v := range versions {
		if v.EffectiveFrom.After(at) {
			continue
		}
		if !found || v.EffectiveFrom.After(best.EffectiveFrom) ||
			v.EffectiveFrom.Equal(best.EffectiveFrom) && v.Version > best.Version {
			best, found = v, true
		}
	}
	if !found || best.Retired {
		return Entry{}, false
	}
	return best, true
}

// CatalogueRepo keeps catalogue entry versions. Implementations assign
// versions atomically.
type CatalogueRepo interface {
	// AppendEntry stores e as the next version of its key and returns it
	// with Version set. expectVersion is the caller's view of the current
	// latest version (0 for a new key); a different current version is a
	// Conflict, so two editors never overwrite each other silently.
	AppendEntry(ctx context.Context, e Entry, expectVersion int) (Entry, error)
	// EntryVersions returns every version of one key, oldest first
	// (empty, no error, when the key is unknown).
	EntryVersions(ctx context.Context, key EntryKey) ([]Entry, error)
	// MatterEntries returns every version of every certificate of a matter.
	MatterEntries(ctx context.Context, region, matter string) ([]Entry, error)
}

// OwnedAppender is implemented by a CatalogueRepo that checks, atomically
// with the append, that the matter belongs to the entry's owner (the
// store's append script). The catalogue uses it for agency edits.
type OwnedAppender interface {
	AppendOwnedEntry(ctx context.Context, e Entry, expectVersion int) (Entry, error)
}

// Editor is who changes the catalogue: an admin, or an agency within its scope.
type Editor struct {
	Admin  bool
	Agency string // the editor's agency code (its scope)
	Actor  string // an officer or admin identifier for the record
}

// Catalogue is the catalogue service.
type Catalogue struct {
	repo  CatalogueRepo
	clock clock.Clock
}

// NewCatalogue returns a catalogue service.
func NewCatalogue(repo CatalogueRepo, clk clock.Clock) *Catalogue {
	return &Catalogue{repo: repo, clock: clk}
}

// Record validates e and appends it as a new version. An agency may only
// record entries it owns, in its own region (the region code its agency
// code starts with, scope.AgencyRegion), under matters no other agency
// owns; an admin may record any. EffectiveFrom may not lie in the past: the
// catalogue in force at a past time never changes.
func (c *Catalogue) Record(ctx context.Context, ed Editor, e Entry, expectVersion int) (Entry, error) {
	if !ed.Admin {
		if ed.Agency == "" || ed.Agency != e.Owner {
			return Entry{}, apperr.New(apperr.Forbidden, "an agency may only change catalogue entries in its own scope").WithCode(apperr.CodeOutOfScope)
		}
		if !scope.AgencyActsIn(ed.Agency, e.Region) {
			return Entry{}, apperr.New(apperr.Forbidden, "an agency may only record catalogue entries of its own region / 只能登记本机关所在地区的清单事项").WithCode(apperr.CodeOutOfScope)
		}
		if err := c.matterOwnedBy(ctx, e.Region, e.Matter, ed.Agency); err != nil {
			return Entry{}, err
		}
	}
	now := c.clock.Now()
	e.RecordedAt = now
	e.RecordedBy = ed.Actor
	e.EffectiveFrom = e.EffectiveFrom.UTC().Truncate(time.Second)
	if err := e.Validate(); err != nil {
		return Entry{}, err
	}
	if e.EffectiveFrom.Before(now.Add(-time.Minute)) {
		return Entry{}, malformed(apperr.CodeEffectiveInPast, "effectiveFrom lies in the past: a new version takes effect now or later")
	}
	if expectVersion > 0 {
		prev, err := c.repo.EntryVersions(ctx, e.EntryKey)
		if err != nil {
			return Entry{}, err
		}
		if len(prev) > 0 && !ed.Admin && prev[len(prev)-1].Owner != ed.Agency {
			return Entry{}, apperr.New(apperr.Forbidden, "the entry belongs to another agency").WithCode(apperr.CodeOutOfScope)
		}
	}
	if oa, ok := c.repo.(OwnedAppender); ok && !ed.Admin {
		return oa.AppendOwnedEntry(ctx, e, expectVersion)
	}
	return c.repo.AppendEntry(ctx, e, expectVersion)
}

// matterOwnedBy refuses a matter of which any version of any certificate
// belongs to another agency: an agency adds certificates only under matters
// it owns (or new ones).
func (c *Catalogue) matterOwnedBy(ctx context.Context, region, matter, agency string) error {
	versions, err := c.repo.MatterEntries(ctx, region, matter)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if v.Owner != agency {
			return apperr.New(apperr.Forbidden, "matter %s of region %s belongs to another agency / 该事项属于其他机关", matter, region).WithCode(apperr.CodeOutOfScope)
		}
	}
	return nil
}

// Demand is the answer for one certificate of a matter: whether it may be
// demanded and how it is replaced.
type Demand struct {
	Entry Entry `json:"entry"`
	// Modes repeats Entry.Modes: the replacement modes, preferred first.
	Modes []Mode `json:"modes"`
}

// NotInCatalogue is the answer for anything absent from the catalogue.
var notInCatalogue = Text{Zh: "不在清单内，不得索要", En: "Not in the catalogue: may not be demanded"}

// NotInCatalogue returns the answer text for anything absent from the catalogue.
func NotInCatalogue() Text { return notInCatalogue }

// MatterAnswer answers "for matter M at time T, which certificates may be
// demanded and how is each replaced?".
type MatterAnswer struct {
	Region  string    `json:"region"`
	Matter  string    `json:"matter"`
	At      time.Time `json:"at"`
	Demands []Demand  `json:"demands"`
	// Message is set when nothing may be demanded for the matter.
	Message *Text `json:"message,omitempty"`
}

// ForMatter answers the public query for a matter at time at (zero: now).
func (c *Catalogue) ForMatter(ctx context.Context, region, matter string, at time.Time) (MatterAnswer, error) {
	if err := checkCode("region", region); err != nil {
		return MatterAnswer{}, err
	}
	if err := checkCode("matter", matter); err != nil {
		return MatterAnswer{}, err
	}
	if at.IsZero() {
		at = c.clock.Now()
	}
	all, err := c.repo.MatterEntries(ctx, region, matter)
	if err != nil {
		return MatterAnswer{}, err
	}
	byCert := map[string][]Entry{}
	for _, e := range all {
		byCert[e.Certificate] = append(byCert[e.Certificate], e)
	}
	ans := MatterAnswer{Region: region, Matter: matter, At: at, Demands: []Demand{}}
	for _, vs := range byCert {
		if e, ok := inForce(vs, at); ok {
			ans.Demands = append(ans.Demands, Demand{Entry: e, Modes: e.Modes})
		}
	}
	sort.Slice(ans.Demands, func(i, j int) bool { return ans.Demands[i].Entry.Certificate < ans.Demands[j].Entry.Certificate })
	if len(ans.Demands) == 0 {
		m := notInCatalogue
		ans.Message = &m
	}
	return ans, nil
}

// EntryAt returns the version of key in force at time at, or a NotFound error
// with code NOT_IN_CATALOGUE and the answer text.
func (c *Catalogue) EntryAt(ctx context.Context, key EntryKey, at time.Time) (Entry, error) {
	vs, err := c.repo.EntryVersions(ctx, key)
	if err != nil {
		return Entry{}, err
	}
	e, ok := inForce(vs, at)
	if !ok {
		return Entry{}, apperr.New(apperr.NotFound, "%s (%s)", notInCatalogue.Zh, notInCatalogue.En).WithCode(apperr.CodeNotInCatalogue)
	}
	return e, nil
}

// PledgeableAt returns the entry in force for key at time at and refuses,
// with a clear reason, a matter not in force or not pledge-eligible.
func (c *Catalogue) PledgeableAt(ctx context.Context, key EntryKey, at time.Time) (Entry, error) {
	e, err := c.EntryAt(ctx, key, at)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return Entry{}, apperr.New(apperr.Conflict, "the matter is not in force in the catalogue: %s (事项不在清单内或未生效)", notInCatalogue.En).WithCode(apperr.CodeMatterNotInForce)
		}
		return Entry{}, err
	}
	if !e.PledgeEligible || !slices.Contains(e.Modes, ModeWrittenPledge) {
		return Entry{}, apperr.New(apperr.Conflict, "the matter may not be pledged (不适用告知承诺): excluded for %s", e.Exclusion).WithCode(apperr.CodeNotPledgeEligible)
	}
	return e, nil
}

// Versions returns every version of one entry, oldest first: the history a
// public catalogue page or an audit shows.
func (c *Catalogue) Versions(ctx context.Context, key EntryKey) ([]Entry, error) {
	for _, f := range []struct{ name, v string }{{"region", key.Region}, {"matter", key.Matter}, {"certificate", key.Certificate}} {
		if err := checkCode(f.name, f.v); err != nil {
			return nil, err
		}
	}
	return c.repo.EntryVersions(ctx, key)
}

// MatterIndex is implemented by a CatalogueRepo that indexes matters by
// region, for the public listing of pledge-eligible matters. Codes come
// back in code order; a page continues after the last code seen.
type MatterIndex interface {
	// Regions returns up to n region codes after the code after ("" = first).
	Regions(ctx context.Context, after string, n int) ([]string, error)
	// RegionNames returns the names recorded for regions (those without
	// one are absent).
	RegionNames(ctx context.Context, regions []string) (map[string]Text, error)
	// RegionMatters returns up to n matter codes of region after after.
	RegionMatters(ctx context.Context, region, after string, n int) ([]string, error)
	// MattersEntries returns every version of every certificate of each
	// matter of region, in the order of matters.
	MattersEntries(ctx context.Context, region string, matters []string) ([][]Entry, error)
}

// Listing bounds: a page holds at most MaxMatterPage matters, and one
// request reads at most matterScanLimit matter codes of the index (a page
// may then be short, with a cursor to continue).
const (
	DefaultMatterPage = 20
	MaxMatterPage     = 50
	matterScanLimit   = 200
)

// PledgeableMatter is a matter with its pledge-eligible certificates in
// force (one entry version each, in certificate order).
type PledgeableMatter struct {
	Region     string
	Matter     string
	MatterName Text
	Entries    []Entry
}

// MatterPage is one page of pledgeable matters; Next continues the
// listing (empty on the last page).
type MatterPage struct {
	Region  string
	At      time.Time
	Matters []PledgeableMatter
	Next    string
}

// Region is a region of the catalogue: its code and, when an entry named
// it, its name.
type Region struct {
	Code string
	Name Text
}

// RegionPage is one page of regions.
type RegionPage struct {
	Regions []Region
	Next    string
}

func (c *Catalogue) matterIndex() (MatterIndex, error) {
	idx, ok := c.repo.(MatterIndex)
	if !ok {
		return nil, apperr.New(apperr.NotFound, "this catalogue keeps no matter index: look a matter up by its codes").WithCode(apperr.CodeListingNotAvailable)
	}
	return idx, nil
}

func pageLimit(limit, most int) (int, error) {
	if limit == 0 {
		return DefaultMatterPage, nil
	}
	if limit < 1 || limit > most {
		return 0, malformed(apperr.CodeFieldInvalid, "limit must be 1 to %d", most)
	}
	return limit, nil
}

// Regions lists the regions of the catalogue (code, and name when an entry
// gave one), in code order.
func (c *Catalogue) Regions(ctx context.Context, cursor string, limit int) (RegionPage, error) {
	idx, err := c.matterIndex()
	if err != nil {
		return RegionPage{}, err
	}
	if cursor != "" && checkCode("cursor", cursor) != nil {
		return RegionPage{}, malformed(apperr.CodeFieldInvalid, "cursor is not one this listing issued")
	}
	n, err := pageLimit(limit, MaxPageSize)
	if err != nil {
		return RegionPage{}, err
	}
	codes, err := idx.Regions(ctx, cursor, n+1)
	if err != nil {
		return RegionPage{}, err
	}
	var p RegionPage
	if len(codes) > n {
		codes, p.Next = codes[:n], codes[n-1]
	}
	names, err := idx.RegionNames(ctx, codes)
	if err != nil {
		return RegionPage{}, err
	}
	p.Regions = make([]Region, len(codes))
	for i, c := range codes {
		p.Regions[i] = Region{Code: c, Name: names[c]}
	}
	return p, nil
}

// PledgeableMatters lists the matters of region that have at least one
// pledge-eligible certificate in force now, in matter-code order, a page
// at a time: the public listing an applicant chooses a matter from.
func (c *Catalogue) PledgeableMatters(ctx context.Context, region, cursor string, limit int) (MatterPage, error) {
	idx, err := c.matterIndex()
	if err != nil {
		return MatterPage{}, err
	}
	if err := checkCode("region", region); err != nil {
		return MatterPage{}, err
	}
	if cursor != "" && checkCode("cursor", cursor) != nil {
		return MatterPage{}, malformed(apperr.CodeFieldInvalid, "cursor is not one this listing issued")
	}
	n, err := pageLimit(limit, MaxMatterPage)
	if err != nil {
		return MatterPage{}, err
	}
	now := c.clock.Now()
	page := MatterPage{Region: region, At: now, Matters: []PledgeableMatter{}}
	after, scanned := cursor, 0
	for scanned < matterScanLimit {
		batch := min(2*n, matterScanLimit-scanned)
		codes, err := idx.RegionMatters(ctx, region, after, batch)
		if err != nil {
			return MatterPage{}, err
		}
		all, err := idx.MattersEntries(ctx, region, codes)
		if err != nil {
			return MatterPage{}, err
		}
		exhausted := len(codes) < batch
		for i, code := range codes {
			scanned++
			after = code
			m, ok := pledgeableNow(region, code, all[i], now)
			if !ok {
				continue
			}
			page.Matters = append(page.Matters, m)
			if len(page.Matters) == n {
				if !exhausted || i < len(codes)-1 {
					page.Next = code
				}
				return page, nil
			}
		}
		if exhausted {
			return page, nil
		}
	}
	// The scan bound was reached: a short page, continued after the last
	// code read.
	page.Next = after
	return page, nil
}

// pledgeableNow keeps, of a matter's versions, the pledge-eligible
// certificates in force at now.
func pledgeableNow(region, matter string, versions []Entry, now time.Time) (PledgeableMatter, bool) {
	byCert := map[string][]Entry{}
	for _, e := range versions {
		if e.Region == region && e.Matter == matter {
			byCert[e.Certificate] = append(byCert[e.Certificate], e)
		}
	}
	m := PledgeableMatter{Region: region, Matter: matter}
	for _, vs := range byCert {
		if e, ok := inForce(vs, now); ok && e.PledgeEligible && slices.Contains(e.Modes, ModeWrittenPledge) {
			m.Entries = append(m.Entries, e)
		}
	}
	if len(m.Entries) == 0 {
		return PledgeableMatter{}, false
	}
	sort.Slice(m.Entries, func(i, j int) bool { return m.Entries[i].Certificate < m.Entries[j].Certificate })
	m.MatterName = m.Entries[0].MatterName
	return m, true
}

// ownerScanLimit bounds how many matters OwnsEntries reads.
const ownerScanLimit = 10000

// OwnsEntries reports whether agency owns any catalogue entry (any version)
// in its own region (scope.AgencyRegion): an agency known to the catalogue.
func (c *Catalogue) OwnsEntries(ctx context.Context, agency string) (bool, error) {
	region, ok := scope.AgencyRegion(agency)
	if !ok {
		return false, nil
	}
	idx, err := c.matterIndex()
	if err != nil {
		return false, err
	}
	after := ""
	for scanned := 0; scanned < ownerScanLimit; {
		codes, err := idx.RegionMatters(ctx, region, after, 200)
		if err != nil {
			return false, err
		}
		all, err := idx.MattersEntries(ctx, region, codes)
		if err != nil {
			return false, err
		}
		for i := range codes {
			for _, e := range all[i] {
				if e.Owner == agency {
					return true, nil
				}
			}
		}
		if len(codes) < 200 {
			return false, nil
		}
		scanned += len(codes)
		after = codes[len(codes)-1]
	}
	return false, nil
}

// HasRegionWithin reports whether the catalogue names a region that the
// jurisdiction covers (scope.Covers): a jurisdiction known to the catalogue.
func (c *Catalogue) HasRegionWithin(ctx context.Context, jurisdiction string) (bool, error) {
	cursor := ""
	for range ownerScanLimit / MaxPageSize {
		p, err := c.Regions(ctx, cursor, MaxPageSize)
		if err != nil {
			return false, err
		}
		for _, r := range p.Regions {
			if scope.Covers(jurisdiction, r.Code) {
				return true, nil
			}
		}
		if p.Next == "" {
			return false, nil
		}
		cursor = p.Next
	}
	return false, nil
}
