package enforce

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// shippedCalendar is the calendar file deploy/ ships (make run uses it).
func shippedCalendar(t testing.TB) []byte {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/holidays-cn.json")
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func day(s string) time.Time { d, _ := ParseDate(s); return d }

// TestShippedCalendar2026 checks the shipped file against the State
// Council's notice for 2026: holidays off, make-up weekends on.
func TestShippedCalendar2026(t *testing.T) {
	cal, err := ParseCalendar(shippedCalendar(t))
	if err != nil {
		t.Fatal(err)
	}
	for d, working := range map[string]bool{
		"2026-01-01": false, "2026-01-04": true, // 元旦, its Sunday workday
		"2026-02-14": true, "2026-02-15": false, "2026-02-23": false, "2026-02-24": true, "2026-02-28": true, // 春节
		"2026-04-06": false, "2026-05-05": false, "2026-05-09": true, "2026-06-19": false,
		"2026-09-20": true, "2026-09-25": false, "2026-10-07": false, "2026-10-08": true, "2026-10-10": true,
		"2026-10-11": false, // an ordinary Sunday
	} {
		if got := cal.IsWorkingDay(day(d)); got != working {
			t.Errorf("%s: working %v, want %v", d, got, working)
		}
	}
	if !cal.Covers(day("2026-01-01"), day("2026-12-31")) || cal.Covers(day("2026-12-01"), day("2027-01-10")) {
		t.Fatalf("years covered: %v", cal.Years)
	}
	// Ten working days from 30 September 2026 skip the National Day week and
	// count the make-up Saturday 10 October: 8, 9, 10, 12–16, 19, 20 October.
	p := pledge.PostCheckPolicy{Methods: []string{pledge.CheckOnSite}, TimeLimitDays: 10, WorkingDays: true}
	if due, err := DueDate("2026-09-30", p, cal); err != nil || due != "2026-10-20" {
		t.Fatalf("due %q, %v", due, err)
	}
}

// TestCalendarRefusals: a calendar that does not say one thing for every
// day would move due dates silently; each defect is refused and named.
func TestCalendarRefusals(t *testing.T) {
	year := func(body string) string {
		return `{"format":"pledgeseal.holidays/v1","years":[{"year":2026,"source":"s",` + body + `}]}`
	}
	cases := map[string]struct{ raw, want string }{
		"wrong format":       {`{"format":"x","years":[]}`, "format"},
		"unknown field":      {year(`"holidays":[],"workdays":[],"extra":1`), "expected shape"},
		"trailing data":      {year(`"holidays":[],"workdays":[]`) + `{}`, "trailing"},
		"year twice":         {`{"format":"pledgeseal.holidays/v1","years":[{"year":2026},{"year":2026}]}`, "twice"},
		"year out of range":  {`{"format":"pledgeseal.holidays/v1","years":[{"year":99}]}`, "out of range"},
		"date in other year": {year(`"holidays":[{"from":"2027-01-01","to":"2027-01-02"}]`), "not in year"},
		"not a date":         {year(`"holidays":[{"from":"2026-02-30","to":"2026-03-01"}]`), "not a date"},
		"backwards":          {year(`"holidays":[{"from":"2026-05-05","to":"2026-05-01"}]`), "backwards"},
		"too long":           {year(`"holidays":[{"from":"2026-01-01","to":"2026-03-01"}]`), "longer than 31"},
		"weekday workday":    {year(`"workdays":["2026-01-05"]`), "falls on a weekend"},
		"holiday and work":   {year(`"holidays":[{"from":"2026-01-03","to":"2026-01-03"}],"workdays":["2026-01-03"]`), "both"},
		"not JSON":           {`year 2026`, "JSON"},
		"too large":          {strings.Repeat(" ", maxCalendarBytes+1), "larger"},
	}
	for name, c := range cases {
		_, err := ParseCalendar([]byte(c.raw))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %q", name, err, c.want)
		}
	}
}

// TestDueIgnoresHolidays: a working-day window over a year the calendar
// lacks says so on the task; calendar-day windows and covered years do not.
func TestDueIgnoresHolidays(t *testing.T) {
	cal, err := ParseCalendar(shippedCalendar(t))
	if err != nil {
		t.Fatal(err)
	}
	working := pledge.PostCheckPolicy{Methods: []string{pledge.CheckOnSite}, TimeLimitDays: 20, WorkingDays: true}
	calendar := pledge.PostCheckPolicy{Methods: []string{pledge.CheckOnSite}, TimeLimitDays: 20}
	cases := []struct {
		decided string
		p       pledge.PostCheckPolicy
		cal     Calendar
		want    bool
	}{
		{"2026-03-02", working, cal, false},
		{"2026-12-20", working, cal, true},        // runs into 2027
		{"2026-03-02", working, Calendar{}, true}, // no calendar at all
		{"2026-12-20", calendar, cal, false},      // calendar days need none
	}
	for _, c := range cases {
		due, err := DueDate(c.decided, c.p, c.cal)
		if err != nil {
			t.Fatal(err)
		}
		if got := ignoresHolidays(c.decided, due, c.p, c.cal); got != c.want {
			t.Errorf("%s to %s (working %v): ignores holidays %v, want %v", c.decided, due, c.p.WorkingDays, got, c.want)
		}
	}
}

// FuzzParseCalendar: any bytes give a calendar or an error, never a panic,
// and an accepted calendar keeps its promises.
func FuzzParseCalendar(f *testing.F) {
	f.Add(shippedCalendar(f))
	f.Add([]byte(`{"format":"pledgeseal.holidays/v1","years":[{"year":2026,"workdays":["2026-01-04"]}]}`))
	f.Add([]byte(`{"format":"pledgeseal.holidays/v1","years":[]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cal, err := ParseCalendar(raw)
		if err != nil {
			return
		}
		for d := range cal.ExtraWorkdays {
			if cal.Holidays[d] {
				t.Fatalf("%s both a holiday and a workday", d)
			}
			if wd := day(d).Weekday(); wd != time.Saturday && wd != time.Sunday {
				t.Fatalf("workday %s on a %s", d, wd)
			}
		}
		for d := range cal.Holidays {
			if !cal.Years[day(d).Year()] {
				t.Fatalf("holiday %s outside the calendar's years", d)
			}
		}
	})
}
