package store

import (
	"context"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
)

// Tokens live under one hash tag: they are few, and one slot lets the record
// and the index change in one MULTI/EXEC on a cluster too.
const tokenTag = "tok"

func (s *Store) tokenKey(id string) string { return s.key(tokenTag, "t", id) }
func (s *Store) tokenIndex() string        { return s.key(tokenTag, "index") }

// tokenRetention keeps a record past expiry so late requests still get a clear 401.
const tokenRetention = 30 * 24 * time.Hour

// PutToken stores a new token record and indexes it, atomically.
func (s *Store) PutToken(ctx context.Context, rec auth.TokenRecord) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	k := s.tokenKey(rec.ID)
	logBody, err := s.logEvent("token", "token.issued", map[string]string{"token": rec.ID, "role": string(rec.Role), "org": rec.Org,
		"expires": rec.ExpiresAt.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, k, map[string]any{
			"h":       hex.EncodeToString(rec.Hash),
			"role":    string(rec.Role),
			"org":     rec.Org,
			"idct":    rec.IdentityCT,
			"label":   rec.Label,
			"created": rec.CreatedAt.UnixMilli(),
			"expires": rec.ExpiresAt.UnixMilli(),
			"revoked": 0,
		})
		p.PExpireAt(ctx, k, rec.ExpiresAt.Add(tokenRetention))
		p.SAdd(ctx, s.tokenIndex(), rec.ID)
		// The log entry, in the same MULTI (same slot as the record).
		p.XAdd(ctx, &redis.XAddArgs{Stream: s.tlogPendingKey(k), Values: []any{"e", logBody}})
		return nil
	})
	s.markLog(k)
	return mapErr(err, "token")
}

// GetToken reads one token record.
func (s *Store) GetToken(ctx context.Context, id string) (auth.TokenRecord, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	m, err := s.rdb.HGetAll(ctx, s.tokenKey(id)).Result()
	if err != nil {
		return auth.TokenRecord{}, mapErr(err, "token not found")
	}
	if len(m) == 0 {
		return auth.TokenRecord{}, apperr.New(apperr.NotFound, "token not found")
	}
	return decodeToken(id, m)
}

func decodeToken(id string, m map[string]string) (auth.TokenRecord, error) {
	h, err := hex.DecodeString(m["h"])
	if err != nil {
		return auth.TokenRecord{}, apperr.Wrap(apperr.Internal, err, "corrupt token record")
	}
	ms := func(f string) time.Time {
		n, _ := strconv.ParseInt(m[f], 10, 64)
		if n == 0 {
			return time.Time{}
		}
		return time.UnixMilli(n).UTC()
	}
	return auth.TokenRecord{ID: id, Hash: h, Role: auth.Role(m["role"]), Org: m["org"],
		IdentityCT: []byte(m["idct"]), Label: m["label"], CreatedAt: ms("created"),
		ExpiresAt: ms("expires"), RevokedAt: ms("revoked")}, nil
}

// RevokeToken marks a token revoked. Revoking twice keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	// Only an existing, unrevoked record changes; the script reports which case held.
	logBody, err := s.logEvent("token", "token.revoked", map[string]string{"token": id, "at": at.UTC().Format(time.RFC3339Nano)})
	if err != nil {
		return err
	}
	k := s.tokenKey(id)
	res, err := revokeTokenScript.Run(ctx, s.rdb, []string{k, s.tlogPendingKey(k)}, at.UnixMilli(), logBody).Int()
	s.markLog(k)
	if err != nil {
		return mapErr(err, "token not found")
	}
	if res == 0 {
		return apperr.New(apperr.NotFound, "token %s not found", id)
	}
	return nil
}

var revokeTokenScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'revoked') == '0' then
  local t = redis.call('TYPE', KEYS[2])['ok']
  if t ~= 'none' and t ~= 'stream' then return redis.error_reply('WRONGTYPE transparency log pending stream') end
  redis.call('HSET', KEYS[1], 'revoked', ARGV[1])
  redis.call('XADD', KEYS[2], '*', 'e', ARGV[2])
end
return 1`)

// ListTokens returns every indexed token that still exists, pruning the index.
func (s *Store) ListTokens(ctx context.Context) ([]auth.TokenRecord, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	ids, err := s.rdb.SMembers(ctx, s.tokenIndex()).Result()
	if err != nil {
		return nil, mapErr(err, "")
	}
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			cmds[i] = p.HGetAll(ctx, s.tokenKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, mapErr(err, "")
	}
	var out []auth.TokenRecord
	var gone []any
	for i, c := range cmds {
		m := c.Val()
		if len(m) == 0 {
			gone = append(gone, ids[i])
			continue
		}
		r, err := decodeToken(ids[i], m)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if len(gone) > 0 {
		if err := s.rdb.SRem(ctx, s.tokenIndex(), gone...).Err(); err != nil {
			return nil, mapErr(err, "")
		}
	}
	return out, nil
}
