package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// States of a report's log section.
const (
	// LogProven: the entry of the pledge's state now, its index, an
	// inclusion proof and the signed checkpoint it is proven against.
	LogProven = "PROVEN"
	// LogNotYetLogged: the pledge's latest change is not yet in a signed
	// checkpoint (pending integration, or integrated after the latest
	// checkpoint while the next may not be signed yet). Never a pass.
	LogNotYetLogged = "NOT_YET_LOGGED"
	// LogUnavailable: the log could not be read.
	LogUnavailable = "UNAVAILABLE"
)

// CheckLogInclusion is the name of the offline check of a report's log
// section (pledgectl pledge verify --log-cert).
const CheckLogInclusion = "log-inclusion"

// Sub-indications of the log check.
const (
	// LogPending: the report says the pledge's state now is not yet in a
	// signed checkpoint.
	LogPending outcome.SubIndication = LogNotYetLogged
	// LogCheckpointSignature: the checkpoint is not signed by the pinned
	// log key (or does not parse).
	LogCheckpointSignature outcome.SubIndication = "LOG_CHECKPOINT_SIGNATURE"
	// LogProofInvalid: the inclusion proof does not lead from the entry to
	// the checkpoint's root.
	LogProofInvalid outcome.SubIndication = "LOG_PROOF_INVALID"
	// LogEntryMismatch: the entry is not about this pledge, or records
	// another state than the report's state now.
	LogEntryMismatch outcome.SubIndication = "LOG_ENTRY_MISMATCH"
)

// LogSection proves the pledge's state now from the transparency log
// (docs/transparency.md, "Verification reports"): the log entry recording
// it (leaf data, base64; its leaf hash is SM3(0x00 ‖ entry)), its index,
// the RFC 9162 inclusion proof (hex hashes) in the tree of TreeSize
// entries, and the signed checkpoint (C2SP signed note) of that tree.
// Status says whether it proves anything: only PROVEN carries the proof.
type LogSection struct {
	Status         string   `json:"status"`
	Detail         string   `json:"detail,omitempty"`
	Index          *uint64  `json:"index,omitempty"`
	Entry          string   `json:"entry,omitempty"`
	LeafHash       string   `json:"leafHash,omitempty"`
	TreeSize       uint64   `json:"treeSize,omitempty"`
	InclusionProof []string `json:"inclusionProof,omitempty"`
	Checkpoint     string   `json:"checkpoint,omitempty"`
}

// CheckLog checks a report's log section offline with the pinned log key:
// the report is about pledgeID (the package the caller verified), the
// checkpoint is signed by the log key, the inclusion proof leads from the
// entry to its root, and the entry records this pledge in the report's
// state now. A section that proves nothing (absent, NOT_YET_LOGGED,
// UNAVAILABLE) is INDETERMINATE, never PASSED.
func CheckLog(r *Report, pledgeID string, logKey *ecdsa.PublicKey) Check {
	res := func(result outcome.Result, sub outcome.SubIndication, format string, args ...any) Check {
		return Check{Name: CheckLogInclusion, Scope: ScopeNow, Result: result, SubIndication: sub, Detail: fmt.Sprintf(format, args...)}
	}
	fail := func(sub outcome.SubIndication, format string, args ...any) Check {
		return res(outcome.Failed, sub, format, args...)
	}
	if r == nil || r.Pledge == nil || r.Pledge.PledgeID != pledgeID {
		return fail(LogEntryMismatch, "the status report is not about pledge %s", pledgeID)
	}
	l := r.Log
	switch {
	case l == nil:
		return res(outcome.Indeterminate, LogPending, "the status report carries no log proof of the pledge's state")
	case l.Status == LogNotYetLogged:
		return res(outcome.Indeterminate, LogPending, "the pledge's state now is not yet in a signed checkpoint of the log: %s", l.Detail)
	case l.Status != LogProven:
		return res(outcome.Indeterminate, outcome.TryLater, "the log proof is %s: %s", l.Status, l.Detail)
	}
	cp, err := translog.OpenCheckpointWithKey([]byte(l.Checkpoint), logKey)
	if err != nil {
		return fail(LogCheckpointSignature, "the checkpoint is not signed by the pinned log key: %s", apperr.As(err).Detail)
	}
	entry, err := base64.StdEncoding.Strict().DecodeString(l.Entry)
	if err != nil || l.Index == nil {
		return fail(LogProofInvalid, "the log section has no readable entry or index")
	}
	leaf := translog.Hasher{}.HashLeaf(entry)
	if l.LeafHash != "" && l.LeafHash != hex.EncodeToString(leaf) {
		return fail(LogProofInvalid, "the leaf hash given is not the hash of the entry given")
	}
	if l.TreeSize != cp.Size {
		return fail(LogProofInvalid, "the proof is for a tree of %d entries, the checkpoint's has %d", l.TreeSize, cp.Size)
	}
	hashes := make([][]byte, len(l.InclusionProof))
	for i, s := range l.InclusionProof {
		if hashes[i], err = hex.DecodeString(s); err != nil || len(hashes[i]) != translog.HashSize {
			return fail(LogProofInvalid, "inclusion proof hash %d is not a %d-byte hex hash", i, translog.HashSize)
		}
	}
	if err := translog.VerifyInclusion(*l.Index, cp.Size, leaf, hashes, cp.Root); err != nil {
		return fail(LogProofInvalid, "the inclusion proof of entry %d does not lead to the root of the signed checkpoint of %d entries", *l.Index, cp.Size)
	}
	e, err := translog.ParseEntry(entry)
	if err != nil {
		return fail(LogEntryMismatch, "the logged entry does not parse: %s", apperr.As(err).Detail)
	}
	body, err := translog.ParsePublicBody(e.Body)
	if err != nil {
		return fail(LogEntryMismatch, "the logged entry's body does not parse: %s", apperr.As(err).Detail)
	}
	st, ok := body.PledgeState(pledgeID)
	if !ok {
		return fail(LogEntryMismatch, "log entry %d is not about pledge %s", *l.Index, pledgeID)
	}
	if now := orUnknown(r.StatusNow.State); st != now {
		return fail(LogEntryMismatch, "log entry %d records the pledge as %s, but the report says %s now: it is not the entry of the state now", *l.Index, st, now)
	}
	return res(outcome.Passed, "", "log entry %d records the pledge as %s; its inclusion proof leads to the root of the checkpoint of %d entries signed by %s. This proves the state was logged, not that no later change followed: for the state now ask the service, or check a signed status statement", *l.Index, st, cp.Size, cp.Origin)
}

