package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// TestEnforcementOverHTTP is the end-to-end path through the real
// application: decided pledge → task → draw → FALSE_CONFIRMED → the
// pledge's report says TOTAL_FAILED / PLEDGE_FALSE while valid at signing
// time stays TOTAL_PASSED → the applicant's next pledge is refused with the
// bar's reason → an appeal reversal lifts the bar. Along the way the decided
// pledge (its matter publishes pledges) is on the public listing masked,
// leaves it on FALSE_CONFIRMED for the false-pledge list, and returns after
// the appeal.
func TestEnforcementOverHTTP(t *testing.T) {
	a := buildTestApp(t)
	ag := a.Material.Agencies[0].Code
	c := newAppClient(t, a)
	tok := c.token
	agency := tok(auth.CreateRequest{Role: auth.RoleAgency, Org: ag})
	officer := tok(auth.CreateRequest{Role: auth.RoleEnforcement, Org: "110000"})
	applicant := tok(auth.CreateRequest{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "张三丰", IDType: "RESIDENT_ID", IDNumber: "110101199001061234"}})
	do := c.do
	must := c.must
	entry := verifytest.Entry(time.Now())
	entry.Owner = ag
	must(do("POST", "/v1/catalogue/entries", agency, "", map[string]any{"entry": entry}), http.StatusCreated)
	n := verifytest.Notice()
	n.Agency = ag
	var pub struct {
		Notice pledge.Notice
		Digest string
	}
	_ = json.Unmarshal(must(do("POST", "/v1/notices", agency, "", n), http.StatusCreated).Body.Bytes(), &pub)
	sign := func(key string) *httptest.ResponseRecorder {
		return do("POST", "/v1/pledges", applicant, key, map[string]any{"notice": pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.Digest},
			"channel": "WEB", "way": "EVENT_CERTIFICATE"})
	}
	var made struct{ Pledge struct{ ID string } }
	_ = json.Unmarshal(must(sign("enforce-0000001"), http.StatusCreated).Body.Bytes(), &made)
	id := made.Pledge.ID
	must(do("POST", "/v1/pledges/"+id+"/accept", agency, "", map[string]string{"documentNo": "DEV-1", "date": pledge.CivilDate(time.Now())}), http.StatusOK)

	// the matter's disclosure policy publishes decided pledges: on the
	// public listing (no token), masked
	publicList := "/v1/public/pledges?region=" + entry.Region + "&matter=" + entry.Matter
	if !entry.Disclosure.Publish {
		t.Fatal("the sample entry must publish pledges for this test")
	}
	if rec := must(do("GET", publicList, "", "", nil), http.StatusOK); !strings.Contains(rec.Body.String(), id) ||
		!strings.Contains(rec.Body.String(), "张*丰") || strings.Contains(rec.Body.String(), "张三丰") ||
		strings.Contains(rec.Body.String(), "110101199001061234") || !strings.Contains(rec.Body.String(), "DEV-1") {
		t.Fatalf("public listing after the decision %s", rec.Body)
	}
	must(do("GET", "/v1/public/pledges/"+id, "", "", nil), http.StatusOK)

	// task: opened by the decision
	if rec := must(do("GET", "/v1/enforcement/tasks?status=OPEN", officer, "", nil), http.StatusOK); !strings.Contains(rec.Body.String(), id) {
		t.Fatalf("task list %s", rec.Body)
	}
	var task enforce.Task
	_ = json.Unmarshal(must(do("POST", "/v1/enforcement/tasks", agency, "", map[string]string{"pledgeId": id}), http.StatusCreated).Body.Bytes(), &task)
	if task.Status != enforce.TaskOpen || task.Due == "" || task.PledgeID != id {
		t.Fatalf("task %+v", task)
	}
	// draw
	var d enforce.Draw
	_ = json.Unmarshal(must(do("POST", "/v1/enforcement/draws", officer, "", map[string]any{"region": entry.Region, "matter": entry.Matter,
		"ratioPermille": 100, "floor": 1, "inspectors": []string{"INS-1", "INS-2"}, "inspectorsPerPledge": 1,
		"tiers": map[string]string{id: "D"}}), http.StatusCreated).Body.Bytes(), &d)
	if len(d.Result.Selection) != 1 || d.Result.Selection[0].PledgeID != id {
		t.Fatalf("draw %+v", d.Result)
	}
	must(do("GET", "/v1/enforcement/draws/"+d.ID, "", "", nil), http.StatusOK)
	// FALSE_CONFIRMED
	var f enforce.Finding
	_ = json.Unmarshal(must(do("POST", "/v1/enforcement/findings", officer, "", map[string]any{"pledgeId": id, "outcome": "FALSE_CONFIRMED",
		"documentNo": "朝市监核〔2026〕9号", "evidence": []string{strings.Repeat("0a", 32)}, "inspector": d.Result.Selection[0].Inspectors[0]}),
		http.StatusCreated).Body.Bytes(), &f)
	var r verify.Report
	_ = json.Unmarshal(must(do("GET", "/v1/pledges/"+id+"/verification", "", "", nil), http.StatusOK).Body.Bytes(), &r)
	if r.Indication != outcome.TotalFailed || r.SubIndication != outcome.PledgeFalse || r.ValidAtSigning.Indication != outcome.TotalPassed {
		t.Fatalf("report after the finding: %s/%s, at signing %s", r.Indication, r.SubIndication, r.ValidAtSigning.Indication)
	}
	// the public list masks the applicant
	if rec := must(do("GET", "/v1/enforcement/false-pledges", "", "", nil), http.StatusOK); !strings.Contains(rec.Body.String(), id) ||
		!strings.Contains(rec.Body.String(), "张*丰") || strings.Contains(rec.Body.String(), "110101199001061234") {
		t.Fatalf("public list %s", rec.Body)
	}
	// and the pledge has left the listing of published pledges
	if rec := must(do("GET", publicList, "", "", nil), http.StatusOK); strings.Contains(rec.Body.String(), id) {
		t.Fatalf("a false pledge is still published: %s", rec.Body)
	}
	must(do("GET", "/v1/public/pledges/"+id, "", "", nil), http.StatusNotFound)
	// the next pledge is refused with the bar's reason
	rec := sign("enforce-0000002")
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "APPLICANT_BARRED") || !strings.Contains(rec.Body.String(), pledge.BarFalsePledge) {
		t.Fatalf("next pledge: %d %s", rec.Code, rec.Body)
	}
	// appeal reversal lifts the bar
	must(do("POST", "/v1/enforcement/findings/"+f.ID+"/reversal", officer, "", map[string]string{"reason": "APPEAL_UPHELD", "documentNo": "朝复〔2026〕1号"}), http.StatusCreated)
	must(sign("enforce-0000003"), http.StatusCreated)
	_ = json.Unmarshal(must(do("GET", "/v1/pledges/"+id+"/verification", "", "", nil), http.StatusOK).Body.Bytes(), &r)
	if r.Indication != outcome.TotalPassed {
		t.Fatalf("report after the appeal: %s/%s", r.Indication, r.SubIndication)
	}
	// reversed on appeal: published again, off the false-pledge list
	if rec := must(do("GET", publicList, "", "", nil), http.StatusOK); !strings.Contains(rec.Body.String(), id) {
		t.Fatalf("public listing after the appeal %s", rec.Body)
	}
	if rec := must(do("GET", "/v1/enforcement/false-pledges", "", "", nil), http.StatusOK); strings.Contains(rec.Body.String(), id) {
		t.Fatalf("false-pledge list after the appeal %s", rec.Body)
	}
}

