package store

import (
	"context"
	"encoding/json"
	"errors"
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
// other.
func (n *Notifications) RelayPledgeEvents(ctx context.Context, max int) (int, error) {
	copied := 0
	for sh := 0; sh < PledgeShards && copied < max; sh++ {
		c, err := n.relayShard(ctx, sh, max-copied)
		copied += c
		if err != nil {
			return copied, err
		}
	}
	return copied, nil
}

func (n *Notifications) relayShard(ctx context.Context, shard, max int) (int, error) {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	cur, err := n.st.rdb.Get(ctx, n.pledgeCursorKey(shard)).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, mapErr(err, "cursor")
	}
	start := "-"
	if cur != "" {
		start = "(" + cur
	}
	msgs, err := n.st.rdb.XRangeN(ctx, n.st.pledgeOutboxKey(shard), start, "+", int64(max)).Result()
	if err != nil {
		return 0, mapErr(err, "outbox")
	}
	copied := 0
	for _, m := range msgs {
		body, _ := m.Values["body"].(string)
		r, err := n.relayOut.Run(ctx, n.st.rdb, []string{n.pledgeCursorKey(shard), n.k("events")},
			cur, m.ID, pledgeShardTag(shard), body, 100000).Int()
		if err != nil {
			return copied, mapErr(err, "stream")
		}
		if r == 0 {
			break // another relay moved the cursor; it continues
		}
		cur = m.ID
		copied++
	}
	if copied > 0 {
		// Entries before the cursor are in the stream; the cursor's own
		// entry stays, so the outbox always shows where the relay is.
		if err := n.st.rdb.XTrimMinID(ctx, n.st.pledgeOutboxKey(shard), cur).Err(); err != nil {
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
	var total int64
	for sh := range PledgeShards {
		l, err := n.st.rdb.XLen(ctx, n.st.pledgeOutboxKey(sh)).Result()
		if err != nil {
			return 0, mapErr(err, "outbox")
		}
		total += l
	}
	return total, nil
}
