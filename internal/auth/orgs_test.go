package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
)

func TestValidResidentID(t *testing.T) {
	for n, want := range map[string]bool{
		"110101199001061234": true, "11010519491231002X": true, "440101197001189999": true,
		"110101199003071234": false, // the old fixture: wrong check digit
		"11010519491231002x": false, "11010519491231002": false, "1101051949123100200": false,
		"110105194913310026": false, // month 13
		"11010519490230002X": false, // 30 February
		"A10105194912310026": false, "": false,
	} {
		if got := auth.ValidResidentID(n); got != want {
			t.Errorf("ValidResidentID(%q) = %v", n, got)
		}
	}
}

func FuzzValidResidentID(f *testing.F) {
	for _, s := range []string{"110101199001061234", "11010519491231002X", "", "x", "1101011990010612345"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if auth.ValidResidentID(s) && (len(s) != 18 || (s[17] != 'X' && (s[17] < '0' || s[17] > '9'))) {
			t.Fatalf("accepted %q", s)
		}
	})
}

// orgSet is a fixed directory: known agencies and jurisdictions.
type orgSet map[string]bool

func (o orgSet) OrgExists(_ context.Context, role auth.Role, org string) (bool, error) {
	return o[string(role)+":"+org], nil
}

// TestTokensNameRealOrganisations: issue 12 — a token may not name an
// organisation that does not exist, nor an applicant an ID number that
// fails the GB 11643 check.
func TestTokensNameRealOrganisations(t *testing.T) {
	tok, _, _ := setup(t)
	ctx := context.Background()
	tok.CheckOrgs(orgSet{"agency:110105-SCJGJ": true, "enforcement:110105": true})
	for _, c := range []struct {
		req  auth.CreateRequest
		code apperr.Code
	}{
		{auth.CreateRequest{Role: auth.RoleAgency, Org: "110105-FAKE", TTL: time.Hour}, "UNKNOWN_ORG"},
		{auth.CreateRequest{Role: auth.RoleEnforcement, Org: "999999", TTL: time.Hour}, "UNKNOWN_ORG"},
		{auth.CreateRequest{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "张三", IDType: "RESIDENT_ID", IDNumber: "110101199003071234"}, TTL: time.Hour}, "ID_NUMBER_INVALID"},
	} {
		if _, err := tok.Create(ctx, c.req); apperr.As(err) == nil || apperr.As(err).Kind != apperr.Malformed || apperr.As(err).Code != c.code {
			t.Errorf("%+v: %v, want %s", c.req, err, c.code)
		}
	}
	for _, req := range []auth.CreateRequest{
		{Role: auth.RoleAgency, Org: "110105-SCJGJ", TTL: time.Hour},
		{Role: auth.RoleEnforcement, Org: "110105", TTL: time.Hour},
		{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "张三", IDType: "RESIDENT_ID", IDNumber: "11010519491231002X"}, TTL: time.Hour},
		{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "某公司", IDType: "USCC", IDNumber: "91110105MA01ABCD2X"}, TTL: time.Hour},
	} {
		if _, err := tok.Create(ctx, req); err != nil {
			t.Errorf("%+v: %v", req, err)
		}
	}
}
