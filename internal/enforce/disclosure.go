package enforce

import (
	"context"
	"encoding/json"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// Disclosed is one entry of the public list of false pledges (失信承诺名单):
// personal data masked, listed for at most MaxDisclosureYears from the
// finding.
type Disclosed struct {
	PledgeID      string    `json:"pledgeId"`
	ApplicantName string    `json:"applicantName"` // masked for persons
	ApplicantID   string    `json:"applicantId"`   // masked
	Agency        string    `json:"agency"`
	Region        string    `json:"region"`
	Matter        string    `json:"matter"`
	DocumentNo    string    `json:"documentNo"`
	Effective     time.Time `json:"effective"`
	Expires       time.Time `json:"expires"`
}

// MaxDisclosureYears bounds how long a false pledge stays on the public list.
const MaxDisclosureYears = 5

// MaxDisclosed bounds one listing.
const MaxDisclosed = 200

// Disclosures reads the public list (*store.Registry implements it).
type Disclosures interface {
	DisclosedFindings(ctx context.Context, fromMs, toMs, limit int64) ([][]byte, error)
}

// FalsePledges returns the public list of false pledges, newest first:
// FALSE_CONFIRMED findings of the last MaxDisclosureYears whose pledge is
// still FALSE in the registry now (a reversed finding leaves the list).
// It is open to anyone; names and ID numbers are masked.
func (s *Service) FalsePledges(ctx context.Context, limit int) ([]Disclosed, error) {
	d, ok := s.d.Registry.(Disclosures)
	if !ok {
		return nil, apperr.New(apperr.Unavailable, "the public list is not configured")
	}
	if limit <= 0 || limit > MaxDisclosed {
		limit = MaxDisclosed
	}
	now := s.d.Clock.Now().UTC()
	raws, err := d.DisclosedFindings(ctx, now.AddDate(-MaxDisclosureYears, 0, 0).UnixMilli(), now.UnixMilli(), int64(limit))
	if err != nil {
		return nil, err
	}
	fs := make([]Finding, 0, len(raws))
	subs := make([]status.Subject, 0, len(raws))
	for _, b := range raws {
		var f Finding
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a stored finding does not decode")
		}
		fs = append(fs, f)
		subs = append(subs, status.Subject{Kind: status.KindPledge, ID: f.PledgeID})
	}
	out := []Disclosed{}
	if len(subs) == 0 {
		return out, nil
	}
	ans, err := s.d.Registry.Lookup(ctx, now, subs)
	if err != nil {
		return nil, err
	}
	for i, f := range fs {
		if ans.Results[i].Now.Code != status.False {
			continue
		}
		e := Disclosed{PledgeID: f.PledgeID, Agency: f.Agency, Region: f.Region, Matter: f.Matter, DocumentNo: f.DocumentNo,
			Effective: f.Effective, Expires: f.Effective.AddDate(MaxDisclosureYears, 0, 0)}
		rec, err := s.d.Pledges.GetPledge(ctx, f.PledgeID)
		if err != nil {
			return nil, err
		}
		e.ApplicantName, e.ApplicantID = maskedApplicant(rec.Document)
		out = append(out, e)
	}
	return out, nil
}

// maskedApplicant returns the applicant's name (masked for a person, shown
// for an organisation) and masked ID number from a pledge document; both
// are empty when the document does not parse (nothing unmasked is shown).
func maskedApplicant(document []byte) (name, id string) {
	doc, err := pledge.ParseDocument(document)
	if err != nil {
		return "", ""
	}
	name = doc.Applicant.Name
	if doc.Applicant.Kind == pledge.ApplicantPerson {
		name = pii.MaskName(doc.Applicant.Name)
	}
	return name, pii.MaskID(doc.Applicant.IDNumber)
}

// PublicPledge is a decided pledge published under its matter's disclosure
// policy (公示), personal data masked.
type PublicPledge struct {
	PledgeID       string    `json:"pledgeId"`
	ApplicantName  string    `json:"applicantName"` // masked for persons
	ApplicantID    string    `json:"applicantId"`   // masked
	Agency         string    `json:"agency"`
	Region         string    `json:"region"`
	Matter         string    `json:"matter"`
	Certificate    string    `json:"certificate"`
	DecisionNo     string    `json:"decisionNo"`
	DecisionDate   string    `json:"decisionDate"`
	Decided        time.Time `json:"decided"`
	PublishedUntil time.Time `json:"publishedUntil"`
}

// PublicPage is one page of published pledges; Next is the cursor of the
// following page ("" on the last). A page may hold fewer than the limit
// (entries that expired or were revoked are left out), even none.
type PublicPage struct {
	Pledges []PublicPledge `json:"pledges"`
	Next    string         `json:"next,omitempty"`
}

