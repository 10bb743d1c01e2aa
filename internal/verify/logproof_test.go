package verify

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/compact"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

const testOrigin = "pledgeseal.test/log"

// memLog is a log kept in memory (a verify.LogSource): entries, the nodes
// of its tree, and a checkpoint signed on demand with key.
type memLog struct {
	t       testing.TB
	signer  *translog.NoteSigner
	pub     *ecdsa.PublicKey
	entries [][]byte
	nodes   map[compact.NodeID][]byte
	rng     *compact.Range
	cp      []byte
	cpSize  uint64
	pledges map[string]uint64
}

func newMemLog(t testing.TB) *memLog {
	key, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := translog.NewNoteSigner(testOrigin, key)
	if err != nil {
		t.Fatal(err)
	}
	return &memLog{t: t, signer: s, pub: &key.PublicKey, nodes: map[compact.NodeID][]byte{}, rng: translog.EmptyRange(), pledges: map[string]uint64{}}
}

// add appends the public entry of a change of pledge id: a workflow event
// (source pledge, status) or a registry change (code).
func (l *memLog) add(source, id, state string) uint64 {
	l.t.Helper()
	_, commit := translog.SealPrivate(bytes.Repeat([]byte{1}, translog.CommitSaltSize), []byte(id+state))
	pb := translog.PublicBody{V: translog.PublicBodyVersion, Source: source, At: time.Unix(int64(len(l.entries)), 0), Commit: commit,
		Subjects: []translog.PublicSubject{{Kind: string(status.KindPledge), ID: id}}}
	field := "w:"
	if source == "pledge" {
		pb.Data = map[string]string{"pledge": id, "status": state}
	} else {
		pb.Data = map[string]string{"code": state}
		field = "r:"
	}
	body, err := pb.Marshal()
	if err != nil {
		l.t.Fatal(err)
	}
	idx := uint64(len(l.entries))
	e := translog.Entry{Slot: uint16(idx % 7), ID: fmt.Sprintf("%d-0", idx+1), Body: body}.Marshal()
	l.entries = append(l.entries, e)
	if err := l.rng.Append(translog.Hasher{}.HashLeaf(e), func(id compact.NodeID, h []byte) { l.nodes[id] = h }); err != nil {
		l.t.Fatal(err)
	}
	l.pledges[field+id] = idx
	return idx
}

func (l *memLog) sign() {
	l.t.Helper()
	root, err := translog.RootOf(l.rng)
	if err != nil {
		l.t.Fatal(err)
	}
	if l.cp, err = translog.SignCheckpoint(translog.Checkpoint{Origin: testOrigin, Size: l.rng.End(), Root: root}, l.signer); err != nil {
		l.t.Fatal(err)
	}
	l.cpSize = l.rng.End()
}

func (l *memLog) PledgeIndex(_ context.Context, id string, registry bool) (uint64, bool, error) {
	f := "w:"
	if registry {
		f = "r:"
	}
	i, ok := l.pledges[f+id]
	return i, ok, nil
}

func (l *memLog) Entries(_ context.Context, start, end uint64) ([][]byte, error) {
	return l.entries[start:end], nil
}

func (l *memLog) CheckpointFor(_ context.Context, index uint64) ([]byte, bool, error) {
	if l.cp == nil {
		return nil, false, nil
	}
	return l.cp, index < l.cpSize, nil
}

func (l *memLog) InclusionProof(_ context.Context, index, size uint64) ([][]byte, error) {
	return translog.InclusionProof(index, size, func(ids []compact.NodeID) ([][]byte, error) {
		out := make([][]byte, len(ids))
		for i, id := range ids {
			h, ok := l.nodes[id]
			if !ok {
				return nil, apperr.New(apperr.Internal, "no node %v", id)
			}
			out[i] = h
		}
		return out, nil
	})
}

func reportOf(id string, state status.Code) *Report {
	return &Report{Format: Format, Pledge: &Summary{PledgeID: id}, StatusNow: Now{State: state}}
}

func expectCheck(t *testing.T, what string, c Check, res outcome.Result, sub outcome.SubIndication) {
	t.Helper()
	if c.Name != CheckLogInclusion || c.Result != res || c.SubIndication != sub {
		t.Fatalf("%s: %s %s %q, want %s %s", what, c.Name, c.Result, c.Detail, res, sub)
	}
}

