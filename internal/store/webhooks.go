package store

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/notify/queue"
)

// Notification keys share the hash tag {ntf}, so every notification step
// is one script on one slot:
//
//	{ntf}:cursor      STRING last audit seq copied into the stream
//	{ntf}:cursor:pls:NN STRING last entry of shard NN's pledge outbox copied (outbox.go)
//	{ntf}:events      STREAM one entry per audit entry (fields seq, body)
//	                         or pledge event (fields src, oid, body)
//	{ntf}:hooks       HASH   hook id → hook JSON (secret sealed)
//	{ntf}:dlv:<id>    HASH   delivery: hook, seq, body, attempts, state, next, error
//	{ntf}:due         ZSET   delivery ids waiting, by next attempt (Unix ms)
//	{ntf}:dead        ZSET   dead-lettered delivery ids, by time
//	{ntf}:done        ZSET   delivered ids, by time
//
// The audit entries are the outbox: every registry change appends an audit
// entry in its own script, and Outbox copies entries into the stream in
// order, exactly once (the copy and the cursor move are one script).
const ntfTag = "ntf"

// Notifications is the Redis side of internal/notify.
type Notifications struct {
	st                                             *Store
	relay, relayOut, fanout, settle, replay, claim *redis.Script
}

// NewNotifications returns the notification store over s.
func NewNotifications(s *Store) *Notifications {
	return &Notifications{st: s, relay: redis.NewScript(relayLua), relayOut: redis.NewScript(relayOutboxLua), fanout: redis.NewScript(fanoutLua),
		settle: redis.NewScript(settleLua), replay: redis.NewScript(replayLua), claim: redis.NewScript(claimLua)}
}

func (n *Notifications) k(parts ...string) string { return n.st.key(ntfTag, parts...) }

