package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/store"
)

// eventReceiver is a loopback webhook receiver that verifies every
// delivery (signature, timestamp window, replay) and keeps "action pledge"
// of each accepted one.
type eventReceiver struct {
	srv     *httptest.Server
	check   *Receiver
	mu      sync.Mutex
	got     []string
	refused []string
	bodies  []string
}

func newEventReceiver(t *testing.T, clk clock.Clock) *eventReceiver {
	rc := &eventReceiver{check: &Receiver{Secret: secret, Window: 5 * time.Minute, Now: clk.Now}}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if why := rc.check.Check(r.Header.Get(HeaderDelivery), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body); why != "" {
			rc.refused = append(rc.refused, why)
			http.Error(w, why, http.StatusUnauthorized)
			return
		}
		var d struct {
			DeliveryID string `json:"deliveryId"`
			Source     string `json:"source"`
			Ref        string `json:"ref"`
			Event      struct {
				Action string            `json:"action"`
				Data   map[string]string `json:"data"`
			} `json:"event"`
		}
		if err := json.Unmarshal(body, &d); err != nil || d.DeliveryID != r.Header.Get(HeaderDelivery) ||
			d.Event.Action != r.Header.Get(HeaderEvent) {
			rc.refused = append(rc.refused, "body does not match the headers")
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		if d.Source != "pledge" || d.Ref == "" {
			rc.refused = append(rc.refused, "not a pledge event: "+string(body))
			http.Error(w, "bad source", http.StatusBadRequest)
			return
		}
		rc.got = append(rc.got, d.Event.Action+" "+d.Event.Data["pledge"]+" "+d.Event.Data["agency"])
		rc.bodies = append(rc.bodies, string(body))
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *eventReceiver) events() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := slices.Clone(rc.got)
	slices.Sort(out)
	return out
}

const peName, peIDNo = "李四", "110101198001051234"

func peRecord(id, agency string) pledge.Record {
	return pledge.Record{ID: id, Status: pledge.StatusSigned, Applicant: "applicant-index-" + id, Agency: agency,
		Document: []byte(`{"applicant":{"name":"` + peName + `","idNumber":"` + peIDNo + `"}}`),
		Entry:    pledge.EntryKey{Region: "110105", Matter: "M-1", Certificate: "C-1"},
		Way:      pledge.WayEventCertificate, CreatedAt: t0,
		Events: []pledge.Event{{To: pledge.StatusSigned, At: t0, Actor: "applicant"}}}
}

func TestPledgeEventsDelivered(t *testing.T) {
	pledgeEvents(t, singleRig)
}

func TestPledgeEventsDeliveredCluster(t *testing.T) {
	pledgeEvents(t, clusterRig)
}

// pledgeEvents: sign, accept, withdraw and return reach the owning
// agency's hook (and the admin's), signed, once each; another agency's
// hook gets none of them; no body names the applicant.
func pledgeEvents(t *testing.T, mk func(*testing.T, *clock.Fake) rig) {
	ctx := context.Background()
	clk := clock.NewFake(t0)
	r := mk(t, clk)
	all, mine, other := newEventReceiver(t, clk), newEventReceiver(t, clk), newEventReceiver(t, clk)
	for p, url := range map[string]string{"": all.srv.URL, "AG-1": mine.srv.URL, "AG-3": other.srv.URL} {
		pr := admin
		if p != "" {
			pr = agency
			pr.Org = p
		}
		if _, err := r.svc.Register(ctx, pr, url, secret); err != nil {
			t.Fatal(err)
		}
	}
	repo := store.NewPledgeRepo(r.st, r.prot, pledge.NewCatalogue(store.NewCatalogueRepo(r.st), r.clk))
	move := func(id string, to pledge.Status) {
		t.Helper()
		tr := pledge.Transition{From: []pledge.Status{pledge.StatusSigned}, Event: pledge.Event{To: to, At: clk.Now(), Actor: "x", Reason: "原因 " + peName}}
		if to == pledge.StatusAccepted {
			tr.Decision = &pledge.Decision{DocumentNo: "京许〔2026〕3号", Date: "2026-05-01", DecidedAt: clk.Now()}
		}
		if _, err := repo.Transition(ctx, id, tr); err != nil {
			t.Fatal(err)
		}
	}
	for _, rec := range []pledge.Record{peRecord("PL-EV-1", "AG-1"), peRecord("PL-EV-2", "AG-1"), peRecord("PL-EV-3", "AG-2")} {
		if _, _, err := repo.CreatePledge(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(time.Minute)
	move("PL-EV-1", pledge.StatusAccepted)
	move("PL-EV-2", pledge.StatusWithdrawn)
	move("PL-EV-3", pledge.StatusReturned)
	if _, err := r.svc.Step(ctx); err != nil {
		t.Fatal(err)
	}
	wantMine := []string{"pledge.accepted PL-EV-1 AG-1", "pledge.signed PL-EV-1 AG-1", "pledge.signed PL-EV-2 AG-1", "pledge.withdrawn PL-EV-2 AG-1"}
	if got := mine.events(); !slices.Equal(got, wantMine) {
		t.Fatalf("agency AG-1 got %q, want %q", got, wantMine)
	}
	wantAll := append(slices.Clone(wantMine), "pledge.returned PL-EV-3 AG-2", "pledge.signed PL-EV-3 AG-2")
	slices.Sort(wantAll)
	if got := all.events(); !slices.Equal(got, wantAll) {
		t.Fatalf("admin got %q, want %q", got, wantAll)
	}
	if got := other.events(); len(got) != 0 {
		t.Fatalf("agency AG-3 got %q", got)
	}
	// a second round delivers nothing again; nothing was refused
	if n, err := r.svc.Step(ctx); err != nil || n != 0 {
		t.Fatalf("second round: %d %v", n, err)
	}
	for _, rc := range []*eventReceiver{all, mine, other} {
		if len(rc.refused) != 0 {
			t.Fatalf("refused: %v", rc.refused)
		}
		for _, b := range rc.bodies {
			if strings.Contains(b, peName) || strings.Contains(b, peIDNo) || strings.Contains(b, "applicant-index") {
				t.Fatalf("a delivery carries personal data: %s", b)
			}
		}
	}
}
