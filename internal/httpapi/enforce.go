package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
)

// EnforceService is the post-check service (enforce.Service implements it).
type EnforceService interface {
	RecordFinding(ctx context.Context, p auth.Principal, req enforce.FindingRequest) (enforce.Finding, error)
	Reverse(ctx context.Context, p auth.Principal, req enforce.ReverseRequest) (enforce.Finding, error)
	FindingsFor(ctx context.Context, p auth.Principal, pledgeID string) ([]enforce.Finding, error)
	RunDraw(ctx context.Context, p auth.Principal, req enforce.DrawRequest) (enforce.Draw, error)
	GetDraw(ctx context.Context, id string) (enforce.Draw, error)
	ListTasks(ctx context.Context, p auth.Principal, f enforce.TaskFilter) ([]enforce.Task, error)
	OpenTask(ctx context.Context, p auth.Principal, pledgeID string) (enforce.Task, error)
	FalsePledges(ctx context.Context, limit int) ([]enforce.Disclosed, error)
	PublicPledges(ctx context.Context, region, matter, cursor string, limit int) (enforce.PublicPage, error)
	PublicPledge(ctx context.Context, id string) (enforce.PublicPledge, error)
}

func (s *Server) enforceRoutes() {
	if s.deps.Enforce == nil {
		return
	}
	s.handle(http.MethodPost, "/v1/enforcement/findings", only(auth.RoleEnforcement), s.recordFinding)
	s.handle(http.MethodGet, "/v1/enforcement/findings", only(auth.RoleEnforcement, auth.RoleAgency, auth.RoleAdmin), s.listFindings)
	s.handle(http.MethodPost, "/v1/enforcement/findings/{id}/reversal", only(auth.RoleEnforcement, auth.RoleAdmin), s.reverseFinding)
	s.handle(http.MethodPost, "/v1/enforcement/draws", only(auth.RoleEnforcement), s.runDraw)
	s.handle(http.MethodGet, "/v1/enforcement/draws/{id}", anyone(), s.getDraw)
	s.handle(http.MethodGet, "/v1/enforcement/tasks", only(auth.RoleEnforcement, auth.RoleAgency, auth.RoleAdmin), s.listTasks)
	s.handle(http.MethodPost, "/v1/enforcement/tasks", only(auth.RoleEnforcement, auth.RoleAgency, auth.RoleAdmin), s.openTask)
	s.handle(http.MethodGet, "/v1/enforcement/false-pledges", anyone(), s.falsePledges)
	s.publicRoutes()
}

func (s *Server) falsePledges(c *gin.Context, _ auth.Principal) error {
	limit := 0
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > enforce.MaxDisclosed {
			return apperr.New(apperr.Malformed, "limit must be 1 to %d", enforce.MaxDisclosed)
		}
		limit = n
	}
	list, err := s.deps.Enforce.FalsePledges(c.Request.Context(), limit)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"entries": list})
	return nil
}

type taskBody struct {
	PledgeID string `json:"pledgeId"`
}

// Validate checks the shape.
func (b taskBody) Validate() error {
	if b.PledgeID == "" {
		return apperr.New(apperr.Malformed, "pledgeId is required")
	}
	return nil
}

func (s *Server) openTask(c *gin.Context, p auth.Principal) error {
	var b taskBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	t, err := s.deps.Enforce.OpenTask(c.Request.Context(), p, b.PledgeID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, t)
	return nil
}

type findingBody struct {
	PledgeID   string          `json:"pledgeId"`
	Outcome    enforce.Outcome `json:"outcome"`
	DocumentNo string          `json:"documentNo"`
	Evidence   []string        `json:"evidence,omitempty"`
	Inspector  string          `json:"inspector"`
	Deadline   string          `json:"deadline,omitempty"`
	Note       string          `json:"note,omitempty"`
}

// Validate checks the shape (the service checks the rest).
func (b findingBody) Validate() error {
	if b.PledgeID == "" || b.Outcome == "" || b.DocumentNo == "" || b.Inspector == "" {
		return apperr.New(apperr.Malformed, "pledgeId, outcome, documentNo and inspector are required")
	}
	return nil
}

