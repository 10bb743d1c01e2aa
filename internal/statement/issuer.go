package statement

import (
	"bytes"
	"context"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// CheckpointSource gives the transparency log's latest signed checkpoint
// (store.TransLog); an apperr.NotFound error means the log has none yet.
type CheckpointSource interface {
	Checkpoint(ctx context.Context) ([]byte, error)
}

// LogIndexer finds the log index of the entry that set a pledge's state
// now: its latest registry change (finding, revocation) when registry is
// true, else its latest workflow event; ok is false when the log does not
// hold it (yet).
type LogIndexer interface {
	PledgeIndex(ctx context.Context, pledgeID string, registry bool) (index uint64, ok bool, err error)
	// Entries returns the log entries [start, end) (their leaf bytes).
	Entries(ctx context.Context, start, end uint64) ([][]byte, error)
}

// IssuerOptions configure an Issuer.
type IssuerOptions struct {
	// Status answers a pledge's registry state (status.KindPledge:
	// findings, revocations of the decision) and its workflow state
	// (status.KindPledgeState) in one lookup (store.StatusBatch).
	Status status.Source
	// Signer is the status key's note signer; its name is the issuer.
	Signer note.Signer
	// Validity is nextUpdate − thisUpdate.
	Validity time.Duration
	// Checkpoints and Index add the log's checkpoint and the pledge's log
	// index (each optional).
	Checkpoints CheckpointSource
	Index       LogIndexer
	Clock       clock.Clock
}

// Issuer signs status statements from the registry as it is now.
type Issuer struct{ o IssuerOptions }

// NewIssuer returns an issuer; Status, Signer and a positive Validity are
// required.
func NewIssuer(o IssuerOptions) (*Issuer, error) {
	if o.Status == nil || o.Signer == nil || o.Validity <= 0 {
		return nil, apperr.New(apperr.Internal, "status statements need a status source, the status key and a validity")
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	return &Issuer{o: o}, nil
}

func tryLater(err error, what string) error {
	if err != nil && apperr.KindOf(err) == apperr.Unavailable {
		return err
	}
	return apperr.Wrap(apperr.Unavailable, err, "cannot read %s now; no status statement is signed / 暂时无法读取状态，未签发状态声明", what).WithCode(apperr.CodeTryLater)
}

// Issue reads the pledge's state now and returns the signed statement.
// It fails closed: when the registry or the log cannot be read it signs
// nothing (Unavailable, TRY_LATER); a pledge the service does not hold is
// NotFound (PLEDGE_NOT_FOUND). A finding or revocation in the registry
// outranks the workflow state, so a pledge found false or whose decision
// was revoked is never stated ACTIVE.
func (i *Issuer) Issue(ctx context.Context, pledgeID string) ([]byte, Statement, error) {
	if !validID(pledgeID) {
		return nil, Statement{}, apperr.New(apperr.NotFound, "no such pledge").WithCode(apperr.CodePledgeNotFound)
	}
	now := i.o.Clock.Now()
	subs := []status.Subject{{Kind: status.KindPledge, ID: pledgeID}, {Kind: status.KindPledgeState, ID: pledgeID}}
	ans, err := i.o.Status.Lookup(ctx, now, subs)
	if err != nil {
		return nil, Statement{}, tryLater(err, "the pledge's state")
	}
	if len(ans.Results) != len(subs) || ans.Results[0].Subject.Kind != status.KindPledge ||
		ans.Results[1].Subject.Kind != status.KindPledgeState || ans.Results[1].Subject.ID != pledgeID {
		return nil, Statement{}, tryLater(nil, "the pledge's state (the registry answered another question)")
	}
	workflow, registry := ans.Results[1].Now, ans.Results[0].Now
	if workflow.Code == "" || workflow.Code == status.Unknown {
		return nil, Statement{}, apperr.New(apperr.NotFound, "no such pledge").WithCode(apperr.CodePledgeNotFound)
	}
	st, fromRegistry := workflow, false
	if registry.Code != "" && registry.Code != status.Active && registry.Code != status.Unknown {
		st, fromRegistry = registry, true
	}
	if !knownState(st.Code) {
		return nil, Statement{}, apperr.New(apperr.Internal, "the pledge has an unexpected state %q", st.Code)
	}
	s := Statement{Issuer: i.o.Signer.Name(), PledgeID: pledgeID, State: st.Code, Since: st.Since.UTC().Truncate(time.Second)}
	if st.DocumentNo != "" && validDocumentNo(st.DocumentNo) {
		switch st.Code {
		case status.Active:
			s.Reference = &Reference{Kind: RefDecision, DocumentNo: st.DocumentNo}
		case status.False, status.NotFulfilled:
			s.Reference = &Reference{Kind: RefFinding, DocumentNo: st.DocumentNo}
		case status.Revoked:
			s.Reference = &Reference{Kind: RefRevocation, DocumentNo: st.DocumentNo}
		}
	}
	read := ans.ReadAt
	if read.IsZero() {
		read = now
	}
	s.ThisUpdate = read.UTC().Truncate(time.Second)
	if s.Since.After(s.ThisUpdate) {
		s.Since = s.ThisUpdate
	}
	s.NextUpdate = s.ThisUpdate.Add(i.o.Validity)
	if i.o.Checkpoints != nil {
		cp, err := i.o.Checkpoints.Checkpoint(ctx)
		switch {
		case err == nil:
			s.Checkpoint = cp
		case apperr.KindOf(err) != apperr.NotFound:
			return nil, Statement{}, tryLater(err, "the transparency log")
		}
	}
	if i.o.Index != nil && len(s.Checkpoint) > 0 {
		// Read after the checkpoint: an index the carried checkpoint does
		// not cover yet is left out, so every log-index can be proven
		// against the checkpoint beside it.
		n, ok, err := i.o.Index.PledgeIndex(ctx, pledgeID, fromRegistry)
		if err != nil {
			return nil, Statement{}, tryLater(err, "the transparency log")
		}
		if size, known := checkpointSize(s.Checkpoint); ok && known && n < size {
			// Named only when that entry records the state stated: a
			// change still pending integration leaves the index on the
			// pledge's previous state, which the statement must not cite.
			ents, err := i.o.Index.Entries(ctx, n, n+1)
			if err != nil {
				return nil, Statement{}, tryLater(err, "the transparency log")
			}
			if len(ents) == 1 {
				if logged, about, err := translog.EntryPledgeState(ents[0], pledgeID); err == nil && about && logged == s.State {
					s.LogIndex = &n
				}
			}
		}
	}
	signed, err := Sign(s, i.o.Signer)
	if err != nil {
		return nil, Statement{}, err
	}
	return signed, s, nil
}

// checkpointSize reads the tree size of a signed checkpoint without
// verifying it (the issuer's own log wrote it).
func checkpointSize(signed []byte) (uint64, bool) {
	text, _, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return 0, false
	}
	cp, err := translog.ParseCheckpoint(append(text, '\n'))
	if err != nil {
		return 0, false
	}
	return cp.Size, true
}
