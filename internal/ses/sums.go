package ses

import (
	"sync"

	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// sumMemoSize bounds the digests a Verifier remembers and sumMemoBytes
// the bytes their keys hold; sumMemoMax is the largest input it remembers
// one for (a seal with its picture is a few kilobytes; anything larger is
// hashed every time).
const (
	sumMemoSize  = 512
	sumMemoBytes = 4 << 20
	sumMemoMax   = 64 << 10
)

// sumMemo remembers the SM3 digest of byte strings seen before, keyed by
// the bytes themselves: the same seal and certificates come with every
// signature of an agency, and a map lookup of their bytes costs far less
// than hashing them again. Bounded, oldest first out; safe for concurrent
// use.
type sumMemo struct {
	mu    sync.Mutex
	max   int
	size  int // bytes held in keys
	m     map[string][32]byte
	order []string
}

func newSumMemo(max int) *sumMemo {
	return &sumMemo{max: max, m: make(map[string][32]byte, max)}
}

// sum returns pki.Digest(b).
func (s *sumMemo) sum(b []byte) [32]byte {
	if s == nil || len(b) > sumMemoMax {
		return pki.Digest(b)
	}
	s.mu.Lock()
	d, ok := s.m[string(b)]
	s.mu.Unlock()
	if ok {
		return d
	}
	d = pki.Digest(b)
	k := string(b)
	s.mu.Lock()
	if _, ok := s.m[k]; !ok {
		for len(s.order) > 0 && (len(s.order) >= s.max || s.size+len(k) > sumMemoBytes) {
			s.size -= len(s.order[0])
			delete(s.m, s.order[0])
			s.order = s.order[1:]
		}
		s.m[k] = d
		s.size += len(k)
		s.order = append(s.order, k)
	}
	s.mu.Unlock()
	return d
}