func (s *Server) recordFinding(c *gin.Context, p auth.Principal) error {
	var b findingBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	f, err := s.deps.Enforce.RecordFinding(c.Request.Context(), p, enforce.FindingRequest{PledgeID: b.PledgeID, Outcome: b.Outcome,
		DocumentNo: b.DocumentNo, Evidence: b.Evidence, Inspector: b.Inspector, Deadline: b.Deadline, Note: b.Note})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, f)
	return nil
}

func (s *Server) listFindings(c *gin.Context, p auth.Principal) error {
	id := c.Query("pledgeId")
	if id == "" {
		return apperr.New(apperr.Malformed, "query parameter pledgeId is required")
	}
	fs, err := s.deps.Enforce.FindingsFor(c.Request.Context(), p, id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"findings": fs})
	return nil
}

type reversalBody struct {
	Reason     string `json:"reason"`
	DocumentNo string `json:"documentNo"`
	Note       string `json:"note,omitempty"`
}

// Validate checks the shape.
func (b reversalBody) Validate() error {
	if b.Reason == "" || b.DocumentNo == "" {
		return apperr.New(apperr.Malformed, "reason and documentNo are required")
	}
	return nil
}

func (s *Server) reverseFinding(c *gin.Context, p auth.Principal) error {
	var b reversalBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	f, err := s.deps.Enforce.Reverse(c.Request.Context(), p, enforce.ReverseRequest{FindingID: c.Param("id"), Reason: b.Reason,
		DocumentNo: b.DocumentNo, Note: b.Note})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, f)
	return nil
}

type drawBody struct {
	Region      string            `json:"region"`
	Matter      string            `json:"matter"`
	DecidedFrom string            `json:"decidedFrom,omitempty"`
	DecidedTo   string            `json:"decidedTo,omitempty"`
	Tiers       map[string]string `json:"tiers,omitempty"`
	Period      string            `json:"period,omitempty"`
	Seed        string            `json:"seed,omitempty"`
	// There is no population: the service builds it (enforce.DrawRequest).
	RatioPermille       int            `json:"ratioPermille"`
	TierWeights         map[string]int `json:"tierWeights,omitempty"`
	Floor               int            `json:"floor,omitempty"`
	Inspectors          []string       `json:"inspectors,omitempty"`
	InspectorsPerPledge int            `json:"inspectorsPerPledge,omitempty"`
}

// Validate checks the shape.
func (b drawBody) Validate() error {
	if b.Region == "" || b.Matter == "" || b.RatioPermille == 0 {
		return apperr.New(apperr.Malformed, "region, matter and ratioPermille are required")
	}
	return nil
}

func (s *Server) runDraw(c *gin.Context, p auth.Principal) error {
	var b drawBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	d, err := s.deps.Enforce.RunDraw(c.Request.Context(), p, enforce.DrawRequest{Region: b.Region, Matter: b.Matter, Period: b.Period,
		DecidedFrom: b.DecidedFrom, DecidedTo: b.DecidedTo, Tiers: b.Tiers,
		Spec: enforce.DrawSpec{Seed: b.Seed, RatioPermille: b.RatioPermille, TierWeights: b.TierWeights, Floor: b.Floor,
			Inspectors: b.Inspectors, InspectorsPerPledge: b.InspectorsPerPledge}})
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, d)
	return nil
}

func (s *Server) getDraw(c *gin.Context, _ auth.Principal) error {
	d, err := s.deps.Enforce.GetDraw(c.Request.Context(), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, d)
	return nil
}

func (s *Server) listTasks(c *gin.Context, p auth.Principal) error {
	f := enforce.TaskFilter{Region: c.Query("region"), Matter: c.Query("matter"), Agency: c.Query("agency"),
		Status: c.Query("status"), DueFrom: c.Query("dueFrom"), DueTo: c.Query("dueTo")}
	switch c.Query("overdue") {
	case "", "false":
	case "true":
		f.OverdueOnly = true
	default:
		return apperr.New(apperr.Malformed, "overdue must be true or false")
	}
	if l := c.Query("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > enforce.MaxTaskList {
			return apperr.New(apperr.Malformed, "limit must be 1 to %d", enforce.MaxTaskList)
		}
		f.Limit = n
	}
	ts, err := s.deps.Enforce.ListTasks(c.Request.Context(), p, f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"tasks": ts})
	return nil
}
