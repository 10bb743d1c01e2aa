package store

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// indexLua is shared by both scripts: it names the index and link buckets
// of a raw index key (kind byte, id/digest byte, 32-byte key) exactly as
// Registry.entriesOf does, and follows a subject's ID ↔ digest link.
// ARGV[1] of both scripts is the store's key prefix.
const indexLua = `
local P = ARGV[1]
local function bucket(kind, raw)
  return P .. '{reg}:' .. kind .. ':' .. string.sub(raw, 1, 2) .. ':' ..
    string.format('%02x%02x', string.byte(raw, 3), string.byte(raw, 4))
end
local function field(raw) return string.sub(raw, 5) end
local function linkOf(raw)
  local l = redis.call('HGET', bucket('ln', raw), field(raw))
  if l and #l == 34 then return l end
  return nil
end
local function num(s, off, a, b)
  local n = 0
  for i = off + a, off + b do n = n * 256 + string.byte(s, i) end
  return n
end
`

// applyLua performs one state change of the registry: it checks the audit
// head, resolves every item's linked index entry, checks every item's
// current state (over both of its keys) and every key's type, and only then
// writes the event under the keys the change names. Redis does not
// roll back a script's earlier writes when a later command fails, so nothing
// below the "writes" line may fail for a reason the checks above it could
// have caught.
//
// KEYS[1] audit head (the sequence), KEYS[2] audit entries, KEYS[#KEYS] the transparency
// log's pending stream (the entry body is appended there too), KEYS[3..] the index buckets Go
// can name and the seal record keys (ops address them by position; index
// buckets are named from raw keys with the same scheme, and a linked
// entry's bucket shares the registry hash tag).
// ARGV[1] key prefix, ARGV[2] expected head seq, ARGV[3] new seq, ARGV[4]
// entry body, ARGV[5] event (11 bytes), ARGV[6] allowed-from bytes, ARGV[7]
// item count, then per item: m raw keys (1 or 2,
// the ID key first) as "m raw..."; then op count and per op: 'N' pos nfields
// f v ... (new hash: the key must not exist) | 'F' pos field value (new field
// of a hash: the field must not exist) | 'Z' pos score member | 'O' pos
// findings-pos allowed expect-id outcome id (the finding order check; see
// Registry.ApplyEnforcement) | 'G' pos findings-pos (the finding guard: the
// pledge's latest finding must not be a consequence; see Change.Guards).
const applyLua = indexLua + `
local head = redis.call('HGET', KEYS[1], 'seq')
if (head or '0') ~= ARGV[2] then
  return {'STALE', head or '0'}
end
local function want(k, t)
  local kt = redis.call('TYPE', k)['ok']
  return kt == 'none' or kt == t
end
if not want(KEYS[1], 'hash') or not want(KEYS[2], 'hash') then return {'WRONGTYPE', 'audit'} end
-- KEYS[#KEYS] is the slot's transparency log pending stream (translog.go).
if not want(KEYS[#KEYS], 'stream') then return {'WRONGTYPE', 'tlog'} end
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then return {'WRONGTYPE', 'audit'} end
local ev = ARGV[5]
local newEff = num(ev, 0, 2, 7)
local allowed = ARGV[6]
local n = tonumber(ARGV[7])
local p = 8
local writes, links, touched = {}, {}, {}
for i = 1, n do
  local m = tonumber(ARGV[p]); p = p + 1
  local given = {}
  for j = 1, m do given[j] = ARGV[p]; p = p + 1 end
  for _, raw in ipairs(given) do
    if not want(bucket('ix', raw), 'hash') or not want(bucket('ln', raw), 'hash') then
      return {'WRONGTYPE', tostring(i)}
    end
  end
  local set = {}
  if m == 2 then
    local l1, l2 = linkOf(given[1]), linkOf(given[2])
    if (l1 and l1 ~= given[2]) or (l2 and l2 ~= given[1]) then
      return {'BINDING', tostring(i)}
    end
    if not l1 then links[#links + 1] = {given[1], given[2]} end
    if not l2 then links[#links + 1] = {given[2], given[1]} end
    set = given
  else
    set = {given[1]}
    local l = linkOf(given[1])
    if l then
      if not want(bucket('ix', l), 'hash') then return {'WRONGTYPE', tostring(i)} end
      set[2] = l
    end
  end
  local curSeq, curCode, curEff = -1, '0', -1
  for j, raw in ipairs(set) do
    if touched[raw] then return {'DUPLICATE', tostring(i)} end
    touched[raw] = true
    local old = redis.call('HGET', bucket('ix', raw), field(raw))
    if not old then old = '' end
    if #old % 11 ~= 0 then return {'CORRUPT', tostring(i)} end
    if #old > 0 then
      local off = #old - 11
      local s = num(old, off, 8, 11)
      if s > curSeq then
        curSeq = s
        curCode = string.sub(old, off + 1, off + 1)
        curEff = num(old, off, 2, 7)
      end
    end
    -- The event is written only under the keys the change names (the
    -- entry's ItemsDigest commits to exactly those); a linked key is read
    -- for the current state and is merged again by every lookup.
    if j <= m then writes[#writes + 1] = {raw, old} end
  end
  if not string.find(allowed, curCode, 1, true) then
    return {'CONFLICT', tostring(i), curCode}
  end
  if curEff > newEff then
    return {'EFFECTIVE', tostring(i), tostring(curEff)}
  end
end
-- latestFinding returns the outcome and ID of a pledge's latest finding
-- ('-' and '' when it has none) from its order hash, or, for findings
-- recorded before the order hash existed, from the newest member of its
-- findings ZSET; on bad data it returns nil and the error reply code.
local function latestFinding(orderKey, findingsKey)
  if not want(orderKey, 'hash') or not want(findingsKey, 'zset') then return nil, 'WRONGTYPE' end
  local cur, curID = redis.call('HGET', orderKey, 'last'), redis.call('HGET', orderKey, 'id')
  if cur then return cur, curID or '' end
  local last = redis.call('ZRANGE', findingsKey, -1, -1)
  if #last == 0 then return '-', '' end
  local ok, f = pcall(cjson.decode, redis.call('HGET', P .. '{reg}:enf:finding:' .. last[1], 'body') or '')
  if not ok or type(f) ~= 'table' or type(f['outcome']) ~= 'string' then return nil, 'CORRUPT' end
  return f['outcome'], last[1]
end
local nops = tonumber(ARGV[p]); p = p + 1
local ops = {}
for i = 1, nops do
  local kind, pos = ARGV[p], tonumber(ARGV[p + 1]); p = p + 2
  if kind == 'N' then
    local nf = tonumber(ARGV[p]); p = p + 1
    if redis.call('EXISTS', KEYS[pos]) == 1 then return {'EXISTS', tostring(i)} end
    local fv = {}
    for j = 1, 2 * nf do fv[j] = ARGV[p + j - 1] end
    p = p + 2 * nf
    ops[#ops + 1] = {'N', pos, fv}
  elseif kind == 'F' then
    if not want(KEYS[pos], 'hash') then return {'WRONGTYPE', 'op'} end
    if redis.call('HEXISTS', KEYS[pos], ARGV[p]) == 1 then return {'EXISTS', tostring(i)} end
    ops[#ops + 1] = {'F', pos, ARGV[p], ARGV[p + 1]}; p = p + 2
  elseif kind == 'Z' then
    if not want(KEYS[pos], 'zset') then return {'WRONGTYPE', 'op'} end
    ops[#ops + 1] = {'Z', pos, ARGV[p], ARGV[p + 1]}; p = p + 2
  elseif kind == 'O' then
    -- finding order (enforce_registry.go): KEYS[pos] the pledge's order
    -- hash (last, id), then the position of its findings ZSET, the allowed
    -- current outcomes (',' separated, '-' = none yet), the finding id that
    -- must be the latest ('' = any), the new outcome and the new id.
    local pf = tonumber(ARGV[p])
    local cur, curID = latestFinding(KEYS[pos], KEYS[pf])
    if not cur then return {curID, 'order'} end
    if not string.find(',' .. ARGV[p + 1] .. ',', ',' .. cur .. ',', 1, true) or
      (ARGV[p + 2] ~= '' and ARGV[p + 2] ~= curID) then
      return {'ORDER', cur, curID or ''}
    end
    ops[#ops + 1] = {'O', pos, ARGV[p + 3], ARGV[p + 4]}; p = p + 5
  elseif kind == 'G' then
    -- finding guard (Registry.Apply with Change.Guards): KEYS[pos] the
    -- pledge's order hash, then the position of its findings ZSET. A
    -- pledge whose latest finding set its state (FALSE_CONFIRMED,
    -- NOT_FULFILLED) is changed only by that finding's reversal, which
    -- lifts the bar in the same run.
    local cur, curID = latestFinding(KEYS[pos], KEYS[tonumber(ARGV[p])])
    if not cur then return {curID, 'guard'} end
    if cur == 'FALSE_CONFIRMED' or cur == 'NOT_FULFILLED' then
      return {'FINDING', tostring(i), cur, curID}
    end
    p = p + 1
  else
    return {'BADOP', kind}
  end
end
-- writes: every check has passed
for _, w in ipairs(writes) do
  redis.call('HSET', bucket('ix', w[1]), field(w[1]), w[2] .. ev)
end
for _, l in ipairs(links) do
  redis.call('HSET', bucket('ln', l[1]), field(l[1]), l[2])
end
for _, o in ipairs(ops) do
  if o[1] == 'N' then
    redis.call('HSET', KEYS[o[2]], unpack(o[3]))
  elseif o[1] == 'F' then
    redis.call('HSET', KEYS[o[2]], o[3], o[4])
  elseif o[1] == 'O' then
    redis.call('HSET', KEYS[o[2]], 'last', o[3], 'id', o[4])
  else
    redis.call('ZADD', KEYS[o[2]], o[3], o[4])
  end
end
redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
-- 'hash' was the old SM3 chain's head (no longer kept; dropped when seen)
redis.call('HSET', KEYS[1], 'seq', ARGV[3])
redis.call('HDEL', KEYS[1], 'hash')
redis.call('XADD', KEYS[#KEYS], '*', 'e', ARGV[4])
return {'OK'}
`

