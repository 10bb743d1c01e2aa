package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// RegistrySlot is the slot whose log entries are the registry's audit
// entries (log audit checks them against {reg}:audit:e).
func (s *Store) RegistrySlot() int { return keySlot(s.auditEntriesKey()) }

// AuditAgainstLog checks the registry's audit entries, which lookups read
// for event details and --deep checks the index against, against the log:
// logged holds the body of every registry entry in the log by audit
// sequence number. Every audit entry up to the head must equal its logged
// body, except a tail not yet integrated, which must then be pending. It
// returns "" when they agree, else the first disagreement.
func (s *Store) AuditAgainstLog(ctx context.Context, logged map[uint64][]byte, pending int64) (string, error) {
	head, err := func() (uint64, error) {
		c, cancel := s.ctx(ctx)
		defer cancel()
		return s.auditHead(c)
	}()
	if err != nil {
		return "", err
	}
	var maxLogged uint64
	for seq := range logged {
		maxLogged = max(maxLogged, seq)
	}
	if maxLogged > head {
		return fmt.Sprintf("the log holds audit entry %d but the registry's head is %d (the registry was cut back or rolled back)", maxLogged, head), nil
	}
	for from := uint64(1); from <= head; from += 1000 {
		to := min(from+999, head)
		bodies, err := s.AuditEntries(ctx, from, to)
		if err != nil {
			return "", err
		}
		for i, b := range bodies {
			seq := from + uint64(i)
			want, inLog := logged[seq]
			switch {
			case inLog && !bytes.Equal(want, b):
				return fmt.Sprintf("audit entry %d differs from its log entry (it was rewritten or deleted in Redis)", seq), nil
			case !inLog && seq <= maxLogged:
				return fmt.Sprintf("audit entry %d is not in the log", seq), nil
			}
		}
	}
	if notYet := int64(head - maxLogged); notYet > pending {
		return fmt.Sprintf("audit entries %d..%d are neither in the log nor pending", maxLogged+1, head), nil
	}
	return "", nil
}

// PledgeState is a pledge record's status and revision as stored.
type PledgeState struct {
	Status, Rev string
	Found       bool
}

// PledgeStates reads the stored status and revision of pledges (the
// --deep check compares them with the last logged event of each).
func (s *Store) PledgeStates(ctx context.Context, ids []string) ([]PledgeState, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	cmds := make([]*redis.SliceCmd, len(ids))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HMGet(ctx, s.key(pledgeShardTag(pledgeShard(id)), "rec", id), "status", "rev")
		}
		return nil
	})
	if err != nil {
		return nil, mapErr(err, "pledge records")
	}
	out := make([]PledgeState, len(ids))
	for i, c := range cmds {
		v := c.Val()
		st, ok1 := v[0].(string)
		rev, _ := v[1].(string)
		out[i] = PledgeState{Status: st, Rev: rev, Found: ok1}
	}
	return out, nil
}

// LoggedPledge is the last logged state of a pledge.
type LoggedPledge struct {
	Status string
	Rev    uint64
}

// PledgeFromLogBody returns the pledge ID, status and revision of a logged
// pledge workflow event (ok=false for other bodies).
func PledgeFromLogBody(body []byte) (string, LoggedPledge, bool) {
	var ev PledgeEvent
	if err := json.Unmarshal(body, &ev); err != nil || ev.Source != "pledge" {
		return "", LoggedPledge{}, false
	}
	rev, err := strconv.ParseUint(ev.Data["rev"], 10, 64)
	if err != nil || ev.Data["pledge"] == "" {
		return "", LoggedPledge{}, false
	}
	return ev.Data["pledge"], LoggedPledge{Status: ev.Data["status"], Rev: rev}, true
}

// AuditSeqFromLogBody returns the sequence number of a logged registry
// audit entry: its private record (the audit entry) or its public body.
func AuditSeqFromLogBody(body []byte) (uint64, bool) {
	var e struct {
		Seq    uint64            `json:"seq"`
		Source string            `json:"source"`
		Data   map[string]string `json:"data"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return 0, false
	}
	if e.Source == "registry" {
		e.Seq, _ = strconv.ParseUint(e.Data["seq"], 10, 64)
	}
	return e.Seq, e.Seq != 0
}
