package pledge

import "testing"

// TestNoticeCacheBounded: at most max versions are kept, the oldest leave
// first, and a version put again is not counted twice.
func TestNoticeCacheBounded(t *testing.T) {
	c := newNoticeCache(2)
	put := func(v int) { c.put("N-1", v, PublishedNotice{Notice: Notice{ID: "N-1", Version: v}}) }
	put(1)
	put(1)
	put(2)
	if len(c.m) != 2 || len(c.order) != 2 {
		t.Fatalf("holds %d (order %d), want 2", len(c.m), len(c.order))
	}
	put(3)
	if _, ok := c.get("N-1", 1); ok {
		t.Fatal("the oldest version was not evicted")
	}
	for _, v := range []int{2, 3} {
		if p, ok := c.get("N-1", v); !ok || p.Notice.Version != v {
			t.Fatalf("version %d: %v %d", v, ok, p.Notice.Version)
		}
	}
	if _, ok := c.get("N-2", 2); ok {
		t.Fatal("another id answered")
	}
}