// lookupLua reads the index entries of a batch of subjects (following each
// given key's link to the subject's other key) and the audit entries their
// events refer to, in one call.
//
// KEYS[1] audit entries, KEYS[2..] the index buckets Go can name and the
// seal records asked for.
// ARGV[1] key prefix, ARGV[2] subject count, then per subject: m raw keys;
// then k, the number of seal records, and k indexes into KEYS.
// Reply: {histories, seqs, bodies, owners} where histories[i] is the list
// of index values found for subject i and owners holds, per seal record
// asked for, its agency and digest ("" when there is no record).
const lookupLua = indexLua + `
local n = tonumber(ARGV[2])
local p = 3
local hist = {}
local seen = {}
local seqs = {}
for i = 1, n do
  local m = tonumber(ARGV[p]); p = p + 1
  local set, inset = {}, {}
  for j = 1, m do
    local raw = ARGV[p]; p = p + 1
    if not inset[raw] then inset[raw] = true; set[#set + 1] = raw end
    local l = linkOf(raw)
    if l and not inset[l] then inset[l] = true; set[#set + 1] = l end
  end
  local hs = {}
  for _, raw in ipairs(set) do
    local v = redis.call('HGET', bucket('ix', raw), field(raw))
    if v then
      hs[#hs + 1] = v
      for off = 0, #v - 11, 11 do
        local key = tostring(num(v, off, 8, 11))
        if not seen[key] then seen[key] = true; seqs[#seqs + 1] = key end
      end
    end
  end
  hist[i] = hs
end
local bodies = {}
local i = 1
while i <= #seqs do
  local part = {}
  for j = i, math.min(i + 999, #seqs) do part[#part + 1] = seqs[j] end
  local got = redis.call('HMGET', KEYS[1], unpack(part))
  for j = 1, #part do bodies[#bodies + 1] = got[j] or '' end
  i = i + 1000
end
local owners = {}
local k = tonumber(ARGV[p]) or 0; p = p + 1
for j = 1, k do
  local got = redis.call('HMGET', KEYS[tonumber(ARGV[p])], 'agency', 'digest'); p = p + 1
  owners[#owners + 1] = got[1] or ''
  owners[#owners + 1] = got[2] or ''
end
return {hist, seqs, bodies, owners}
`

// script is a Lua script run by EVALSHA with an EVAL fallback, counting
// every call it sends.
type script struct {
	s     *redis.Script
	calls *atomic.Int64
}

func (sc script) run(ctx context.Context, c redis.Scripter, keys []string, args ...any) (any, error) {
	sc.calls.Add(1)
	v, err := sc.s.EvalSha(ctx, c, keys, args...).Result()
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		sc.calls.Add(1)
		v, err = sc.s.Eval(ctx, c, keys, args...).Result()
	}
	return v, err
}
