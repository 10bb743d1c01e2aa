package enforce

import (
	"context"
	"encoding/json"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
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
		if doc, err := pledge.ParseDocument(rec.Document); err == nil {
			e.ApplicantName = doc.Applicant.Name
			if doc.Applicant.Kind == pledge.ApplicantPerson {
				e.ApplicantName = pii.MaskName(doc.Applicant.Name)
			}
			e.ApplicantID = pii.MaskID(doc.Applicant.IDNumber)
		}
		out = append(out, e)
	}
	return out, nil
}
