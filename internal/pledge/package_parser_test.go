package pledge

import (
	"os"
	"reflect"
	"sync"
	"testing"
)

func readPackage(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/packages/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPackageParserMatchesParsePackage checks that a caching parser gives
// the same result as ParsePackage, first and second time, and that a
// malformed package is refused the same way.
func TestPackageParserMatchesParsePackage(t *testing.T) {
	pp := NewPackageParser(4)
	for _, name := range []string{"valid-accepted.json", "valid-signed-own.json"} {
		t.Run(name, func(t *testing.T) {
			b := readPackage(t, name)
			want, err := ParsePackage(b)
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				got, err := pp.Parse(b)
				if err != nil {
					t.Fatalf("parse %d: %v", i, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("parse %d differs from ParsePackage", i)
				}
			}
		})
	}
	if n := pp.CachedNotices(); n < 1 || n > 2 {
		t.Fatalf("cached notices = %d, want 1 or 2", n)
	}
	bad := readPackage(t, "valid-accepted.json")
	bad = bad[:len(bad)-2]
	_, want := ParsePackage(bad)
	_, got := pp.Parse(bad)
	if want == nil || got == nil || got.Error() != want.Error() {
		t.Fatalf("malformed package: parser %v, ParsePackage %v", got, want)
	}
}

// TestPackageParserNoticeCache checks the bound, that a returned notice is
// a copy, and that a refused notice is not cached.
func TestPackageParserNoticeCache(t *testing.T) {
	p, err := ParsePackage(readPackage(t, "valid-accepted.json"))
	if err != nil {
		t.Fatal(err)
	}
	variants := make([][]byte, 3)
	for i := range variants {
		n := *p.Notice
		n.Version = 100 + i
		if variants[i], err = n.Canonical(); err != nil {
			t.Fatal(err)
		}
	}
	pp := NewPackageParser(2)
	for i, b := range variants {
		n, err := pp.notice(b)
		if err != nil {
			t.Fatalf("variant %d: %v", i, err)
		}
		if n.Version != 100+i {
			t.Fatalf("variant %d: version %d", i, n.Version)
		}
		n.Version = -1 // must not reach the cache
	}
	if got := pp.CachedNotices(); got != 2 {
		t.Fatalf("cached %d notices, want the bound 2", got)
	}
	n, err := pp.notice(variants[2])
	if err != nil || n.Version != 102 {
		t.Fatalf("cached notice: %v, %v", n, err)
	}
	if _, err := pp.notice([]byte(`{"format":"x"}`)); err == nil {
		t.Fatal("a malformed notice was accepted")
	}
	if got := pp.CachedNotices(); got != 2 {
		t.Fatalf("a refused notice changed the cache: %d", got)
	}
}

// TestPackageParserConcurrent runs the parser from several goroutines
// (meaningful under -race).
func TestPackageParserConcurrent(t *testing.T) {
	b := readPackage(t, "valid-accepted.json")
	pp := NewPackageParser(1)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			if _, err := pp.Parse(b); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}
