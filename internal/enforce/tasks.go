package enforce

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/registry"
)

// Tasks keeps post-check tasks (*store.TaskRepo implements it).
type Tasks interface {
	PutTask(ctx context.Context, k registry.TaskKeys, body []byte) ([]byte, bool, error)
	GetTask(ctx context.Context, pledgeID string) ([]byte, error)
	TasksDue(ctx context.Context, from, to, limit int64) ([][]byte, error)
	// TasksDecided lists the matter's tasks decided within [from, to].
	TasksDecided(ctx context.Context, matter string, from, to, limit int64) ([][]byte, error)
}

// Policies finds the catalogue entry a pledge was signed under
// (*pledge.Catalogue implements it).
type Policies interface {
	EntryAt(ctx context.Context, key pledge.EntryKey, at time.Time) (pledge.Entry, error)
}

// OpenTask creates (or returns) the post-check task of a decided pledge,
// following the post-check policy of the catalogue entry in force when the
// pledge was signed. The pledge's agency, enforcement officers whose
// jurisdiction covers it and admins may open it. (The acceptance flow
// should call CreateTask itself; this is the explicit way.)
func (s *Service) OpenTask(ctx context.Context, p auth.Principal, pledgeID string) (Task, error) {
	if s.d.Policies == nil {
		return Task{}, apperr.New(apperr.Unavailable, "post-check policies are not configured")
	}
	if !codePattern.MatchString(pledgeID) {
		return Task{}, apperr.New(apperr.Malformed, "pledgeId must be a pledge ID")
	}
	rec, err := s.d.Pledges.GetPledge(ctx, pledgeID)
	if err != nil {
		return Task{}, err
	}
	switch {
	case p.Role == auth.RoleAdmin:
	case p.Role == auth.RoleAgency && p.Org == rec.Agency:
	case p.Role == auth.RoleEnforcement && Covers(p.Org, rec.Entry.Region):
	default:
		return Task{}, forbidden("you may not open a task for this pledge")
	}
	entry, err := s.d.Policies.EntryAt(ctx, rec.Entry, rec.CreatedAt)
	if err != nil {
		return Task{}, err
	}
	return s.CreateTask(ctx, rec, entry.PostCheck)
}

// Task states as listed.
const (
	TaskOpen   = "OPEN"
	TaskDone   = "DONE"
	TaskExempt = "EXEMPT"
)

// Task is the post-check of one decided pledge.
type Task struct {
	PledgeID string   `json:"pledgeId"`
	Agency   string   `json:"agency"`
	Region   string   `json:"region"`
	Matter   string   `json:"matter"`
	Methods  []string `json:"methods"`
	Decided  string   `json:"decided"`
	Due      string   `json:"due,omitempty"`
	// DueIgnoresHolidays: the window counts working days, but the holiday
	// calendar does not cover every year it spans, so only weekends were
	// skipped there (public holidays and make-up workdays were not).
	DueIgnoresHolidays bool      `json:"dueIgnoresHolidays,omitempty"`
	Exempt             bool      `json:"exempt"`
	ExemptReason       string    `json:"exemptReason,omitempty"`
	SamplingPermille   int       `json:"samplingPermille"`
	Created            time.Time `json:"created"`
	// Status and Overdue are computed when listed.
	Status  string `json:"status"`
	Overdue bool   `json:"overdue"`
}

// dueScore is a civil date YYYY-MM-DD as the number YYYYMMDD ("" → 0).
func dueScore(due string) int64 {
	if due == "" {
		return 0
	}
	n, _ := strconv.ParseInt(strings.ReplaceAll(due, "-", ""), 10, 64)
	return n
}

// CreateTask creates the post-check task of a decided pledge following its
// matter's policy (exempt, or a due date counted from the decision date).
// A second call for the same pledge returns the first task.
func (s *Service) CreateTask(ctx context.Context, rec pledge.Record, policy pledge.PostCheckPolicy) (Task, error) {
	if s.d.Tasks == nil {
		return Task{}, apperr.New(apperr.Unavailable, "post-check tasks are not configured")
	}
	if rec.Decision == nil {
		return Task{}, apperr.New(apperr.Conflict, "the pledge has not been decided").WithCode(apperr.CodeNotDecided)
	}
	due, err := DueDate(rec.Decision.Date, policy, s.d.Calendar)
	if err != nil {
		return Task{}, err
	}
	t := Task{PledgeID: rec.ID, Agency: rec.Agency, Region: rec.Entry.Region, Matter: rec.Entry.Matter,
		Methods: append([]string{}, policy.Methods...), Decided: rec.Decision.Date, Due: due,
		DueIgnoresHolidays: ignoresHolidays(rec.Decision.Date, due, policy, s.d.Calendar), Exempt: policy.Exempt,
		ExemptReason: policy.ExemptReason.Zh, SamplingPermille: policy.SamplingPermille, Created: s.d.Clock.Now().UTC()}
	body, err := json.Marshal(t)
	if err != nil {
		return Task{}, apperr.Wrap(apperr.Internal, err, "cannot encode a task")
	}
	got, _, err := s.d.Tasks.PutTask(ctx, registry.TaskKeys{PledgeID: rec.ID, Matter: t.Matter,
		Decided: dueScore(t.Decided), Due: dueScore(due)}, body)
	if err != nil {
		return Task{}, err
	}
	var stored Task
	if err := json.Unmarshal(got, &stored); err != nil {
		return Task{}, apperr.Wrap(apperr.Internal, err, "a stored task does not decode")
	}
	return s.withStatus(ctx, stored)
}

