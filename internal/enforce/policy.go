package enforce

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// DateLayout is the layout of civil dates (decision dates, due dates).
const DateLayout = "2006-01-02"

// MaxTimeLimitDays bounds a post-check window.
const MaxTimeLimitDays = 3660

// Calendar says which days are working days: Monday to Friday, except
// Holidays, plus ExtraWorkdays (调休 weekends). Keys are YYYY-MM-DD. A
// deployment loads the State Council's yearly holiday notice into it from
// a calendar file (ParseCalendar); Years lists the years the file covers:
// for any other year only weekends are known.
type Calendar struct {
	Holidays      map[string]bool
	ExtraWorkdays map[string]bool
	Years         map[int]bool
}

// IsWorkingDay reports whether the civil date d is a working day.
func (c Calendar) IsWorkingDay(d time.Time) bool {
	k := d.Format(DateLayout)
	if c.ExtraWorkdays[k] {
		return true
	}
	if c.Holidays[k] {
		return false
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// ParseDate parses a civil date (YYYY-MM-DD) as midnight UTC.
func ParseDate(s string) (time.Time, error) {
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		return time.Time{}, apperr.New(apperr.Malformed, "a date must be YYYY-MM-DD").WithCode(apperr.CodeDateInvalid)
	}
	return d, nil
}

// DueDate returns the last day of the post-check window of a matter's
// policy: the decision date plus TimeLimitDays calendar days, or working
// days when WorkingDays is set (the decision day itself does not count).
// An exempt policy has no due date ("").
func DueDate(decided string, p pledge.PostCheckPolicy, cal Calendar) (string, error) {
	if p.Exempt {
		return "", nil
	}
	if p.TimeLimitDays < 1 || p.TimeLimitDays > MaxTimeLimitDays {
		return "", apperr.New(apperr.Malformed, "the matter's post-check window must be 1 to %d days (or the matter exempt)", MaxTimeLimitDays).WithCode(apperr.CodePolicyInvalid)
	}
	d, err := ParseDate(decided)
	if err != nil {
		return "", err
	}
	if !p.WorkingDays {
		return d.AddDate(0, 0, p.TimeLimitDays).Format(DateLayout), nil
	}
	for n := 0; n < p.TimeLimitDays; {
		d = d.AddDate(0, 0, 1)
		if cal.IsWorkingDay(d) {
			n++
		}
	}
	return d.Format(DateLayout), nil
}
