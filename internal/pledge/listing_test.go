package pledge_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// listIDs pages through a listing and returns every ID in order.
func listIDs(t *testing.T, list func(q pledge.ListQuery) (pledge.Page, error), limit int) []string {
	t.Helper()
	var ids []string
	q := pledge.ListQuery{Limit: limit}
	for range 100 {
		p, err := list(q)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range p.Records {
			ids = append(ids, r.ID)
		}
		if p.Next == "" {
			return ids
		}
		q.Cursor = p.Next
	}
	t.Fatal("pagination never ends")
	return nil
}

// TestListings: the applicant's own pledges and the agency's queue follow
// sign, accept, withdraw and return, each scoped to its owner.
func TestListings(t *testing.T) {
	e := newEnv(t)
	e.ready(t)
	ctx := context.Background()
	officer := pledge.Officer{Agency: agency, ID: "officer-7"}
	other := applicant
	other.Name, other.IDNumber = "李四", "110101198001071235"

	var mine, theirs []string // newest first
	for i := range 7 {
		e.clk.Advance(time.Second)
		who, into := applicant, &mine
		if i%3 == 2 {
			who, into = other, &theirs
		}
		r, _, err := e.svc.SignWithEventCertificate(ctx, who, e.request(fmt.Sprintf("list-%04d", i)))
		if err != nil {
			t.Fatal(err)
		}
		*into = append([]string{r.ID}, *into...)
	}
	mineAll := func(a pledge.Applicant, limit int) []string {
		return listIDs(t, func(q pledge.ListQuery) (pledge.Page, error) { return e.svc.ListMine(ctx, a, q) }, limit)
	}
	queue := func(o pledge.Officer, st pledge.Status) []string {
		return listIDs(t, func(q pledge.ListQuery) (pledge.Page, error) { return e.svc.ListForAgency(ctx, o, st, q) }, 2)
	}
	for _, limit := range []int{0, 1, 2, 100} {
		if got := mineAll(applicant, limit); !slices.Equal(got, mine) {
			t.Fatalf("limit %d: mine %v, want %v", limit, got, mine)
		}
	}
	if got := mineAll(other, 2); !slices.Equal(got, theirs) {
		t.Fatalf("theirs %v, want %v", got, theirs)
	}
	all := append(slices.Clone(mine), theirs...)
	got := queue(officer, "")
	if len(got) != len(all) || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(all))) {
		t.Fatalf("queue %v, want %v", got, all)
	}

	e.clk.Advance(time.Second)
	if _, err := e.svc.Accept(ctx, officer, mine[0], "京民登字〔2026〕9号", "2026-03-02"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Withdraw(ctx, applicant, mine[1], "改走普通程序"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Return(ctx, officer, theirs[0], "材料不齐"); err != nil {
		t.Fatal(err)
	}
	wantQ := map[pledge.Status][]string{
		pledge.StatusAccepted:  {mine[0]},
		pledge.StatusWithdrawn: {mine[1]},
		pledge.StatusReturned:  {theirs[0]},
		pledge.StatusFalse:     nil,
	}
	for st, ids := range wantQ {
		if got := queue(officer, st); !slices.Equal(got, ids) {
			t.Errorf("%s: %v, want %v", st, got, ids)
		}
	}
	if got := queue(officer, pledge.StatusSigned); len(got) != len(all)-3 || slices.Contains(got, mine[0]) || slices.Contains(got, mine[1]) || slices.Contains(got, theirs[0]) {
		t.Fatalf("awaiting decision after moves: %v", got)
	}
	// The applicant still sees every own pledge, with its status now.
	p, err := e.svc.ListMine(ctx, applicant, pledge.ListQuery{})
	if err != nil || len(p.Records) != len(mine) || p.Records[0].Status != pledge.StatusAccepted || p.Records[0].Decision == nil ||
		p.Records[1].Status != pledge.StatusWithdrawn {
		t.Fatalf("mine after moves: %v %+v", err, p)
	}
	// Another agency sees nothing of this one's.
	for _, st := range pledge.AllStatuses() {
		if got := queue(pledge.Officer{Agency: "AG-OTHER", ID: "x"}, st); len(got) != 0 {
			t.Fatalf("another agency sees %s %v", st, got)
		}
	}

	_, err = e.svc.ListForAgency(ctx, officer, "DECIDED", pledge.ListQuery{})
	wantErr(t, err, apperr.Malformed, "FIELD_INVALID")
	_, err = e.svc.ListForAgency(ctx, officer, "", pledge.ListQuery{Limit: pledge.MaxPageSize + 1})
	wantErr(t, err, apperr.Malformed, "FIELD_INVALID")
	_, err = e.svc.ListForAgency(ctx, pledge.Officer{}, "", pledge.ListQuery{})
	wantErr(t, err, apperr.Forbidden, "OUT_OF_SCOPE")
	_, err = e.svc.ListMine(ctx, applicant, pledge.ListQuery{Cursor: "not-a-cursor"})
	wantErr(t, err, apperr.Malformed, "CURSOR_INVALID")
	_, err = e.svc.ListMine(ctx, pledge.Applicant{}, pledge.ListQuery{})
	if err == nil {
		t.Fatal("an empty identity was listed")
	}
}

// TestListingsRedisDown: listings fail closed.
func TestListingsRedisDown(t *testing.T) {
	srv := testredis.Start(t)
	e := newEnv(t, srv.Addr)
	srv.Kill()
	ctx := context.Background()
	_, err := e.svc.ListMine(ctx, applicant, pledge.ListQuery{})
	wantErr(t, err, apperr.Unavailable, "TRY_LATER")
	_, err = e.svc.ListForAgency(ctx, pledge.Officer{Agency: agency, ID: "o"}, "", pledge.ListQuery{})
	wantErr(t, err, apperr.Unavailable, "TRY_LATER")
}
