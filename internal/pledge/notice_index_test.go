package pledge_test

import (
	"context"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// onlyRepo hides the index methods of a NoticeRepo.
type onlyRepo struct{ pledge.NoticeRepo }

// TestNoticeForEntry: publishing indexes the notice under its catalogue
// entry; the query answers the latest version, says NO_NOTICE before any
// publication, after the id moved to another entry, or without an index,
// and refuses malformed keys.
func TestNoticeForEntry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	_, err := e.notices.ForEntry(ctx, entryKey)
	wantErr(t, err, apperr.NotFound, "NO_NOTICE")

	p1 := e.ready(t)
	got, err := e.notices.ForEntry(ctx, entryKey)
	if err != nil || got.Notice.ID != p1.Notice.ID || got.Notice.Version != 1 || got.Digest != p1.Digest {
		t.Fatalf("after publication: %+v, %v", got.Notice, err)
	}

	// A second certificate of the same matter, whose notice re-uses the id.
	other := sampleEntry()
	other.Certificate = "C-OTHER"
	other.EffectiveFrom = e.clk.Now()
	if _, err := e.catalogue.Record(ctx, pledge.Editor{Agency: agency, Actor: "officer-1"}, other, 0); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	n := sampleNotice()
	n.Entry = other.EntryKey
	p2, err := e.notices.Publish(ctx, agency, n)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		notices  *pledge.Notices
		key      pledge.EntryKey
		fails    bool
		wantKind apperr.Kind
		wantCode apperr.Code
		wantVer  int
	}{
		{"moved id: the new entry", e.notices, other.EntryKey, false, 0, "", p2.Notice.Version},
		{"moved id: the old entry has none", e.notices, entryKey, true, apperr.NotFound, "NO_NOTICE", 0},
		{"malformed region", e.notices, pledge.EntryKey{Region: "../x", Matter: "M-0001", Certificate: "C"}, true, apperr.Malformed, "", 0},
		{"empty certificate", e.notices, pledge.EntryKey{Region: "110000", Matter: "M-0001"}, true, apperr.Malformed, "", 0},
		{"no index in the repository", pledge.NewNotices(onlyRepo{store.NewNoticeRepo(e.st)}, e.catalogue, nil, e.clk), other.EntryKey, true, apperr.NotFound, "NO_NOTICE", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.notices.ForEntry(ctx, tc.key)
			if tc.fails {
				if apperr.KindOf(err) != tc.wantKind || (tc.wantCode != "" && apperr.As(err).Code != tc.wantCode) {
					t.Fatalf("err %v, want %v/%s", err, tc.wantKind, tc.wantCode)
				}
				return
			}
			if err != nil || got.Notice.Version != tc.wantVer || got.Notice.Entry != tc.key {
				t.Fatalf("got %+v, %v", got.Notice, err)
			}
		})
	}
}
