package clock

import (
	"testing"
	"time"
)

func TestFakeAdvances(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := NewFake(start)
	f.Advance(time.Hour)
	if !f.Now().Equal(start.Add(time.Hour)) {
		t.Fatalf("got %v", f.Now())
	}
	f.Set(start)
	if !f.Now().Equal(start) {
		t.Fatal("Set")
	}
	if Real.Now(Real{}).Location() != time.UTC {
		t.Fatal("real clock must be UTC")
	}
}
