package store

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// The matter index lists which matters each region has, for the public
// listing of the catalogue (pledge.MatterIndex, part of pledge.CatalogueRepo). It is two kinds of sorted
// set with every score 0, so members come back in code order and a page
// continues after the last code seen (ZRANGEBYLEX):
//
//	{catidx}:regions            region codes
//	{catidx}:names              region code → name (JSON Text), when entries give one
//	{catidx:REGION}:matters     the region's matter codes
//
// Neither can share the slot of a matter's entries ({cat:REGION:MATTER}),
// so AppendEntry writes the index first and the entry second: a crash in
// between leaves an indexed matter with no entry, which the listing skips,
// never an entry the listing misses. Entries recorded before the index
// existed are found once by Reindex (run by the first region listing that
// sees no {catidx}:built marker).

var _ pledge.MatterIndex = (*CatalogueRepo)(nil)

func (r *CatalogueRepo) regionsKey() string { return r.st.key("catidx", "regions") }

func (r *CatalogueRepo) indexBuiltKey() string { return r.st.key("catidx", "built") }

func (r *CatalogueRepo) regionMattersKey(region string) string {
	return r.st.key("catidx:"+region, "matters")
}

func (r *CatalogueRepo) regionNamesKey() string { return r.st.key("catidx", "names") }

// indexMatter records that region has matter (idempotent), and the
// region's name when the entry gives one (the last one given wins).
func (r *CatalogueRepo) indexMatter(ctx context.Context, region, matter string, name pledge.Text) error {
	pipe := r.st.rdb.Pipeline()
	pipe.ZAdd(ctx, r.regionMattersKey(region), redis.Z{Member: matter})
	pipe.ZAdd(ctx, r.regionsKey(), redis.Z{Member: region})
	if strings.TrimSpace(name.Zh) != "" {
		body, err := json.Marshal(name)
		if err != nil {
			return apperr.Wrap(apperr.Internal, err, "cannot encode a region name")
		}
		pipe.HSet(ctx, r.regionNamesKey(), region, body)
	}
	_, err := pipe.Exec(ctx)
	return mapErr(err, "catalogue index not found")
}

// RegionNames implements pledge.MatterIndex.
func (r *CatalogueRepo) RegionNames(ctx context.Context, regions []string) (map[string]pledge.Text, error) {
	out := map[string]pledge.Text{}
	if len(regions) == 0 {
		return out, nil
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	vals, err := r.st.rdb.HMGet(ctx, r.regionNamesKey(), regions...).Result()
	if err != nil {
		return nil, mapErr(err, "no region names")
	}
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		var t pledge.Text
		if err := json.Unmarshal([]byte(s), &t); err != nil {
			return nil, apperr.Wrap(apperr.Internal, err, "a stored region name does not decode")
		}
		out[regions[i]] = t
	}
	return out, nil
}

// lexAfter is the ZRANGEBYLEX start after cursor ("" = from the first).
func lexAfter(cursor string) string {
	if cursor == "" {
		return "-"
	}
	return "(" + cursor
}

