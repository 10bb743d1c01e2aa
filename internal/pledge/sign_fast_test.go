package pledge_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// TestEventSigningWritesNoDraft: way (a) signs at once, so it stores the
// pledge and no draft; a draft prepared for way (b) under the same key is
// still the one signed.
func TestEventSigningWritesNoDraft(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	rec, created, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("nodraft-0001"))
	if err != nil || !created {
		t.Fatalf("sign: %v created=%v", err, created)
	}
	_, err = e.pledges.GetDraft(ctx, rec.ID)
	wantErr(t, err, apperr.NotFound, "")

	// Prepared first (as for way b), then signed by way (a) with the same key:
	// the stored draft's exact bytes are signed.
	p, err := e.svc.Prepare(ctx, applicant, e.request("nodraft-0002"))
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Minute) // a new document would carry a later signedAt
	rec2, created, err := e.svc.SignWithEventCertificate(ctx, applicant, e.request("nodraft-0002"))
	if err != nil || !created || rec2.ID != p.Draft.ID || !bytes.Equal(rec2.Document, p.Draft.Document) {
		t.Fatalf("draft then way (a): %v created=%v same bytes=%v", err, created, bytes.Equal(rec2.Document, p.Draft.Document))
	}
}

// TestConcurrentSameKey: of concurrent way-(a) requests with one key, one
// pledge is stored; a repeat of the same request gets it back, a different
// request under the same key is refused whichever check catches it.
func TestConcurrentSameKey(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	for round := range 6 {
		key := fmt.Sprintf("race-%04d", round)
		reqs := []pledge.SignRequest{e.request(key), e.request(key), e.request(key)}
		reqs[2].Channel = pledge.ChannelApp // same key, other content
		type result struct {
			rec     pledge.Record
			created bool
			err     error
		}
		out := make([]result, len(reqs))
		var wg sync.WaitGroup
		for i, r := range reqs {
			wg.Go(func() {
				rec, created, err := e.svc.SignWithEventCertificate(ctx, applicant, r)
				out[i] = result{rec, created, err}
			})
		}
		wg.Wait()
		id := ""
		for _, r := range out {
			if r.err == nil {
				id = r.rec.ID
			}
		}
		stored, err := e.pledges.GetPledge(ctx, id)
		if err != nil {
			t.Fatalf("round %d: no pledge stored: %v", round, err)
		}
		created := 0
		for i, r := range out {
			if r.created {
				created++
			}
			if r.err != nil {
				if apperr.As(r.err) == nil || apperr.As(r.err).Code != "IDEMPOTENCY_KEY_REUSED" {
					t.Fatalf("round %d request %d: %v", round, i, r.err)
				}
				continue
			}
			if r.rec.ID != stored.ID || !bytes.Equal(r.rec.ApplicantCMS, stored.ApplicantCMS) {
				t.Fatalf("round %d request %d got a pledge that is not the stored one", round, i)
			}
			if r.rec.Fingerprint != stored.Fingerprint {
				t.Fatalf("round %d request %d accepted for another request's pledge", round, i)
			}
		}
		if created != 1 {
			t.Fatalf("round %d: %d pledges created", round, created)
		}
		// Exactly the requests whose content differs from the winner's fail.
		winnerIsOther := out[2].err == nil
		for i, r := range out {
			other := i == 2
			if (other != winnerIsOther) != (r.err != nil) {
				t.Fatalf("round %d request %d: err=%v, winner is the other request: %v", round, i, r.err, winnerIsOther)
			}
		}
	}
}

// countingNotices counts how often notices are read from the repository.
type countingNotices struct {
	pledge.NoticeRepo
	latest  func(ctx context.Context, id string) (int, error)
	gets    int
	latests int
	mu      sync.Mutex
}

func (c *countingNotices) GetNotice(ctx context.Context, id string, v int) (pledge.PublishedNotice, error) {
	c.mu.Lock()
	c.gets++
	c.mu.Unlock()
	return c.NoticeRepo.GetNotice(ctx, id, v)
}

type versionedNotices struct{ *countingNotices }

func (v versionedNotices) LatestNoticeVersion(ctx context.Context, id string) (int, error) {
	v.mu.Lock()
	v.latests++
	v.mu.Unlock()
	return v.latest(ctx, id)
}

// TestNoticeVersionsKept: the repository tells the latest version, so each
// published version is read once; a new version is seen at once.
func TestNoticeVersionsKept(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	repo := store.NewNoticeRepo(e.st)
	{
		{
			cn := &countingNotices{NoticeRepo: repo, latest: repo.LatestNoticeVersion}
			n := pledge.NewNotices(versionedNotices{cn}, e.catalogue, nil, e.clk)
			for range 3 {
				p, err := n.Get(ctx, e.published.Notice.ID, 0)
				if err != nil || p.Notice.Version != e.published.Notice.Version || !bytes.Equal(p.Canonical, e.published.Canonical) {
					t.Fatalf("latest: %v v%d", err, p.Notice.Version)
				}
			}
			if p, err := n.Get(ctx, e.published.Notice.ID, e.published.Notice.Version); err != nil || p.DigestHex() != e.published.DigestHex() {
				t.Fatalf("by version: %v", err)
			}
			_, err := n.Get(ctx, "N-NONE", 0)
			wantErr(t, err, apperr.NotFound, "")
			if cn.gets != 1 {
				t.Fatalf("repository reads %d, want 1", cn.gets)
			}
			if cn.latests != 4 {
				t.Fatalf("latest-version reads %d, want 4", cn.latests)
			}
		}
	}
	// A new version is the latest at once, through the service's own cache.
	if _, err := e.notices.Get(ctx, e.published.Notice.ID, 0); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	v2, err := e.notices.Publish(ctx, agency, sampleNotice())
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.notices.Get(ctx, e.published.Notice.ID, 0)
	if err != nil || got.Notice.Version != v2.Notice.Version || got.Notice.Version != e.published.Notice.Version+1 {
		t.Fatalf("after publishing v2: %v v%d", err, got.Notice.Version)
	}
	// Signing against the old version is refused as superseded.
	_, _, err = e.svc.SignWithEventCertificate(ctx, applicant, e.request("superseded-01"))
	wantErr(t, err, apperr.Conflict, "NOTICE_SUPERSEDED")
}
