package store

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// noticePutLua stores version ARGV[1] in KEYS[1] only if it is the next one.
// It returns 1 on success, 0 when the version is not the next. KEYS[2] is
// the slot's transparency log pending stream, ARGV[3] the log entry.
const noticePutLua = `
local cur = redis.call('HLEN', KEYS[1])
if cur + 1 ~= tonumber(ARGV[1]) then return 0 end
local t = redis.call('TYPE', KEYS[2])['ok']
if t ~= 'none' and t ~= 'stream' then return redis.error_reply('WRONGTYPE transparency log pending stream') end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])
return 1
`

// noticeGetLua returns version ARGV[1] of KEYS[1], or the latest for "0".
const noticeGetLua = `
local v = ARGV[1]
if v == '0' then v = tostring(redis.call('HLEN', KEYS[1])) end
return redis.call('HGET', KEYS[1], v)
`

// NoticeRepo implements pledge.NoticeRepo: one hash per notice id, version →
// {canonical bytes, seal}. A stored version is never overwritten.
type NoticeRepo struct {
	st       *Store
	put, get *redis.Script
}

var (
	_ pledge.NoticeRepo  = (*NoticeRepo)(nil)
	_ pledge.NoticeIndex = (*NoticeRepo)(nil)
)

// NewNoticeRepo returns the notice repository over s.
func NewNoticeRepo(s *Store) *NoticeRepo {
	return &NoticeRepo{st: s, put: redis.NewScript(noticePutLua), get: redis.NewScript(noticeGetLua)}
}

type storedNotice struct {
	Canonical []byte `json:"c"`
	Seal      []byte `json:"s"`
}

func (r *NoticeRepo) versionsKey(id string) string { return r.st.key("notice:"+id, "v") }

// PutNotice implements pledge.NoticeRepo.
func (r *NoticeRepo) PutNotice(ctx context.Context, p pledge.PublishedNotice) error {
	body, err := json.Marshal(storedNotice{Canonical: p.Canonical, Seal: p.Seal})
	if err != nil {
		return apperr.Wrap(apperr.Internal, err, "cannot encode a notice")
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	logBody, err := r.st.logEvent("notice", "notice.published", map[string]string{"notice": p.Notice.ID,
		"version": strconv.Itoa(p.Notice.Version), "sm3": sm3Hex(body)})
	if err != nil {
		return err
	}
	vk := r.versionsKey(p.Notice.ID)
	ok, err := r.put.Run(ctx, r.st.rdb, []string{vk, r.st.tlogPendingKey(vk)}, p.Notice.Version, body, logBody).Int64()
	r.st.markLog(vk)
	if err != nil {
		return mapErr(err, "notice not found")
	}
	if ok != 1 {
		return apperr.New(apperr.Conflict, "notice %s version %d exists or is not the next version", p.Notice.ID, p.Notice.Version).WithCode(apperr.CodeVersionConflict)
	}
	return nil
}

// GetNotice implements pledge.NoticeRepo.
func (r *NoticeRepo) GetNotice(ctx context.Context, id string, version int) (pledge.PublishedNotice, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	body, err := r.get.Run(ctx, r.st.rdb, []string{r.versionsKey(id)}, strconv.Itoa(version)).Text()
	if err != nil {
		return pledge.PublishedNotice{}, mapErr(err, "no such notice version")
	}
	var sn storedNotice
	if err := json.Unmarshal([]byte(body), &sn); err != nil {
		return pledge.PublishedNotice{}, apperr.Wrap(apperr.Internal, err, "a stored notice does not decode")
	}
	var n pledge.Notice
	if err := json.Unmarshal(sn.Canonical, &n); err != nil {
		return pledge.PublishedNotice{}, apperr.Wrap(apperr.Internal, err, "a stored notice does not decode")
	}
	return pledge.PublishedNotice{Notice: n, Canonical: sn.Canonical, Digest: pki.Digest(sn.Canonical), Seal: sn.Seal}, nil
}

// indexKey is the hash certificate → notice id for one matter, in the slot
// of the matter's catalogue entries.
func (r *NoticeRepo) indexKey(k pledge.EntryKey) string {
	return r.st.key("cat:"+k.Region+":"+k.Matter, "notices")
}

// IndexNotice implements pledge.NoticeIndex.
func (r *NoticeRepo) IndexNotice(ctx context.Context, k pledge.EntryKey, id string) error {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	return mapErr(r.st.rdb.HSet(ctx, r.indexKey(k), k.Certificate, id).Err(), "notice index not found")
}

// IndexedNotice implements pledge.NoticeIndex.
func (r *NoticeRepo) IndexedNotice(ctx context.Context, k pledge.EntryKey) (string, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	id, err := r.st.rdb.HGet(ctx, r.indexKey(k), k.Certificate).Result()
	if err != nil {
		return "", mapErr(err, "no notice for this entry")
	}
	return id, nil
}