// relayLua appends one audit entry to the stream if the cursor is just
// before it. KEYS cursor, stream; ARGV seq, body, maxlen. Returns 1 copied,
// 0 already copied or out of order.
const relayLua = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur + 1 ~= tonumber(ARGV[1]) then return 0 end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'seq', ARGV[1], 'body', ARGV[2])
redis.call('SET', KEYS[1], ARGV[1])
return 1
`

// Outbox copies audit entries after the cursor into the stream, at most
// max per call; it returns how many it copied.
func (n *Notifications) Outbox(ctx context.Context, max int) (int, error) {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	cur, err := n.st.rdb.Get(ctx, n.k("cursor")).Uint64()
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, mapErr(err, "cursor")
	}
	head, err := n.st.auditHead(ctx)
	if err != nil {
		return 0, err
	}
	copied := 0
	for seq := cur + 1; seq <= head && copied < max; seq++ {
		body, err := n.st.rdb.HGet(ctx, n.st.auditEntriesKey(), strconv.FormatUint(seq, 10)).Result()
		if err != nil {
			return copied, mapErr(err, "an audit entry is missing")
		}
		r, err := n.relay.Run(ctx, n.st.rdb, []string{n.k("cursor"), n.k("events")}, seq, body, 100000).Int()
		if err != nil {
			return copied, mapErr(err, "stream")
		}
		if r == 0 {
			return copied, nil // another relay moved the cursor; it continues
		}
		copied++
	}
	return copied, nil
}

// EnsureGroup creates the consumer group (from the stream's start).
func (n *Notifications) EnsureGroup(ctx context.Context, group string) error {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	err := n.st.rdb.XGroupCreateMkStream(ctx, n.k("events"), group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return mapErr(err, "stream")
	}
	return nil
}

// Read returns events for consumer: its own pending entries first (a
// restart resumes them), then new ones.
func (n *Notifications) Read(ctx context.Context, group, consumer string, count int64) ([]queue.Event, error) {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	var out []queue.Event
	for _, start := range []string{"0", ">"} {
		res, err := n.st.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: consumer,
			Streams: []string{n.k("events"), start}, Count: count, Block: -1}).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, mapErr(err, "stream")
		}
		for _, s := range res {
			for _, m := range s.Messages {
				seqS, _ := m.Values["seq"].(string)
				body, _ := m.Values["body"].(string)
				seq, _ := strconv.ParseUint(seqS, 10, 64)
				src, _ := m.Values["src"].(string)
				oid, _ := m.Values["oid"].(string)
				out = append(out, queue.Event{ID: m.ID, Seq: seq, Source: src, Ref: oid, Body: body})
			}
		}
		if len(out) > 0 {
			return out, nil
		}
	}
	return out, nil
}

// fanoutLua creates the deliveries of one stream entry and acknowledges it,
// atomically. KEYS stream, due; ARGV group, entry id, due ms, n, then per
// delivery: key, id, hook, body.
const fanoutLua = `
local n = tonumber(ARGV[4])
local p = 5
for i = 1, n do
  local key, id, hook, body = ARGV[p], ARGV[p+1], ARGV[p+2], ARGV[p+3]
  p = p + 4
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'hook', hook, 'body', body, 'attempts', '0', 'state', 'PENDING', 'next', ARGV[3])
    redis.call('ZADD', KEYS[2], ARGV[3], id)
  end
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return 1
`

// FanOut records the deliveries of a stream entry (due at dueMs) and
// acknowledges the entry in one script: a crash before it leaves the entry
// pending (read again), a crash after it leaves the deliveries due.
// queue.Delivery ids must be derived from the entry and the hook so a repeat
// creates nothing new.
func (n *Notifications) FanOut(ctx context.Context, group, entryID string, dueMs int64, ds []queue.NewDelivery) error {
	keys := []string{n.k("events"), n.k("due")}
	args := []any{group, entryID, dueMs, len(ds)}
	for _, d := range ds {
		args = append(args, n.k("dlv", d.ID), d.ID, d.Hook, d.Body)
	}
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	return mapErr(n.fanout.Run(ctx, n.st.rdb, keys, args...).Err(), "stream")
}

// claimLua takes the deliveries due at ARGV[1] (ms), at most ARGV[3], and
// moves each one's due time to ARGV[2] (the lease's end), atomically: a
// worker of another instance polling the same set does not see them until
// the lease ends, and if this worker dies they are due again then.
// KEYS due.
const claimLua = `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], id)
end
return ids
`

// Claim returns the deliveries whose next attempt is at or before nowMs
// (at most count) and leases them to the caller until leaseMs: several
// instances' workers share one due set without attempting a delivery
// twice. The caller settles each (Settle) before the lease ends; a
// delivery whose worker died is due again when its lease ends.
func (n *Notifications) Claim(ctx context.Context, nowMs, leaseMs int64, count int64) ([]queue.Delivery, error) {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	ids, err := n.claim.Run(ctx, n.st.rdb, []string{n.k("due")}, nowMs, leaseMs, count).StringSlice()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, mapErr(err, "deliveries")
	}
	if len(ids) == 0 {
		return []queue.Delivery{}, nil
	}
	// One pipelined round trip for all of them (one slot, {ntf}).
	pipe := n.st.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, n.k("dlv", id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, mapErr(err, "delivery")
	}
	out := make([]queue.Delivery, 0, len(ids))
	for i, c := range cmds {
		d, err := decodeDelivery(ids[i], c.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// Get reads one delivery.
func (n *Notifications) Get(ctx context.Context, id string) (queue.Delivery, error) {
	m, err := n.st.rdb.HGetAll(ctx, n.k("dlv", id)).Result()
	if err != nil {
		return queue.Delivery{}, mapErr(err, "delivery")
	}
	return decodeDelivery(id, m)
}

// decodeDelivery reads a delivery from its hash fields.
func decodeDelivery(id string, m map[string]string) (queue.Delivery, error) {
	if len(m) == 0 {
		return queue.Delivery{}, apperr.New(apperr.NotFound, "no such delivery")
	}
	att, _ := strconv.Atoi(m["attempts"])
	next, _ := strconv.ParseInt(m["next"], 10, 64)
	return queue.Delivery{ID: id, Hook: m["hook"], Body: m["body"], State: m["state"], LastError: m["error"], Attempts: att, Next: next}, nil
}

// settleLua records an attempt's outcome. KEYS delivery, due, dead, done;
// ARGV id, state (DELIVERED|RETRY|DEAD), attempts, next ms, error, now ms.
const settleLua = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'attempts', ARGV[3], 'next', ARGV[4], 'error', ARGV[5])
if ARGV[2] == 'RETRY' then
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
else
  redis.call('ZREM', KEYS[2], ARGV[1])
  if ARGV[2] == 'DEAD' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[1]) end
  if ARGV[2] == 'DELIVERED' then redis.call('ZADD', KEYS[4], ARGV[6], ARGV[1]) end
end
return 1
`

// Settle records the outcome of an attempt.
func (n *Notifications) Settle(ctx context.Context, id, state string, attempts int, nextMs int64, lastErr string, nowMs int64) error {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	if len(lastErr) > 300 {
		lastErr = lastErr[:300]
	}
	return mapErr(n.settle.Run(ctx, n.st.rdb, []string{n.k("dlv", id), n.k("due"), n.k("dead"), n.k("done")},
		id, state, attempts, nextMs, lastErr, nowMs).Err(), "delivery")
}

