package store

import (
	"crypto/rand"
	"encoding/json"
	"strconv"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// What a log entry shows in public (docs/transparency.md, "What the log
// publishes"). A state-changing script appends the change's full record
// to its slot's pending stream; integration turns it into a public body
// (translog.PublicBody) that keeps only the fields listed here and an SM3
// commitment, under a fresh 256-bit salt, to the whole record. The record
// and its salt stay in {tlog}:p; `pledgectl log audit` opens them against
// the commitments. Everything not listed (actor IDs, reasons, notes,
// decision numbers, document digests, token IDs, bars) is private.
var publicData = map[string][]string{
	"pledge":    {"pledge", "status", "from", "rev", "agency", "region", "matter", "certificate"},
	"catalogue": {"region", "matter", "certificate", "version"},
	"notice":    {"notice", "version", "sm3"},
	"token":     {"role"},
	"webhook":   nil,
	"bar":       nil,
	"registry":  {"seq", "code", "effective", "items"},
}

// publicSubjectKinds are the subject kinds whose IDs are public anyway.
var publicSubjectKinds = map[status.Kind]bool{status.KindSeal: true, status.KindPledge: true, status.KindPledgeState: true}

// pendingRecord is the union of the shapes a pending entry can have: a
// LogEvent, a PledgeEvent or a registry AuditEntry.
type pendingRecord struct {
	Source   string            `json:"source"`
	Action   string            `json:"action"`
	At       time.Time         `json:"at"`
	Data     map[string]string `json:"data"`
	Seq      uint64            `json:"seq"`
	Recorded time.Time         `json:"recorded"`
	Code     status.Code       `json:"code"`
	Effect   time.Time         `json:"effective"`
	Items    int               `json:"items"`
	Subjects []SubjectRef      `json:"subjects"`
}

// Fields of {tlog}:px: the latest workflow entry of a pledge and the latest
// registry entry naming it (a finding, a revocation, a reversal). Both
// are kept: integration orders slots, not times, so a registry entry and
// a workflow entry integrated in one step are in slot order.
const (
	pledgeWorkflowField = "w:"
	pledgeRegistryField = "r:"
)

// publicEntry returns the public body of a pending record and the private
// record to keep (salt ‖ record), with the {tlog}:px fields the entry is
// now the latest of.
func publicEntry(record []byte) (body, private []byte, pledges []string, err error) {
	salt := make([]byte, translog.CommitSaltSize)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, nil, apperr.Wrap(apperr.Internal, err, "no randomness for a log commitment")
	}
	private, commit := translog.SealPrivate(salt, record)
	pub := translog.PublicBody{V: translog.PublicBodyVersion, Source: "unknown", Commit: commit}
	var r pendingRecord
	if json.Unmarshal(record, &r) == nil {
		pledges = r.publicInto(&pub)
	}
	body, err = pub.Marshal()
	return body, private, pledges, err
}

// publicInto fills pub's public fields from r and returns the pledges it
// names.
func (r pendingRecord) publicInto(pub *translog.PublicBody) []string {
	src, data := r.Source, r.Data
	if src == "" && r.Seq > 0 {
		src = "registry"
		data = map[string]string{"seq": strconv.FormatUint(r.Seq, 10), "code": string(r.Code),
			"effective": r.Effect.UTC().Format(time.RFC3339Nano), "items": strconv.Itoa(r.Items)}
		r.At = r.Recorded
	}
	keep, known := publicData[src]
	if !known {
		return nil
	}
	pub.Source, pub.Action, pub.At = src, r.Action, r.At
	for _, k := range keep {
		if v, ok := data[k]; ok {
			if pub.Data == nil {
				pub.Data = map[string]string{}
			}
			pub.Data[k] = v
		}
	}
	var pledges []string
	if src == "pledge" && data["pledge"] != "" {
		pub.Subjects = []translog.PublicSubject{{Kind: string(status.KindPledge), ID: data["pledge"]}}
		pledges = append(pledges, pledgeWorkflowField+data["pledge"])
	}
	for _, s := range r.Subjects {
		ps := translog.PublicSubject{Kind: string(s.Kind)}
		if publicSubjectKinds[s.Kind] {
			ps.ID = s.ID
			if s.Kind == status.KindPledge && s.ID != "" {
				pledges = append(pledges, pledgeRegistryField+s.ID)
			}
		}
		pub.Subjects = append(pub.Subjects, ps)
	}
	return pledges
}
