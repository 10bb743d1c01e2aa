package logthrottle

import (
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
)

func TestThrottle(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	th := New(clk, time.Minute)
	if ok, n := th.Allow("a"); !ok || n != 0 {
		t.Fatalf("first event: %v %d", ok, n)
	}
	for range 99 {
		if ok, _ := th.Allow("a"); ok {
			t.Fatal("a repeat within the interval was allowed")
		}
		clk.Advance(100 * time.Millisecond)
	}
	if ok, _ := th.Allow("b"); !ok {
		t.Fatal("another key is throttled by the first")
	}
	clk.Advance(time.Minute)
	if ok, n := th.Allow("a"); !ok || n != 99 {
		t.Fatalf("summary after the interval: %v %d, want true 99", ok, n)
	}
	if ok, _ := th.Allow("a"); ok {
		t.Fatal("the summary did not start a new interval")
	}
	if n := th.Forget("a"); n != 1 {
		t.Fatalf("forget: %d held back, want 1", n)
	}
	if ok, n := th.Allow("a"); !ok || n != 0 {
		t.Fatalf("after forget: %v %d", ok, n)
	}
}
