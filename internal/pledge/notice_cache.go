package pledge

import "sync"

// publishedCacheSize bounds the published notice versions a Notices keeps.
const publishedCacheSize = 256

// noticeCache keeps published notice versions by id and version, bounded,
// oldest first out. Published versions are immutable, so an entry never
// goes stale while the store it came from is the same.
type noticeCache struct {
	mu    sync.Mutex
	max   int
	m     map[noticeKey]PublishedNotice
	order []noticeKey
}

type noticeKey struct {
	id      string
	version int
}

func newNoticeCache(max int) *noticeCache {
	return &noticeCache{max: max, m: make(map[noticeKey]PublishedNotice, max)}
}

func (c *noticeCache) get(id string, version int) (PublishedNotice, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, ok := c.m[noticeKey{id, version}]
	return p, ok
}

func (c *noticeCache) put(id string, version int, p PublishedNotice) {
	k := noticeKey{id, version}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; !ok {
		if len(c.order) >= c.max {
			delete(c.m, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, k)
	}
	c.m[k] = p
}