// TestWithdrawalBarOverHTTP: a matter whose catalogue entry bars
// withdrawing applicants (exams) — the applicant signs, withdraws, and the
// next pledge for the matter is refused with the bar's reason.
func TestWithdrawalBarOverHTTP(t *testing.T) {
	a := buildTestApp(t)
	ag := a.Material.Agencies[0].Code
	c := newAppClient(t, a)
	tok := c.token
	agency := tok(auth.CreateRequest{Role: auth.RoleAgency, Org: ag})
	applicant := tok(auth.CreateRequest{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "李四", IDType: "RESIDENT_ID", IDNumber: "110101198001051234"}})
	do := c.do
	must := c.must
	entry := verifytest.Entry(time.Now())
	entry.Owner = ag
	entry.Withdrawal = pledge.WithdrawalPolicy{BarDays: 180, Scope: pledge.ScopeExam}
	must(do("POST", "/v1/catalogue/entries", agency, "", map[string]any{"entry": entry}), http.StatusCreated)
	n := verifytest.Notice()
	n.Agency = ag
	var pub struct {
		Notice pledge.Notice
		Digest string
	}
	_ = json.Unmarshal(must(do("POST", "/v1/notices", agency, "", n), http.StatusCreated).Body.Bytes(), &pub)
	sign := func(key string) *httptest.ResponseRecorder {
		return do("POST", "/v1/pledges", applicant, key, map[string]any{"notice": pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.Digest},
			"channel": "WEB", "way": "EVENT_CERTIFICATE"})
	}
	var made struct{ Pledge struct{ ID string } }
	_ = json.Unmarshal(must(sign("withdraw-0000001"), http.StatusCreated).Body.Bytes(), &made)
	must(do("POST", "/v1/pledges/"+made.Pledge.ID+"/withdraw", applicant, "", map[string]string{"reason": "改走一般程序"}), http.StatusOK)
	rec := sign("withdraw-0000002")
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "APPLICANT_BARRED") || !strings.Contains(rec.Body.String(), pledge.BarWithdrawnExam) {
		t.Fatalf("pledge after a withdrawal: %d %s", rec.Code, rec.Body)
	}
}