// Publications reads the public index of decided pledges
// (*store.PledgeRepo implements it).
type Publications interface {
	ListPublished(ctx context.Context, region, matter, cursor string, limit int) (store.PublishedPage, error)
	GetPublished(ctx context.Context, id string) (store.Published, error)
}

// DefaultPublicLimit and MaxPublicLimit bound a page of the public listing.
const (
	DefaultPublicLimit = 20
	MaxPublicLimit     = store.MaxPublishedPage
)

func (s *Service) publications() (Publications, error) {
	if p, ok := s.d.Pledges.(Publications); ok {
		return p, nil
	}
	return nil, apperr.New(apperr.Unavailable, "the public listing is not configured")
}

// PublicPledges lists the published pledges of a region and matter, newest
// decision first. A pledge is listed from its decision (when the disclosure
// policy of the catalogue entry it was signed under publishes pledges)
// until its publication period ends, and only while its registry state is
// in good standing (no event, or ACTIVE): a revoked, false or unfulfilled
// pledge leaves the list (a false one shows on the list of false pledges
// instead) and returns if an appeal reverses it. Open to anyone.
func (s *Service) PublicPledges(ctx context.Context, region, matter, cursor string, limit int) (PublicPage, error) {
	if !codePattern.MatchString(region) || !codePattern.MatchString(matter) {
		return PublicPage{}, apperr.New(apperr.Malformed, "region and matter are required catalogue codes / 需要地区和事项代码").WithCode(apperr.CodeFieldInvalid)
	}
	if limit == 0 {
		limit = DefaultPublicLimit
	}
	if limit < 1 || limit > MaxPublicLimit {
		return PublicPage{}, apperr.New(apperr.Malformed, "limit must be 1 to %d", MaxPublicLimit).WithCode(apperr.CodeFieldInvalid)
	}
	pubs, err := s.publications()
	if err != nil {
		return PublicPage{}, err
	}
	page, err := pubs.ListPublished(ctx, region, matter, cursor, limit)
	if err != nil {
		return PublicPage{}, err
	}
	list, err := s.standing(ctx, page.Entries)
	if err != nil {
		return PublicPage{}, err
	}
	return PublicPage{Pledges: list, Next: page.Next}, nil
}

// PublicPledge returns one published pledge; NotFound when it is not (or
// no longer) published, as for a pledge that does not exist.
func (s *Service) PublicPledge(ctx context.Context, id string) (PublicPledge, error) {
	notFound := apperr.New(apperr.NotFound, "no published pledge / 未找到公示的承诺").WithCode(apperr.CodePledgeNotFound)
	if !codePattern.MatchString(id) {
		return PublicPledge{}, notFound
	}
	pubs, err := s.publications()
	if err != nil {
		return PublicPledge{}, err
	}
	p, err := pubs.GetPublished(ctx, id)
	if apperr.KindOf(err) == apperr.NotFound {
		return PublicPledge{}, notFound
	}
	if err != nil {
		return PublicPledge{}, err
	}
	list, err := s.standing(ctx, []store.Published{p})
	if err != nil {
		return PublicPledge{}, err
	}
	if len(list) == 0 {
		return PublicPledge{}, notFound
	}
	return list[0], nil
}

// standing keeps the entries still published now: not expired, and in
// good standing in the registry (one lookup for all of them; a registry
// that cannot be read fails the call rather than show a revoked pledge).
func (s *Service) standing(ctx context.Context, entries []store.Published) ([]PublicPledge, error) {
	out := []PublicPledge{}
	if len(entries) == 0 {
		return out, nil
	}
	now := s.d.Clock.Now().UTC()
	subs := make([]status.Subject, len(entries))
	for i, e := range entries {
		subs[i] = status.Subject{Kind: status.KindPledge, ID: e.Record.ID}
	}
	ans, err := s.d.Registry.Lookup(ctx, now, subs)
	if err != nil {
		return nil, err
	}
	for i, e := range entries {
		if !now.Before(e.Until) {
			continue
		}
		if c := ans.Results[i].Now.Code; c != status.Unknown && c != status.Active {
			continue
		}
		rec := e.Record
		p := PublicPledge{PledgeID: rec.ID, Agency: rec.Agency, Region: rec.Entry.Region, Matter: rec.Entry.Matter,
			Certificate: rec.Entry.Certificate, PublishedUntil: e.Until}
		if rec.Decision != nil {
			p.DecisionNo, p.DecisionDate, p.Decided = rec.Decision.DocumentNo, rec.Decision.Date, rec.Decision.DecidedAt.UTC()
		}
		p.ApplicantName, p.ApplicantID = maskedApplicant(rec.Document)
		out = append(out, p)
	}
	return out, nil
}
