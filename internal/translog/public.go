package translog

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// PublicBodyVersion is the version of the public entry body.
const PublicBodyVersion = 2

// CommitSaltSize is the length of the random salt of a commitment: 256
// bits, so a commitment to a short private text (an officer's ID, a
// two-word reason) cannot be found by trying candidate texts.
const CommitSaltSize = 32

// commitDomain separates log commitments from every other SM3 use.
const commitDomain = "pledgeseal-log-commit/1\x00"

// PublicSubject is a subject an entry names in public: its kind and, for
// kinds whose IDs are public anyway (pledges, seals), its ID.
type PublicSubject struct {
	Kind string `json:"kind"`
	ID   string `json:"id,omitempty"`
}

// PublicBody is the body of every log entry (the leaf data after the
// Entry header): what anyone reading GET /v1/log/entries sees. It carries
// machine codes, the IDs of subjects that are public anyway, times, and
// Commit, the SM3 commitment to the change's full private record (actor,
// reasons, notes, document digests, ...) which stays in Redis. The
// private record is Salt ‖ record (PrivateRecord); the commitment is
// SM3("pledgeseal-log-commit/1" ‖ 0x00 ‖ salt ‖ record).
type PublicBody struct {
	V        int               `json:"v"`
	Source   string            `json:"source"`
	Action   string            `json:"action,omitempty"`
	At       time.Time         `json:"at"`
	Subjects []PublicSubject   `json:"subjects,omitempty"`
	Data     map[string]string `json:"data,omitempty"`
	Commit   string            `json:"commit"`
}

// Commit returns the commitment to a private record under salt.
func Commit(salt, record []byte) []byte {
	h := sm3.New()
	h.Write([]byte(commitDomain))
	h.Write(salt)
	h.Write(record)
	return h.Sum(nil)
}

// Marshal returns the body's JSON (encoding/json: fixed field order,
// sorted data keys).
func (p PublicBody) Marshal() ([]byte, error) {
	p.At = p.At.UTC()
	b, err := json.Marshal(p)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "cannot encode a public log entry")
	}
	return b, nil
}

// ParsePublicBody parses a public entry body strictly: the current
// version, a known shape (no unknown members) and a 64-hex-digit
// commitment.
func ParsePublicBody(b []byte) (PublicBody, error) {
	bad := func(why string) (PublicBody, error) {
		return PublicBody{}, apperr.New(apperr.Malformed, "log entry body: %s", why).WithCode(apperr.CodeLogEntryInvalid)
	}
	if len(b) > MaxEntrySize {
		return bad("too large")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p PublicBody
	if err := dec.Decode(&p); err != nil {
		return bad("not a public entry body")
	}
	if dec.More() {
		return bad("trailing data")
	}
	if p.V != PublicBodyVersion {
		return bad("unknown version")
	}
	if c, err := hex.DecodeString(p.Commit); err != nil || len(c) != HashSize || hex.EncodeToString(c) != p.Commit {
		return bad("bad commitment")
	}
	return p, nil
}

// SealPrivate returns the private record to keep (salt ‖ record) and the
// hex commitment to put in the public body.
func SealPrivate(salt, record []byte) (private []byte, commit string) {
	private = make([]byte, 0, len(salt)+len(record))
	private = append(append(private, salt...), record...)
	return private, hex.EncodeToString(Commit(salt, record))
}

// OpenPrivate checks a stored private record (salt ‖ record) against the
// public body's commitment and returns the record.
func OpenPrivate(p PublicBody, private []byte) ([]byte, error) {
	if len(private) < CommitSaltSize {
		return nil, apperr.New(apperr.Malformed, "the private record is shorter than its salt").WithCode(apperr.CodeLogEntryInvalid)
	}
	want, err := hex.DecodeString(p.Commit)
	if err != nil {
		return nil, apperr.New(apperr.Malformed, "bad commitment").WithCode(apperr.CodeLogEntryInvalid)
	}
	salt, record := private[:CommitSaltSize], private[CommitSaltSize:]
	if subtle.ConstantTimeCompare(Commit(salt, record), want) != 1 {
		return nil, apperr.New(apperr.Malformed, "the private record does not match the entry's commitment").WithCode(apperr.CodeLogEntryInvalid)
	}
	return record, nil
}

// Names reports whether the body names subject (kind, id) in public.
func (p PublicBody) Names(kind, id string) bool {
	for _, s := range p.Subjects {
		if s.Kind == kind && s.ID == id {
			return true
		}
	}
	return false
}

// PledgeState returns the state of pledge pledgeID the body records, as a
// verification report's StatusNow.State and a status statement name it: a
// workflow event of the pledge (ACCEPTED is ACTIVE) or a registry change
// naming it (its code). ok=false when the entry is not about the pledge.
func (b PublicBody) PledgeState(pledgeID string) (status.Code, bool) {
	switch b.Source {
	case "pledge":
		if b.Data["pledge"] != pledgeID || !b.Names(string(status.KindPledge), pledgeID) {
			return "", false
		}
		if s := b.Data["status"]; s != "ACCEPTED" {
			return status.Code(s), s != ""
		}
		return status.Active, true
	case "registry":
		if !b.Names(string(status.KindPledge), pledgeID) || b.Data["code"] == "" {
			return "", false
		}
		return status.Code(b.Data["code"]), true
	}
	return "", false
}

// EntryPledgeState reads a log entry (its leaf bytes) and returns the state
// of pledge pledgeID its public body records (PledgeState); an entry that
// does not parse is an error, never a state.
func EntryPledgeState(entry []byte, pledgeID string) (status.Code, bool, error) {
	e, err := ParseEntry(entry)
	if err != nil {
		return "", false, err
	}
	body, err := ParsePublicBody(e.Body)
	if err != nil {
		return "", false, err
	}
	st, ok := body.PledgeState(pledgeID)
	return st, ok, nil
}
