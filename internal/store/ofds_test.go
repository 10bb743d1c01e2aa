package store

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

func TestOFDRepoSingleNode(t *testing.T) { ofdConformance(t, plSingle(t)) }

func TestOFDRepoCluster(t *testing.T) { ofdConformance(t, plCluster(t)) }

// ofdConformance: nothing is kept until kept; the first document kept
// wins, also among concurrent first keeps; decisions are apart; what is
// stored is sealed (no personal data in Redis); oversize is refused.
func ofdConformance(t *testing.T, s plRepos) {
	ctx := context.Background()
	r := NewOFDRepo(s.st, s.pii)
	id := "P0123456789abcdef0123456789abcdef"
	d1, d2 := pki.Digest([]byte("decision 1")), pki.Digest([]byte("decision 2"))
	if b, err := r.KeptOFD(ctx, id, d1); err != nil || b != nil {
		t.Fatalf("nothing kept yet: %q %v", b, err)
	}
	docs := make([][]byte, 8)
	var wg sync.WaitGroup
	for i := range docs {
		wg.Go(func() {
			b, err := r.KeepOFD(ctx, id, d1, fmt.Appendf(nil, "PK document %d 王小明 110101199001061234", i))
			if err != nil {
				t.Error(err)
			}
			docs[i] = b
		})
	}
	wg.Wait()
	for i := range docs {
		if !bytes.Equal(docs[i], docs[0]) {
			t.Fatalf("keep %d returned %q, keep 0 %q", i, docs[i], docs[0])
		}
	}
	if b, err := r.KeptOFD(ctx, id, d1); err != nil || !bytes.Equal(b, docs[0]) {
		t.Fatalf("kept %q %v", b, err)
	}
	if b, err := r.KeepOFD(ctx, id, d2, []byte("PK other decision")); err != nil || string(b) != "PK other decision" {
		t.Fatalf("second decision: %q %v", b, err)
	}
	raw, err := s.st.rdb.Get(ctx, r.key(id, d1)).Bytes()
	if err != nil || bytes.Contains(raw, []byte("110101199001061234")) || bytes.Contains(raw, []byte("王小明")) {
		t.Fatalf("stored in the clear (%v)", err)
	}
	// A stored document moved to another decision's key does not open.
	if err := s.st.rdb.Set(ctx, r.key(id, d2), raw, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.KeptOFD(ctx, id, d2); err == nil {
		t.Fatal("a document sealed for one decision opened as another's")
	}
	if _, err := r.KeepOFD(ctx, id, pki.Digest([]byte("big")), make([]byte, ofdmake.MaxSize+1)); err == nil {
		t.Fatal("an oversize document was kept")
	}
}
