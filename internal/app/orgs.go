package app

import (
	"context"

	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/scope"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

// orgDirectory answers which organisations tokens may name
// (auth.OrgDirectory): an agency with a signing identity in the trust
// material or owning a catalogue entry of its region; an enforcement
// jurisdiction (a 6-digit region code) that covers the region of such an
// agency or a region of the catalogue.
type orgDirectory struct {
	mat *trust.Material
	cat *pledge.Catalogue
}

var _ auth.OrgDirectory = orgDirectory{}

// OrgExists implements auth.OrgDirectory.
func (d orgDirectory) OrgExists(ctx context.Context, role auth.Role, org string) (bool, error) {
	switch role {
	case auth.RoleAgency:
		if _, ok := d.mat.Agency(org); ok {
			return true, nil
		}
		return d.cat.OwnsEntries(ctx, org)
	case auth.RoleEnforcement:
		if !scope.IsRegion(org) {
			return false, nil
		}
		for _, a := range d.mat.Agencies {
			if r, ok := scope.AgencyRegion(a.Code); ok && scope.Covers(org, r) {
				return true, nil
			}
		}
		return d.cat.HasRegionWithin(ctx, org)
	}
	return true, nil
}
