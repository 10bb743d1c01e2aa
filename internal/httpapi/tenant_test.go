package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm3"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/enforce"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/pledge/pledgesample"
	"github.com/pledgeseal/pledgeseal/internal/seal"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/store"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// tenant is whose subject a request acts on, seen from the caller: the
// harness agency (110105-SCJGJ) and enforcement (110105) are "own".
type tenant string

const (
	tenantOwn                 tenant = "own"
	tenantOtherAgency         tenant = "other agency"       // 110105-MZJ: same region, another agency
	tenantOtherJuris          tenant = "other jurisdiction" // 310101-SCJGJ in Shanghai
	tenantNonexistent         tenant = "nonexistent subject"
	otherAgencyCode                  = "110105-MZJ"
	otherJurisAgency                 = "310101-SCJGJ"
	otherJurisRegion                 = "310101"
	otherAgencyMatter                = "M-MZJ-01"
	otherJurisMatter                 = "M-SH-01"
	nonexistentPledgeID              = "PL-DOES-NOT-EXIST"
	nonexistentSealESID              = "11010599999999"
	nonexistentFindingID             = "FDOESNOTEXIST"
	tenantProbeDocumentNumber        = "朝执〔2026〕99号"
)

var tenants = []tenant{tenantOtherAgency, tenantOtherJuris, tenantNonexistent, tenantOwn}

// agencyOf and regionOf name the owner of a tenant's subject.
func agencyOf(tn tenant) string {
	switch tn {
	case tenantOtherAgency:
		return otherAgencyCode
	case tenantOtherJuris:
		return otherJurisAgency
	}
	return testAgency
}

func regionOf(tn tenant) string {
	if tn == tenantOtherJuris {
		return otherJurisRegion
	}
	return testJurisdiction
}

func entryKeyOf(tn tenant) pledge.EntryKey {
	switch tn {
	case tenantOtherAgency:
		return pledge.EntryKey{Region: testJurisdiction, Matter: otherAgencyMatter, Certificate: "C-1"}
	case tenantOtherJuris:
		return pledge.EntryKey{Region: otherJurisRegion, Matter: otherJurisMatter, Certificate: "C-1"}
	}
	return verifytest.Key
}

// tenantRig is a harness whose every service shares one store, so a
// subject seeded for one route is the subject of every other.
type tenantRig struct {
	*harness
	env *verifytest.Env
	enf *enforce.Service
	n   int
}

func newTenantRig(t *testing.T) *tenantRig {
	t.Helper()
	r := &tenantRig{}
	h := newHarness(t, func(d *Deps) {
		st, err := store.New(store.Options{Addrs: []string{testredis.Addr(t)}, Prefix: testredis.Prefix(t) + "tn:", Timeout: 2 * time.Second}, d.Clock)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		r.env = verifytest.New(t, st, d.Clock.(*clock.Fake))
		r.enf, err = enforce.New(enforce.Deps{Registry: r.env.Registry, Pledges: r.env.Pledges, Clock: d.Clock,
			Tasks: store.NewTaskRepo(st), Policies: r.env.Catalogue})
		if err != nil {
			t.Fatal(err)
		}
		d.Pledges, d.Revocations, d.Seals, d.Enforce = apiOf(r.env), r.env.Revoc, r.env.Seals, r.enf
	})
	r.harness = h
	ctx := context.Background()
	r.env.Ready(t) // the own entry and notice
	admin := pledge.Editor{Admin: true, Actor: "admin"}
	for _, tn := range []tenant{tenantOtherAgency, tenantOtherJuris} {
		e := pledgesample.Entry(entryKeyOf(tn), agencyOf(tn), "机关", h.clock.Now())
		if _, err := r.env.Catalogue.Record(ctx, admin, e, 0); err != nil {
			t.Fatal(err)
		}
	}
	h.clock.Advance(time.Minute)
	return r
}

