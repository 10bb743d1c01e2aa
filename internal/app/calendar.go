package app

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
)

// loadCalendar reads the holiday calendar named by PLEDGESEAL_HOLIDAYS_FILE.
// An unreadable or invalid file stops the start (a due date counted by a
// calendar nobody checked is worse than none). No file, or one that lacks
// this year or the next, is a warning: due dates over such a year skip
// weekends only, and each task says so (dueIgnoresHolidays).
func loadCalendar(path string, log *slog.Logger, clk clock.Clock) (enforce.Calendar, error) {
	year := clk.Now().In(time.FixedZone("UTC+8", 8*3600)).Year() // the civil year in China
	if path == "" {
		log.Warn("no holiday calendar (PLEDGESEAL_HOLIDAYS_FILE): working-day due dates skip weekends only, not public holidays", "years", []int{year, year + 1})
		return enforce.Calendar{}, nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return enforce.Calendar{}, &StartupError{Step: "holiday calendar (PLEDGESEAL_HOLIDAYS_FILE)", Err: err}
	}
	cal, err := enforce.ParseCalendar(raw)
	if err != nil {
		return enforce.Calendar{}, &StartupError{Step: "holiday calendar (PLEDGESEAL_HOLIDAYS_FILE)", Err: fmt.Errorf("%s: %w", path, err)}
	}
	if missing := cal.MissingYears(year, year+1); len(missing) > 0 {
		log.Warn("the holiday calendar lacks years: working-day due dates in them skip weekends only; add the State Council's notice for them", "file", path, "missing_years", missing)
	}
	return cal, nil
}