// replayLua moves a dead delivery back to due with its attempts reset.
const replayLua = `
if redis.call('ZREM', KEYS[3], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'state', 'PENDING', 'attempts', '0', 'next', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
return 1
`

// Replay moves a dead-lettered delivery back to the due set; NotFound if it
// is not dead-lettered.
func (n *Notifications) Replay(ctx context.Context, id string, nowMs int64) error {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	r, err := n.replay.Run(ctx, n.st.rdb, []string{n.k("dlv", id), n.k("due"), n.k("dead")}, id, nowMs).Int()
	if err != nil {
		return mapErr(err, "delivery")
	}
	if r == 0 {
		return apperr.New(apperr.NotFound, "no dead-lettered delivery %s", id)
	}
	return nil
}

// Dead lists dead-lettered delivery ids, oldest first.
func (n *Notifications) Dead(ctx context.Context, limit int64) ([]string, error) {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	ids, err := n.st.rdb.ZRange(ctx, n.k("dead"), 0, limit-1).Result()
	return ids, mapErr(err, "deliveries")
}

// PutHook stores a new hook (id → JSON) and its transparency log entry in
// one script (docs/transparency.md): nothing is registered without its
// entry. The entry names the hook and its agency and commits to the URL by
// its SM3 digest; it never holds the secret (sealed or not) or the URL, and
// its public body shows only that a hook was registered.
func (n *Notifications) PutHook(ctx context.Context, h queue.HookRef, body []byte) error {
	logBody, err := n.st.logEvent("webhook", "webhook.registered", map[string]string{"hook": h.ID, "agency": h.Agency, "urlSM3": sm3Hex([]byte(h.URL))})
	if err != nil {
		return err
	}
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	k := n.k("hooks")
	r, err := putHookScript.Run(ctx, n.st.rdb, []string{k, n.st.tlogPendingKey(k)}, h.ID, body, logBody).Int()
	n.st.markLog(k)
	if err != nil {
		return mapErr(err, "hook")
	}
	if r == 0 {
		return apperr.New(apperr.Conflict, "hook %s already exists", h.ID).WithCode(apperr.CodeExists)
	}
	return nil
}

// putHookScript adds a hook unless its id is taken, with its log entry.
// KEYS hooks, the slot's log pending stream; ARGV id, hook JSON, log entry.
var putHookScript = redis.NewScript(`
` + hookTypesLua + `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])
return 1`)

// hookTypesLua refuses to write when the hooks hash or the pending stream
// holds another type, before anything is written.
const hookTypesLua = `
for i, want in ipairs({'hash', 'stream'}) do
  local t = redis.call('TYPE', KEYS[i])['ok']
  if t ~= 'none' and t ~= want then return redis.error_reply('WRONGTYPE ' .. KEYS[i]) end
end`

// Hooks returns every hook's JSON by id.
func (n *Notifications) Hooks(ctx context.Context) (map[string]string, error) {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	m, err := n.st.rdb.HGetAll(ctx, n.k("hooks")).Result()
	return m, mapErr(err, "hooks")
}

// Hook returns one hook's JSON; NotFound if there is none.
func (n *Notifications) Hook(ctx context.Context, id string) (string, error) {
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	v, err := n.st.rdb.HGet(ctx, n.k("hooks"), id).Result()
	return v, mapErr(err, "no such hook")
}

// DeleteHook removes a hook and appends its log entry in one script; false
// (and no entry) when there was none.
func (n *Notifications) DeleteHook(ctx context.Context, id string) (bool, error) {
	logBody, err := n.st.logEvent("webhook", "webhook.deleted", map[string]string{"hook": id})
	if err != nil {
		return false, err
	}
	ctx, cancel := n.st.ctx(ctx)
	defer cancel()
	k := n.k("hooks")
	r, err := deleteHookScript.Run(ctx, n.st.rdb, []string{k, n.st.tlogPendingKey(k)}, id, logBody).Int()
	n.st.markLog(k)
	if err != nil {
		return false, mapErr(err, "hook")
	}
	return r == 1, nil
}

// deleteHookScript removes a hook and logs it; KEYS as putHookScript,
// ARGV id, log entry.
var deleteHookScript = redis.NewScript(`
` + hookTypesLua + `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'e', ARGV[2])
return 1`)
