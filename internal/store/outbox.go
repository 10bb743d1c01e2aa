package store

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// Pledge workflow events (sign, accept, return, withdraw) are not audit
// entries: a pledge's record lives in its shard slot ({pls:NN}), not in the
// registry slot. Each shard therefore has its own outbox, the stream
//
//	{pls:NN}:outbox   STREAM one entry per status change (field body)
//
// appended by the same script that changes the record (pledgeCreateLua,
// pledgeMoveLua), so a change and its event are committed together. The
// relay copies each shard's entries, in order, into {ntf}:events (fields
// src = the shard tag, oid = the outbox entry ID, body) and moves the
// shard's cursor {ntf}:cursor:pls:NN in the same script, only if the cursor
// is still the entry before: each event enters the notification stream
// exactly once, whatever relays run or die. Relayed entries are trimmed
// from the outbox afterwards (never before: the outbox has no MAXLEN, so
// an event is not dropped while the relay is down).

// PledgeEvent is the body of a pledge workflow event. It names the pledge
// by ID and carries no personal data: the applicant is not named (not even
// by index), free-text reasons are left out.
type PledgeEvent struct {
	V      int       `json:"v"`
	Source string    `json:"source"` // "pledge"
	Action string    `json:"action"` // pledge.signed, pledge.accepted, pledge.returned, pledge.withdrawn
	At     time.Time `json:"at"`
	// Data: pledge, agency, status, from (absent on signing), rev (the
	// record's revision after the change: 1 on signing; orders one
	// pledge's events), region, matter, certificate, and on a decision
	// decisionNo and decisionDate.
	Data map[string]string `json:"data"`
}

// outboxEvent encodes the event of rec moving from status from ("" when
// created) to to, at revision rev.
func outboxEvent(rec pledge.Record, from, to pledge.Status, rev uint64, at time.Time) (string, error) {
	d := map[string]string{"pledge": rec.ID, "agency": rec.Agency, "status": string(to), "rev": strconv.FormatUint(rev, 10),
		"region": rec.Entry.Region, "matter": rec.Entry.Matter, "certificate": rec.Entry.Certificate}
	if from != "" {
		d["from"] = string(from)
	}
	if to == pledge.StatusAccepted && rec.Decision != nil {
		d["decisionNo"], d["decisionDate"] = rec.Decision.DocumentNo, rec.Decision.Date
	}
	b, err := json.Marshal(PledgeEvent{V: 1, Source: "pledge", Action: "pledge." + strings.ToLower(string(to)), At: at.UTC(), Data: d})
	if err != nil {
		return "", apperr.Wrap(apperr.Internal, err, "cannot encode a pledge event")
	}
	return string(b), nil
}

func (s *Store) pledgeOutboxKey(shard int) string { return s.key(pledgeShardTag(shard), "outbox") }

func (n *Notifications) pledgeCursorKey(shard int) string {
	return n.k("cursor", pledgeShardTag(shard))
}

// relayOutboxLua copies one outbox entry into the stream if the shard's
// cursor is still the entry before it. KEYS cursor, stream; ARGV expected
// cursor ("" = none yet), entry id, shard tag, body, maxlen. Returns 1
// copied, 0 the cursor moved (another relay copied it).
const relayOutboxLua = `
local cur = redis.call('GET', KEYS[1]) or ''
if cur ~= ARGV[1] then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'src', ARGV[3], 'oid', ARGV[2], 'body', ARGV[4])
redis.call('SET', KEYS[1], ARGV[2])
return 1
`

// RelayPledgeEvents copies pledge workflow events from every shard's
// outbox into the notification stream, in order per shard, exactly once,
// at most max in all; it returns how many it copied. Relays may run
// concurrently: one that finds a cursor moved leaves that shard to the
// other. A round reads the 16 cursors in one call (they share the {ntf}
// slot) and the 16 outboxes in one pipeline, so an idle round costs two
// round trips; each copied event is one script call.
func (n *Notifications) RelayPledgeEvents(ctx context.Context, max int) (int, error) {
	if max < 1 {
		return 0, nil
	}
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	keys := make([]string, PledgeShards)
	for sh := range keys {
		keys[sh] = n.pledgeCursorKey(sh)
	}
	curs, err := n.st.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return 0, mapErr(err, "cursor")
	}
	pipe := n.st.rdb.Pipeline()
	cmds := make([]*redis.XMessageSliceCmd, PledgeShards)
	for sh := range PledgeShards {
		start := "-"
		if c, _ := curs[sh].(string); c != "" {
			start = "(" + c
		}
		cmds[sh] = pipe.XRangeN(ctx, n.st.pledgeOutboxKey(sh), start, "+", int64(max))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, mapErr(err, "outbox")
	}
	copied := 0
	trim := n.st.rdb.Pipeline()
	for sh := 0; sh < PledgeShards && copied < max; sh++ {
		cur, _ := curs[sh].(string)
		moved := false
		for _, m := range cmds[sh].Val() {
			if copied >= max {
				break
			}
			body, _ := m.Values["body"].(string)
			r, err := n.relayOut.Run(ctx, n.st.rdb, []string{keys[sh], n.k("events")},
				cur, m.ID, pledgeShardTag(sh), body, 100000).Int()
			if err != nil {
				return copied, mapErr(err, "stream")
			}
			if r == 0 {
				break // another relay moved the cursor; it continues
			}
			cur, moved = m.ID, true
			copied++
		}
		if moved {
			// Entries before the cursor are in the stream; the cursor's
			// own entry stays, so the outbox shows where the relay is.
			trim.XTrimMinID(ctx, n.st.pledgeOutboxKey(sh), cur)
		}
	}
	if trim.Len() > 0 {
		if _, err := trim.Exec(ctx); err != nil {
			return copied, mapErr(err, "outbox")
		}
	}
	return copied, nil
}

// PledgeOutboxLen reports how many entries the shard outboxes hold in all
// (relayed entries are trimmed, except each shard's last).
func (n *Notifications) PledgeOutboxLen(ctx context.Context) (int64, error) {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	pipe := n.st.rdb.Pipeline()
	lens := make([]*redis.IntCmd, PledgeShards)
	for sh := range PledgeShards {
		lens[sh] = pipe.XLen(ctx, n.st.pledgeOutboxKey(sh))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, mapErr(err, "outbox")
	}
	var total int64
	for _, l := range lens {
		total += l.Val()
	}
	return total, nil
}