// Regions implements pledge.MatterIndex.
func (r *CatalogueRepo) Regions(ctx context.Context, after string, n int) ([]string, error) {
	if err := r.ensureIndex(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	out, err := r.st.rdb.ZRangeByLex(ctx, r.regionsKey(), &redis.ZRangeBy{Min: lexAfter(after), Max: "+", Count: int64(n)}).Result()
	if err != nil {
		return nil, mapErr(err, "no regions")
	}
	return out, nil
}

// RegionMatters implements pledge.MatterIndex.
func (r *CatalogueRepo) RegionMatters(ctx context.Context, region, after string, n int) ([]string, error) {
	if err := r.ensureIndex(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	out, err := r.st.rdb.ZRangeByLex(ctx, r.regionMattersKey(region), &redis.ZRangeBy{Min: lexAfter(after), Max: "+", Count: int64(n)}).Result()
	if err != nil {
		return nil, mapErr(err, "no matters")
	}
	return out, nil
}

// MattersEntries implements pledge.MatterIndex: one pipelined round trip
// for the certificate lists of all the matters, one for their versions
// (on a cluster, go-redis splits each pipeline by node).
func (r *CatalogueRepo) MattersEntries(ctx context.Context, region string, matters []string) ([][]pledge.Entry, error) {
	out := make([][]pledge.Entry, len(matters))
	if len(matters) == 0 {
		return out, nil
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	pipe := r.st.rdb.Pipeline()
	certCmds := make([]*redis.StringSliceCmd, len(matters))
	for i, m := range matters {
		certCmds[i] = pipe.SMembers(ctx, r.certsKey(region, m))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, mapErr(err, "matter not found")
	}
	type ref struct {
		matter int
		cmd    *redis.MapStringStringCmd
	}
	var refs []ref
	pipe = r.st.rdb.Pipeline()
	for i, m := range matters {
		for _, c := range certCmds[i].Val() {
			refs = append(refs, ref{i, pipe.HGetAll(ctx, r.versionsKey(pledge.EntryKey{Region: region, Matter: m, Certificate: c}))})
		}
	}
	if len(refs) == 0 {
		return out, nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, mapErr(err, "matter not found")
	}
	for _, rf := range refs {
		vs, err := decodeVersions(rf.cmd.Val())
		if err != nil {
			return nil, err
		}
		out[rf.matter] = append(out[rf.matter], vs...)
	}
	for _, vs := range out {
		sort.Slice(vs, func(i, j int) bool {
			if vs[i].Certificate != vs[j].Certificate {
				return vs[i].Certificate < vs[j].Certificate
			}
			return vs[i].Version < vs[j].Version
		})
	}
	return out, nil
}

// ensureIndex runs Reindex once per key space: when the built marker is
// absent (a store whose catalogue predates the index). Once the marker is
// seen, this repository does not read it again.
func (r *CatalogueRepo) ensureIndex(ctx context.Context) error {
	if r.indexed.Load() {
		return nil
	}
	c, cancel := r.st.ctx(ctx)
	n, err := r.st.rdb.Exists(c, r.indexBuiltKey()).Result()
	cancel()
	if err != nil {
		return mapErr(err, "catalogue index not found")
	}
	if n == 0 {
		if _, err := r.Reindex(ctx); err != nil {
			return err
		}
		c, cancel = r.st.ctx(ctx)
		defer cancel()
		if err := r.st.rdb.Set(c, r.indexBuiltKey(), "1", 0).Err(); err != nil {
			return mapErr(err, "catalogue index not found")
		}
	}
	r.indexed.Store(true)
	return nil
}

// reindexTimeout bounds a Reindex: it reads the whole key space once.
const reindexTimeout = 30 * time.Second

// Reindex adds every matter that has catalogue entries to the matter
// index, by scanning for the matters' certificate sets (every master of a
// cluster). It is idempotent and returns the number of matters found.
func (r *CatalogueRepo) Reindex(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, reindexTimeout)
	defer cancel()
	head := r.st.prefix + "{cat:"
	const tail = "}:certs"
	pattern := globEscape(head) + "*" + tail
	var mu sync.Mutex
	found := map[[2]string]bool{}
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			k := it.Val()
			if !strings.HasPrefix(k, head) || !strings.HasSuffix(k, tail) {
				continue
			}
			region, matter, ok := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(k, head), tail), ":")
			if !ok || region == "" || matter == "" || strings.ContainsAny(matter, ":{}") {
				continue
			}
			mu.Lock()
			found[[2]string{region, matter}] = true
			mu.Unlock()
		}
		return it.Err()
	}
	var err error
	if cc, ok := r.st.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	} else {
		err = scan(ctx, r.st.rdb)
	}
	if err != nil {
		return 0, mapErr(err, "catalogue not found")
	}
	if len(found) == 0 {
		return 0, nil
	}
	pipe := r.st.rdb.Pipeline()
	for k := range found {
		pipe.ZAdd(ctx, r.regionMattersKey(k[0]), redis.Z{Member: k[1]})
		pipe.ZAdd(ctx, r.regionsKey(), redis.Z{Member: k[0]})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return 0, mapErr(err, "catalogue index not found")
	}
	return len(found), nil
}
