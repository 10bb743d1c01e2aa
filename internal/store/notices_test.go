package store

import (
	"context"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func TestNoticeIndexSingleNode(t *testing.T) { noticeIndexConformance(t, plSingle) }

func TestNoticeIndexCluster(t *testing.T) { noticeIndexConformance(t, plCluster) }

// noticeIndexConformance: the notice index answers per certificate of a
// matter, the last publication wins, and nothing indexed is NotFound.
func noticeIndexConformance(t *testing.T, mk func(*testing.T) plRepos) {
	r := mk(t)
	ctx := context.Background()
	key := func(matter, cert string) pledge.EntryKey {
		return pledge.EntryKey{Region: "110000", Matter: matter, Certificate: cert}
	}
	steps := []struct {
		name  string
		index map[pledge.EntryKey]string
		want  map[pledge.EntryKey]string // "" means NotFound
	}{
		{"empty", nil, map[pledge.EntryKey]string{key("M-1", "C-1"): ""}},
		{"one certificate", map[pledge.EntryKey]string{key("M-1", "C-1"): "N-A"},
			map[pledge.EntryKey]string{key("M-1", "C-1"): "N-A", key("M-1", "C-2"): "", key("M-2", "C-1"): ""}},
		{"second certificate and another matter", map[pledge.EntryKey]string{key("M-1", "C-2"): "N-B", key("M-2", "C-1"): "N-C"},
			map[pledge.EntryKey]string{key("M-1", "C-1"): "N-A", key("M-1", "C-2"): "N-B", key("M-2", "C-1"): "N-C"}},
		{"last publication wins", map[pledge.EntryKey]string{key("M-1", "C-1"): "N-D"},
			map[pledge.EntryKey]string{key("M-1", "C-1"): "N-D", key("M-1", "C-2"): "N-B"}},
	}
	for _, st := range steps {
		for k, id := range st.index {
			if err := r.not.IndexNotice(ctx, k, id); err != nil {
				t.Fatalf("%s: index %v: %v", st.name, k, err)
			}
		}
		for k, want := range st.want {
			got, err := r.not.IndexedNotice(ctx, k)
			switch {
			case want == "" && apperr.KindOf(err) != apperr.NotFound:
				t.Fatalf("%s: %v: got %q, %v; want NotFound", st.name, k, got, err)
			case want != "" && (err != nil || got != want):
				t.Fatalf("%s: %v: got %q, %v; want %q", st.name, k, got, err, want)
			}
		}
	}
	// The index lives in the slot of the matter's catalogue entries.
	if a, b := r.not.indexKey(key("M-1", "C-1")), r.cat.certsKey("110000", "M-1"); hashTag(a) != hashTag(b) {
		t.Fatalf("index key %s and catalogue key %s are in different slots", a, b)
	}
}

func hashTag(k string) string {
	i := 0
	for i < len(k) && k[i] != '{' {
		i++
	}
	j := i
	for j < len(k) && k[j] != '}' {
		j++
	}
	if j >= len(k) {
		return k
	}
	return k[i : j+1]
}
