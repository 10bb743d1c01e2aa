package httpapi

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
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

// TestListPledgeableMatters: the public listing shows, per region, the
// matters that may be pledged now (names, certificates in force, the
// notice to read), a page at a time in code order; matters not eligible,
// not yet in force or retired are left out. Every response is checked
// against the spec by the harness.
func TestListPledgeableMatters(t *testing.T) {
	h, _ := pledgeHarness(t)
	now := h.clock.Now()
	record := func(e pledge.Entry, expect int) {
		t.Helper()
		rec := h.do("POST", "/v1/catalogue/entries", auth.RoleAgency, map[string]any{"entry": e, "expectVersion": expect})
		wantStatus(t, rec, http.StatusCreated)
	}
	entry := func(region, matter string, from time.Time) pledge.Entry {
		e := verifytest.Entry(from)
		e.Region, e.Matter = region, matter
		e.MatterName = pledge.Text{Zh: "事项" + matter, En: "Matter " + matter}
		return e
	}
	record(verifytest.Entry(now), 0) // M-0001, its notice published below
	named := entry("110105", "M-0002", now)
	named.RegionName = pledge.Text{Zh: "北京市朝阳区", En: "Chaoyang District, Beijing"}
	record(named, 0)
	excluded := entry("110105", "M-0003", now)
	excluded.PledgeEligible, excluded.Modes, excluded.Exclusion = false, []pledge.Mode{pledge.ModeDataSharing}, pledge.ExclusionPublicSafety
	excluded.PostCheck = pledge.PostCheckPolicy{}
	record(excluded, 0)
	record(entry("110105", "M-0004", now.Add(48*time.Hour)), 0) // not yet in force
	record(entry("110105", "M-0005", now), 0)
	retired := entry("110105", "M-0005", now.Add(time.Minute))
	retired.Retired = true
	record(retired, 1)
	// Another region's entry: its agency's (an agency records only in its
	// own region), here recorded by an admin.
	sh := entry("310101", "M-0001", now)
	wantStatus(t, h.do("POST", "/v1/catalogue/entries", auth.RoleAgency, map[string]any{"entry": sh}), http.StatusForbidden)
	sh.Owner = "310101-SCJGJ"
	wantStatus(t, h.do("POST", "/v1/catalogue/entries", auth.RoleAdmin, map[string]any{"entry": sh}), http.StatusCreated)
	h.clock.Advance(2 * time.Minute)
	rec := h.do("POST", "/v1/notices", auth.RoleAgency, verifytest.Notice())
	wantStatus(t, rec, http.StatusCreated)
	pub := decode[noticeView](t, rec)

	// Regions.
	rec = h.do("GET", "/v1/catalogue/regions", auth.RolePublic, nil)
	wantStatus(t, rec, http.StatusOK)
	if got := decode[regionList](t, rec); len(got.Items) != 2 || got.Items[0].Region != "110105" || got.Items[1].Region != "310101" || got.NextCursor != "" ||
		got.Items[0].Name == nil || got.Items[0].Name.Zh != "北京市朝阳区" || got.Items[1].Name != nil {
		t.Fatalf("regions (110105 named by an entry, 310101 not): %s", rec.Body)
	}
	rec = h.do("GET", "/v1/catalogue/regions?limit=1", auth.RolePublic, nil)
	if got := decode[regionList](t, rec); len(got.Items) != 1 || got.NextCursor != "110105" {
		t.Fatalf("regions page 1: %s", rec.Body)
	}
	rec = h.do("GET", "/v1/catalogue/regions?limit=1&cursor=110105", auth.RolePublic, nil)
	if got := decode[regionList](t, rec); len(got.Items) != 1 || got.Items[0].Region != "310101" || got.NextCursor != "" {
		t.Fatalf("regions page 2: %s", rec.Body)
	}

	// Matters of 110105, in pages of each size: the same two matters.
	for _, limit := range []int{1, 2, 50} {
		var got []matterItem
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 6 {
				t.Fatalf("limit %d: the listing does not end", limit)
			}
			path := fmt.Sprintf("/v1/catalogue/matters/110105?limit=%d", limit)
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			rec := h.do("GET", path, auth.RolePublic, nil)
			wantStatus(t, rec, http.StatusOK)
			page := decode[matterList](t, rec)
			if len(page.Items) > limit || page.Region != "110105" {
				t.Fatalf("limit %d: page %s", limit, rec.Body)
			}
			got = append(got, page.Items...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(got) != 2 || got[0].Matter != "M-0001" || got[1].Matter != "M-0002" {
			t.Fatalf("limit %d: matters %+v", limit, got)
		}
		first, second := got[0], got[1]
		if first.MatterName.Zh == "" || len(first.Certificates) != 1 || first.Certificates[0].Certificate != verifytest.Key.Certificate ||
			first.Certificates[0].CertificateName.Zh == "" || first.Certificates[0].RequestingUnit == "" {
			t.Fatalf("first matter %+v", first)
		}
		if n := first.Certificates[0].Notice; n == nil || n.ID != pub.Notice.ID || n.Version != pub.Notice.Version || n.Digest != pub.Digest {
			t.Fatalf("first matter's notice %+v, published %s v%d", n, pub.Notice.ID, pub.Notice.Version)
		}
		if second.MatterName.Zh != "事项M-0002" || second.Certificates[0].Notice != nil {
			t.Fatalf("second matter %+v (no notice published for it)", second)
		}
	}

	// Another region, an unknown one, and bad queries.
	rec = h.do("GET", "/v1/catalogue/matters/310101", auth.RolePublic, nil)
	if got := decode[matterList](t, rec); len(got.Items) != 1 || got.Items[0].Region != "310101" {
		t.Fatalf("310101: %s", rec.Body)
	}
	rec = h.do("GET", "/v1/catalogue/matters/999999", auth.RolePublic, nil)
	wantStatus(t, rec, http.StatusOK)
	if got := decode[matterList](t, rec); len(got.Items) != 0 || got.NextCursor != "" {
		t.Fatalf("unknown region: %s", rec.Body)
	}
	for _, path := range []string{
		"/v1/catalogue/matters/110105?limit=0", "/v1/catalogue/matters/110105?limit=51", "/v1/catalogue/matters/110105?limit=x",
		"/v1/catalogue/matters/110105?cursor=a%20b", "/v1/catalogue/matters/%E5%8C%97%E4%BA%AC", "/v1/catalogue/regions?limit=101",
		"/v1/catalogue/regions?cursor=%7B",
	} {
		wantProblem(t, h.do("GET", path, auth.RolePublic, nil), http.StatusBadRequest, "")
	}
}
