package logcli

import (
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/cli/deployflags"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/config"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// source is where `log audit` reads the log.
type source interface {
	Checkpoint(ctx context.Context) ([]byte, error)
	Entries(ctx context.Context, start, end uint64) ([][]byte, error)
}

func auditCmd(stdout io.Writer, getenv func(string) string) *cobra.Command {
	var deploy *deployflags.Flags
	var baseURL, certPath string
	var deep bool
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Replay every log entry and recompute the root of the latest signed checkpoint",
		Long: "Reads the latest checkpoint and every entry it covers, from Redis (the --redis-* settings) or from\n" +
			"--base-url (GET /v1/log/entries), verifies the checkpoint's signature with --log-cert and recomputes\n" +
			"its SM3 Merkle root from the entries. From Redis it also checks every registry audit entry against\n" +
			"its log entry (this replaces walking the old SM3 audit chain), and with --deep every status index\n" +
			"event against the audit entries and every pledge record's status against its last logged change.\n" +
			"Exit 0: consistent. Exit 1: MISMATCH or BAD_SIGNATURE (named). Exit 2: UNREACHABLE.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if certPath == "" {
				return exitError{3, "give the log certificate with --log-cert"}
			}
			if baseURL != "" {
				pub, err := loadLogKey(certPath)
				if err != nil {
					return exitError{3, err.Error()}
				}
				c, err := newClient(baseURL, 0)
				if err != nil {
					return exitError{3, err.Error()}
				}
				_, err = replay(cmd.Context(), stdout, c, pub)
				return err
			}
			cfg, err := deploy.Config(getenv)
			if err != nil {
				return exitError{3, err.Error()}
			}
			return AuditRedis(cmd.Context(), stdout, cfg, certPath, deep)
		},
	}
	deploy = deployflags.Register(cmd, false, map[string]string{"redis-timeout": "10s"})
	cmd.Flags().StringVar(&baseURL, "base-url", "", "read the log over HTTP from this service instead of Redis")
	cmd.Flags().StringVar(&certPath, "log-cert", "", "PEM certificate of the log key (required)")
	cmd.Flags().BoolVar(&deep, "deep", false, "from Redis: also check the status index and the pledge records against the log")
	return cmd
}

// AuditRedis is `pledgectl log audit` from Redis (the store cfg names):
// the same checks, report and errors (their ExitCode is the command's exit
// status). `pledgectl audit verify` runs it too.
func AuditRedis(ctx context.Context, stdout io.Writer, cfg config.Config, certPath string, deep bool) error {
	pub, err := loadLogKey(certPath)
	if err != nil {
		return exitError{3, err.Error()}
	}
	st, err := store.New(store.OptionsFrom(cfg), clock.Real{})
	if err != nil {
		return unreachable("%v", err)
	}
	defer st.Close()
	return auditRedis(ctx, stdout, st, pub, deep)
}

// replayed is what a replay learnt besides the verdict.
type replayed struct {
	cp translog.Checkpoint
	// bySlot holds every entry body by slot, in log order: the public
	// bodies after replay, the opened private records after
	// openRecords.
	bySlot map[uint16][][]byte
	// bodies and slots are every entry's public body and slot by index.
	bodies [][]byte
	slots  []uint16
}

func readErr(err error) error {
	var u errUnreachable
	if errors.As(err, &u) || apperr.Is(err, apperr.Unavailable) {
		return unreachable("%v", err)
	}
	return bad(VerdictMismatch, "%v", err)
}