// pledge seeds a fresh pledge of a tenant (decided unless signed is set).
func (r *tenantRig) pledge(tn tenant, signed bool) string {
	r.t.Helper()
	if tn == tenantNonexistent {
		return nonexistentPledgeID
	}
	r.n++
	if signed && tn == tenantOwn {
		// a real signed pledge: the decision reads its document
		rec, _, err := r.env.Service.SignWithEventCertificate(context.Background(), verifytest.Applicant, r.env.Request(fmt.Sprintf("tenant-key-%06d", r.n)))
		if err != nil {
			r.t.Fatal(err)
		}
		return rec.ID
	}
	id := fmt.Sprintf("PL-TN-%04d", r.n)
	now := r.clock.Now()
	rec := pledge.Record{ID: id, Status: pledge.StatusAccepted, Document: []byte(`{"id":"` + id + `"}`), Digest: sm3.Sum([]byte(id)),
		Applicant: "subj-" + id, Agency: agencyOf(tn), Entry: entryKeyOf(tn), Notice: pledge.NoticeRef{ID: "N-TN", Version: 1, Digest: strings.Repeat("0", 64)}, Way: pledge.WayEventCertificate, CreatedAt: now,
		Events:   []pledge.Event{{To: pledge.StatusSigned, At: now, Actor: "applicant"}, {To: pledge.StatusAccepted, At: now, Actor: "agency"}},
		Decision: &pledge.Decision{DocumentNo: "许〔2026〕1号", Date: now.Format(time.DateOnly), Officer: "o", DecidedAt: now}}
	if signed {
		rec.Status, rec.Events, rec.Decision = pledge.StatusSigned, rec.Events[:1], nil
	}
	if _, _, err := r.env.Pledges.CreatePledge(context.Background(), rec); err != nil {
		r.t.Fatal(err)
	}
	return id
}