// ignoresHolidays tells whether a working-day due date was counted over a
// year the calendar does not hold (decided and due are valid civil dates).
func ignoresHolidays(decided, due string, p pledge.PostCheckPolicy, cal Calendar) bool {
	if !p.WorkingDays || due == "" {
		return false
	}
	from, err1 := ParseDate(decided)
	to, err2 := ParseDate(due)
	return err1 != nil || err2 != nil || !cal.Covers(from, to)
}

// done outcomes close a task.
var done = []Outcome{VerifiedOK, Fulfilled, FalseConfirmed, NotFulfilled, AppealReversed}

func (s *Service) withStatus(ctx context.Context, t Task) (Task, error) {
	t.Status = TaskOpen
	if t.Exempt {
		t.Status = TaskExempt
		return t, nil
	}
	fs, err := s.Findings(ctx, t.PledgeID)
	if err != nil {
		return Task{}, err
	}
	if len(fs) > 0 && slices.Contains(done, fs[len(fs)-1].Outcome) {
		t.Status = TaskDone
		return t, nil
	}
	today := s.d.Clock.Now().In(s.d.Location).Format(DateLayout)
	t.Overdue = t.Due != "" && today > t.Due
	return t, nil
}

// TaskFilter selects tasks. Empty fields match everything; DueFrom/DueTo
// are YYYY-MM-DD.
type TaskFilter struct {
	Region, Matter, Agency, Status string
	DueFrom, DueTo                 string
	OverdueOnly                    bool
	Limit                          int
}

// MaxTaskList bounds one listing.
const MaxTaskList = 500

// ListTasks lists tasks p may see (enforcement: its jurisdiction; agency:
// its own pledges; admin: all), by due date, overdue ones marked.
func (s *Service) ListTasks(ctx context.Context, p auth.Principal, f TaskFilter) ([]Task, error) {
	if s.d.Tasks == nil {
		return nil, apperr.New(apperr.Unavailable, "post-check tasks are not configured")
	}
	switch p.Role {
	case auth.RoleEnforcement, auth.RoleAgency, auth.RoleAdmin:
	default:
		return nil, forbidden("only enforcement officers and agencies list post-check tasks")
	}
	if f.Status != "" && !slices.Contains([]string{TaskOpen, TaskDone, TaskExempt}, f.Status) {
		return nil, apperr.New(apperr.Malformed, "status must be OPEN, DONE or EXEMPT")
	}
	from, to := int64(0), int64(99991231)
	for _, d := range []struct {
		s   string
		dst *int64
	}{{f.DueFrom, &from}, {f.DueTo, &to}} {
		if d.s != "" {
			if _, err := ParseDate(d.s); err != nil {
				return nil, err
			}
			*d.dst = dueScore(d.s)
		}
	}
	limit := f.Limit
	if limit <= 0 || limit > MaxTaskList {
		limit = MaxTaskList
	}
	raws, err := s.d.Tasks.TasksDue(ctx, from, to, MaxTaskList*4)
	if err != nil {
		return nil, err
	}
	out := []Task{}
	for _, b := range raws {
		var t Task
		if err := json.Unmarshal(b, &t); err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a stored task does not decode")
		}
		switch {
		case p.Role == auth.RoleEnforcement && !Covers(p.Org, t.Region),
			p.Role == auth.RoleAgency && p.Org != t.Agency,
			f.Region != "" && !Covers(f.Region, t.Region),
			f.Matter != "" && f.Matter != t.Matter,
			f.Agency != "" && f.Agency != t.Agency:
			continue
		}
		t, err := s.withStatus(ctx, t)
		if err != nil {
			return nil, err
		}
		if (f.Status != "" && t.Status != f.Status) || (f.OverdueOnly && !t.Overdue) {
			continue
		}
		out = append(out, t)
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}
