package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// TestMatterQueryNamesTheNotice: the public matter query names the notice in
// force for each pledge-eligible certificate (none before one is published,
// the newest version after a republication), so an applicant need not type
// a notice number. Responses are validated against the spec by the harness.
func TestMatterQueryNamesTheNotice(t *testing.T) {
	h, _ := pledgeHarness(t)
	path := "/v1/catalogue/matters/" + verifytest.Key.Region + "/" + verifytest.Key.Matter
	query := func() matterView {
		t.Helper()
		rec := h.do("GET", path, auth.RolePublic, nil)
		wantStatus(t, rec, http.StatusOK)
		ans := decode[matterView](t, rec)
		if len(ans.Demands) != 1 {
			t.Fatalf("want one demand: %s", rec.Body)
		}
		return ans
	}

	rec := h.do("POST", "/v1/catalogue/entries", auth.RoleAgency, map[string]any{"entry": verifytest.Entry(h.clock.Now())})
	wantStatus(t, rec, http.StatusCreated)
	if n := query().Demands[0].Notice; n != nil {
		t.Fatalf("a notice before any was published over HTTP: %+v", n)
	}

	tests := []struct {
		name        string
		wantVersion int
	}{
		{"first publication", 1},
		{"republication", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h.clock.Advance(time.Minute)
			rec := h.do("POST", "/v1/notices", auth.RoleAgency, verifytest.Notice())
			wantStatus(t, rec, http.StatusCreated)
			pub := decode[noticeView](t, rec)
			got := query().Demands[0].Notice
			if got == nil {
				t.Fatal("no notice named after publication")
			}
			if got.ID != pub.Notice.ID || got.Version != tc.wantVersion || got.Version != pub.Notice.Version ||
				got.Digest != pub.Digest || got.CatalogueVersion != pub.Notice.CatalogueVersion {
				t.Fatalf("notice ref %+v, published %s v%d %s", got, pub.Notice.ID, pub.Notice.Version, pub.Digest)
			}
		})
	}

	// Another matter of the region names nothing.
	rec = h.do("GET", "/v1/catalogue/matters/"+verifytest.Key.Region+"/M-9999", auth.RolePublic, nil)
	wantStatus(t, rec, http.StatusOK)
	if ans := decode[matterView](t, rec); len(ans.Demands) != 0 || ans.Message == nil {
		t.Fatalf("absent matter: %s", rec.Body)
	}
}
