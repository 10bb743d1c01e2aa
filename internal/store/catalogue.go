package store

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// catalogueAppendLua appends one catalogue entry version. KEYS[1] is the
// entry's version hash (version → JSON), KEYS[2] the matter's certificate
// set; ARGV[1] the expected current version, ARGV[2] the JSON of version
// ARGV[1]+1, ARGV[3] the certificate code. It returns the current version
// (negated) on a conflict, the new version otherwise.
//
// KEYS[3] is the matter's owner (the agency of its first entry, set by the
// first append); with ARGV[4] = '1' (an agency editing) an owner other
// than ARGV[5] refuses the append with 0, so two agencies cannot both
// create or extend one matter.
//
// KEYS[4] is the slot's transparency log pending stream and ARGV[6] the
// log entry appended with the version.
const catalogueAppendLua = `
local t = redis.call('TYPE', KEYS[4])['ok']
if t ~= 'none' and t ~= 'stream' then return redis.error_reply('WRONGTYPE transparency log pending stream') end
local owner = redis.call('GET', KEYS[3])
if ARGV[4] == '1' and owner and owner ~= ARGV[5] then return 0 end
local cur = redis.call('HLEN', KEYS[1])
if cur ~= tonumber(ARGV[1]) then return -cur - 1 end
redis.call('HSET', KEYS[1], tostring(cur + 1), ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
if not owner then redis.call('SET', KEYS[3], ARGV[5]) end
redis.call('XADD', KEYS[4], '*', 'e', ARGV[6])
return cur + 1
`

// CatalogueRepo implements pledge.CatalogueRepo. All versions of all
// certificates of one matter share a hash tag, so an append is one atomic
// script and a matter query one slot.
type CatalogueRepo struct {
	st     *Store
	append *redis.Script
	// indexed caches that the matter index was found built
	// (catalogue_list.go), so listings skip the marker read.
	indexed atomic.Bool
}

var _ pledge.CatalogueRepo = (*CatalogueRepo)(nil)

// NewCatalogueRepo returns the catalogue repository over s.
func NewCatalogueRepo(s *Store) *CatalogueRepo {
	return &CatalogueRepo{st: s, append: redis.NewScript(catalogueAppendLua)}
}

func (r *CatalogueRepo) tag(region, matter string) string { return "cat:" + region + ":" + matter }

func (r *CatalogueRepo) versionsKey(k pledge.EntryKey) string {
	return r.st.key(r.tag(k.Region, k.Matter), "cert", k.Certificate)
}

func (r *CatalogueRepo) certsKey(region, matter string) string {
	return r.st.key(r.tag(region, matter), "certs")
}

func (r *CatalogueRepo) ownerKey(region, matter string) string {
	return r.st.key(r.tag(region, matter), "owner")
}

// AppendEntry implements pledge.CatalogueRepo.
func (r *CatalogueRepo) AppendEntry(ctx context.Context, e pledge.Entry, expectVersion int) (pledge.Entry, error) {
	return r.appendEntry(ctx, e, expectVersion, false)
}

// AppendOwnedEntry implements pledge.OwnedAppender: the append is refused
// (Forbidden OUT_OF_SCOPE) when the matter's owner is not e.Owner, checked
// in the append script.
func (r *CatalogueRepo) AppendOwnedEntry(ctx context.Context, e pledge.Entry, expectVersion int) (pledge.Entry, error) {
	return r.appendEntry(ctx, e, expectVersion, true)
}

func (r *CatalogueRepo) appendEntry(ctx context.Context, e pledge.Entry, expectVersion int, owned bool) (pledge.Entry, error) {
	if expectVersion < 0 {
		return pledge.Entry{}, apperr.New(apperr.Malformed, "expected version must not be negative")
	}
	e.Version = expectVersion + 1
	body, err := json.Marshal(e)
	if err != nil {
		return pledge.Entry{}, apperr.Wrap(apperr.Internal, err, "cannot encode a catalogue entry")
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	// The matter index first (catalogue_list.go): it lives in other slots.
	if err := r.indexMatter(ctx, e.Region, e.Matter, e.RegionName); err != nil {
		return pledge.Entry{}, err
	}
	check := "0"
	if owned {
		check = "1"
	}
	logBody, err := r.st.logEvent("catalogue", "catalogue.entry", map[string]string{"region": e.Region, "matter": e.Matter,
		"certificate": e.Certificate, "version": strconv.Itoa(e.Version), "owner": e.Owner, "sm3": sm3Hex(body)})
	if err != nil {
		return pledge.Entry{}, err
	}
	vk := r.versionsKey(e.EntryKey)
	n, err := r.append.Run(ctx, r.st.rdb, []string{vk, r.certsKey(e.Region, e.Matter), r.ownerKey(e.Region, e.Matter), r.st.tlogPendingKey(vk)},
		expectVersion, body, e.Certificate, check, e.Owner, logBody).Int64()
	r.st.markLog(vk)
	if err != nil {
		return pledge.Entry{}, mapErr(err, "catalogue entry not found")
	}
	if n == 0 {
		return pledge.Entry{}, apperr.New(apperr.Forbidden, "matter %s of region %s belongs to another agency / 该事项属于其他机关", e.Matter, e.Region).WithCode(apperr.CodeOutOfScope)
	}
	if n < 0 {
		return pledge.Entry{}, apperr.New(apperr.Conflict, "the catalogue entry is at version %d, not %d: reload it and try again", -n-1, expectVersion).WithCode(apperr.CodeVersionConflict)
	}
	return e, nil
}

func decodeVersions(m map[string]string) ([]pledge.Entry, error) {
	out := make([]pledge.Entry, 0, len(m))
	for v, body := range m {
		var e pledge.Entry
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a stored catalogue entry does not decode")
		}
		if strconv.Itoa(e.Version) != v {
			return nil, apperr.New(apperr.Internal, "a stored catalogue entry is filed under the wrong version")
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Certificate != out[j].Certificate {
			return out[i].Certificate < out[j].Certificate
		}
		return out[i].Version < out[j].Version
	})
	return out, nil
}

// EntryVersions implements pledge.CatalogueRepo.
func (r *CatalogueRepo) EntryVersions(ctx context.Context, key pledge.EntryKey) ([]pledge.Entry, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	m, err := r.st.rdb.HGetAll(ctx, r.versionsKey(key)).Result()
	if err != nil {
		return nil, mapErr(err, "catalogue entry not found")
	}
	return decodeVersions(m)
}

// MatterEntries implements pledge.CatalogueRepo: one round trip for the
// certificate list, one pipelined round trip for their versions.
func (r *CatalogueRepo) MatterEntries(ctx context.Context, region, matter string) ([]pledge.Entry, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	certs, err := r.st.rdb.SMembers(ctx, r.certsKey(region, matter)).Result()
	if err != nil {
		return nil, mapErr(err, "matter not found")
	}
	if len(certs) == 0 {
		return nil, nil
	}
	pipe := r.st.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(certs))
	for i, c := range certs {
		cmds[i] = pipe.HGetAll(ctx, r.versionsKey(pledge.EntryKey{Region: region, Matter: matter, Certificate: c}))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, mapErr(err, "matter not found")
	}
	var out []pledge.Entry
	for _, c := range cmds {
		vs, err := decodeVersions(c.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, vs...)
	}
	return out, nil
}
