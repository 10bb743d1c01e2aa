package httpapi

import (
	"context"
	"net/http"
	"strconv"
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
	s.handle(http.MethodGet, "/v1/catalogue/regions", anyone(), s.listRegions)
	s.handle(http.MethodGet, "/v1/catalogue/matters/{region}", anyone(), s.listPledgeableMatters)
}

type recordEntryRequest struct {
	Entry pledge.Entry `json:"entry"`
	// ExpectVersion is the current version the editor saw (0: a new entry).
	ExpectVersion int `json:"expectVersion"`
}

func (r *recordEntryRequest) Validate() error {
	if r.ExpectVersion < 0 {
		return apperr.New(apperr.Malformed, "expectVersion must not be negative").WithCode(apperr.CodeFieldInvalid)
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
	e, err := s.deps.Pledges.Catalogue.Record(c.Request.Context(), ed, req.Entry, req.ExpectVersion)
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
			return apperr.New(apperr.Malformed, "at must be an RFC 3339 time").WithCode(apperr.CodeFieldInvalid)
		}
		at = t
	}
	ans, err := s.deps.Pledges.Catalogue.ForMatter(c.Request.Context(), c.Param("region"), c.Param("matter"), at)
	if err != nil {
		return err
	}
	ans.At = ans.At.UTC()
	view := matterView{Region: ans.Region, Matter: ans.Matter, At: ans.At, Demands: make([]demandView, 0, len(ans.Demands)), Message: ans.Message}
	for _, d := range ans.Demands {
		dv := demandView{Demand: d}
		if d.Entry.PledgeEligible {
			if dv.Notice, err = s.noticeFor(c.Request.Context(), d.Entry.EntryKey); err != nil {
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

// pageLimit reads the limit query parameter (0 when absent).
func pageLimit(c *gin.Context, most int) (int, error) {
	l := c.Query("limit")
	if l == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(l)
	if err != nil || n < 1 || n > most {
		return 0, apperr.New(apperr.Malformed, "limit must be 1 to %d", most).WithCode(apperr.CodeFieldInvalid)
	}
	return n, nil
}

type regionItem struct {
	Region string       `json:"region"`
	Name   *pledge.Text `json:"name,omitempty"`
}

type regionList struct {
	Items      []regionItem `json:"items"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

// listRegions lists the catalogue's regions (public): codes, and names
// where entries gave them, for choosing a region before a matter.
func (s *Server) listRegions(c *gin.Context, _ auth.Principal) error {
	n, err := pageLimit(c, pledge.MaxPageSize)
	if err != nil {
		return err
	}
	page, err := s.deps.Pledges.Catalogue.Regions(c.Request.Context(), c.Query("cursor"), n)
	if err != nil {
		return err
	}
	out := regionList{Items: make([]regionItem, 0, len(page.Regions)), NextCursor: page.Next}
	for _, r := range page.Regions {
		it := regionItem{Region: r.Code}
		if r.Name.Zh != "" {
			it.Name = &r.Name
		}
		out.Items = append(out.Items, it)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// certificateItem is one pledge-eligible certificate of a listed matter,
// with the notice an applicant reads and pledges against.
type certificateItem struct {
	Certificate     string      `json:"certificate"`
	CertificateName pledge.Text `json:"certificateName"`
	Proves          pledge.Text `json:"proves"`
	RequestingUnit  string      `json:"requestingUnit"`
	Owner           string      `json:"owner"`
	Version         int         `json:"version"`
	EffectiveFrom   time.Time   `json:"effectiveFrom"`
	Notice          *noticeRef  `json:"notice,omitempty"`
}

type matterItem struct {
	Region       string            `json:"region"`
	Matter       string            `json:"matter"`
	MatterName   pledge.Text       `json:"matterName"`
	Certificates []certificateItem `json:"certificates"`
}

type matterList struct {
	Region     string       `json:"region"`
	At         time.Time    `json:"at"`
	Items      []matterItem `json:"items"`
	NextCursor string       `json:"nextCursor,omitempty"`
}

// listPledgeableMatters lists a region's matters that may be pledged now
// (public): for each, its name and its pledge-eligible certificates in
// force with the notice in force, so an applicant can choose a matter
// instead of typing codes.
func (s *Server) listPledgeableMatters(c *gin.Context, _ auth.Principal) error {
	n, err := pageLimit(c, pledge.MaxMatterPage)
	if err != nil {
		return err
	}
	page, err := s.deps.Pledges.Catalogue.PledgeableMatters(c.Request.Context(), c.Param("region"), c.Query("cursor"), n)
	if err != nil {
		return err
	}
	out := matterList{Region: page.Region, At: page.At.UTC(), Items: make([]matterItem, 0, len(page.Matters)), NextCursor: page.Next}
	for _, m := range page.Matters {
		it := matterItem{Region: m.Region, Matter: m.Matter, MatterName: m.MatterName, Certificates: make([]certificateItem, 0, len(m.Entries))}
		for _, e := range m.Entries {
			ci := certificateItem{Certificate: e.Certificate, CertificateName: e.CertificateName, Proves: e.Proves,
				RequestingUnit: e.RequestingUnit, Owner: e.Owner, Version: e.Version, EffectiveFrom: e.EffectiveFrom.UTC()}
			if ci.Notice, err = s.noticeFor(c.Request.Context(), e.EntryKey); err != nil {
				return err
			}
			it.Certificates = append(it.Certificates, ci)
		}
		out.Items = append(out.Items, it)
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// noticeFor names the notice in force for a pledge-eligible entry (nil
// when none is published).
func (s *Server) noticeFor(ctx context.Context, key pledge.EntryKey) (*noticeRef, error) {
	if s.deps.Pledges.Notices == nil {
		return nil, nil
	}
	pub, err := s.deps.Pledges.Notices.ForEntry(ctx, key)
	switch {
	case err == nil:
		return &noticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.DigestHex(),
			CatalogueVersion: pub.Notice.CatalogueVersion, PublishedAt: pub.Notice.PublishedAt.UTC()}, nil
	case apperr.KindOf(err) == apperr.NotFound:
		return nil, nil
	default:
		return nil, err
	}
}
