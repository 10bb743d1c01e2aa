package notify

import (
	"crypto/hmac"
	"encoding/hex"
	"strconv"
	"sync"
	"time"

	"github.com/emmansun/gmsm/sm3"
)

// Header names of a delivery.
const (
	// HeaderDelivery is the delivery ID (stable across retries; also inside
	// the signed body).
	HeaderDelivery = "X-PledgeSeal-Delivery"
	// HeaderTimestamp is the Unix time of this attempt, in seconds.
	HeaderTimestamp = "X-PledgeSeal-Timestamp"
	// HeaderSignature is "hmac-sm3=" + hex HMAC-SM3(secret, timestamp + "." + body).
	HeaderSignature = "X-PledgeSeal-Signature"
	// HeaderAttempt is the attempt number (1-based).
	HeaderAttempt = "X-PledgeSeal-Attempt"
	// HeaderEvent is the action of the audit entry (e.g. enforce.finding.false_confirmed).
	HeaderEvent = "X-PledgeSeal-Event"
)

// SignaturePrefix names the algorithm in HeaderSignature.
const SignaturePrefix = "hmac-sm3="

// Sign returns the HeaderSignature value for a body sent at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sm3.New, secret)
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return SignaturePrefix + hex.EncodeToString(m.Sum(nil))
}

// Receiver checks deliveries the way a receiving agency should: the
// signature must verify, the timestamp must lie within Window of the
// receiver's clock, and a delivery ID seen within the window is a replay.
// It is safe for concurrent use.
type Receiver struct {
	Secret []byte
	Window time.Duration
	Now    func() time.Time

	mu   sync.Mutex
	seen map[string]time.Time
}

// Check verifies one delivery; it returns "" when it is accepted, else the
// reason it is refused.
func (r *Receiver) Check(deliveryID, timestamp, signature string, body []byte) string {
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return "bad timestamp"
	}
	if !hmac.Equal([]byte(Sign(r.Secret, ts, body)), []byte(signature)) {
		return "bad signature"
	}
	now := r.Now()
	at := time.Unix(ts, 0)
	if at.Before(now.Add(-r.Window)) || at.After(now.Add(r.Window)) {
		return "timestamp outside the window"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[string]time.Time{}
	}
	for id, t := range r.seen {
		if t.Before(now.Add(-2 * r.Window)) {
			delete(r.seen, id)
		}
	}
	if deliveryID == "" {
		return "no delivery id"
	}
	if _, dup := r.seen[deliveryID]; dup {
		return "replayed delivery"
	}
	r.seen[deliveryID] = now
	return ""
}
