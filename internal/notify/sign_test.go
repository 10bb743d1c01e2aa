package notify

import (
	"strconv"
	"testing"
	"time"
)

// FuzzReceiverCheck feeds arbitrary headers and bodies to the receiver
// check: it never panics, accepts only a correct signature inside the
// window, and accepts a delivery ID once.
func FuzzReceiverCheck(f *testing.F) {
	f.Add("d1", "1777600000", "hmac-sm3=00", []byte(`{"seq":1}`))
	f.Add("", "-1", "", []byte{})
	f.Add("d2", "99999999999999999999", "hmac-sm3=", []byte("\x00\xff"))
	f.Add("d3", "1777600000", "", []byte(`{}`))
	now := time.Unix(1777600000, 0)
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte) {
		r := &Receiver{Secret: []byte("fuzz-secret-0123456789"), Window: 5 * time.Minute, Now: func() time.Time { return now }}
		if r.Check(id, ts, sig, body) == "" && sig != Sign(r.Secret, mustInt(ts), body) {
			t.Fatal("accepted a wrong signature")
		}
		good := Sign(r.Secret, now.Unix(), body)
		first := r.Check(id, strconv.FormatInt(now.Unix(), 10), good, body)
		if id != "" && first != "" && first != "replayed delivery" {
			t.Fatalf("refused a good delivery: %s", first)
		}
		if id != "" && r.Check(id, strconv.FormatInt(now.Unix(), 10), good, body) != "replayed delivery" {
			t.Fatal("accepted a replay")
		}
	})
}

func mustInt(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}
