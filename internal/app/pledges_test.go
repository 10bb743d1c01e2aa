package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
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
	ctx := context.Background()
	tok := func(req auth.CreateRequest) string {
		req.TTL = time.Hour
		iss, err := a.Tokens.Create(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		return iss.Secret
	}
	agency := tok(auth.CreateRequest{Role: auth.RoleAgency, Org: ag})
	applicant := tok(auth.CreateRequest{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "张三丰", IDType: "RESIDENT_ID", IDNumber: "110101199003071234"}})
	h := a.API.Handler()
	do := func(method, path, token, key string, body any) *httptest.ResponseRecorder {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req := httptest.NewRequest(method, path, rd)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	must := func(rec *httptest.ResponseRecorder, code int) {
		t.Helper()
		if rec.Code != code {
			t.Fatalf("status %d, want %d: %s", rec.Code, code, rec.Body)
		}
	}
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
	must(do("POST", "/v1/pledges/"+made.Pledge.ID+"/accept", agency, "", map[string]string{"documentNo": "DEV-1", "date": time.Now().Format(time.DateOnly)}), http.StatusOK)
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
}
