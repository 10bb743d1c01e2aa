package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func (s *Server) catalogueRoutes() {
	if s.deps.Pledges == nil || s.deps.Pledges.Catalogue == nil {
		return
	}
	s.handle(http.MethodPost, "/v1/catalogue/entries", only(auth.RoleAdmin, auth.RoleAgency), s.recordEntry)
	s.handle(http.MethodGet, "/v1/catalogue/matters/{region}/{matter}", anyone(), s.matterQuery)
}

type recordEntryRequest struct {
	Entry pledge.Entry `json:"entry"`
	// ExpectVersion is the current version the editor saw (0: a new entry).
	ExpectVersion int `json:"expectVersion"`
}

func (r *recordEntryRequest) Validate() error {
	if r.ExpectVersion < 0 {
		return apperr.New(apperr.Malformed, "expectVersion must not be negative").WithCode("FIELD_INVALID")
	}
	// Content first, so a malformed entry is a 400 whoever sends it.
	return r.Entry.Validate()
}

// recordEntry appends a catalogue version. The editor's scope is the
// token's organisation; an admin may edit any entry.
func (s *Server) recordEntry(c *gin.Context, p auth.Principal) error {
	var req recordEntryRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	ed := pledge.Editor{Admin: p.Role == auth.RoleAdmin, Agency: p.Org, Actor: p.Actor()}
	e, err := s.deps.Pledges.Catalogue.Record(c, ed, req.Entry, req.ExpectVersion)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, e)
	return nil
}

// matterQuery answers "for matter M, which certificates may be demanded and
// how is each replaced, and which notice does an applicant pledge against";
// nothing in force is "not in the catalogue: may
// not be demanded".
func (s *Server) matterQuery(c *gin.Context, _ auth.Principal) error {
	var at time.Time
	if q := c.Query("at"); q != "" {
		t, err := time.Parse(time.RFC3339, q)
		if err != nil {
			return apperr.New(apperr.Malformed, "at must be an RFC 3339 time").WithCode("FIELD_INVALID")
		}
		at = t
	}
	ans, err := s.deps.Pledges.Catalogue.ForMatter(c, c.Param("region"), c.Param("matter"), at)
	if err != nil {
		return err
	}
	ans.At = ans.At.UTC()
	view := matterView{Region: ans.Region, Matter: ans.Matter, At: ans.At, Demands: make([]demandView, 0, len(ans.Demands)), Message: ans.Message}
	for _, d := range ans.Demands {
		dv := demandView{Demand: d}
		if d.Entry.PledgeEligible && s.deps.Pledges.Notices != nil {
			pub, err := s.deps.Pledges.Notices.ForEntry(c, d.Entry.EntryKey)
			switch {
			case err == nil:
				dv.Notice = &noticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.DigestHex(),
					CatalogueVersion: pub.Notice.CatalogueVersion, PublishedAt: pub.Notice.PublishedAt.UTC()}
			case apperr.KindOf(err) != apperr.NotFound:
				return err
			}
		}
		view.Demands = append(view.Demands, dv)
	}
	c.JSON(http.StatusOK, view)
	return nil
}

// matterView is pledge.MatterAnswer with, for each pledge-eligible
// certificate, the notice an applicant signs against.
type matterView struct {
	Region  string       `json:"region"`
	Matter  string       `json:"matter"`
	At      time.Time    `json:"at"`
	Demands []demandView `json:"demands"`
	Message *pledge.Text `json:"message,omitempty"`
}

type demandView struct {
	pledge.Demand
	// Notice is the latest version of the notice last published for the
	// entry; absent when none has been published.
	Notice *noticeRef `json:"notice,omitempty"`
}

// noticeRef names a published notice version: what a pledge binds to.
type noticeRef struct {
	ID               string    `json:"id"`
	Version          int       `json:"version"`
	Digest           string    `json:"digest"`
	CatalogueVersion int       `json:"catalogueVersion"`
	PublishedAt      time.Time `json:"publishedAt"`
}
