package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
	"github.com/pledgeseal/pledgeseal/internal/notify"
	"github.com/pledgeseal/pledgeseal/internal/pii"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// enforceProtector is the personal-data protector of the enforcement
// routes' pledge repository (fixed keys, so tests can seed pledges).
func enforceProtector(t *testing.T) *pii.Protector {
	t.Helper()
	p, err := pii.New(bytes.Repeat([]byte{5}, 16), bytes.Repeat([]byte{6}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// newEnforceAPI builds the enforcement and webhook services over st.
func newEnforceAPI(t *testing.T, st *store.Store, clk clock.Clock) (EnforceService, WebhookService) {
	t.Helper()
	reg, cat := store.NewRegistry(st), pledge.NewCatalogue(store.NewCatalogueRepo(st), clk)
	svc, err := enforce.New(enforce.Deps{Registry: reg, Pledges: store.NewPledgeRepo(st, enforceProtector(t), cat), Clock: clk,
		Tasks: store.NewTaskRepo(st), Policies: cat})
	if err != nil {
		t.Fatal(err)
	}
	hooks := notify.New(store.NewNotifications(st), enforceProtector(t), clk, &http.Client{Timeout: 5 * time.Second}, nil,
		notify.Options{AllowHTTP: true, MaxAttempts: 2, BaseBackoff: time.Minute, Allow: []string{"127.0.0.0/8"},
			Owners: store.NewPledgeRepo(st, enforceProtector(t), cat)})
	return svc, hooks
}

// seedDecided stores a decided pledge of the harness agency in the harness
// jurisdiction.
func seedDecided(t *testing.T, h *harness, id string) pledge.Record {
	t.Helper()
	now := h.clock.Now()
	rec := pledge.Record{ID: id, Status: pledge.StatusAccepted, Document: []byte(`{"id":"` + id + `"}`), Digest: sm3.Sum([]byte(id)),
		Applicant: "subj-" + id, Agency: testAgency, Entry: pledge.EntryKey{Region: testJurisdiction, Matter: "M-0001", Certificate: "C-1"},
		Way: pledge.WayEventCertificate, CreatedAt: now, Events: []pledge.Event{{To: pledge.StatusAccepted, At: now, Actor: "agency"}},
		Decision: &pledge.Decision{DocumentNo: "朝市监许〔2026〕1号", Date: now.Format(enforce.DateLayout), Officer: "o", DecidedAt: now}}
	if _, _, err := store.NewPledgeRepo(h.store, enforceProtector(t), pledge.NewCatalogue(store.NewCatalogueRepo(h.store), h.clock)).CreatePledge(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestEnforcementRoutes(t *testing.T) {
	h := newHarness(t)
	rec := seedDecided(t, h, "PL-HTTP-1")
	ev := strings.Repeat("cd", 32)
	finding := map[string]any{"pledgeId": rec.ID, "outcome": "FALSE_CONFIRMED", "documentNo": "朝市监核〔2026〕3号",
		"evidence": []string{ev}, "inspector": "INS-1"}
	cases := []struct {
		name         string
		method, path string
		role         auth.Role
		body         any
		want         int
	}{
		{"400/unknown field", http.MethodPost, "/v1/enforcement/findings", auth.RoleEnforcement, `{"pledgeId":"x","bogus":1}`, 400},
		{"400/no evidence", http.MethodPost, "/v1/enforcement/findings", auth.RoleEnforcement,
			map[string]any{"pledgeId": rec.ID, "outcome": "FALSE_CONFIRMED", "documentNo": "d1", "inspector": "I"}, 400},
		{"403/agency may not record", http.MethodPost, "/v1/enforcement/findings", auth.RoleAgency, finding, 403},
		{"404/no pledge", http.MethodPost, "/v1/enforcement/findings", auth.RoleEnforcement,
			map[string]any{"pledgeId": "PL-NONE", "outcome": "VERIFIED_OK", "documentNo": "d1", "inspector": "I"}, 404},
		{"201/false confirmed", http.MethodPost, "/v1/enforcement/findings", auth.RoleEnforcement, finding, 201},
		{"409/again", http.MethodPost, "/v1/enforcement/findings", auth.RoleEnforcement, finding, 409},
		{"200/agency reads its pledge's findings", http.MethodGet, "/v1/enforcement/findings?pledgeId=" + rec.ID, auth.RoleAgency, nil, 200},
		{"403/applicant", http.MethodGet, "/v1/enforcement/findings?pledgeId=" + rec.ID, auth.RoleApplicant, nil, 403},
		{"400/no pledge id", http.MethodGet, "/v1/enforcement/findings", auth.RoleAdmin, nil, 400},
		{"200/tasks", http.MethodGet, "/v1/enforcement/tasks?overdue=true&status=OPEN", auth.RoleEnforcement, nil, 200},
		{"400/tasks bad overdue", http.MethodGet, "/v1/enforcement/tasks?overdue=maybe", auth.RoleEnforcement, nil, 400},
	}
	for _, c := range cases {
		if rec := h.do(c.method, c.path, c.role, c.body); rec.Code != c.want {
			t.Errorf("%s: got %d %s", c.name, rec.Code, rec.Body)
		}
	}
	// The public list shows the false pledge.
	if r := h.do(http.MethodGet, "/v1/enforcement/false-pledges", auth.RolePublic, nil); r.Code != 200 || !strings.Contains(r.Body.String(), rec.ID) {
		t.Fatalf("public list %d %s", r.Code, r.Body)
	}
	if r := h.do(http.MethodGet, "/v1/enforcement/false-pledges?limit=0", auth.RolePublic, nil); r.Code != 400 {
		t.Fatalf("bad limit %d", r.Code)
	}
	// The consequence is visible through the public registry route.
	st := h.do(http.MethodGet, "/v1/revocations?kind=pledge&id="+rec.ID, auth.RolePublic, nil)
	if st.Code != 200 || !strings.Contains(st.Body.String(), `"FALSE"`) {
		t.Fatalf("registry after the finding: %d %s", st.Code, st.Body)
	}
	fs := decode[struct {
		Findings []enforce.Finding `json:"findings"`
	}](t, h.do(http.MethodGet, "/v1/enforcement/findings?pledgeId="+rec.ID, auth.RoleEnforcement, nil))
	if len(fs.Findings) != 1 || fs.Findings[0].BarID == "" {
		t.Fatalf("findings %+v", fs)
	}
	rv := h.do(http.MethodPost, "/v1/enforcement/findings/"+fs.Findings[0].ID+"/reversal", auth.RoleAdmin,
		map[string]string{"reason": "APPEAL_UPHELD", "documentNo": "朝复〔2026〕2号"})
	if rv.Code != 201 || decode[enforce.Finding](t, rv).Outcome != enforce.AppealReversed {
		t.Fatalf("reversal %d %s", rv.Code, rv.Body)
	}
	st = h.do(http.MethodGet, "/v1/revocations?kind=pledge&id="+rec.ID, auth.RolePublic, nil)
	if !strings.Contains(st.Body.String(), `"now":{"code":"ACTIVE"`) {
		t.Fatalf("registry after the reversal: %s", st.Body)
	}

	// Draws: run (enforcement), read (public), recompute.
	// The population is the service's decided pledges (their tasks); the
	// caller may not supply one (issue 12: 200 nonexistent IDs were drawn).
	svc := h.srv.deps.Enforce.(*enforce.Service)
	for _, id := range []string{"PL-DRAW-1", "PL-DRAW-2", "PL-DRAW-3"} {
		if _, err := svc.CreateTask(context.Background(), seedDecided(t, h, id), pledge.PostCheckPolicy{TimeLimitDays: 30}); err != nil {
			t.Fatal(err)
		}
	}
	ghosts := make([]map[string]string, 200)
	for i := range ghosts {
		ghosts[i] = map[string]string{"pledgeId": fmt.Sprintf("GHOST-%03d", i), "tier": "A"}
	}
	if r := h.do(http.MethodPost, "/v1/enforcement/draws", auth.RoleEnforcement, map[string]any{"region": testJurisdiction,
		"matter": "M-0001", "ratioPermille": 500, "population": ghosts}); r.Code != 400 {
		t.Fatalf("a caller-supplied population: %d %s", r.Code, r.Body)
	}
	if r := h.do(http.MethodPost, "/v1/enforcement/draws", auth.RoleEnforcement, map[string]any{"region": testJurisdiction,
		"matter": "M-0001", "ratioPermille": 500, "tiers": map[string]string{"GHOST-000": "A"}}); r.Code != 400 {
		t.Fatalf("a tier for a nonexistent pledge: %d %s", r.Code, r.Body)
	}
	if r := h.doToken(http.MethodPost, "/v1/enforcement/draws", h.tokenFor(auth.RoleEnforcement, "310000"), map[string]any{"region": testJurisdiction,
		"matter": "M-0001", "ratioPermille": 500}); r.Code != 403 {
		t.Fatalf("another jurisdiction draws: %d %s", r.Code, r.Body)
	}
	draw := map[string]any{"region": testJurisdiction, "matter": "M-0001", "ratioPermille": 500, "floor": 1,
		"tiers": map[string]string{"PL-DRAW-1": "A", "PL-DRAW-3": "D"}}
	dr := h.do(http.MethodPost, "/v1/enforcement/draws", auth.RoleEnforcement, draw)
	if dr.Code != 201 {
		t.Fatalf("draw %d %s", dr.Code, dr.Body)
	}
	d := decode[enforce.Draw](t, dr)
	pub := h.do(http.MethodGet, "/v1/enforcement/draws/"+d.ID, auth.RolePublic, nil)
	if pub.Code != 200 {
		t.Fatalf("public draw %d %s", pub.Code, pub.Body)
	}
	again, err := enforce.Compute(decode[enforce.Draw](t, pub).Spec())
	if err != nil || len(again.Selection) != len(d.Result.Selection) || again.PopulationDigest != d.Result.PopulationDigest {
		t.Fatalf("recompute %+v %v", again, err)
	}
	if r := h.do(http.MethodPost, "/v1/enforcement/draws", auth.RoleAgency, draw); r.Code != 403 {
		t.Fatalf("agency draw %d", r.Code)
	}
	if r := h.do(http.MethodGet, "/v1/enforcement/draws/DNONE", auth.RolePublic, nil); r.Code != 404 {
		t.Fatalf("missing draw %d", r.Code)
	}
}

func TestWebhookRoutes(t *testing.T) {
	h := newHarness(t)
	var calls atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(rc.Close)
	cases := []struct {
		name string
		role auth.Role
		body any
		want int
	}{
		{"201/agency", auth.RoleAgency, map[string]string{"url": rc.URL, "secret": "0123456789abcdef0123"}, 201},
		{"400/short secret", auth.RoleAgency, map[string]string{"url": rc.URL, "secret": "short"}, 400},
		{"400/bad url", auth.RoleAgency, map[string]string{"url": "not a url", "secret": "0123456789abcdef0123"}, 400},
		{"400/unknown field", auth.RoleAgency, `{"url":"x","secret":"y","extra":1}`, 400},
		{"403/enforcement", auth.RoleEnforcement, map[string]string{"url": rc.URL, "secret": "0123456789abcdef0123"}, 403},
	}
	for _, c := range cases {
		if r := h.do(http.MethodPost, "/v1/webhooks", c.role, c.body); r.Code != c.want {
			t.Errorf("%s: %d %s", c.name, r.Code, r.Body)
		}
	}
	list := decode[struct {
		Webhooks []struct {
			ID, Agency, URL string
		} `json:"webhooks"`
	}](t, h.do(http.MethodGet, "/v1/webhooks", auth.RoleAgency, nil))
	if len(list.Webhooks) != 1 || list.Webhooks[0].Agency != testAgency || strings.Contains(h.logs.String(), "0123456789abcdef0123") {
		t.Fatalf("hooks %+v", list)
	}
	if r := h.do(http.MethodGet, "/v1/webhooks/dead-letters", auth.RoleAdmin, nil); r.Code != 200 || !strings.Contains(r.Body.String(), `"deliveries":[]`) {
		t.Fatalf("dead letters %d %s", r.Code, r.Body)
	}
	if r := h.do(http.MethodPost, "/v1/webhooks/dead-letters/dNONE/replay", auth.RoleAdmin, nil); r.Code != 404 {
		t.Fatalf("replay of nothing %d %s", r.Code, r.Body)
	}
}

// seedPublished stores a catalogue entry that publishes pledges and a
// pledge decided under it through the repository's transition (which
// publishes it).
func seedPublished(t *testing.T, h *harness, id string) pledge.Record {
	t.Helper()
	ctx := context.Background()
	now := h.clock.Now()
	key := pledge.EntryKey{Region: testJurisdiction, Matter: "M-PUBLIC", Certificate: "C-1"}
	cat := store.NewCatalogueRepo(h.store)
	if vs, err := cat.EntryVersions(ctx, key); err != nil {
		t.Fatal(err)
	} else if len(vs) == 0 {
		if _, err := cat.AppendEntry(ctx, pledge.Entry{EntryKey: key, EffectiveFrom: now.Add(-time.Hour), Modes: []pledge.Mode{pledge.ModeWrittenPledge},
			PledgeEligible: true, Owner: testAgency, Disclosure: pledge.DisclosurePolicy{Publish: true, Days: 365}}, 0); err != nil {
			t.Fatal(err)
		}
	}
	repo := store.NewPledgeRepo(h.store, enforceProtector(t), pledge.NewCatalogue(store.NewCatalogueRepo(h.store), h.clock))
	rec := pledge.Record{ID: id, Status: pledge.StatusSigned, Document: []byte(`{"id":"` + id + `"}`), Digest: sm3.Sum([]byte(id)),
		Applicant: "subj-" + id, Agency: testAgency, Entry: key, Way: pledge.WayEventCertificate, CreatedAt: now,
		Events: []pledge.Event{{To: pledge.StatusSigned, At: now, Actor: "applicant"}}}
	if _, _, err := repo.CreatePledge(ctx, rec); err != nil {
		t.Fatal(err)
	}
	out, err := repo.Transition(ctx, id, pledge.Transition{From: []pledge.Status{pledge.StatusSigned},
		Event:    pledge.Event{To: pledge.StatusAccepted, At: now, Actor: "agency"},
		Decision: &pledge.Decision{DocumentNo: "朝市监许〔2026〕2号", Date: now.Format(enforce.DateLayout), Officer: "o", DecidedAt: now}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestPublicPledgeRoutes(t *testing.T) {
	h := newHarness(t)
	a := seedPublished(t, h, "PL-PUBLIC-1")
	b := seedPublished(t, h, "PL-PUBLIC-2")
	list := "/v1/public/pledges?region=" + testJurisdiction + "&matter=M-PUBLIC"
	cases := []struct {
		name, path string
		role       auth.Role
		want       int
		has, hasnt []string
	}{
		{"200/anyone lists", list, auth.RolePublic, 200, []string{a.ID, b.ID, `"publishedUntil"`}, nil},
		{"200/a token changes nothing", list + "&limit=1", auth.RoleApplicant, 200, []string{`"next"`}, nil},
		{"200/other matter empty", "/v1/public/pledges?region=" + testJurisdiction + "&matter=M-0001", auth.RolePublic, 200, []string{`"pledges":[]`}, []string{a.ID}},
		{"400/no region", "/v1/public/pledges?matter=M-PUBLIC", auth.RolePublic, 400, nil, nil},
		{"400/limit", list + "&limit=101", auth.RolePublic, 400, nil, nil},
		{"400/cursor", list + "&cursor=!!", auth.RolePublic, 400, nil, nil},
		{"200/one", "/v1/public/pledges/" + a.ID, auth.RolePublic, 200, []string{a.ID, "朝市监许〔2026〕2号"}, nil},
		{"404/unknown", "/v1/public/pledges/PL-NONE", auth.RolePublic, 404, nil, nil},
	}
	for _, c := range cases {
		r := h.do(http.MethodGet, c.path, c.role, nil)
		if r.Code != c.want {
			t.Errorf("%s: got %d %s", c.name, r.Code, r.Body)
			continue
		}
		for _, s := range c.has {
			if !strings.Contains(r.Body.String(), s) {
				t.Errorf("%s: %s lacks %s", c.name, r.Body, s)
			}
		}
		for _, s := range c.hasnt {
			if strings.Contains(r.Body.String(), s) {
				t.Errorf("%s: %s has %s", c.name, r.Body, s)
			}
		}
	}
	// the second page of one holds the other pledge
	p1 := decode[enforce.PublicPage](t, h.do(http.MethodGet, list+"&limit=1", auth.RolePublic, nil))
	p2 := decode[enforce.PublicPage](t, h.do(http.MethodGet, list+"&limit=1&cursor="+p1.Next, auth.RolePublic, nil))
	if len(p1.Pledges) != 1 || len(p2.Pledges) != 1 || p1.Pledges[0].PledgeID == p2.Pledges[0].PledgeID {
		t.Fatalf("pages %+v %+v", p1, p2)
	}
	// a false pledge leaves the public listing
	if r := h.do(http.MethodPost, "/v1/enforcement/findings", auth.RoleEnforcement, map[string]any{"pledgeId": a.ID, "outcome": "FALSE_CONFIRMED",
		"documentNo": "朝市监核〔2026〕5号", "evidence": []string{strings.Repeat("cd", 32)}, "inspector": "INS-1"}); r.Code != 201 {
		t.Fatalf("finding %d %s", r.Code, r.Body)
	}
	if r := h.do(http.MethodGet, list, auth.RolePublic, nil); r.Code != 200 || strings.Contains(r.Body.String(), a.ID) || !strings.Contains(r.Body.String(), b.ID) {
		t.Fatalf("after FALSE_CONFIRMED: %d %s", r.Code, r.Body)
	}
	if r := h.do(http.MethodGet, "/v1/public/pledges/"+a.ID, auth.RolePublic, nil); r.Code != 404 {
		t.Fatalf("a false pledge by ID: %d %s", r.Code, r.Body)
	}
}
