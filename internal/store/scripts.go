package store

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// applyLua performs one state change of the registry: it checks the audit
// head, checks every item's current state and every key's type, and only
// then writes. Redis does not roll back a script's earlier writes when a
// later command fails, so nothing below the "writes" line may fail for a
// reason the checks above it could have caught.
//
// KEYS[1] audit head, KEYS[2] audit entries, KEYS[3..] index buckets and
// record keys, addressed by position.
// ARGV[1] expected head seq, ARGV[2] new seq, ARGV[3] new head hash (hex),
// ARGV[4] entry body, ARGV[5] event (11 bytes), ARGV[6] allowed-from bytes,
// ARGV[7] item count, then per item: entry count m and m pairs (key pos,
// field); then op count and per op: 'N' pos nfields f v ... (new hash: the
// key must not exist) | 'F' pos field value (new field of a hash: the field
// must not exist) | 'Z' pos score member (sorted-set add).
const applyLua = `
local head = redis.call('HGET', KEYS[1], 'seq')
if (head or '0') ~= ARGV[1] then
  return {'STALE', head or '0'}
end
local function ktype(k) return redis.call('TYPE', k)['ok'] end
local function want(pos, t)
  local kt = ktype(KEYS[pos])
  return kt == 'none' or kt == t
end
if not want(1, 'hash') then return {'WRONGTYPE', '1'} end
if not want(2, 'hash') then return {'WRONGTYPE', '2'} end
if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return {'WRONGTYPE', '2'} end
local ev = ARGV[5]
local function num(s, off, a, b)
  local n = 0
  for i = off + a, off + b do n = n * 256 + string.byte(s, i) end
  return n
end
local newEff = num(ev, 0, 2, 7)
local allowed = ARGV[6]
local n = tonumber(ARGV[7])
local p = 8
local writes = {}
for i = 1, n do
  local m = tonumber(ARGV[p]); p = p + 1
  local curSeq, curCode, curEff = -1, '0', -1
  for j = 1, m do
    local pos, field = tonumber(ARGV[p]), ARGV[p + 1]; p = p + 2
    if not want(pos, 'hash') then return {'WRONGTYPE', tostring(pos)} end
    local old = redis.call('HGET', KEYS[pos], field)
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
    writes[#writes + 1] = {pos, field, old}
  end
  if not string.find(allowed, curCode, 1, true) then
    return {'CONFLICT', tostring(i), curCode}
  end
  if curEff > newEff then
    return {'EFFECTIVE', tostring(i), tostring(curEff)}
  end
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
    if not want(pos, 'hash') then return {'WRONGTYPE', tostring(pos)} end
    if redis.call('HEXISTS', KEYS[pos], ARGV[p]) == 1 then return {'EXISTS', tostring(i)} end
    ops[#ops + 1] = {'F', pos, ARGV[p], ARGV[p + 1]}; p = p + 2
  elseif kind == 'Z' then
    if not want(pos, 'zset') then return {'WRONGTYPE', tostring(pos)} end
    ops[#ops + 1] = {'Z', pos, ARGV[p], ARGV[p + 1]}; p = p + 2
  else
    return {'BADOP', kind}
  end
end
-- writes: every check has passed
for _, w in ipairs(writes) do
  redis.call('HSET', KEYS[w[1]], w[2], w[3] .. ev)
end
for _, o in ipairs(ops) do
  if o[1] == 'N' then
    redis.call('HSET', KEYS[o[2]], unpack(o[3]))
  elseif o[1] == 'F' then
    redis.call('HSET', KEYS[o[2]], o[3], o[4])
  else
    redis.call('ZADD', KEYS[o[2]], o[3], o[4])
  end
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[1], 'seq', ARGV[2], 'hash', ARGV[3])
return {'OK'}
`

// lookupLua reads the index entries of a batch of subjects and the audit
// entries their events refer to, in one call.
//
// KEYS[1] audit entries, KEYS[2..] index buckets. ARGV[1] subject count,
// then per subject: entry count m and m pairs (key pos, field).
// Reply: {histories, seqs, bodies} where histories[i] is the list of index
// values found for subject i.
const lookupLua = `
local n = tonumber(ARGV[1])
local p = 2
local hist = {}
local seen = {}
local seqs = {}
for i = 1, n do
  local m = tonumber(ARGV[p]); p = p + 1
  local hs = {}
  for j = 1, m do
    local v = redis.call('HGET', KEYS[tonumber(ARGV[p])], ARGV[p + 1]); p = p + 2
    if v then
      hs[#hs + 1] = v
      for off = 0, #v - 11, 11 do
        local s = 0
        for k = off + 8, off + 11 do s = s * 256 + string.byte(v, k) end
        local key = tostring(s)
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
return {hist, seqs, bodies}
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
