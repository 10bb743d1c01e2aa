package store

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

// StatusBatch implements status.Source.
var _ status.Source = (*StatusBatch)(nil)

// StatusBatch is the status source a verifier asks once per verification.
// It answers the registry's subjects (seals, certificates, and pledges as
// the registry knows them: enforcement findings and revocations of the
// decision) and pledge workflow states (status.KindPledgeState, from the
// pledge records) from one go-redis pipeline: the registry's lookup script
// on the {reg} slot and one HMGET per pledge record on its {pls:NN} shard
// slot. On a single Redis that is one round trip. On a cluster go-redis
// sends one batch to each node the keys live on, concurrently: still one
// round trip of latency, and Stats().Batches counts the batches.
//
// The one exception is a Redis that has lost its script cache (restart,
// SCRIPT FLUSH, failover): EVALSHA fails with NOSCRIPT, and the script is
// then sent with EVAL, which is a second round trip and is counted as one.
// It is safe for concurrent use.
type StatusBatch struct {
	reg     *Registry
	pledges *PledgeRepo

	lookups, roundTrips, batches atomic.Int64
}

// NewStatusBatch returns the combined source over the registry and the
// pledge repository (both over the same Store).
func NewStatusBatch(reg *Registry, pledges *PledgeRepo) *StatusBatch {
	return &StatusBatch{reg: reg, pledges: pledges}
}

// BatchStats counts what a StatusBatch sent to Redis.
type BatchStats struct {
	// Lookups is the number of Lookup calls that read Redis.
	Lookups int64
	// RoundTrips is the number of sequential round trips they took (one
	// each, plus one per NOSCRIPT reload).
	RoundTrips int64
	// Batches is the number of command batches sent to Redis nodes (equal
	// to RoundTrips on a single node).
	Batches int64
}

// Stats returns the counters (monotonic).
func (b *StatusBatch) Stats() BatchStats {
	return BatchStats{Lookups: b.lookups.Load(), RoundTrips: b.roundTrips.Load(), Batches: b.batches.Load()}
}

// Lookup answers every subject's state at `at` and now. Subjects of kind
// status.KindPledgeState are answered from the pledge records (UNKNOWN
// when there is no record); every other kind from the registry, as
// Registry.Lookup answers it. It never returns a default state: if Redis
// cannot be read the error is apperr.Unavailable.
func (b *StatusBatch) Lookup(ctx context.Context, at time.Time, subjects []status.Subject) (status.Answer, error) {
	if len(subjects) > registry.MaxBatch {
		return status.Answer{}, apperr.New(apperr.Malformed, "at most %d subjects per lookup", registry.MaxBatch)
	}
	var regIdx []int
	var regSubs []status.Subject
	for i, s := range subjects {
		if s.Kind != status.KindPledgeState {
			regIdx = append(regIdx, i)
			regSubs = append(regSubs, s)
		}
	}
	var keys []string
	var args []any
	if len(regSubs) > 0 {
		var err error
		if keys, args, err = b.reg.historyRequest(regSubs); err != nil {
			return status.Answer{}, err
		}
	}

	ctx, cancel := b.reg.st.ctx(ctx)
	defer cancel()
	rdb := b.reg.st.rdb
	pipe := rdb.Pipeline()
	var eval *redis.Cmd
	if len(regSubs) > 0 {
		eval = b.reg.lookup.s.EvalSha(ctx, pipe, keys, args...)
	}
	reads := make([]*redis.SliceCmd, len(subjects))
	var slotKeys []string
	if len(keys) > 0 {
		slotKeys = append(slotKeys, keys[0])
	}
	for i, s := range subjects {
		if s.Kind == status.KindPledgeState && s.ID != "" {
			k := b.pledges.recordKey(s.ID)
			reads[i] = pipe.HMGet(ctx, k, statusFields...)
			slotKeys = append(slotKeys, k)
		}
	}
	now := b.reg.st.clock.Now()
	ans := status.Answer{Results: make([]status.Result, len(subjects)), ReadAt: now}
	if pipe.Len() == 0 {
		for i, s := range subjects {
			ans.Results[i] = status.Result{Subject: s, At: status.State{Code: status.Unknown}, Now: status.State{Code: status.Unknown}}
		}
		return ans, nil
	}

	trips, batches := 1, nodeBatches(ctx, rdb, slotKeys)
	_, err := pipe.Exec(ctx)
	if eval != nil && redis.HasErrorPrefix(eval.Err(), "NOSCRIPT") {
		// Redis lost its script cache: the other commands of the pipeline
		// have their answers; send the script itself (cached again from now
		// on). One more round trip, counted.
		trips++
		batches++
		eval = b.reg.lookup.s.Eval(ctx, rdb, keys, args...)
		err = firstErr(eval, reads)
	}
	b.count(trips, batches, eval != nil)
	if err != nil {
		return status.Answer{}, mapErr(err, "no such subject")
	}
	// The answer's clock reading is after the read, as Registry.Lookup's.
	now = b.reg.st.clock.Now()
	ans.ReadAt = now

	if eval != nil {
		hs, entries, err := decodeHistories(eval.Val(), regSubs)
		if err != nil {
			return status.Answer{}, err
		}
		for j, r := range registryResults(regSubs, hs, entries, at, now) {
			ans.Results[regIdx[j]] = r
		}
	}
	for i, s := range subjects {
		if s.Kind != status.KindPledgeState {
			continue
		}
		res := status.Result{Subject: s, At: status.State{Code: status.Unknown}, Now: status.State{Code: status.Unknown}}
		if reads[i] != nil {
			events, found, err := b.pledges.statusEvents(s.ID, reads[i].Val())
			if err != nil {
				return status.Answer{}, err
			}
			if found {
				res.At, res.Now = pledgeStateAt(events, at), pledgeStateAt(events, now)
			}
		}
		ans.Results[i] = res
	}
	return ans, nil
}

