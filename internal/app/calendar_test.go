package app

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
)

// TestLoadCalendar: a bad or missing calendar file stops the start; no file,
// or one lacking this year or the next, starts with a warning naming them.
func TestLoadCalendar(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC))
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	logTo := func() (*slog.Logger, *bytes.Buffer) {
		var buf bytes.Buffer
		return slog.New(slog.NewJSONHandler(&buf, nil)), &buf
	}
	for name, path := range map[string]string{
		"invalid": write("bad.json", `{"format":"pledgeseal.holidays/v1","years":[{"year":2026,"workdays":["2026-01-05"]}]}`),
		"missing": filepath.Join(dir, "none.json"),
	} {
		log, _ := logTo()
		_, err := loadCalendar(path, log, clk)
		var se *StartupError
		if !errors.As(err, &se) || !strings.Contains(se.Step, "holiday calendar") {
			t.Errorf("%s file: %v", name, err)
		}
	}
	log, buf := logTo()
	cal, err := loadCalendar("../../deploy/holidays-cn.json", log, clk)
	if err != nil || !cal.Years[2026] {
		t.Fatalf("shipped calendar: %v %v", cal.Years, err)
	}
	if !strings.Contains(buf.String(), `"missing_years":[2027]`) {
		t.Fatalf("no warning for the missing next year: %s", buf)
	}
	log, buf = logTo()
	if _, err := loadCalendar("", log, clk); err != nil || !strings.Contains(buf.String(), "no holiday calendar") {
		t.Fatalf("no calendar: %v %s", err, buf)
	}
}
