package store

import (
	"context"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// Registry implements status.Source.
var _ status.Source = (*Registry)(nil)

// history is what one read returns for one subject.
type history struct {
	events []compactEvent
	// owner is, for a seal subject named by esID, the agency of the seal
	// record filed under that esID when the record's digest is the
	// subject's ("" otherwise).
	owner string
}

// ownerAsked reports whether a lookup reads the seal record of sub: a seal
// named by its esID.
func ownerAsked(sub status.Subject) bool { return sub.Kind == status.KindSeal && sub.ID != "" }

// readHistories runs the lookup script: the histories of every subject and
// the audit entries their events refer to, in one Redis call.
func (r *Registry) readHistories(ctx context.Context, subjects []status.Subject) ([]history, map[uint64]AuditEntry, error) {
	if len(subjects) == 0 {
		return nil, nil, nil
	}
	keys, args, err := r.historyRequest(subjects)
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	res, err := r.lookup.run(ctx, r.st.rdb, keys, args...)
	if err != nil {
		return nil, nil, mapErr(err, "registry")
	}
	r.lookups.Add(1)
	return decodeHistories(res, subjects)
}

// historyRequest builds the lookup script's keys and arguments for a
// non-empty batch of subjects. The keys all carry the registry hash tag.
func (r *Registry) historyRequest(subjects []status.Subject) ([]string, []any, error) {
	if len(subjects) > registry.MaxBatch {
		return nil, nil, apperr.New(apperr.Malformed, "at most %d subjects per lookup", registry.MaxBatch)
	}
	kl := &keyList{pos: map[string]int{}}
	kl.at(r.st.auditEntriesKey())
	args := []any{r.st.prefix, len(subjects)}
	for i, sub := range subjects {
		ents, err := r.entriesOf(sub)
		if err != nil {
			return nil, nil, apperr.Wrap(apperr.Malformed, err, "subject %d: %s", i+1, apperr.As(err).Detail)
		}
		args = append(args, len(ents))
		for _, e := range ents {
			kl.at(e.bucket)
			args = append(args, e.raw)
		}
	}
	// The seal records of seal subjects, for their owning agency: read in
	// the same script (same slot, same round trip).
	var owners []any
	for _, sub := range subjects {
		if ownerAsked(sub) {
			owners = append(owners, kl.at(r.st.sealKey(sub.ID)))
		}
	}
	args = append(args, len(owners))
	args = append(args, owners...)
	return kl.keys, args, nil
}

// decodeHistories decodes the lookup script's reply to a batch of
// subjects. A reply it cannot explain is an Internal error, never an empty
// history.
func decodeHistories(res any, subjects []status.Subject) ([]history, map[uint64]AuditEntry, error) {
	n := len(subjects)
	reply, ok := res.([]any)
	if !ok || len(reply) != 4 {
		return nil, nil, apperr.New(apperr.Internal, "unexpected registry reply")
	}
	hists, _ := reply[0].([]any)
	seqs, _ := reply[1].([]any)
	bodies, _ := reply[2].([]any)
	owners, _ := reply[3].([]any)
	asked := 0
	for _, sub := range subjects {
		if ownerAsked(sub) {
			asked++
		}
	}
	if len(hists) != n || len(seqs) != len(bodies) || len(owners) != 2*asked {
		return nil, nil, apperr.New(apperr.Internal, "unexpected registry reply")
	}
	out := make([]history, n)
	for i, h := range hists {
		vals, _ := h.([]any)
		var parts [][]compactEvent
		for _, v := range vals {
			s, _ := v.(string)
			evs, err := decodeHistory([]byte(s))
			if err != nil {
				return nil, nil, err
			}
			parts = append(parts, evs)
		}
		out[i].events = mergeHistories(parts...)
	}
	j := 0
	for i, sub := range subjects {
		if !ownerAsked(sub) {
			continue
		}
		agency, _ := owners[j].(string)
		digest, _ := owners[j+1].(string)
		j += 2
		// The owner counts only for exactly the registered bytes: a seal
		// that reuses a registered esID is not that seal.
		if agency != "" && digest == hex.EncodeToString(sub.Digest[:]) {
			out[i].owner = agency
		}
	}
	entries := make(map[uint64]AuditEntry, len(seqs))
	for i := range seqs {
		ss, _ := seqs[i].(string)
		seq, err := strconv.ParseUint(ss, 10, 64)
		if err != nil {
			return nil, nil, apperr.New(apperr.Internal, "unexpected registry reply")
		}
		b, _ := bodies[i].(string)
		if b == "" {
			// The event's audit entry is gone: the registry was tampered
			// with. Never answer from a history we cannot explain.
			return nil, nil, apperr.New(apperr.Internal, "registry event %d has no audit entry", seq)
		}
		e, err := DecodeAuditEntry([]byte(b))
		if err != nil || e.Seq != seq {
			return nil, nil, apperr.New(apperr.Internal, "registry event %d has a corrupt audit entry", seq)
		}
		entries[seq] = e
	}
	return out, entries, nil
}

// registryResults answers every subject from its history at `at` and now.
func registryResults(subjects []status.Subject, hs []history, entries map[uint64]AuditEntry, at, now time.Time) []status.Result {
	out := make([]status.Result, len(subjects))
	for i, sub := range subjects {
		out[i] = status.Result{Subject: sub, At: stateOf(hs[i].events, entries, at), Now: stateOf(hs[i].events, entries, now), Owner: hs[i].owner}
	}
	return out
}

func stateOf(h []compactEvent, entries map[uint64]AuditEntry, t time.Time) status.State {
	i := stateAt(h, t)
	if i < 0 {
		return status.State{Code: status.Unknown}
	}
	e := entries[h[i].Seq]
	return status.State{Code: h[i].Code, Since: h[i].Effective, Reason: e.Reason, DocumentNo: e.DocumentNo}
}

// Lookup answers every subject's state at `at` and now from one Redis call.
// It never returns a default state: if Redis cannot be read the error is
// apperr.Unavailable.
func (r *Registry) Lookup(ctx context.Context, at time.Time, subjects []status.Subject) (status.Answer, error) {
	hs, entries, err := r.readHistories(ctx, subjects)
	if err != nil {
		return status.Answer{}, err
	}
	now := r.st.clock.Now()
	return status.Answer{Results: registryResults(subjects, hs, entries, at, now), ReadAt: now}, nil
}

// History returns every event recorded for a subject, oldest first. A
// subject without events has an empty history (not an error).
func (r *Registry) History(ctx context.Context, sub status.Subject) ([]registry.Event, error) {
	hs, entries, err := r.readHistories(ctx, []status.Subject{sub})
	if err != nil {
		return nil, err
	}
	out := make([]registry.Event, 0, len(hs[0].events))
	for _, ce := range hs[0].events {
		e := entries[ce.Seq]
		out = append(out, registry.Event{Seq: ce.Seq, Code: ce.Code, Effective: ce.Effective, Recorded: e.Recorded,
			Action: e.Action, Actor: e.Actor, Reason: e.Reason, DocumentNo: e.DocumentNo, Note: e.Note})
	}
	return out, nil
}