// Attacks on the log section of a report, checked offline with the pinned
// log key: a forged proof, a checkpoint of another key, an entry of
// another pledge, an entry of an older state. None may pass; a pending
// entry is never PASSED either.
func TestCheckLogAttacks(t *testing.T) {
	ctx := context.Background()
	l := newMemLog(t)
	pub := l.pub
	for i := range 37 {
		l.add("pledge", fmt.Sprintf("P-%03d", i), "SIGNED")
	}
	l.add("pledge", "P-A", "SIGNED")
	l.add("pledge", "P-A", "ACCEPTED")
	l.add("pledge", "P-B", "SIGNED")

	// Nothing signed yet: NOT_YET_LOGGED, not a pass.
	rep := reportOf("P-A", status.Active)
	rep.Log = ProveLog(ctx, l, rep)
	if rep.Log == nil || rep.Log.Status != LogNotYetLogged {
		t.Fatalf("before a checkpoint: %+v", rep.Log)
	}
	expectCheck(t, "pending", CheckLog(rep, "P-A", pub), outcome.Indeterminate, LogPending)
	rep.Log = nil
	expectCheck(t, "no log section", CheckLog(rep, "P-A", pub), outcome.Indeterminate, LogPending)

	l.sign()
	honest := func(id string, st status.Code) *Report {
		r := reportOf(id, st)
		r.Log = ProveLog(ctx, l, r)
		if r.Log == nil || r.Log.Status != LogProven {
			t.Fatalf("%s %s: %+v", id, st, r.Log)
		}
		return r
	}
	rep = honest("P-A", status.Active)
	expectCheck(t, "honest", CheckLog(rep, "P-A", pub), outcome.Passed, "")

	// A report about another pledge than the package verified.
	expectCheck(t, "report of another pledge", CheckLog(rep, "P-B", pub), outcome.Failed, LogEntryMismatch)

	// A forged proof: every hash flipped in turn, a hash dropped, a hash added.
	for i := range rep.Log.InclusionProof {
		r := *rep
		lg := *rep.Log
		lg.InclusionProof = append([]string{}, lg.InclusionProof...)
		b, _ := hex.DecodeString(lg.InclusionProof[i])
		b[3] ^= 0x40
		lg.InclusionProof[i] = hex.EncodeToString(b)
		r.Log = &lg
		expectCheck(t, fmt.Sprintf("proof hash %d flipped", i), CheckLog(&r, "P-A", pub), outcome.Failed, LogProofInvalid)
	}
	for _, p := range [][]string{rep.Log.InclusionProof[1:], append(append([]string{}, rep.Log.InclusionProof...), rep.Log.InclusionProof[0])} {
		r := *rep
		lg := *rep.Log
		lg.InclusionProof = p
		r.Log = &lg
		expectCheck(t, "proof of another length", CheckLog(&r, "P-A", pub), outcome.Failed, LogProofInvalid)
	}
	// Another index, another tree size, a leaf hash that is not the entry's.
	{
		r, lg := *rep, *rep.Log
		other := *lg.Index + 1
		lg.Index = &other
		r.Log = &lg
		expectCheck(t, "another index", CheckLog(&r, "P-A", pub), outcome.Failed, LogProofInvalid)
		lg2 := *rep.Log
		lg2.TreeSize++
		r.Log = &lg2
		expectCheck(t, "another tree size", CheckLog(&r, "P-A", pub), outcome.Failed, LogProofInvalid)
		lg3 := *rep.Log
		lg3.LeafHash = strings.Repeat("0", 64)
		r.Log = &lg3
		expectCheck(t, "another leaf hash", CheckLog(&r, "P-A", pub), outcome.Failed, LogProofInvalid)
	}

	// A checkpoint signed by another key (over the true root), and the
	// right key's checkpoint with an edited size.
	{
		other, _ := pki.GenerateKey()
		os, _ := translog.NewNoteSigner(testOrigin, other)
		c, err := translog.OpenCheckpointWithKey([]byte(rep.Log.Checkpoint), pub)
		if err != nil {
			t.Fatal(err)
		}
		forged, _ := translog.SignCheckpoint(c, os)
		r, lg := *rep, *rep.Log
		lg.Checkpoint = string(forged)
		r.Log = &lg
		expectCheck(t, "checkpoint of another key", CheckLog(&r, "P-A", pub), outcome.Failed, LogCheckpointSignature)
		lg2 := *rep.Log
		lg2.Checkpoint = strings.Replace(lg2.Checkpoint, fmt.Sprintf("\n%d\n", c.Size), fmt.Sprintf("\n%d\n", c.Size+1), 1)
		r.Log = &lg2
		expectCheck(t, "checkpoint with an edited size", CheckLog(&r, "P-A", pub), outcome.Failed, LogCheckpointSignature)
	}

	// An entry of another pledge, with its valid proof, in P-A's report.
	{
		b := honest("P-B", "SIGNED")
		r := *rep
		r.Log = b.Log
		expectCheck(t, "entry of another pledge", CheckLog(&r, "P-A", pub), outcome.Failed, LogEntryMismatch)
	}

	// An older state: P-A is revoked now; the server's report gives the
	// ACCEPTED entry with its valid proof.
	l.add("registry", "P-A", string(status.Revoked))
	l.sign()
	revoked := honest("P-A", status.Revoked)
	expectCheck(t, "revoked, proven", CheckLog(revoked, "P-A", pub), outcome.Passed, "")
	stale := reportOf("P-A", status.Revoked)
	stale.Log = rep.Log
	expectCheck(t, "ACCEPTED entry for a REVOKED pledge", CheckLog(stale, "P-A", pub), outcome.Failed, LogEntryMismatch)
	// ... and a report claiming ACTIVE with the REVOKED entry.
	claim := reportOf("P-A", status.Active)
	claim.Log = revoked.Log
	expectCheck(t, "REVOKED entry for an ACTIVE claim", CheckLog(claim, "P-A", pub), outcome.Failed, LogEntryMismatch)

	// A change not yet logged: the pledge is WITHDRAWN now, the log's
	// latest workflow entry is ACCEPTED: the service says NOT_YET_LOGGED.
	w := reportOf("P-A", status.Withdrawn)
	w.Log = ProveLog(ctx, l, w)
	if w.Log == nil || w.Log.Status != LogNotYetLogged || w.Log.Entry != "" {
		t.Fatalf("pending change: %+v", w.Log)
	}
	expectCheck(t, "pending change", CheckLog(w, "P-A", pub), outcome.Indeterminate, LogPending)

	// Garbage in every field: FAILED or INDETERMINATE, never a panic or a pass.
	for _, mut := range []func(*LogSection){
		func(s *LogSection) { s.Entry = "%%%" },
		func(s *LogSection) { s.Entry = base64.StdEncoding.EncodeToString([]byte("x")) },
		func(s *LogSection) { s.Index = nil },
		func(s *LogSection) { s.Checkpoint = "" },
		func(s *LogSection) { s.InclusionProof = []string{"zz"} },
		func(s *LogSection) { s.Status = "MAYBE" },
	} {
		r, lg := *rep, *rep.Log
		mut(&lg)
		r.Log = &lg
		if c := CheckLog(&r, "P-A", pub); c.Result == outcome.Passed {
			t.Fatalf("a mangled section passed: %+v", c)
		}
	}
}

// FuzzCheckLog: whatever a report's log section holds, the offline check
// answers without a panic, and passes only the section the log made.
func FuzzCheckLog(f *testing.F) {
	l := newMemLog(f)
	for i := range 5 {
		l.add("pledge", fmt.Sprintf("P-%d", i), "ACCEPTED")
	}
	l.sign()
	good := reportOf("P-3", status.Active)
	good.Log = ProveLog(context.Background(), l, good)
	f.Add(good.Log.Entry, strings.Join(good.Log.InclusionProof, ","), good.Log.Checkpoint, *good.Log.Index, good.Log.TreeSize)
	f.Add("", "", "", uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, entry, proof, cp string, index, size uint64) {
		r := reportOf("P-3", status.Active)
		r.Log = &LogSection{Status: LogProven, Entry: entry, Checkpoint: cp, Index: &index, TreeSize: size}
		if proof != "" {
			r.Log.InclusionProof = strings.Split(proof, ",")
		}
		c := CheckLog(r, "P-3", l.pub)
		if c.Result == outcome.Passed && (entry != good.Log.Entry || index != *good.Log.Index) {
			t.Fatalf("a foreign section passed: %+v", r.Log)
		}
	})
}