// LogSource is what the service reads to prove a pledge's state from its
// transparency log (store.TransLog with the app's checkpoint signer).
type LogSource interface {
	// PledgeIndex returns the index of the pledge's latest workflow entry,
	// or with registry its latest registry entry; ok=false when none is
	// integrated yet.
	PledgeIndex(ctx context.Context, pledgeID string, registry bool) (uint64, bool, error)
	Entries(ctx context.Context, start, end uint64) ([][]byte, error)
	// CheckpointFor returns a signed checkpoint whose tree holds entry
	// index, signing one on demand when the latest does not and the
	// checkpoint interval allows; ok=false when there is none yet.
	CheckpointFor(ctx context.Context, index uint64) ([]byte, bool, error)
	InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error)
}

// ProveLog returns the log section of a report: the entry recording the
// report's state now of its pledge, proven against a signed checkpoint,
// or why there is none yet. It reads the workflow entry for a workflow
// state and the registry entry for a finding or revocation (the state the
// report gives); an entry recording another state means the change to the
// state now is still pending: NOT_YET_LOGGED.
func ProveLog(ctx context.Context, src LogSource, r *Report) *LogSection {
	if src == nil || r.Pledge == nil || r.StatusNow.State == "" || r.StatusNow.State == status.Unknown {
		return nil
	}
	id, state := r.Pledge.PledgeID, r.StatusNow.State
	unavailable := func(err error) *LogSection {
		return &LogSection{Status: LogUnavailable, Detail: "the transparency log cannot be read now: " + detailOf(err)}
	}
	idx, ok, err := src.PledgeIndex(ctx, id, !workflowState(state))
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return &LogSection{Status: LogNotYetLogged, Detail: fmt.Sprintf("no entry for the pledge's state %s is in the log yet (it is pending integration)", state)}
	}
	ents, err := src.Entries(ctx, idx, idx+1)
	if err == nil && len(ents) != 1 {
		err = apperr.New(apperr.Unavailable, "the log returned %d entries for index %d", len(ents), idx)
	}
	if err != nil {
		return unavailable(err)
	}
	st, ok, err := translog.EntryPledgeState(ents[0], id)
	if err != nil {
		return unavailable(err)
	}
	if !ok || st != state {
		return &LogSection{Status: LogNotYetLogged, Detail: fmt.Sprintf("the pledge's latest logged state is %s (entry %d); the change to %s is pending integration", st, idx, state)}
	}
	cp, ok, err := src.CheckpointFor(ctx, idx)
	if err != nil {
		return unavailable(err)
	}
	if !ok {
		return &LogSection{Status: LogNotYetLogged, Index: &idx, Detail: fmt.Sprintf("entry %d is in the log but not yet in a signed checkpoint; one is signed at most every checkpoint interval", idx)}
	}
	c, err := translog.ParseCheckpoint(checkpointText(cp))
	if err != nil {
		return unavailable(err)
	}
	if idx >= c.Size {
		return &LogSection{Status: LogNotYetLogged, Index: &idx, Detail: fmt.Sprintf("entry %d is in the log but not yet in a signed checkpoint", idx)}
	}
	p, err := src.InclusionProof(ctx, idx, c.Size)
	if err != nil {
		return unavailable(err)
	}
	hashes := make([]string, len(p))
	for i, h := range p {
		hashes[i] = hex.EncodeToString(h)
	}
	return &LogSection{Status: LogProven, Index: &idx, Entry: base64.StdEncoding.EncodeToString(ents[0]),
		LeafHash: hex.EncodeToString(translog.Hasher{}.HashLeaf(ents[0])), TreeSize: c.Size, InclusionProof: hashes, Checkpoint: string(cp)}
}

// workflowState tells whether a report's state now is a workflow state
// (SIGNED, ACTIVE, WITHDRAWN, RETURNED), which a pledge workflow entry
// records, rather than a registry finding or revocation.
func workflowState(c status.Code) bool {
	switch c {
	case "SIGNED", status.Active, status.Withdrawn, "RETURNED":
		return true
	}
	return false
}

// checkpointText is the text of a signed note: up to its blank line.
func checkpointText(signed []byte) []byte {
	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	return append(text, '\n')
}
