package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// plT0 is the fake "now" of the pledge repository tests.
var plT0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// plRepos are the pledge-domain repositories over one store.
type plRepos struct {
	st  *Store
	pii *pii.Protector
	cat *CatalogueRepo
	not *NoticeRepo
	bar *BarRepo
	pl  *PledgeRepo
}

func newPlRepos(t *testing.T, opts Options) plRepos {
	t.Helper()
	opts.Prefix = testredis.Prefix(t)
	if opts.Timeout == 0 {
		opts.Timeout = time.Second
	}
	st, err := New(opts, clock.NewFake(plT0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	enc, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	p, err := pii.New(enc, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return plRepos{st: st, pii: p, cat: NewCatalogueRepo(st), not: NewNoticeRepo(st), bar: NewBarRepo(st), pl: testPledgeRepo(st, p)}
}

// testPledgeRepo is the pledge repository as the domain builds it: the
// disclosure and withdrawal policies come from the catalogue in st.
func testPledgeRepo(st *Store, p *pii.Protector) *PledgeRepo {
	return NewPledgeRepo(st, p, pledge.NewCatalogue(NewCatalogueRepo(st), st.clock))
}

func plSingle(t *testing.T) plRepos {
	return newPlRepos(t, Options{Addrs: []string{testredis.Addr(t)}})
}

func plCluster(t *testing.T) plRepos {
	return newPlRepos(t, Options{Addrs: testredis.ClusterAddrs(t), Cluster: true})
}

func TestPledgeReposSingleNode(t *testing.T) { plConformance(t, plSingle) }

func TestPledgeReposCluster(t *testing.T) { plConformance(t, plCluster) }

func plEntry(cert string, from time.Time) pledge.Entry {
	return pledge.Entry{EntryKey: pledge.EntryKey{Region: "110000", Matter: "M-1", Certificate: cert}, EffectiveFrom: from,
		Modes: []pledge.Mode{pledge.ModeWrittenPledge}, PledgeEligible: true, Owner: "AG-1"}
}

const plName, plID = "王小明", "110101199001061234"

func plRecord(id string) pledge.Record {
	doc := []byte(`{"applicant":{"idNumber":"` + plID + `","name":"` + plName + `"},"pledgeId":"` + id + `"}`)
	return pledge.Record{ID: id, Status: pledge.StatusSigned, Document: doc, Applicant: "subject-index", Agency: "AG-1",
		Way: pledge.WayEventCertificate, ApplicantCMS: []byte("CMS with a certificate for " + plName), Certificates: [][]byte{[]byte("cert " + plID)},
		Fingerprint: "fp", CreatedAt: plT0,
		Events: []pledge.Event{{To: pledge.StatusSigned, At: plT0, Actor: "applicant"}}}
}

func plConformance(t *testing.T, mk func(*testing.T) plRepos) {
	ctx := context.Background()

	t.Run("catalogue versions are appended atomically", func(t *testing.T) {
		r := mk(t)
		e1, err := r.cat.AppendEntry(ctx, plEntry("C-1", plT0), 0)
		if err != nil || e1.Version != 1 {
			t.Fatalf("v1: %v %d", err, e1.Version)
		}
		_, err = r.cat.AppendEntry(ctx, plEntry("C-1", plT0), 0)
		if apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("stale append: %v", err)
		}
		if _, err := r.cat.AppendEntry(ctx, plEntry("C-1", plT0.Add(time.Hour)), 1); err != nil {
			t.Fatal(err)
		}
		if _, err := r.cat.AppendEntry(ctx, plEntry("C-2", plT0), 0); err != nil {
			t.Fatal(err)
		}
		vs, err := r.cat.EntryVersions(ctx, plEntry("C-1", plT0).EntryKey)
		if err != nil || len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 {
			t.Fatalf("versions %v %+v", err, vs)
		}
		all, err := r.cat.MatterEntries(ctx, "110000", "M-1")
		if err != nil || len(all) != 3 {
			t.Fatalf("matter entries %v %d", err, len(all))
		}
		none, err := r.cat.MatterEntries(ctx, "110000", "M-NONE")
		if err != nil || len(none) != 0 {
			t.Fatalf("unknown matter %v %d", err, len(none))
		}
		// Concurrent editors with the same view: exactly one wins.
		var wg sync.WaitGroup
		wins := make(chan int, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := r.cat.AppendEntry(ctx, plEntry("C-2", plT0), 1); err == nil {
					wins <- 1
				}
			}()
		}
		wg.Wait()
		close(wins)
		if len(wins) != 1 {
			t.Fatalf("%d concurrent appends won", len(wins))
		}
	})

	t.Run("notices are immutable and sequential", func(t *testing.T) {
		r := mk(t)
		mkNotice := func(v int, text string) pledge.PublishedNotice {
			n := pledge.Notice{Format: pledge.NoticeFormat, ID: "N-1", Version: v, Agency: "AG-1", Liability: pledge.Text{Zh: text}}
			c, err := n.Canonical()
			if err != nil {
				t.Fatal(err)
			}
			return pledge.PublishedNotice{Notice: n, Canonical: c, Seal: []byte{0x30, 0}}
		}
		if err := r.not.PutNotice(ctx, mkNotice(2, "a")); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("version 2 first: %v", err)
		}
		if err := r.not.PutNotice(ctx, mkNotice(1, "a")); err != nil {
			t.Fatal(err)
		}
		if err := r.not.PutNotice(ctx, mkNotice(1, "changed")); apperr.KindOf(err) != apperr.Conflict {
			t.Fatalf("overwrite: %v", err)
		}
		if err := r.not.PutNotice(ctx, mkNotice(2, "b")); err != nil {
			t.Fatal(err)
		}
		latest, err := r.not.GetNotice(ctx, "N-1", 0)
		if err != nil || latest.Notice.Version != 2 || latest.Notice.Liability.Zh != "b" {
			t.Fatalf("latest %v %+v", err, latest.Notice)
		}
		v1, err := r.not.GetNotice(ctx, "N-1", 1)
		if err != nil || v1.Notice.Liability.Zh != "a" || v1.Digest != pki.Digest(mkNotice(1, "a").Canonical) {
			t.Fatalf("v1 %v %+v", err, v1.Notice)
		}
		if _, err := r.not.GetNotice(ctx, "N-1", 3); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("missing version: %v", err)
		}
		if _, err := r.not.GetNotice(ctx, "N-NONE", 0); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("missing notice: %v", err)
		}
	})

	t.Run("bars are kept per subject index", func(t *testing.T) {
		r := mk(t)
		b := pledge.Bar{ID: "B1", Subject: "abc123", Reason: pledge.BarSeriousBadCredit, ScopeKind: pledge.ScopeAll,
			Start: plT0, End: plT0.AddDate(1, 0, 0), EndRule: pledge.Text{Zh: "修复后解除"}, Source: "credit"}
		if err := r.bar.PutBar(ctx, b); err != nil {
			t.Fatal(err)
		}
		b.Repaired, b.RepairedAt = true, plT0.Add(time.Hour)
		if err := r.bar.PutBar(ctx, b); err != nil {
			t.Fatal(err)
		}
		bad := b
		bad.Reason = "GOSSIP"
		if err := r.bar.PutBar(ctx, bad); apperr.KindOf(err) != apperr.Malformed {
			t.Fatalf("invalid bar stored: %v", err)
		}
		got, err := r.bar.BarsFor(ctx, "abc123")
		if err != nil || len(got) != 1 || !got[0].Repaired {
			t.Fatalf("bars %v %+v", err, got)
		}
		none, err := r.bar.BarsFor(ctx, "nobody")
		if err != nil || len(none) != 0 {
			t.Fatalf("no bars: %v %v", err, none)
		}
	})

	t.Run("pledge documents are encrypted at rest", func(t *testing.T) {
		r := mk(t)
		rec := plRecord("P1")
		stored, created, err := r.pl.CreatePledge(ctx, rec)
		if err != nil || !created || !bytes.Equal(stored.Document, rec.Document) {
			t.Fatalf("create: %v %v", err, created)
		}
		// The record handed back on creation is the record read back.
		read, err := r.pl.GetPledge(ctx, "P1")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(normalisedRecord(stored), normalisedRecord(read)) {
			t.Fatalf("created %+v, read back %+v", stored, read)
		}
		raw, err := r.st.rdb.HGetAll(ctx, r.pl.recordKey("P1")).Result()
		if err != nil || len(raw) == 0 {
			t.Fatal(err)
		}
		for field, v := range raw {
			if bytes.Contains([]byte(v), []byte(plID)) || bytes.Contains([]byte(v), []byte(plName)) {
				t.Fatalf("field %s holds personal data in the clear", field)
			}
		}
		// A sealed document moved to another pledge does not open.
		other := plRecord("P2")
		if _, _, err := r.pl.CreatePledge(ctx, other); err != nil {
			t.Fatal(err)
		}
		if err := r.st.rdb.HSet(ctx, r.pl.recordKey("P2"), "doc", raw["doc"]).Err(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.pl.GetPledge(ctx, "P2"); err == nil {
			t.Fatal("a document moved between pledges opened")
		}
		// Creation is idempotent: the first record stays.
		dup := plRecord("P1")
		dup.Way = pledge.WayOwnCertificate
		again, created, err := r.pl.CreatePledge(ctx, dup)
		if err != nil || created || again.Way != pledge.WayEventCertificate {
			t.Fatalf("repeat create: %v %v %s", err, created, again.Way)
		}
		if _, err := r.pl.GetPledge(ctx, "P-NONE"); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("missing pledge: %v", err)
		}
	})

	t.Run("drafts are set once, encrypted, and expire", func(t *testing.T) {
		r := mk(t)
		d := pledge.Draft{ID: "P9", Document: []byte(`{"name":"` + plName + `"}`), Applicant: "s", Fingerprint: "f1"}
		got, err := r.pl.PutDraft(ctx, d, 300*time.Millisecond)
		if err != nil || got.Fingerprint != "f1" || !bytes.Equal(got.Document, d.Document) {
			t.Fatalf("put draft: %v %+v", err, got)
		}
		d2 := d
		d2.Fingerprint = "f2"
		got, err = r.pl.PutDraft(ctx, d2, time.Minute)
		if err != nil || got.Fingerprint != "f1" {
			t.Fatalf("second draft replaced the first: %v %+v", err, got)
		}
		raw, err := r.st.rdb.Get(ctx, r.pl.draftKey("P9")).Result()
		if err != nil || bytes.Contains([]byte(raw), []byte(plName)) {
			t.Fatalf("draft in the clear or missing: %v", err)
		}
		// Expiry is Redis's (PX); poll rather than assert a timing.
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, err := r.pl.GetDraft(ctx, "P9")
			if apperr.KindOf(err) == apperr.NotFound {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("draft never expired: %v", err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})

	t.Run("workflow states answer status lookups", func(t *testing.T) {
		r := mk(t)
		a := plRecord("P4")
		a.Events[0].At = plT0.Add(-2 * time.Hour)
		w := plRecord("P5")
		for _, rec := range []pledge.Record{a, w} {
			if _, _, err := r.pl.CreatePledge(ctx, rec); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := r.pl.Transition(ctx, "P4", pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
			Event: pledge.Event{To: pledge.StatusAccepted, At: plT0.Add(-time.Hour), Actor: "o", DocumentNo: "D7"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := r.pl.Transition(ctx, "P5", pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
			Event: pledge.Event{To: pledge.StatusWithdrawn, At: plT0, Actor: "applicant", Reason: "r"}}); err != nil {
			t.Fatal(err)
		}
		subs := []status.Subject{{Kind: status.KindPledge, ID: "P4"}, {Kind: status.KindPledge, ID: "P5"},
			{Kind: status.KindPledge, ID: "P-NONE"}, {Kind: status.KindSeal, ID: "P4"}}
		ans, err := r.pl.Lookup(ctx, plT0.Add(-90*time.Minute), subs)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct{ at, now status.Code }{
			{PledgeCodeSigned, status.Active}, {status.Unknown, status.Withdrawn}, {status.Unknown, status.Unknown}, {status.Unknown, status.Unknown},
		}
		for i, w := range want {
			got := ans.Results[i]
			if got.At.Code != w.at || got.Now.Code != w.now {
				t.Errorf("subject %d: at %s now %s, want %s / %s", i, got.At.Code, got.Now.Code, w.at, w.now)
			}
		}
		if ans.Results[0].Now.DocumentNo != "D7" || !ans.ReadAt.Equal(plT0) {
			t.Fatalf("decision not carried: %+v", ans.Results[0].Now)
		}
	})

	t.Run("listings follow every change", func(t *testing.T) { plListings(t, mk(t)) })

	t.Run("transitions are atomic and checked", func(t *testing.T) {
		r := mk(t)
		if _, _, err := r.pl.CreatePledge(ctx, plRecord("P3")); err != nil {
			t.Fatal(err)
		}
		accept := pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
			Event:    pledge.Event{To: pledge.StatusAccepted, At: plT0, Actor: "o", DocumentNo: "D1"},
			Decision: &pledge.Decision{DocumentNo: "D1", Date: "2026-03-02", AgencySES: []byte{0x30, 0}}}
		withdraw := pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
			Event: pledge.Event{To: pledge.StatusWithdrawn, At: plT0, Actor: "applicant", Reason: "r"}}
		var wg sync.WaitGroup
		results := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tr := accept
				if i%2 == 1 {
					tr = withdraw
				}
				_, err := r.pl.Transition(ctx, "P3", tr)
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		wins := 0
		for err := range results {
			switch {
			case err == nil:
				wins++
			case apperr.KindOf(err) != apperr.Conflict:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d transitions won", wins)
		}
		got, err := r.pl.GetPledge(ctx, "P3")
		if err != nil || len(got.Events) != 2 || (got.Status == pledge.StatusAccepted) != (got.Decision != nil) {
			t.Fatalf("after race: %v %+v", err, got)
		}
		// The agency's indexes moved with the winner, and only with it.
		for _, st := range pledge.AllStatuses() {
			p, err := r.pl.ListByAgency(ctx, "AG-1", st, "", 10)
			if err != nil {
				t.Fatal(err)
			}
			n, _ := r.st.rdb.ZCard(ctx, r.pl.agencyIndexKey(pledgeShard("P3"), "AG-1", st)).Result()
			want := 0
			if st == got.Status {
				want = 1
			}
			if len(p.Records) != want || int(n) != want {
				t.Fatalf("after race, %s lists %d (index %d), want %d", st, len(p.Records), n, want)
			}
		}
		if _, err := r.pl.Transition(ctx, "P-NONE", withdraw); apperr.KindOf(err) != apperr.NotFound {
			t.Fatalf("transition of a missing pledge: %v", err)
		}
	})
}

// plListed is the IDs of a page.
func plListed(p pledge.Page) []string {
	ids := []string{}
	for _, r := range p.Records {
		ids = append(ids, r.ID)
	}
	return ids
}

// plListings: indexes per applicant and per agency and status move with
// each change, across shards, with exact cursors.
func plListings(t *testing.T, r plRepos) {
	ctx := context.Background()
	// 40 pledges (spread over the shards): applicant A at agency AG-1
	// (one per second), applicant B at AG-1 and AG-2.
	mkRec := func(i int, subject, agency string) pledge.Record {
		rec := plRecord(fmt.Sprintf("P%03d", i))
		rec.Applicant, rec.Agency = subject, agency
		rec.CreatedAt = plT0.Add(time.Duration(i) * time.Second)
		rec.Events[0].At = rec.CreatedAt
		return rec
	}
	var aIDs []string // newest first
	for i := range 40 {
		subject, agency := "A", "AG-1"
		switch {
		case i%4 == 1:
			subject = "B"
		case i%4 == 3:
			subject, agency = "B", "AG-2"
		}
		if _, _, err := r.pl.CreatePledge(ctx, mkRec(i, subject, agency)); err != nil {
			t.Fatal(err)
		}
		if subject == "A" {
			aIDs = append([]string{fmt.Sprintf("P%03d", i)}, aIDs...)
		}
	}
	shards := map[int]bool{}
	for _, id := range aIDs {
		shards[pledgeShard(id)] = true
	}
	if len(shards) < 4 {
		t.Fatalf("test pledges fall in only %d shards", len(shards))
	}
	// The same record created twice is indexed once.
	if _, created, err := r.pl.CreatePledge(ctx, mkRec(0, "A", "AG-1")); err != nil || created {
		t.Fatalf("repeat: %v %v", err, created)
	}

	pageAll := func(list func(cursor string) (pledge.Page, error)) []string {
		t.Helper()
		var all []string
		cursor := ""
		for range 50 {
			p, err := list(cursor)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, plListed(p)...)
			if p.Next == "" {
				return all
			}
			cursor = p.Next
		}
		t.Fatal("pagination never ends")
		return nil
	}

	for _, limit := range []int{1, 3, 7, 20, 100} {
		got := pageAll(func(c string) (pledge.Page, error) { return r.pl.ListByApplicant(ctx, "A", c, limit) })
		if !slices.Equal(got, aIDs) {
			t.Fatalf("limit %d: applicant A listed %v, want %v", limit, got, aIDs)
		}
	}
	if p, err := r.pl.ListByApplicant(ctx, "A", "", 7); err != nil || len(p.Records) != 7 || p.Next == "" || p.Records[0].ID != "P038" ||
		!bytes.Equal(p.Records[0].Document, mkRec(38, "A", "AG-1").Document) || p.Records[0].Status != pledge.StatusSigned {
		t.Fatalf("first page: %v %v next=%q", err, plListed(p), p.Next)
	}
	if p, err := r.pl.ListByApplicant(ctx, "nobody", "", 20); err != nil || len(p.Records) != 0 || p.Next != "" {
		t.Fatalf("unknown applicant: %v %+v", err, p)
	}

	agencyList := func(agency string, st pledge.Status) []string {
		return pageAll(func(c string) (pledge.Page, error) { return r.pl.ListByAgency(ctx, agency, st, c, 6) })
	}
	if got := agencyList("AG-1", pledge.StatusSigned); len(got) != 30 {
		t.Fatalf("AG-1 signed: %d", len(got))
	}
	if p, err := r.pl.ListByApplicant(ctx, "A", "", 20); err != nil || len(p.Records) != 20 || p.Next != "" {
		t.Fatalf("exactly one full page: %v %d next=%q", err, len(p.Records), p.Next)
	}
	if got := agencyList("AG-2", pledge.StatusSigned); len(got) != 10 || got[0] != "P039" {
		t.Fatalf("AG-2 signed: %v", got)
	}

	move := func(id string, to pledge.Status, at time.Time) {
		t.Helper()
		tr := pledge.Transition{From: pledge.Sources(to), Event: pledge.Event{To: to, At: at, Actor: "x", Reason: "r"}}
		if to == pledge.StatusAccepted {
			tr.Decision = &pledge.Decision{DocumentNo: "D", Date: "2026-03-02", DecidedAt: at}
		}
		if _, err := r.pl.Transition(ctx, id, tr); err != nil {
			t.Fatalf("%s → %s: %v", id, to, err)
		}
	}
	later := plT0.Add(time.Hour)
	move("P000", pledge.StatusAccepted, later)
	move("P004", pledge.StatusWithdrawn, later.Add(time.Second))
	move("P008", pledge.StatusReturned, later.Add(2*time.Second))
	move("P012", pledge.StatusAccepted, later.Add(3*time.Second))
	move("P012", pledge.StatusFalse, later.Add(4*time.Second))
	move("P003", pledge.StatusAccepted, later.Add(5*time.Second)) // AG-2

	want := map[pledge.Status][]string{
		pledge.StatusAccepted:  {"P000"},
		pledge.StatusWithdrawn: {"P004"},
		pledge.StatusReturned:  {"P008"},
		pledge.StatusFalse:     {"P012"},
		pledge.StatusRevoked:   {},
	}
	for st, ids := range want {
		if got := agencyList("AG-1", st); !slices.Equal(got, ids) {
			t.Errorf("AG-1 %s: %v, want %v", st, got, ids)
		}
	}
	signed := agencyList("AG-1", pledge.StatusSigned)
	if len(signed) != 26 || slices.ContainsFunc(signed, func(id string) bool { return slices.Contains([]string{"P000", "P004", "P008", "P012", "P003"}, id) }) {
		t.Fatalf("AG-1 signed after moves: %v", signed)
	}
	// Another agency never sees AG-1's pledges, and AG-1 not AG-2's.
	if got := agencyList("AG-2", pledge.StatusAccepted); !slices.Equal(got, []string{"P003"}) {
		t.Fatalf("AG-2 accepted: %v", got)
	}
	if got := agencyList("AG-2", pledge.StatusSigned); len(got) != 9 || slices.Contains(got, "P001") {
		t.Fatalf("AG-2 signed: %v", got)
	}
	// The applicant keeps every pledge whatever its status, in signing order.
	if got := pageAll(func(c string) (pledge.Page, error) { return r.pl.ListByApplicant(ctx, "A", c, 5) }); !slices.Equal(got, aIDs) {
		t.Fatalf("applicant after moves: %v", got)
	}
	// Every index entry has its record and every record one agency entry.
	var members int64
	for sh := range PledgeShards {
		for _, st := range pledge.AllStatuses() {
			for _, ag := range []string{"AG-1", "AG-2"} {
				n, err := r.st.rdb.ZCard(ctx, r.pl.agencyIndexKey(sh, ag, st)).Result()
				if err != nil {
					t.Fatal(err)
				}
				members += n
			}
		}
	}
	if members != 40 {
		t.Fatalf("%d agency index entries for 40 pledges", members)
	}

	for name, cursor := range map[string]string{
		"not base64":  "!!",
		"not ours":    encodeCursor("hello"),
		"short time":  encodeCursor("123:P1"),
		"bad id":      encodeCursor("00000000000000000001:P 1"),
		"long":        strings.Repeat("A", 300),
		"empty id":    encodeCursor("00000000000000000001:"),
		"signed time": encodeCursor("-0000000000000000001:P1"),
	} {
		if _, err := r.pl.ListByApplicant(ctx, "A", cursor, 5); apperr.KindOf(err) != apperr.Malformed {
			t.Errorf("cursor %s: %v", name, err)
		}
	}
	for _, limit := range []int{0, -1, 101} {
		if _, err := r.pl.ListByAgency(ctx, "AG-1", pledge.StatusSigned, "", limit); apperr.KindOf(err) != apperr.Malformed {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
}

// FuzzDecodeCursor: cursors come from clients; decoding never panics and
// what it accepts re-encodes to the same cursor.
func FuzzDecodeCursor(f *testing.F) {
	for _, s := range []string{"", "!!", encodeCursor(indexMember(plT0, "P0123")), encodeCursor("00000000000000000001:"), "AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, c string) {
		m, err := decodeCursor(c)
		if err != nil {
			if apperr.KindOf(err) != apperr.Malformed {
				t.Fatalf("error kind %v", err)
			}
			return
		}
		if c != "" && encodeCursor(m) != c {
			t.Fatalf("cursor %q decodes to %q which encodes differently", c, m)
		}
	})
}

// TestPledgeReposFailClosed: with Redis gone every call is Unavailable.
func TestPledgeReposFailClosed(t *testing.T) {
	srv := testredis.Start(t)
	r := newPlRepos(t, Options{Addrs: []string{srv.Addr}, Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	if _, _, err := r.pl.CreatePledge(ctx, plRecord("P1")); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	calls := map[string]func() error{
		"get pledge":   func() error { _, err := r.pl.GetPledge(ctx, "P1"); return err },
		"list mine":    func() error { _, err := r.pl.ListByApplicant(ctx, "subject-index", "", 10); return err },
		"list agency":  func() error { _, err := r.pl.ListByAgency(ctx, "AG-1", pledge.StatusSigned, "", 10); return err },
		"create":       func() error { _, _, err := r.pl.CreatePledge(ctx, plRecord("P2")); return err },
		"transition":   func() error { _, err := r.pl.Transition(ctx, "P1", pledge.Transition{}); return err },
		"draft":        func() error { _, err := r.pl.GetDraft(ctx, "P1"); return err },
		"bars":         func() error { _, err := r.bar.BarsFor(ctx, "s"); return err },
		"catalogue":    func() error { _, err := r.cat.MatterEntries(ctx, "1", "2"); return err },
		"append entry": func() error { _, err := r.cat.AppendEntry(ctx, plEntry("C", plT0), 0); return err },
		"notice":       func() error { _, err := r.not.GetNotice(ctx, "N", 0); return err },
		"lookup": func() error {
			_, err := r.pl.Lookup(ctx, plT0, []status.Subject{{Kind: status.KindPledge, ID: "P1"}})
			return err
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			if err := call(); apperr.KindOf(err) != apperr.Unavailable {
				t.Fatalf("got %v, want Unavailable", err)
			}
		})
	}
	// Durable across the crash (AOF, fsync always).
	srv.Restart(t)
	if _, err := r.pl.GetPledge(ctx, "P1"); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// BenchmarkPledgeListing: one page of an agency queue and of an applicant's
// pledges over 2000 pledges in the 16 shards (single node). Run with
// PLEDGESEAL_TEST_REDIS_ADDR set: go test -run - -bench PledgeListing ./internal/store/
func BenchmarkPledgeListing(b *testing.B) {
	st, err := New(Options{Addrs: []string{testredis.Addr(b)}, Prefix: testredis.Prefix(b), Timeout: 2 * time.Second}, clock.NewFake(plT0))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = st.Close() }()
	enc, _ := hex.DecodeString("00112233445566778899aabbccddeeff")
	p, err := pii.New(enc, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		b.Fatal(err)
	}
	repo := testPledgeRepo(st, p)
	ctx := context.Background()
	for i := range 2000 {
		rec := plRecord(fmt.Sprintf("P%05d", i))
		rec.Applicant = fmt.Sprintf("S%03d", i%100) // 20 pledges per applicant
		rec.CreatedAt = plT0.Add(time.Duration(i) * time.Second)
		rec.Events[0].At = rec.CreatedAt
		if _, _, err := repo.CreatePledge(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
	for _, limit := range []int{20, 100} {
		b.Run(fmt.Sprintf("agency/limit=%d", limit), func(b *testing.B) {
			for b.Loop() {
				if pg, err := repo.ListByAgency(ctx, "AG-1", pledge.StatusSigned, "", limit); err != nil || len(pg.Records) != limit {
					b.Fatal(err, len(pg.Records))
				}
			}
		})
	}
	b.Run("applicant/limit=20", func(b *testing.B) {
		for b.Loop() {
			if pg, err := repo.ListByApplicant(ctx, "S007", "", 20); err != nil || len(pg.Records) != 20 {
				b.Fatal(err, len(pg.Records))
			}
		}
	})
}

// normalisedRecord puts a record's times in UTC, so records compare by
// their instants, not by the Location a decoder chose.
func normalisedRecord(r pledge.Record) pledge.Record {
	r.CreatedAt = r.CreatedAt.UTC()
	ev := make([]pledge.Event, len(r.Events))
	for i, e := range r.Events {
		e.At = e.At.UTC()
		ev[i] = e
	}
	r.Events = ev
	return r
}