// replay verifies the checkpoint and recomputes its root from the entries.
func replay(ctx context.Context, stdout io.Writer, src source, pub *ecdsa.PublicKey) (*replayed, error) {
	signed, err := src.Checkpoint(ctx)
	if err != nil {
		return nil, readErr(err)
	}
	cp, err := translog.OpenCheckpointWithKey(signed, pub)
	if err != nil {
		return nil, bad(VerdictBadSignature, "the checkpoint does not verify with the log key: %s", apperr.As(err).Detail)
	}
	rng := translog.EmptyRange()
	out := &replayed{cp: cp, bySlot: map[uint16][][]byte{}}
	last := map[uint16]translog.StreamID{}
	for start := uint64(0); start < cp.Size; start += store.MaxLogEntriesPerRead {
		end := min(cp.Size, start+store.MaxLogEntriesPerRead)
		got, err := src.Entries(ctx, start, end)
		if err != nil {
			return nil, readErr(err)
		}
		for i, raw := range got {
			idx := start + uint64(i)
			e, err := translog.ParseEntry(raw)
			if err != nil {
				return nil, bad(VerdictMismatch, "entry %d does not parse: %s", idx, apperr.As(err).Detail)
			}
			id, _ := translog.ParseStreamID(e.ID)
			if p, ok := last[e.Slot]; ok && !p.Less(id) {
				return nil, bad(VerdictMismatch, "entry %d is out of order in slot %d (entries were reordered)", idx, e.Slot)
			}
			last[e.Slot] = id
			out.bySlot[e.Slot] = append(out.bySlot[e.Slot], e.Body)
			out.bodies = append(out.bodies, e.Body)
			out.slots = append(out.slots, e.Slot)
			if err := rng.Append(translog.Hasher{}.HashLeaf(raw), nil); err != nil {
				return nil, bad(VerdictMismatch, "entry %d: %v", idx, err)
			}
		}
	}
	root, err := translog.RootOf(rng)
	if err != nil {
		return nil, bad(VerdictMismatch, "%v", err)
	}
	if !slices.Equal(root, cp.Root) {
		return nil, bad(VerdictMismatch, "the %d entries hash to %s, but the signed checkpoint says %s: an entry was rewritten, dropped, inserted or reordered",
			cp.Size, hex.EncodeToString(root), hex.EncodeToString(cp.Root))
	}
	fmt.Fprintf(stdout, "%s: %d entries replayed; root %s matches the signed checkpoint of %s\n", VerdictConsistent, cp.Size, hex.EncodeToString(root), cp.Origin)
	return out, nil
}

func auditRedis(ctx context.Context, stdout io.Writer, st *store.Store, pub *ecdsa.PublicKey, deep bool) error {
	tl := store.NewTransLog(st)
	rep, err := replay(ctx, stdout, tl, pub)
	if err != nil {
		return err
	}
	if err := openRecords(ctx, stdout, tl, rep); err != nil {
		return err
	}
	regSlot := st.RegistrySlot()
	logged := map[uint64][]byte{}
	for _, b := range rep.bySlot[uint16(regSlot)] {
		seq, ok := store.AuditSeqFromLogBody(b)
		if !ok {
			return bad(VerdictMismatch, "a registry log entry is not an audit entry")
		}
		logged[seq] = b
	}
	pendingReg, err := tl.PendingIn(ctx, regSlot)
	if err != nil {
		return unreachable("%v", err)
	}
	// Entries integrated after the checkpoint are not covered by it but are
	// not pending either: count them as pending for the tail check.
	size, err := tl.Size(ctx)
	if err != nil {
		return unreachable("%v", err)
	}
	notSigned := int64(size - rep.cp.Size)
	problem, err := st.AuditAgainstLog(ctx, logged, pendingReg+notSigned)
	if err != nil {
		return unreachable("%v", err)
	}
	if problem != "" {
		return bad(VerdictMismatch, "%s", problem)
	}
	fmt.Fprintf(stdout, "registry audit entries agree with the log: %d logged\n", len(logged))
	if !deep {
		return nil
	}
	idx, err := st.VerifyIndex(ctx)
	if err != nil {
		return unreachable("cannot read the status index: %v", err)
	}
	if !idx.Consistent {
		return bad(VerdictMismatch, "status index inconsistent at audit entry %d: %s", idx.Seq, idx.Problem)
	}
	fmt.Fprintf(stdout, "status index consistent with the audit entries: %d events\n", idx.Events)
	return checkPledges(ctx, stdout, st, tl, rep, notSigned > 0)
}

