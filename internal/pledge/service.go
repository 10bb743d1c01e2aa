package pledge

import (
	"context"
	"encoding/hex"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/jcs"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// Signature ways.
const (
	WayEventCertificate = "EVENT_CERTIFICATE"
	WayOwnCertificate   = "OWN_CERTIFICATE"
)

// Record is a signed pledge as kept by the service. Document holds personal
// data: the repository must store it encrypted.
type Record struct {
	ID        string    `json:"id"`
	Status    Status    `json:"status"`
	Document  []byte    `json:"-"`
	Digest    [32]byte  `json:"digest"`
	Applicant string    `json:"applicant"` // keyed-hash index of the identity
	Agency    string    `json:"agency"`
	Notice    NoticeRef `json:"notice"`
	Entry     EntryKey  `json:"entry"`
	Way       string    `json:"way"`
	// ApplicantCMS is the detached CMS over Document; Certificates the
	// signer's certificate and its chain (DER), signer first.
	ApplicantCMS []byte    `json:"applicantCms"`
	Certificates [][]byte  `json:"certificates"`
	Fingerprint  string    `json:"fingerprint"`
	CreatedAt    time.Time `json:"createdAt"`
	Events       []Event   `json:"events"`
	Decision     *Decision `json:"decision,omitempty"`
}

// Draft is a prepared, not yet signed pledge document, kept briefly so a
// client can sign its exact bytes with its own certificate.
type Draft struct {
	ID          string    `json:"id"`
	Document    []byte    `json:"-"`
	Digest      [32]byte  `json:"digest"`
	Applicant   string    `json:"applicant"`
	Fingerprint string    `json:"fingerprint"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

// Transition is one atomic status change.
type Transition struct {
	From     []Status
	Event    Event
	Decision *Decision // set on acceptance
}

// PledgeRepo keeps drafts and pledges. Every method is atomic.
type PledgeRepo interface {
	// PutDraft stores d for ttl unless a draft with its ID exists, and
	// returns the stored draft (the existing one on a repeat).
	PutDraft(ctx context.Context, d Draft, ttl time.Duration) (Draft, error)
	// GetDraft returns a draft, NotFound when absent or expired.
	GetDraft(ctx context.Context, id string) (Draft, error)
	// CreatePledge stores r unless a pledge with its ID exists; it returns
	// the stored record and whether it was created now.
	CreatePledge(ctx context.Context, r Record) (Record, bool, error)
	// GetPledge returns a pledge, NotFound when absent.
	GetPledge(ctx context.Context, id string) (Record, error)
	// ReadForSigning reads, in one round trip, what preparing a pledge
	// reads first: the pledge and the draft of an id, and the latest
	// version number of a notice.
	ReadForSigning(ctx context.Context, pledgeID, noticeID string) (SigningState, error)
	// Transition moves the pledge to t.Event.To if its status is one of
	// t.From (Conflict otherwise), appending the event; it returns the
	// updated record.
	Transition(ctx context.Context, id string, t Transition) (Record, error)
	// ListByApplicant returns a page of the pledges of the applicant with
	// keyed-hash index subject, newest first, after cursor ("" = first
	// page); Malformed for a cursor it did not issue.
	ListByApplicant(ctx context.Context, subject, cursor string, limit int) (Page, error)
	// ListByAgency returns a page of the agency's pledges now in status st,
	// the latest to enter it first, after cursor.
	ListByAgency(ctx context.Context, agency string, st Status, cursor string, limit int) (Page, error)
}

// Listing page sizes.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// Page is one page of a listing. Next is the opaque cursor of the next
// page, empty on the last one.
type Page struct {
	Records []Record
	Next    string
}

// ListQuery selects a page: Cursor from the previous page's Next (empty for
// the first), Limit 1 to MaxPageSize (0 means DefaultPageSize).
// Matter, when set, keeps only the pledges of that matter: the page is
// read as without it and then filtered, so it may be short (even empty)
// while Next continues.
type ListQuery struct {
	Cursor string
	Limit  int
	Matter string
}

func (q *ListQuery) normalise() error {
	if q.Limit == 0 {
		q.Limit = DefaultPageSize
	}
	if q.Limit < 1 || q.Limit > MaxPageSize {
		return malformed(apperr.CodeFieldInvalid, "limit must be 1 to %d", MaxPageSize)
	}
	if q.Matter != "" {
		return checkCode("matter", q.Matter)
	}
	return nil
}

// filter keeps the records of the query's matter (all without one).
func (q ListQuery) filter(p Page) Page {
	if q.Matter == "" {
		return p
	}
	kept := p.Records[:0:0]
	for _, r := range p.Records {
		if r.Entry.Matter == q.Matter {
			kept = append(kept, r)
		}
	}
	p.Records = kept
	return p
}

// Indexer computes keyed-hash indexes (pii.Protector implements it).
type Indexer interface {
	Index(kind, value string) string
}

// Deps are the service's collaborators.
type Deps struct {
	Catalogue *Catalogue
	Notices   *Notices
	Bars      BarRepo
	Pledges   PledgeRepo
	Indexer   Indexer
	Sealer    Sealer
	CMS       CMS
	// Stamp, when set, time-stamps each applicant CMS at submission
	// (stamping.go).
	Stamp CMSStamper
	// EventCA issues event certificates; ApplicantTrust holds the anchors
	// applicant signatures must chain to (it includes the event CA's root).
	EventCA        *pki.Issuer
	ApplicantTrust *pki.TrustStore
	Clock          clock.Clock
	// DraftTTL bounds how long a prepared document may wait for its
	// signature (default 15 minutes).
	DraftTTL time.Duration
	// OwnCertificateMatches tells whether an applicant's own certificate
	// belongs to the authenticated applicant (way b). The default
	// (SubjectSerialMatches) compares the subject serialNumber with the
	// identity document number; a deployment whose CAs write identities
	// differently supplies its own rule.
	OwnCertificateMatches func(a Applicant, cert *smx509.Certificate) bool
	// BaseURL is the service's public base URL: the status link sealed
	// into each decision is StatusURL(BaseURL, id).
	BaseURL string
}

// StatusURL is the public status link of a pledge under base (the
// service's verification report of it); an empty base is the development
// address http://localhost:8080.
func StatusURL(base, pledgeID string) string {
	base = strings.TrimRight(base, "/")
	if base == "" {
		base = "http://localhost:8080"
	}
	return base + "/v1/pledges/" + pledgeID + "/verification"
}

// SubjectSerialMatches reports whether cert's subject serialNumber is the
// applicant's identity document number (white space and letter case
// ignored).
func SubjectSerialMatches(a Applicant, cert *smx509.Certificate) bool {
	return cert != nil && a.IDNumber != "" && pii.Normalize(cert.Subject.SerialNumber) == pii.Normalize(a.IDNumber)
}

// Service signs, withdraws and accepts pledges.
type Service struct{ d Deps }

// NewService returns the pledge service.
func NewService(d Deps) *Service {
	if d.DraftTTL <= 0 {
		d.DraftTTL = 15 * time.Minute
	}
	if d.CMS == nil {
		d.CMS = PKICMS{}
	}
	if d.OwnCertificateMatches == nil {
		d.OwnCertificateMatches = SubjectSerialMatches
	}
	return &Service{d: d}
}

// SignRequest is what the applicant asks for; the identity is passed
// separately, from authentication.
type SignRequest struct {
	Notice         NoticeRef
	Facts          []Fact
	Channel        string
	IdempotencyKey string
}

// SubjectIndex returns the keyed-hash index of an applicant identity.
func (s *Service) SubjectIndex(a Applicant) string {
	return s.d.Indexer.Index("applicant", a.Kind+"|"+a.IDType+"|"+a.IDNumber)
}

// pledgeID derives the pledge ID from the applicant and the idempotency key,
// so a repeat maps to the same pledge and one key is the only lock needed.
func (s *Service) pledgeID(subject, idemKey string) string {
	return "P" + s.d.Indexer.Index("pledge-id", subject+"|"+idemKey)[:32]
}

func (r *SignRequest) validate() error {
	if len(r.IdempotencyKey) < 8 {
		return malformed(apperr.CodeIdempotencyKeyRequired, "an idempotency key of 8 to 64 characters is required")
	}
	if err := checkCode("idempotencyKey", r.IdempotencyKey); err != nil {
		return err
	}
	if err := checkCode("notice.id", r.Notice.ID); err != nil {
		return err
	}
	if r.Notice.Version <= 0 {
		return malformed(apperr.CodeFieldInvalid, "notice.version must be positive")
	}
	if d, err := hex.DecodeString(r.Notice.Digest); err != nil || len(d) != 32 || r.Notice.Digest != strings.ToLower(r.Notice.Digest) {
		return malformed(apperr.CodeFieldInvalid, "notice.digest must be 64 lowercase hex characters (SM3)")
	}
	if !slices.Contains([]string{ChannelWeb, ChannelApp, ChannelCounter, ChannelAPI}, r.Channel) {
		return malformed(apperr.CodeFieldInvalid, "channel must be WEB, APP, COUNTER or API")
	}
	if len(r.Facts) > maxList {
		return malformed(apperr.CodeFieldInvalid, "at most %d attested facts", maxList)
	}
	seen := map[string]bool{}
	for _, f := range r.Facts {
		if err := checkCode("facts.code", f.Code); err != nil {
			return err
		}
		if seen[f.Code] {
			return malformed(apperr.CodeFieldInvalid, "fact %s is given twice", f.Code)
		}
		seen[f.Code] = true
		if err := checkText("facts.label", f.Label, true, maxShort); err != nil {
			return err
		}
		if err := requireString("facts.value", f.Value, 1000); err != nil {
			return err
		}
	}
	return nil
}

func (r *SignRequest) fingerprint() (string, error) {
	b, err := jcs.Marshal(struct {
		Notice  NoticeRef `json:"notice"`
		Facts   []Fact    `json:"facts"`
		Channel string    `json:"channel"`
	}{r.Notice, r.Facts, r.Channel})
	if err != nil {
		return "", err
	}
	d := pki.Digest(b)
	return hex.EncodeToString(d[:]), nil
}

// Prepared is the outcome of Prepare: a new draft, or (Repeat) the pledge
// the idempotency key already made.
type Prepared struct {
	Draft  Draft
	Repeat *Record
}

// Prepare runs every check a pledge must pass and builds its canonical
// document: the notice version shown must be the one in force and its
// digest must match; the catalogue entry must be in force and
// pledge-eligible; the applicant must not be barred. A repeated
// idempotency key yields the earlier pledge (or draft) instead of a new
// one; the same key with a different request is a Conflict.
func (s *Service) Prepare(ctx context.Context, a Applicant, req SignRequest) (Prepared, error) {
	p, _, err := s.prepare(ctx, a, req, true)
	return p, err
}

// prepare is Prepare. With keepDraft false a new document is not stored as
// a draft (the caller signs it at once) and is also returned decoded; a
// draft or pledge that already exists is returned as Prepare returns it,
// with a nil document.
//
// Skipping the draft keeps idempotency and crash safety for a caller that
// signs at once: a repeat finds the pledge (GetPledge above), a draft made
// earlier by way (b) for the same key is still found and signed, and
// CreatePledge is the only write, atomic and first-wins, so of concurrent
// repeats one pledge is stored and the others get it back (finish refuses
// one whose request differs). A crash before that write leaves nothing
// behind, so the retry prepares afresh; nothing had been acknowledged.
func (s *Service) prepare(ctx context.Context, a Applicant, req SignRequest, keepDraft bool) (Prepared, *Document, error) {
	if err := a.validate(); err != nil {
		return Prepared{}, nil, err
	}
	if err := req.validate(); err != nil {
		return Prepared{}, nil, err
	}
	fp, err := req.fingerprint()
	if err != nil {
		return Prepared{}, nil, err
	}
	// Keyed, so facts (which may be personal data) cannot be guessed from
	// the stored fingerprint.
	fp = s.d.Indexer.Index("pledge-request", fp)
	subject := s.SubjectIndex(a)
	id := s.pledgeID(subject, req.IdempotencyKey)

	// One round trip: the pledge, the draft and the latest notice version.
	st, err := s.d.Pledges.ReadForSigning(ctx, id, req.Notice.ID)
	if err != nil {
		return Prepared{}, nil, err
	}
	if existing := st.Pledge; existing != nil {
		if existing.Fingerprint != fp {
			return Prepared{}, nil, apperr.New(apperr.Conflict, "the idempotency key was already used for a different pledge").WithCode(apperr.CodeIdempotencyKeyReused)
		}
		return Prepared{Repeat: existing}, nil, nil
	}
	if d := st.Draft; d != nil {
		if d.Fingerprint != fp {
			return Prepared{}, nil, apperr.New(apperr.Conflict, "the idempotency key was already used for a different pledge").WithCode(apperr.CodeIdempotencyKeyReused)
		}
		return Prepared{Draft: *d}, nil, nil
	}

	now := s.d.Clock.Now().Truncate(time.Second)
	if st.LatestNotice == 0 {
		return Prepared{}, nil, apperr.New(apperr.NotFound, "no such notice").WithCode(apperr.CodeNoticeNotFound)
	}
	notice, err := s.d.Notices.Get(ctx, req.Notice.ID, st.LatestNotice)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return Prepared{}, nil, apperr.New(apperr.NotFound, "no such notice").WithCode(apperr.CodeNoticeNotFound)
		}
		return Prepared{}, nil, err
	}
	if notice.Notice.Version != req.Notice.Version {
		return Prepared{}, nil, apperr.New(apperr.Conflict, "notice version %d is not the one in force (version %d): read the current notice (告知书已更新)", req.Notice.Version, notice.Notice.Version).WithCode(apperr.CodeNoticeSuperseded)
	}
	if notice.DigestHex() != req.Notice.Digest {
		// A kept version disagrees: read it again before refusing.
		if fresh, err := s.d.Notices.reload(ctx, req.Notice.ID, notice.Notice.Version); err == nil {
			notice = fresh
		}
	}
	if notice.DigestHex() != req.Notice.Digest {
		return Prepared{}, nil, apperr.New(apperr.Conflict, "the notice digest does not match the notice published (告知书摘要不一致)").WithCode(apperr.CodeNoticeDigestMismatch)
	}
	entry, err := s.d.Catalogue.PledgeableAt(ctx, notice.Notice.Entry, now)
	if err != nil {
		return Prepared{}, nil, err
	}
	if entry.Version != notice.Notice.CatalogueVersion {
		return Prepared{}, nil, apperr.New(apperr.Conflict, "the catalogue entry changed after the notice was published; the agency must publish a new notice").WithCode(apperr.CodeNoticeStale)
	}
	elig, err := checkBars(ctx, s.d.Bars, subject, entry.EntryKey, now)
	if err != nil {
		return Prepared{}, nil, err
	}
	facts := req.Facts
	if facts == nil {
		facts = []Fact{}
	}
	stmts := Statements()
	for i := range stmts {
		stmts[i].Acknowledged = true
	}
	doc := Document{
		Format:           DocumentFormat,
		PledgeID:         id,
		Notice:           req.Notice,
		Agency:           notice.Notice.Agency,
		Entry:            entry.EntryKey,
		CatalogueVersion: entry.Version,
		Applicant:        a,
		Statements:       stmts,
		Facts:            facts,
		Channel:          req.Channel,
		SignedAt:         now,
		Eligibility:      elig,
		IdempotencyKey:   req.IdempotencyKey,
	}
	canon, err := doc.Canonical()
	if err != nil {
		return Prepared{}, nil, err
	}
	if len(canon) > MaxDocument {
		return Prepared{}, nil, apperr.New(apperr.TooLarge, "the pledge document would exceed %d bytes", MaxDocument).WithCode(apperr.CodeDocumentTooLarge)
	}
	d := Draft{
		ID: id, Document: canon, Digest: pki.Digest(canon), Applicant: subject,
		Fingerprint: fp, ExpiresAt: now.Add(s.d.DraftTTL),
	}
	if !keepDraft {
		return Prepared{Draft: d}, &doc, nil
	}
	d, err = s.d.Pledges.PutDraft(ctx, d, s.d.DraftTTL)
	if err != nil {
		return Prepared{}, nil, err
	}
	return Prepared{Draft: d}, nil, nil
}

// SigningState is what PledgeRepo.ReadForSigning returns.
type SigningState struct {
	Pledge *Record // nil: no pledge with that id
	Draft  *Draft  // nil: no draft (or it expired)
	// LatestNotice is the latest published version of the notice, 0 when
	// none is.
	LatestNotice int
}

// SignWithEventCertificate prepares the pledge and signs it with a one-time
// event certificate (way a). created is false on a repeat.
func (s *Service) SignWithEventCertificate(ctx context.Context, a Applicant, req SignRequest) (rec Record, created bool, err error) {
	p, doc, err := s.prepare(ctx, a, req, false)
	if err != nil {
		return Record{}, false, err
	}
	if p.Repeat != nil {
		return *p.Repeat, false, nil
	}
	if doc == nil {
		// A stored draft (way b prepared it with this key): sign its bytes.
		if doc, err = ParseDocument(p.Draft.Document); err != nil {
			return Record{}, false, apperr.Wrap(apperr.Internal, err, "prepared document does not parse")
		}
	}
	sig, _, err := SignWithEventCertificate(s.d.CMS, s.d.EventCA, a, p.Draft.ID, p.Draft.Document, doc.SignedAt)
	if err != nil {
		return Record{}, false, err
	}
	return s.finish(ctx, p.Draft, doc, sig, func(res SignerResult) error {
		if !res.EventCertificate {
			return apperr.New(apperr.Internal, "the event signature lost its pledge binding")
		}
		return nil
	})
}

// SubmitOwnSignature completes a prepared pledge with the applicant's own
// CMS over the draft's bytes (way b): detached, or embedding exactly those
// bytes. A signature over other bytes is refused with
// apperr.CodeCMSOtherDocument before any verification; CheckOwnSignature
// runs the same checks without storing. created is false on a repeat.
func (s *Service) SubmitOwnSignature(ctx context.Context, a Applicant, pledgeID string, cms []byte) (rec Record, created bool, err error) {
	if err := a.validate(); err != nil {
		return Record{}, false, err
	}
	if err := checkCode("pledgeId", pledgeID); err != nil {
		return Record{}, false, err
	}
	subject := s.SubjectIndex(a)
	if r, err := s.d.Pledges.GetPledge(ctx, pledgeID); err == nil {
		if r.Applicant != subject {
			return Record{}, false, apperr.New(apperr.NotFound, "no such pledge draft").WithCode(apperr.CodeDraftNotFound)
		}
		return r, false, nil
	} else if apperr.KindOf(err) != apperr.NotFound {
		return Record{}, false, err
	}
	d, doc, err := s.ownDraft(ctx, subject, pledgeID)
	if err != nil {
		return Record{}, false, err
	}
	// A signature over other bytes gets the clearest refusal first.
	oc, err := signedCMS(cms)
	if err != nil {
		return Record{}, false, err
	}
	if err := sameDocument(oc, d); err != nil {
		return Record{}, false, err
	}
	return s.finish(ctx, d, doc, cms, s.acceptOwn(a))
}

// finish verifies the applicant signature by the one shared code path and
// stores the pledge.
func (s *Service) finish(ctx context.Context, d Draft, doc *Document, sig []byte, accept func(SignerResult) error) (Record, bool, error) {
	res, err := VerifyApplicantSignature(s.d.CMS, s.d.ApplicantTrust, d.ID, d.Document, sig, doc.SignedAt)
	if err != nil {
		return Record{}, false, err
	}
	if err := accept(res); err != nil {
		return Record{}, false, err
	}
	if s.d.Stamp != nil {
		if sig, err = s.d.Stamp.CMS(ctx, sig); err != nil {
			return Record{}, false, err
		}
	}
	way := WayOwnCertificate
	if res.EventCertificate {
		way = WayEventCertificate
	}
	var certs [][]byte
	for _, c := range res.Chain {
		certs = append(certs, c.Raw)
	}
	now := s.d.Clock.Now()
	r := Record{
		ID: d.ID, Status: StatusSigned, Document: d.Document, Digest: d.Digest,
		Applicant: d.Applicant, Agency: doc.Agency, Notice: doc.Notice, Entry: doc.Entry,
		Way: way, ApplicantCMS: sig, Certificates: certs, Fingerprint: d.Fingerprint,
		CreatedAt: now,
		Events:    []Event{{To: StatusSigned, At: now, Actor: "applicant"}},
	}
	stored, created, err := s.d.Pledges.CreatePledge(ctx, r)
	if err != nil {
		return Record{}, false, err
	}
	if !created && stored.Fingerprint != d.Fingerprint {
		// A concurrent request with the same key but another content won.
		return Record{}, false, apperr.New(apperr.Conflict, "the idempotency key was already used for a different pledge").WithCode(apperr.CodeIdempotencyKeyReused)
	}
	return stored, created, nil
}

// Get returns a pledge for its applicant (others get NotFound).
func (s *Service) Get(ctx context.Context, a Applicant, id string) (Record, error) {
	if err := checkCode("pledgeId", id); err != nil {
		return Record{}, err
	}
	r, err := s.d.Pledges.GetPledge(ctx, id)
	if err != nil {
		return Record{}, err
	}
	if r.Applicant != s.SubjectIndex(a) {
		return Record{}, apperr.New(apperr.NotFound, "no such pledge").WithCode(apperr.CodePledgeNotFound)
	}
	return r, nil
}

// ListMine returns the applicant's own pledges, newest first. The applicant
// comes from authentication; the listing is by its keyed-hash index, so no
// other applicant's pledge can appear.
func (s *Service) ListMine(ctx context.Context, a Applicant, q ListQuery) (Page, error) {
	if err := a.validate(); err != nil {
		return Page{}, err
	}
	if err := q.normalise(); err != nil {
		return Page{}, err
	}
	return s.d.Pledges.ListByApplicant(ctx, s.SubjectIndex(a), q.Cursor, q.Limit)
}

// ListForAgency returns the officer's agency's pledges in status st (empty
// means SIGNED: awaiting the decision), the latest to enter it first. The
// agency is the officer's, never one named by the request.
func (s *Service) ListForAgency(ctx context.Context, o Officer, st Status, q ListQuery) (Page, error) {
	if err := checkCode("agency", o.Agency); err != nil {
		return Page{}, apperr.New(apperr.Forbidden, "the token names no agency").WithCode(apperr.CodeOutOfScope)
	}
	if st == "" {
		st = StatusSigned
	}
	if !slices.Contains(AllStatuses(), st) {
		return Page{}, malformed(apperr.CodeFieldInvalid, "status must be one of %s", strings.Join(statusNames(), ", "))
	}
	if err := q.normalise(); err != nil {
		return Page{}, err
	}
	page, err := s.d.Pledges.ListByAgency(ctx, o.Agency, st, q.Cursor, q.Limit)
	if err != nil {
		return Page{}, err
	}
	return q.filter(page), nil
}

const maxReason = 500

func checkReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return malformed(apperr.CodeReasonRequired, "a reason is required (请说明理由)")
	}
	if !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > maxReason {
		return malformed(apperr.CodeFieldInvalid, "the reason must be valid text of at most %d characters", maxReason)
	}
	return checkString("reason", reason, maxReason)
}

// Withdraw withdraws the applicant's own pledge before the decision.
func (s *Service) Withdraw(ctx context.Context, a Applicant, id, reason string) (Record, error) {
	if err := checkReason(reason); err != nil {
		return Record{}, err
	}
	if _, err := s.Get(ctx, a, id); err != nil {
		return Record{}, err
	}
	r, err := s.d.Pledges.Transition(ctx, id, Transition{
		From:  []Status{StatusSigned},
		Event: Event{To: StatusWithdrawn, At: s.d.Clock.Now(), Actor: "applicant", Reason: reason},
	})
	if apperr.KindOf(err) == apperr.Conflict {
		return Record{}, apperr.Wrap(apperr.Conflict, err, "the pledge can no longer be withdrawn: it has been decided or closed").WithCode(apperr.CodeNotWithdrawable)
	}
	return r, err
}

// Officer is an agency officer acting within the agency's scope.
type Officer struct {
	Agency string
	ID     string
}

func (s *Service) agencyRecord(ctx context.Context, o Officer, id string) (Record, error) {
	if err := checkCode("pledgeId", id); err != nil {
		return Record{}, err
	}
	r, err := s.d.Pledges.GetPledge(ctx, id)
	if err != nil {
		return Record{}, err
	}
	if r.Agency != o.Agency {
		return Record{}, apperr.New(apperr.NotFound, "no such pledge for this agency").WithCode(apperr.CodePledgeNotFound)
	}
	return r, nil
}

// SignedPledgeFormat names the bytes the agency counter-sealed before
// decision statements (DecisionFormat): packages sealed so still verify,
// with their decision facts reported as unsigned.
const SignedPledgeFormat = "pledgeseal.signed-pledge/v1"

// maxSealAttempts bounds how often Accept seals again when the seal's
// timeInfo is not the sealing time its statement states (the sealer read
// its clock in the next second).
const maxSealAttempts = 3

// Accept accepts a signed pledge: the agency's active seal counter-seals
// the decision statement (see DecisionStatement) and the decision is
// recorded. The decision date may not precede the day the pledge was
// signed nor follow the day it is sealed (apperr.CodeDecisionDateInvalid).
func (s *Service) Accept(ctx context.Context, o Officer, id, documentNo, date string) (Record, error) {
	if err := requireString("documentNo", documentNo, maxShort); err != nil {
		return Record{}, err
	}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return Record{}, malformed(apperr.CodeFieldInvalid, "date must be YYYY-MM-DD")
	}
	r, err := s.agencyRecord(ctx, o, id)
	if err != nil {
		return Record{}, err
	}
	if r.Status != StatusSigned {
		return Record{}, apperr.New(apperr.Conflict, "the pledge is %s, not awaiting a decision", r.Status).WithCode(apperr.CodeNotAcceptable)
	}
	doc, err := ParseDocument(r.Document)
	if err != nil {
		return Record{}, apperr.Wrap(apperr.Internal, err, "a stored pledge document does not parse")
	}
	statusURL := StatusURL(s.d.BaseURL, r.ID)
	if err := checkStatusURL(statusURL); err != nil {
		return Record{}, apperr.Wrap(apperr.Internal, err, "the configured base URL gives no valid status link")
	}
	now := s.d.Clock.Now()
	sealedAt := now.UTC().Truncate(time.Second)
	var data, seal []byte
	for attempt := 1; ; attempt++ {
		if err := CheckDecisionDate(date, doc.SignedAt, sealedAt); err != nil {
			return Record{}, err
		}
		if data, err = decisionStatement(r, doc, o.Agency, documentNo, date, statusURL, sealedAt).Canonical(); err != nil {
			return Record{}, err
		}
		if seal, err = s.d.Sealer.SealData(ctx, o.Agency, data, "pledge:"+r.ID); err != nil {
			return Record{}, err
		}
		at, err := sealTime(seal)
		if err != nil {
			return Record{}, err
		}
		if at.Equal(sealedAt) {
			break
		}
		if attempt == maxSealAttempts {
			return Record{}, apperr.New(apperr.Internal, "the seal's time %s keeps differing from the sealing time %s", at.Format(time.RFC3339), sealedAt.Format(time.RFC3339))
		}
		sealedAt = at
	}
	out, err := s.d.Pledges.Transition(ctx, id, Transition{
		From:  []Status{StatusSigned},
		Event: Event{To: StatusAccepted, At: now, Actor: o.ID, DocumentNo: documentNo},
		Decision: &Decision{DocumentNo: documentNo, Date: date, Officer: o.ID, DecidedAt: now,
			SealedData: data, AgencySES: seal},
	})
	if apperr.KindOf(err) == apperr.Conflict {
		return Record{}, apperr.Wrap(apperr.Conflict, err, "the pledge changed status before it could be accepted").WithCode(apperr.CodeNotAcceptable)
	}
	return out, err
}

// sealTime is the timeInfo of a DER SES_Signature a sealer returned.
func sealTime(der []byte) (time.Time, error) {
	sig, err := ses.ParseSignature(der)
	if err != nil {
		return time.Time{}, apperr.Wrap(apperr.Internal, err, "the sealer returned no valid SES_Signature")
	}
	if sig.TBS.TimeInfoErr != "" {
		return time.Time{}, apperr.New(apperr.Internal, "the sealer's SES_Signature has no valid timeInfo")
	}
	return sig.TBS.TimeInfo.UTC(), nil
}

// Return sends a signed pledge back without a decision, with a reason.
func (s *Service) Return(ctx context.Context, o Officer, id, reason string) (Record, error) {
	if err := checkReason(reason); err != nil {
		return Record{}, err
	}
	if _, err := s.agencyRecord(ctx, o, id); err != nil {
		return Record{}, err
	}
	r, err := s.d.Pledges.Transition(ctx, id, Transition{
		From:  []Status{StatusSigned},
		Event: Event{To: StatusReturned, At: s.d.Clock.Now(), Actor: o.ID, Reason: reason},
	})
	if apperr.KindOf(err) == apperr.Conflict {
		return Record{}, apperr.Wrap(apperr.Conflict, err, "the pledge is no longer awaiting a decision").WithCode(apperr.CodeNotReturnable)
	}
	return r, err
}

// Package returns the self-contained package of rec (see BuildPackage) with
// the notice version it binds, read from the notice store. The caller has
// already authorised the reader (the applicant or the agency).
func (s *Service) Package(ctx context.Context, rec Record, statusURL string) ([]byte, error) {
	n, err := s.d.Notices.Get(ctx, rec.Notice.ID, rec.Notice.Version)
	if err != nil {
		if apperr.KindOf(err) == apperr.NotFound {
			return nil, apperr.Wrap(apperr.Internal, err, "the notice a stored pledge binds is missing")
		}
		return nil, err
	}
	if n.DigestHex() != rec.Notice.Digest {
		return nil, apperr.New(apperr.Internal, "the stored notice does not match the digest the pledge binds")
	}
	return BuildPackage(rec, n, statusURL)
}
