package scope

import "testing"

func TestCovers(t *testing.T) {
	for _, c := range []struct {
		j, r string
		want bool
	}{
		{"110000", "110105", true}, {"110100", "110105", true}, {"110105", "110105", true},
		{"110105", "110106", false}, {"310000", "110105", false}, {"110105", "110100", false},
		{"X", "X", true}, {"", "", false}, {"110105", "11010", false}, {"000000", "110105", false}, {"100000", "110105", false},
	} {
		if got := Covers(c.j, c.r); got != c.want {
			t.Errorf("Covers(%q, %q) = %v, want %v", c.j, c.r, got, c.want)
		}
	}
}

func TestAgencyRegion(t *testing.T) {
	for _, c := range []struct {
		agency, region string
		ok             bool
	}{
		{"110105-SCJGJ", "110105", true}, {"110105-A-B", "110105", true}, {"SCJGJ", "", false},
		{"11010-X", "", false}, {"1101055-X", "", false}, {"", "", false}, {"110105", "", false},
	} {
		r, ok := AgencyRegion(c.agency)
		if r != c.region || ok != c.ok {
			t.Errorf("AgencyRegion(%q) = %q %v", c.agency, r, ok)
		}
	}
	if !AgencyActsIn("110105-SCJGJ", "110105") || AgencyActsIn("110105-SCJGJ", "110106") || AgencyActsIn("110100-X", "110105") {
		t.Fatal("AgencyActsIn")
	}
}
