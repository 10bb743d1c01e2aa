package store

import (
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// LogEvent is the log entry body of a change that has no record of its own
// to log (catalogue entries, notice publications, tokens). Registry changes
// log their audit entry and pledge workflow changes their PledgeEvent.
// Like those it names subjects by ID and carries no personal data and no
// secret: a stored document is committed to by its SM3 digest.
type LogEvent struct {
	V      int               `json:"v"`
	Source string            `json:"source"`
	Action string            `json:"action"`
	At     time.Time         `json:"at"`
	Data   map[string]string `json:"data"`
}

func (s *Store) logEvent(source, action string, data map[string]string) (string, error) {
	b, err := json.Marshal(LogEvent{V: 1, Source: source, Action: action, At: s.clock.Now().UTC(), Data: data})
	if err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "cannot encode a log entry")
	}
	return string(b), nil
}

func sm3Hex(b []byte) string {
	d := sm3.Sum(b)
	return hex.EncodeToString(d[:])
}
