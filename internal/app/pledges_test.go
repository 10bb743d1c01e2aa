package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/verify"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// TestPledgeWiring builds the real application on dev material: a dev seal
// is filed for each demo agency at start-up, and a pledge goes from the
// catalogue to a TOTAL_PASSED report through the real handler.
func TestPledgeWiring(t *testing.T) {
	a := buildTestApp(t)
	if len(a.Material.Agencies) == 0 {
		t.Fatal("dev material has no agency")
	}
	ag := a.Material.Agencies[0].Code
	c := newAppClient(t, a)
	tok := c.token
	agency := tok(auth.CreateRequest{Role: auth.RoleAgency, Org: ag})
	applicant := tok(auth.CreateRequest{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "张三丰", IDType: "RESIDENT_ID", IDNumber: "110101199001061234"}})
	do := c.do
	must := c.must
	entry := verifytest.Entry(time.Now())
	entry.Owner = ag
	must(do("POST", "/v1/catalogue/entries", agency, "", map[string]any{"entry": entry}), http.StatusCreated)
	n := verifytest.Notice()
	n.Agency = ag
	rec := do("POST", "/v1/notices", agency, "", n)
	must(rec, http.StatusCreated)
	var pub struct {
		Notice pledge.Notice
		Digest string
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &pub)
	rec = do("POST", "/v1/pledges", applicant, "wiring-0000001", map[string]any{"notice": pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.Digest},
		"channel": "WEB", "way": "EVENT_CERTIFICATE"})
	must(rec, http.StatusCreated)
	var made struct{ Pledge struct{ ID string } }
	_ = json.Unmarshal(rec.Body.Bytes(), &made)
	must(do("POST", "/v1/pledges/"+made.Pledge.ID+"/accept", agency, "", map[string]string{"documentNo": "DEV-1", "date": pledge.CivilDate(time.Now())}), http.StatusOK)
	rec = do("GET", "/v1/pledges/"+made.Pledge.ID+"/verification", "", "", nil)
	must(rec, http.StatusOK)
	var r verify.Report
	_ = json.Unmarshal(rec.Body.Bytes(), &r)
	if r.Indication != outcome.TotalPassed {
		t.Fatalf("report: %s", rec.Body)
	}
	if !strings.HasPrefix(r.Pledge.StatusURL, a.Config.BaseURL+"/v1/pledges/") {
		t.Fatalf("status URL %s, base %s", r.Pledge.StatusURL, a.Config.BaseURL)
	}
	checkStatementWiring(t, a, c, made.Pledge.ID) // statements_test.go
}