// count adds one lookup's round trips to the batch's counters and, when it
// ran the registry script, to the registry's own.
func (b *StatusBatch) count(trips, batches int, registry bool) {
	b.lookups.Add(1)
	b.roundTrips.Add(int64(trips))
	b.batches.Add(int64(batches))
	if registry {
		b.reg.lookups.Add(1)
		b.reg.lookupCalls.Add(int64(trips))
	}
}

// Collectors export Stats as the verification status counters: a
// verifier asks this source once per verification, so "one verification,
// one round trip" can be watched in production.
func (b *StatusBatch) Collectors() []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pledgeseal_verification_status_round_trips_total", Help: "Sequential Redis round trips made by the status lookups of verifications (one per verification; one more when Redis had lost its script cache).",
		}, func() float64 { return float64(b.roundTrips.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pledgeseal_verification_status_node_batches_total", Help: "Command batches sent to Redis nodes by those lookups (equal to the round trips on a single node; on a cluster one per node holding the keys, sent concurrently).",
		}, func() float64 { return float64(b.batches.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "pledgeseal_verification_status_lookups_total", Help: "Verifications that asked the status source.",
		}, func() float64 { return float64(b.lookups.Load()) }),
	}
}

// firstErr returns the first error among a pipeline's commands after the
// script was sent again.
func firstErr(eval *redis.Cmd, reads []*redis.SliceCmd) error {
	if err := eval.Err(); err != nil {
		return err
	}
	for _, c := range reads {
		if c != nil && c.Err() != nil {
			return c.Err()
		}
	}
	return nil
}

// nodeBatches returns how many batches a pipeline over keys is split into:
// one on a single node, one per distinct master on a cluster (as go-redis
// splits it). A key whose node cannot be told counts as its own batch.
func nodeBatches(ctx context.Context, rdb redis.UniversalClient, keys []string) int {
	cc, ok := rdb.(*redis.ClusterClient)
	if !ok || len(keys) <= 1 {
		return 1
	}
	nodes := map[string]bool{}
	unknown := 0
	for _, k := range keys {
		c, err := cc.MasterForKey(ctx, k)
		if err != nil {
			unknown++
			continue
		}
		nodes[c.Options().Addr] = true
	}
	return max(len(nodes)+unknown, 1)
}