// seal files a fresh seal of a tenant's agency.
func (r *tenantRig) seal(tn tenant) string {
	r.t.Helper()
	if tn == tenantNonexistent {
		return nonexistentSealESID
	}
	r.n++
	esid := fmt.Sprintf("110105%08d", r.n)
	now := r.clock.Now()
	_, err := r.env.Seals.Make(context.Background(), verifytest.SealMaker, seal.MakeRequest{
		Filing: seal.Filing{Agency: agencyOf(tn), Category: seal.Category("statutory_name"), TypeCode: seal.TypeCode("01"), DocumentNo: "印备〔2026〕1号"},
		ESID:   esid, Name: "机关印章", SignerCerts: [][]byte{r.env.SealSigner.Cert.Raw},
		ValidStart: now.Add(-time.Hour), ValidEnd: now.AddDate(1, 0, 0),
		Picture: ses.Picture{Type: "PNG", Data: []byte("\x89PNG\r\n\x1a\n"), Width: 40, Height: 40},
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return esid
}

// finding records a FALSE_CONFIRMED finding on a fresh pledge of a tenant
// (by an officer whose jurisdiction covers it).
func (r *tenantRig) finding(tn tenant) string {
	r.t.Helper()
	if tn == tenantNonexistent {
		return nonexistentFindingID
	}
	officer := auth.Principal{Role: auth.RoleEnforcement, Org: regionOf(tn), TokenID: "rig"}
	f, err := r.enf.RecordFinding(context.Background(), officer, enforce.FindingRequest{PledgeID: r.pledge(tn, false),
		Outcome: enforce.FalseConfirmed, DocumentNo: "核〔2026〕1号", Evidence: []string{strings.Repeat("ab", 32)}, Inspector: "INS-1"})
	if err != nil {
		r.t.Fatal(err)
	}
	return f.ID
}

// tenantCase builds the request of one write route for a role and a
// tenant: its path and body.
type tenantCase func(r *tenantRig, role auth.Role, tn tenant) (path string, body any)

// tenantSpec is what the matrix knows about one write route: how to aim
// it at each tenant's subject, or why tenancy does not apply.
type tenantSpec struct {
	build tenantCase
	// free, when set, says why the route has no tenant (and build is nil).
	free string
	// missing is the status for a nonexistent subject (default 404).
	missing int
}

func revocationCase(reason string) tenantCase {
	return func(r *tenantRig, role auth.Role, tn tenant) (string, any) {
		sub := map[string]any{"kind": "pledge", "id": r.pledge(tn, false)}
		rs := reason
		if role == auth.RoleSealMaker { // seal makers act on seals
			sub = map[string]any{"kind": "seal", "id": r.seal(tn)}
			if rs == "DECISION_REVOKED" {
				rs = "FORGED"
			}
		}
		if reason != "DECISION_REVOKED" && tn != tenantNonexistent {
			// a reversal needs a revoked subject: revoke it first as admin
			rv := "DECISION_REVOKED"
			if sub["kind"] == "seal" {
				rv = "FORGED"
			}
			if w := r.do(http.MethodPost, "/v1/revocations", auth.RoleAdmin, map[string]any{"subjects": []any{sub}, "reason": rv, "documentNo": "d"}); w.Code != http.StatusCreated {
				r.t.Fatalf("setting up a reversal: %d %s", w.Code, w.Body)
			}
			r.clock.Advance(time.Second)
		}
		return "", map[string]any{"subjects": []any{sub}, "reason": rs, "documentNo": tenantProbeDocumentNumber}
	}
}

// tenantSpecs lists every write route. A route missing here fails the
// matrix: a new write route must say how its tenant rule is tested.
var tenantSpecs = map[string]tenantSpec{
	"POST /v1/tokens":                            {free: "admin only: tokens are the deployment's, not a tenant's"},
	"DELETE /v1/tokens/{id}":                     {free: "admin only"},
	"POST /v1/log/checkpoint":                    {free: "admin only: signs the deployment's log checkpoint, no tenant subject"},
	"POST /v1/seals":                             {free: "seal makers and admin file seals for any agency (national registry)"},
	"POST /v1/seals/import":                      {free: "seal makers and admin file seals for any agency (national registry)"},
	"POST /v1/verifications":                     {free: "public; writes nothing"},
	"POST /v1/ofd/verifications":                 {free: "public; writes nothing"},
	"POST /v1/revocations/batch":                 {free: "public read"},
	"POST /v1/timestamps":                        {free: "public; issues a time-stamp over a digest, no subject"},
	"POST /v1/webhooks":                          {free: "the subscription is the caller's agency (from the token), never a body field"},
	"POST /v1/webhooks/dead-letters/{id}/replay": {free: "admin only"},
	"POST /v1/pledges":                           {free: "creates the caller's own pledge; the applicant is the token's identity"},
	"POST /v1/pledges/{id}/signature":            {free: "the applicant's own draft; another applicant's draft is refused (pledges_test.go: otherID cases)"},
	"POST /v1/pledges/{id}/signature-check":      {free: "writes nothing; the applicant's own draft only, another applicant's is 404 (owncheck_test.go)"},
	"POST /v1/pledges/{id}/event-signature":      {free: "the applicant's own draft; another applicant's draft is refused (pledges_test.go: otherID cases)"},
	"POST /v1/pledges/{id}/withdraw":             {free: "the applicant's own pledge; another applicant's is refused (pledges_test.go: otherID cases)"},
	"DELETE /v1/webhooks/{id}": {build: func(r *tenantRig, _ auth.Role, tn tenant) (string, any) {
		if tn == tenantNonexistent {
			return "/v1/webhooks/HNONE", nil
		}
		owner := auth.Principal{Role: auth.RoleAgency, Org: agencyOf(tn), TokenID: "rig"}
		hook, err := r.srv.deps.Webhooks.Register(context.Background(), owner, "http://127.0.0.1:9/hook", []byte("0123456789abcdef0123"))
		if err != nil {
			r.t.Fatal(err)
		}
		return "/v1/webhooks/" + hook.ID, nil
	}},
	"POST /v1/revocations":           {build: revocationCase("DECISION_REVOKED")},
	"POST /v1/revocations/reversals": {build: revocationCase("CORRECTION")},
	"POST /v1/seals/{id}/status": {build: func(r *tenantRig, _ auth.Role, tn tenant) (string, any) {
		return "/v1/seals/" + r.seal(tn) + "/status", map[string]any{"action": "suspend", "reason": "印章更换", "documentNo": tenantProbeDocumentNumber}
	}},
	"POST /v1/catalogue/entries": {missing: http.StatusConflict, build: func(r *tenantRig, role auth.Role, tn tenant) (string, any) {
		owner := testAgency
		if role == auth.RoleAdmin {
			owner = agencyOf(tn)
		}
		r.n++
		switch tn {
		case tenantNonexistent: // a new version of an entry that does not exist
			e := pledgesample.Entry(pledge.EntryKey{Region: testJurisdiction, Matter: fmt.Sprintf("M-NONE-%d", r.n), Certificate: "C-1"}, owner, "机关", r.clock.Now())
			return "", map[string]any{"entry": e, "expectVersion": 3}
		case tenantOwn:
			e := pledgesample.Entry(pledge.EntryKey{Region: testJurisdiction, Matter: fmt.Sprintf("M-OWN-%d", r.n), Certificate: "C-1"}, owner, "机关", r.clock.Now())
			return "", map[string]any{"entry": e}
		}
		k := entryKeyOf(tn)
		k.Certificate = fmt.Sprintf("C-GRAFT-%d", r.n)
		return "", map[string]any{"entry": pledgesample.Entry(k, owner, "机关", r.clock.Now())}
	}},
	"POST /v1/notices": {missing: http.StatusConflict, build: func(r *tenantRig, _ auth.Role, tn tenant) (string, any) {
		k := entryKeyOf(tn)
		if tn == tenantNonexistent {
			k = pledge.EntryKey{Region: testJurisdiction, Matter: "M-NOT-IN-CATALOGUE", Certificate: "C-1"}
		}
		r.n++
		return "", pledgesample.Notice(fmt.Sprintf("N-TN-%d", r.n), k, testAgency, "机关")
	}},
	"POST /v1/pledges/{id}/accept": {build: func(r *tenantRig, _ auth.Role, tn tenant) (string, any) {
		return "/v1/pledges/" + r.pledge(tn, true) + "/accept", map[string]string{"documentNo": "许〔2026〕2号", "date": r.clock.Now().Format(time.DateOnly)}
	}},
	"POST /v1/pledges/{id}/return": {build: func(r *tenantRig, _ auth.Role, tn tenant) (string, any) {
		return "/v1/pledges/" + r.pledge(tn, true) + "/return", map[string]string{"reason": "材料不全"}
	}},
	"POST /v1/enforcement/findings": {build: func(r *tenantRig, _ auth.Role, tn tenant) (string, any) {
		return "", map[string]any{"pledgeId": r.pledge(tn, false), "outcome": "VERIFIED_OK", "documentNo": tenantProbeDocumentNumber, "inspector": "INS-1"}
	}},
	"POST /v1/enforcement/findings/{id}/reversal": {build: func(r *tenantRig, _ auth.Role, tn tenant) (string, any) {
		return "/v1/enforcement/findings/" + r.finding(tn) + "/reversal", map[string]string{"reason": "APPEAL_UPHELD", "documentNo": tenantProbeDocumentNumber}
	}},
	"POST /v1/enforcement/tasks": {build: func(r *tenantRig, _ auth.Role, tn tenant) (string, any) {
		return "", map[string]string{"pledgeId": r.pledge(tn, false)}
	}},
	"POST /v1/enforcement/draws": {missing: http.StatusBadRequest, build: func(r *tenantRig, _ auth.Role, tn tenant) (string, any) {
		k := entryKeyOf(tn)
		if tn == tenantNonexistent {
			k = pledge.EntryKey{Region: testJurisdiction, Matter: "M-NO-PLEDGES"}
		} else if _, err := r.enf.CreateTask(context.Background(), mustPledge(r, r.pledge(tn, false)), pledge.PostCheckPolicy{TimeLimitDays: 30}); err != nil {
			r.t.Fatal(err)
		}
		return "", map[string]any{"region": k.Region, "matter": k.Matter, "ratioPermille": 1000}
	}},
}

func mustPledge(r *tenantRig, id string) pledge.Record {
	rec, err := r.env.Pledges.GetPledge(context.Background(), id)
	if err != nil {
		r.t.Fatal(err)
	}
	return rec
}

// expected says what a role may do to a tenant's subject (docs/security.md,
// "Authorization"): admin and seal makers act nationally; enforcement on
// its jurisdiction (the other agency of the same region included); an
// agency only on its own subjects.
func expected(role auth.Role, tn tenant) string {
	switch {
	case tn == tenantNonexistent:
		return "missing"
	case role == auth.RoleAdmin || role == auth.RoleSealMaker:
		return "allowed"
	case role == auth.RoleEnforcement && tn != tenantOtherJuris:
		return "allowed"
	case tn == tenantOwn:
		return "allowed"
	}
	return "foreign"
}

// TestRouteRoleTenantMatrix calls every write route with every role it
// allows on the subject of every tenant — own, another agency of the same
// region, another jurisdiction, a nonexistent subject — and requires the
// authorisation rule of docs/security.md: a foreign subject is refused
// (403, or 404 where the route does not reveal another agency's subjects),
// a nonexistent one is 404 (or the route's documented status), and the
// own subject is accepted. Routes come from the route table, so a new write
// route without a tenant spec fails here.
func TestRouteRoleTenantMatrix(t *testing.T) {
	r := newTenantRig(t)
	for _, rt := range r.srv.Routes() {
		if rt.Method == http.MethodGet || rt.Method == http.MethodHead {
			continue
		}
		key := rt.Method + " " + rt.Path
		spec, ok := tenantSpecs[key]
		if !ok {
			t.Errorf("%s is a write route without a tenant spec in tenant_test.go", key)
			continue
		}
		if spec.free != "" {
			continue
		}
		for _, role := range auth.Roles() {
			if role == auth.RolePublic || !rt.Allows(role) {
				continue // TestRouteRoleMatrix covers roles a route refuses
			}
			for _, tn := range tenants {
				t.Run(fmt.Sprintf("%s as %s on %s", key, role, tn), func(t *testing.T) {
					r.t = t
					path, body := spec.build(r, role, tn)
					if path == "" {
						path = rt.Path
					}
					r.clock.Advance(time.Second)
					w := r.do(rt.Method, path, role, body)
					want := expected(role, tn)
					switch got := w.Code; {
					case got >= 500:
						var errs []string
						for _, l := range strings.Split(r.logs.String(), "\n") {
							if strings.Contains(l, `"level":"ERROR"`) {
								errs = append(errs, l)
							}
						}
						t.Fatalf("%d: %s\nserver errors: %s", got, w.Body, strings.Join(errs, "\n"))
					case want == "missing":
						m := spec.missing
						if m == 0 {
							m = http.StatusNotFound
						}
						if got != m {
							t.Fatalf("nonexistent subject: got %d, want %d: %s", got, m, w.Body)
						}
					case want == "foreign":
						if got != http.StatusForbidden && got != http.StatusNotFound {
							t.Fatalf("foreign subject: got %d, want 403 (or 404): %s", got, w.Body)
						}
					default:
						if got >= 300 {
							t.Fatalf("own subject: got %d: %s", got, w.Body)
						}
					}
				})
			}
		}
	}
	r.t = t
}
