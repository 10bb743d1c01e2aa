package apperr

import (
	"errors"
	"fmt"
	"testing"
)

func TestKindOfFollowsWrapChain(t *testing.T) {
	base := New(NotFound, "seal %s", "x")
	wrapped := fmt.Errorf("context: %w", base)
	if got := KindOf(wrapped); got != NotFound {
		t.Fatalf("KindOf = %v, want NotFound", got)
	}
	if KindOf(errors.New("plain")) != Internal {
		t.Fatal("plain errors must be Internal")
	}
	if !Is(wrapped, NotFound) || Is(nil, NotFound) {
		t.Fatal("Is misreports")
	}
	cause := errors.New("dial tcp: refused")
	u := Wrap(Unavailable, cause, "store unreachable")
	if !errors.Is(u, cause) {
		t.Fatal("Wrap must keep the cause for errors.Is")
	}
	if As(u).WithCode("TRY_LATER").Code != "TRY_LATER" {
		t.Fatal("WithCode lost")
	}
	if Kind(99).String() != "internal" || Unavailable.String() != "unavailable" {
		t.Fatal("kind names")
	}
}
