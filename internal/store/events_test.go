package store

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

func TestEventRoundTrip(t *testing.T) {
	cases := []struct {
		code status.Code
		eff  time.Time
		seq  uint64
	}{
		{status.Revoked, t0, 1},
		{status.Active, time.UnixMilli(0).UTC(), maxSeq},
		{status.NotFulfilled, time.UnixMilli(1<<48 - 1).UTC(), 12345},
	}
	for _, c := range cases {
		b, err := codeByte(c.code)
		if err != nil {
			t.Fatal(err)
		}
		ev := encodeEvent(b, c.eff, c.seq)
		if len(ev) != eventSize {
			t.Fatalf("event size %d", len(ev))
		}
		got, err := decodeHistory(append(ev, ev...))
		if err != nil || len(got) != 2 || got[0].Code != c.code || !got[0].Effective.Equal(c.eff) || got[0].Seq != c.seq {
			t.Fatalf("%+v → %x → %+v %v", c, ev, got, err)
		}
	}
}

func TestStateAt(t *testing.T) {
	h := []compactEvent{
		{status.Revoked, t0, 1},
		{status.Active, t0.Add(time.Hour), 2},
		{status.Revoked, t0.Add(time.Hour), 3}, // same instant: later record wins
	}
	cases := []struct {
		at   time.Time
		want int
	}{{t0.Add(-time.Second), -1}, {t0, 0}, {t0.Add(time.Minute), 0}, {t0.Add(time.Hour), 2}, {t0.Add(48 * time.Hour), 2}}
	for _, c := range cases {
		if got := stateAt(h, c.at); got != c.want {
			t.Fatalf("at %s: %d, want %d", c.at, got, c.want)
		}
	}
}

// FuzzDecodeHistory: index values come from Redis, which anyone with access
// can write; decoding must never panic and must reject odd lengths.
func FuzzDecodeHistory(f *testing.F) {
	ev := encodeEvent('R', t0, 7)
	f.Add(ev)
	f.Add(append(ev, encodeEvent('A', t0.Add(time.Hour), 8)...))
	f.Add([]byte{})
	f.Add([]byte("garbage!!!!"))
	f.Add(ev[:5])
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := decodeHistory(b)
		if len(b)%eventSize != 0 && err == nil {
			t.Fatal("odd length accepted")
		}
		for _, e := range h {
			if e.Code == status.Unknown {
				t.Fatal("unknown code decoded")
			}
		}
	})
}

// FuzzCheckEntry: VerifyAudit parses whatever sits in the audit entries,
// those written with the old chain's prev and those without.
func FuzzCheckEntry(f *testing.F) {
	e := AuditEntry{V: 1, Seq: 1, Prev: hex.EncodeToString(make([]byte, 32)), Change: "ab", Recorded: t0,
		Actor: registry.Actor{ID: "a", Role: "admin"}, Action: "revocation.revoke", Code: status.Revoked, Effective: t0, Items: 1}
	body, err := e.encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(body)
	e.Prev = ""
	if body, err = e.encode(); err != nil {
		f.Fatal(err)
	}
	f.Add(body)
	f.Add([]byte("{}"))
	f.Add([]byte(`{"seq":1,"prev":"00"}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, b []byte) {
		problem := checkEntry(1, b)
		if problem == "" {
			// An accepted entry must be canonical: re-encoding gives the same bytes.
			got, err := DecodeAuditEntry(b)
			if err != nil {
				t.Fatal(err)
			}
			again, err := got.encode()
			if err != nil || string(again) != string(b) {
				t.Fatalf("accepted a non-canonical entry %q", b)
			}
		}
	})
}
