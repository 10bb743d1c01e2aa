package statusclient

import (
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/status"
)

var fuzzSubjects = []status.Subject{
	{Kind: status.KindSeal, ID: "DEV-110105-SCJGJ", Digest: [32]byte{1, 2, 3}},
	{Kind: status.KindCertificate, Digest: [32]byte{4}},
}

// FuzzDecodeAnswer: no reply of a status service panics the decoder, and
// an accepted reply answers exactly the subjects asked, in order.
func FuzzDecodeAnswer(f *testing.F) {
	f.Add([]byte(`{"atTime":"2026-03-02T09:00:00Z","readAt":"2026-03-02T09:00:01Z","results":[` +
		`{"subject":{"kind":"seal","id":"DEV-110105-SCJGJ","digest":"0102030000000000000000000000000000000000000000000000000000000000"},"at":{"code":"ACTIVE","since":"2026-03-01T00:00:00Z"},"now":{"code":"SUSPENDED","since":"2026-03-02T08:00:00Z","reason":"r","documentNo":"d"}},` +
		`{"subject":{"kind":"certificate","digest":"0400000000000000000000000000000000000000000000000000000000000000"},"at":{"code":"UNKNOWN"},"now":{"code":"UNKNOWN"}}]}`))
	f.Add([]byte(`{"results":[]}`))
	f.Add([]byte(`{"results":[{"subject":{"kind":"pledge","id":"x"}}]}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"results":[{},{}]}`))
	f.Fuzz(func(t *testing.T, reply []byte) {
		a, err := DecodeAnswer(reply, fuzzSubjects)
		if err != nil {
			return
		}
		if len(a.Results) != len(fuzzSubjects) {
			t.Fatalf("%d results", len(a.Results))
		}
		for i, r := range a.Results {
			if r.Subject != fuzzSubjects[i] {
				t.Fatalf("result %d answers %+v", i, r.Subject)
			}
		}
	})
}

// TestDecodeAnswerFailsClosed: a reply naming other subjects, fewer or
// more, or not JSON, is an error, never a default state.
func TestDecodeAnswerFailsClosed(t *testing.T) {
	for name, reply := range map[string]string{
		"other subject": `{"results":[{"subject":{"kind":"seal","id":"OTHER","digest":"0102030000000000000000000000000000000000000000000000000000000000"}},{"subject":{"kind":"certificate","digest":"0400000000000000000000000000000000000000000000000000000000000000"}}]}`,
		"one missing":   `{"results":[{"subject":{"kind":"seal","id":"DEV-110105-SCJGJ","digest":"0102030000000000000000000000000000000000000000000000000000000000"}}]}`,
		"empty":         `{}`,
		"html":          `<html>502 Bad Gateway</html>`,
	} {
		if _, err := DecodeAnswer([]byte(reply), fuzzSubjects); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
