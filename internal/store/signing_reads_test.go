package store

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

func TestReadForSigningSingleNode(t *testing.T) { readForSigningConformance(t, plSingle) }

func TestReadForSigningCluster(t *testing.T) { readForSigningConformance(t, plCluster) }

// readForSigningConformance: the one-round-trip read answers what GetPledge,
// GetDraft and LatestNoticeVersion answer, in every combination.
func readForSigningConformance(t *testing.T, mk func(*testing.T) plRepos) {
	r := mk(t)
	ctx := context.Background()
	doc := []byte(`{"pledgeId":"P-DRAFT"}`)
	if _, err := r.pl.PutDraft(ctx, pledge.Draft{ID: "P-DRAFT", Document: doc, Digest: pki.Digest(doc), Applicant: "s", Fingerprint: "fp",
		ExpiresAt: plT0.Add(time.Hour)}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.pl.CreatePledge(ctx, plRecord("P-BOTH")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.pl.PutDraft(ctx, pledge.Draft{ID: "P-BOTH", Document: doc, Fingerprint: "fp"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.pl.CreatePledge(ctx, plRecord("P-REC")); err != nil {
		t.Fatal(err)
	}
	for v := 1; v <= 2; v++ {
		n := pledge.Notice{ID: "N-1", Version: v}
		c := []byte(`{"v":` + string(rune('0'+v)) + `}`)
		if err := r.not.PutNotice(ctx, pledge.PublishedNotice{Notice: n, Canonical: c, Seal: []byte("seal")}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name, pledgeID, noticeID string
		rec, draft               bool
		latest                   int
	}{
		{"nothing", "P-NONE", "N-NONE", false, false, 0},
		{"draft only", "P-DRAFT", "N-1", false, true, 2},
		{"pledge only", "P-REC", "N-1", true, false, 2},
		{"pledge and draft", "P-BOTH", "N-NONE", true, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := r.pl.ReadForSigning(ctx, tc.pledgeID, tc.noticeID)
			if err != nil {
				t.Fatal(err)
			}
			if (got.Pledge != nil) != tc.rec || (got.Draft != nil) != tc.draft || got.LatestNotice != tc.latest {
				t.Fatalf("got pledge %v draft %v latest %d", got.Pledge != nil, got.Draft != nil, got.LatestNotice)
			}
			if tc.rec {
				want, err := r.pl.GetPledge(ctx, tc.pledgeID)
				if err != nil || !reflect.DeepEqual(*got.Pledge, want) {
					t.Fatalf("pledge differs from GetPledge (%v)", err)
				}
			}
			if tc.draft {
				want, err := r.pl.GetDraft(ctx, tc.pledgeID)
				if err != nil || !reflect.DeepEqual(*got.Draft, want) {
					t.Fatalf("draft differs from GetDraft (%v)", err)
				}
			}
			if n, err := r.not.LatestNoticeVersion(ctx, tc.noticeID); err != nil || n != tc.latest {
				t.Fatalf("LatestNoticeVersion %d %v", n, err)
			}
		})
	}
}