// checkPledges compares every logged pledge's record with its last logged
// state: a status changed in Redis without a log entry is named.
func checkPledges(ctx context.Context, stdout io.Writer, st *store.Store, tl *store.TransLog, rep *replayed, unsignedTail bool) error {
	lastBy := map[string]store.LoggedPledge{}
	slotOf := map[string]uint16{}
	for slot, bodies := range rep.bySlot {
		for _, b := range bodies {
			if id, lp, ok := store.PledgeFromLogBody(b); ok {
				lastBy[id] = lp
				slotOf[id] = slot
			}
		}
	}
	ids := make([]string, 0, len(lastBy))
	for id := range lastBy {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for start := 0; start < len(ids); start += 1000 {
		part := ids[start:min(start+1000, len(ids))]
		states, err := st.PledgeStates(ctx, part)
		if err != nil {
			return unreachable("%v", err)
		}
		for i, id := range part {
			want, got := lastBy[id], states[i]
			rev, _ := strconv.ParseUint(got.Rev, 10, 64)
			switch {
			case !got.Found:
				return bad(VerdictMismatch, "pledge %s is in the log but its record is gone", id)
			case rev == want.Rev && got.Status != want.Status:
				return bad(VerdictMismatch, "pledge %s is %s in Redis but %s in its last log entry (revision %d): the status was changed without a log entry", id, got.Status, want.Status, rev)
			case rev < want.Rev:
				return bad(VerdictMismatch, "pledge %s is at revision %d in Redis but the log has revision %d: the record was rolled back", id, rev, want.Rev)
			case rev > want.Rev:
				n, err := tl.PendingIn(ctx, int(slotOf[id]))
				if err != nil {
					return unreachable("%v", err)
				}
				if n == 0 && !unsignedTail {
					return bad(VerdictMismatch, "pledge %s is at revision %d in Redis but the log has only revision %d and nothing is pending: a change without a log entry", id, rev, want.Rev)
				}
			}
		}
	}
	fmt.Fprintf(stdout, "pledge records agree with the log: %d pledges\n", len(ids))
	return nil
}

// openRecords checks every entry's private record (kept in Redis) against
// the commitment in its public body and replaces rep.bySlot with the
// opened records: a record rewritten, swapped or deleted in Redis is a
// MISMATCH naming the entry.
func openRecords(ctx context.Context, stdout io.Writer, tl *store.TransLog, rep *replayed) error {
	bySlot := map[uint16][][]byte{}
	for start := uint64(0); start < rep.cp.Size; start += store.MaxLogEntriesPerRead {
		end := min(rep.cp.Size, start+store.MaxLogEntriesPerRead)
		recs, err := tl.PrivateRecords(ctx, start, end)
		if err != nil {
			return readErr(err)
		}
		for i, priv := range recs {
			idx := start + uint64(i)
			if priv == nil {
				return bad(VerdictMismatch, "entry %d has no private record in Redis (it was deleted)", idx)
			}
			pb, err := translog.ParsePublicBody(rep.bodies[idx])
			if err != nil {
				return bad(VerdictMismatch, "entry %d: %s", idx, apperr.As(err).Detail)
			}
			rec, err := translog.OpenPrivate(pb, priv)
			if err != nil {
				return bad(VerdictMismatch, "entry %d: %s (the record was rewritten in Redis)", idx, apperr.As(err).Detail)
			}
			bySlot[rep.slots[idx]] = append(bySlot[rep.slots[idx]], rec)
		}
	}
	rep.bySlot = bySlot
	fmt.Fprintf(stdout, "private records match their commitments: %d entries\n", rep.cp.Size)
	return nil
}
