package ses

import (
	"container/list"
	"sync"
)

// DefaultCacheSize is the number of entries a Verifier's cache holds when
// Options.CacheSize is zero.
const DefaultCacheSize = 4096

// lru is a bounded least-recently-used map, safe for concurrent use. Keys are
// content digests (plus what the result depends on), so an entry can never
// describe different bytes than its key.
type lru struct {
	mu    sync.Mutex
	max   int
	order *list.List
	items map[cacheKey]*list.Element
}

type cacheKind uint8

const (
	kindMakerSig cacheKind = iota + 1
	kindChain
	kindCert
	kindParsedSig   // a Shared input's parsed SES_Signature
	kindSignerSig   // a Shared input's signer-signature check
	kindParsedSeal  // an SESeal embedded in signatures (sealMemo)
	kindSharedStamp // a Shared input's timestamp check (per TSA trust store)
)

// cacheKey names one cached result: what was computed, over which bytes
// (SM3 digest) and, for chains, under which trust store.
type cacheKey struct {
	kind   cacheKind
	digest [32]byte
	store  any
}

type entry struct {
	key cacheKey
	val any
}

func newLRU(max int) *lru {
	if max <= 0 {
		max = DefaultCacheSize
	}
	return &lru{max: max, order: list.New(), items: make(map[cacheKey]*list.Element)}
}

func (c *lru) get(k cacheKey) (any, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(el)
	return el.Value.(*entry).val, true
}

func (c *lru) put(k cacheKey, v any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		el.Value.(*entry).val = v
		c.order.MoveToFront(el)
		return
	}
	c.items[k] = c.order.PushFront(&entry{key: k, val: v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*entry).key)
	}
}

func (c *lru) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
