package enforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// CalendarFormat names the holiday calendar file format (docs/enforcement.md).
const CalendarFormat = "pledgeseal.holidays/v1"

// maxCalendarBytes bounds a calendar file; a year is about 1 KiB.
const maxCalendarBytes = 1 << 20

// calendarFile is the file as written: one entry a year, transcribing the
// State Council General Office's yearly notice (国务院办公厅关于部分节假日
// 安排的通知): its holidays as date ranges and its make-up workdays (调休).
type calendarFile struct {
	Format string         `json:"format"`
	Years  []calendarYear `json:"years"`
}

type calendarYear struct {
	Year     int            `json:"year"`
	Source   string         `json:"source"`
	Holidays []holidayRange `json:"holidays"`
	Workdays []string       `json:"workdays"`
}

type holidayRange struct {
	From string `json:"from"`
	To   string `json:"to"`
	Name string `json:"name"`
}

// ParseCalendar reads a holiday calendar file. It refuses unknown fields, a
// year given twice, dates outside their year, a range longer than 31 days or
// backwards, a make-up workday that is not a Saturday or Sunday, and a day
// that is both a holiday and a workday: a calendar that does not say exactly
// one thing for every day would move due dates silently.
func ParseCalendar(raw []byte) (Calendar, error) {
	bad := func(format string, a ...any) (Calendar, error) {
		return Calendar{}, apperr.New(apperr.Malformed, "holiday calendar: "+format, a...).WithCode(apperr.CodeCalendarInvalid)
	}
	if len(raw) > maxCalendarBytes {
		return bad("larger than %d bytes", maxCalendarBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f calendarFile
	if err := dec.Decode(&f); err != nil {
		return bad("not valid JSON of the expected shape: %v", err)
	}
	if dec.More() {
		return bad("trailing data after the JSON object")
	}
	if f.Format != CalendarFormat {
		return bad("format is %q, want %q", f.Format, CalendarFormat)
	}
	cal := Calendar{Holidays: map[string]bool{}, ExtraWorkdays: map[string]bool{}, Years: map[int]bool{}}
	for _, y := range f.Years {
		if y.Year < 2000 || y.Year > 2999 {
			return bad("year %d out of range", y.Year)
		}
		if cal.Years[y.Year] {
			return bad("year %d given twice", y.Year)
		}
		cal.Years[y.Year] = true
		inYear := func(s, what string) (time.Time, error) {
			d, err := time.Parse(DateLayout, s)
			if err != nil || d.Format(DateLayout) != s {
				return time.Time{}, fmt.Errorf("%s %q is not a date YYYY-MM-DD", what, s)
			}
			if d.Year() != y.Year {
				return time.Time{}, fmt.Errorf("%s %s is not in year %d", what, s, y.Year)
			}
			return d, nil
		}
		for _, h := range y.Holidays {
			from, err := inYear(h.From, "holiday start")
			if err != nil {
				return bad("%v", err)
			}
			to, err := inYear(h.To, "holiday end")
			if err != nil {
				return bad("%v", err)
			}
			if to.Before(from) || to.Sub(from) > 30*24*time.Hour {
				return bad("holiday %s to %s is backwards or longer than 31 days", h.From, h.To)
			}
			for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
				cal.Holidays[d.Format(DateLayout)] = true
			}
		}
		for _, w := range y.Workdays {
			d, err := inYear(w, "workday")
			if err != nil {
				return bad("%v", err)
			}
			if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
				return bad("workday %s is a %s: a make-up workday (调休) falls on a weekend", w, wd)
			}
			if cal.Holidays[w] {
				return bad("%s is both a holiday and a workday", w)
			}
			cal.ExtraWorkdays[w] = true
		}
	}
	return cal, nil
}

// Covers reports whether the calendar holds the holidays of every year from
// the civil date from to the civil date to (inclusive).
func (c Calendar) Covers(from, to time.Time) bool {
	for y := from.Year(); y <= to.Year(); y++ {
		if !c.Years[y] {
			return false
		}
	}
	return true
}

// MissingYears lists which of the given years the calendar does not hold.
func (c Calendar) MissingYears(years ...int) []int {
	var out []int
	for _, y := range years {
		if !c.Years[y] {
			out = append(out, y)
		}
	}
	return out
}
