package pledge

import "github.com/pledgeseal/pledgeseal/internal/jcs"

// decodePackageFast decodes the common shape of a package in one pass over
// the raw bytes with a jcs.Scanner, without canonicalising it and without
// encoding/json: exactly the members of Package with their exact names,
// each at most once (agencySeal optional, the others required), every
// value a string the Scanner reads (no escape, no control character, valid
// UTF-8; certificates an array of such strings), JSON white space anywhere
// the grammar allows it and nothing after the object.
//
// Such bytes are exactly what the full path accepts with the same result:
// they are valid I-JSON without duplicate names, escapes or numbers, so
// jcs.Canonicalize succeeds and only reorders members and drops white
// space; encoding/json decodes every member by its exact name to the same
// strings; and appendCanonicalPackage, which copies strings needing no
// escape as they are, re-encodes them to that canonical form. Anything else
// (escapes, nulls, case-folded or unknown names, duplicates, other types)
// returns ok == false and the caller runs the full path, which also chooses
// the error. FuzzPackageFastMatchesFull holds the two paths together, and
// jcs.FuzzScannerMatchesJSON the Scanner to encoding/json.
func decodePackageFast(b []byte) (p Package, ok bool) {
	s := jcs.NewScanner(b)
	var seen members
	s.Object(func(name []byte) {
		switch string(name) {
		case "format":
			seen.once(s, 0)
			p.Format = s.String()
		case "pledgeId":
			seen.once(s, 1)
			p.PledgeID = s.String()
		case "document":
			seen.once(s, 2)
			p.Document = s.String()
		case "statusUrl":
			seen.once(s, 3)
			p.StatusURL = s.String()
		case "applicantSignature":
			seen.once(s, 4)
			stringMembers(s, []string{"cms", "way"}, &p.ApplicantSignature.CMS, &p.ApplicantSignature.Way)
		case "notice":
			seen.once(s, 5)
			stringMembers(s, []string{"document", "ses"}, &p.Notice.Document, &p.Notice.SES)
		case "certificates":
			seen.once(s, 6)
			p.Certificates = s.Strings()
		case "agencySeal":
			seen.once(s, 7)
			seal := &PackageSeal{}
			stringMembers(s, []string{"date", "documentNo", "sealedData", "ses"}, &seal.Date, &seal.DocumentNo, &seal.SealedData, &seal.SES)
			p.AgencySeal = seal
		default:
			s.Fail()
		}
	})
	const required = 1<<7 - 1 // every member but agencySeal
	if !s.Done() || seen&required != required {
		return Package{}, false
	}
	return p, true
}

// members records which members of an object were read.
type members uint

// once marks member i read, failing s when it was read before.
func (m *members) once(s *jcs.Scanner, i uint) {
	if *m&(1<<i) != 0 {
		s.Fail()
	}
	*m |= 1 << i
}

// stringMembers reads an object whose members are exactly names (any
// order, each once), all strings, into dst (in the order of names).
func stringMembers(s *jcs.Scanner, names []string, dst ...*string) {
	var seen members
	s.Object(func(name []byte) {
		for i, n := range names {
			if string(name) == n {
				seen.once(s, uint(i))
				*dst[i] = s.String()
				return
			}
		}
		s.Fail()
	})
	if seen != 1<<len(names)-1 {
		s.Fail()
	}
}
