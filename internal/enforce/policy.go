package enforce

import (
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// Check methods (pledge-domain.md "Post-checks").
const (
	MethodWritten      = "WRITTEN"
	MethodOnline       = "ONLINE"
	MethodOnSite       = "ON_SITE"
	MethodPublicNotice = "PUBLIC_NOTICE"
	MethodInterAgency  = "INTER_AGENCY"
)

// Time-limit units.
const (
	UnitCalendarDays = "CALENDAR_DAYS"
	UnitWorkingDays  = "WORKING_DAYS"
	UnitMonths       = "MONTHS"
)

// DateLayout is the layout of civil dates (decision dates, due dates).
const DateLayout = "2006-01-02"

// Policy is a matter's post-check policy: a method and a time limit from the
// decision date, or an exemption.
type Policy struct {
	Exempt bool   `json:"exempt"`
	Method string `json:"method,omitempty"`
	Limit  int    `json:"limit,omitempty"`
	Unit   string `json:"unit,omitempty"`
}

// Validate checks a policy.
func (p Policy) Validate() error {
	if p.Exempt {
		return nil
	}
	switch p.Method {
	case MethodWritten, MethodOnline, MethodOnSite, MethodPublicNotice, MethodInterAgency:
	default:
		return apperr.New(apperr.Malformed, "unknown post-check method %q", p.Method).WithCode("POLICY_INVALID")
	}
	switch p.Unit {
	case UnitCalendarDays, UnitWorkingDays:
		if p.Limit < 1 || p.Limit > 3660 {
			return apperr.New(apperr.Malformed, "a post-check limit must be 1 to 3660 days").WithCode("POLICY_INVALID")
		}
	case UnitMonths:
		if p.Limit < 1 || p.Limit > 120 {
			return apperr.New(apperr.Malformed, "a post-check limit must be 1 to 120 months").WithCode("POLICY_INVALID")
		}
	default:
		return apperr.New(apperr.Malformed, "unknown time-limit unit %q", p.Unit).WithCode("POLICY_INVALID")
	}
	return nil
}

// Calendar says which days are working days: Monday to Friday, except
// Holidays, plus ExtraWorkdays (调休 weekends). Keys are YYYY-MM-DD.
type Calendar struct {
	Holidays      map[string]bool
	ExtraWorkdays map[string]bool
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
		return time.Time{}, apperr.New(apperr.Malformed, "a date must be YYYY-MM-DD").WithCode("DATE_INVALID")
	}
	return d, nil
}

// DueDate returns the last day of the post-check window: the decision date
// plus Limit calendar days, months, or working days (the decision day itself
// does not count). An exempt policy has no due date ("").
func DueDate(decided string, p Policy, cal Calendar) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	if p.Exempt {
		return "", nil
	}
	d, err := ParseDate(decided)
	if err != nil {
		return "", err
	}
	switch p.Unit {
	case UnitCalendarDays:
		d = d.AddDate(0, 0, p.Limit)
	case UnitMonths:
		d = d.AddDate(0, p.Limit, 0)
	case UnitWorkingDays:
		for n := 0; n < p.Limit; {
			d = d.AddDate(0, 0, 1)
			if cal.IsWorkingDay(d) {
				n++
			}
		}
	}
	return d.Format(DateLayout), nil
}
