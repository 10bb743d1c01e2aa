package pledge

import "unicode/utf8"

// decodePackageFast decodes the common shape of a package in one pass over
// the raw bytes, without canonicalising it and without encoding/json:
// exactly the members of Package with their exact names, each at most once
// (agencySeal optional, the others required), every value a string without
// a backslash or a control character and with valid UTF-8 (certificates an
// array of such strings), JSON white space anywhere the grammar allows it
// and nothing after the object.
//
// Such bytes are exactly what the full path accepts with the same result:
// they are valid I-JSON without duplicate names, escapes or numbers, so
// jcs.Canonicalize succeeds and only reorders members and drops white
// space; encoding/json decodes every member by its exact name to the same
// strings; and appendCanonicalPackage, which copies strings needing no
// escape as they are, re-encodes them to that canonical form. Anything else
// (escapes, nulls, case-folded or unknown names, duplicates, other types)
// returns ok == false and the caller runs the full path, which also chooses
// the error. FuzzPackageFastMatchesFull holds the two paths together.
func decodePackageFast(b []byte) (p Package, ok bool) {
	s := fastScanner{in: b}
	s.ws()
	const (
		mFormat = 1 << iota
		mPledgeID
		mDocument
		mApplicantSignature
		mNotice
		mAgencySeal
		mCertificates
		mStatusURL
	)
	var seen uint
	ok = s.object(func(name []byte) bool {
		var bit uint
		var good bool
		switch string(name) {
		case "format":
			bit = mFormat
			p.Format, good = s.str()
		case "pledgeId":
			bit = mPledgeID
			p.PledgeID, good = s.str()
		case "document":
			bit = mDocument
			p.Document, good = s.str()
		case "statusUrl":
			bit = mStatusURL
			p.StatusURL, good = s.str()
		case "applicantSignature":
			bit = mApplicantSignature
			good = s.strObject(map2("cms", &p.ApplicantSignature.CMS, "way", &p.ApplicantSignature.Way))
		case "notice":
			bit = mNotice
			good = s.strObject(map2("document", &p.Notice.Document, "ses", &p.Notice.SES))
		case "agencySeal":
			bit = mAgencySeal
			seal := &PackageSeal{}
			good = s.strObject([]fastField{{"date", &seal.Date}, {"documentNo", &seal.DocumentNo},
				{"sealedData", &seal.SealedData}, {"ses", &seal.SES}})
			p.AgencySeal = seal
		case "certificates":
			bit = mCertificates
			p.Certificates, good = s.strArray()
		default:
			return false
		}
		if !good || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
	if !ok {
		return Package{}, false
	}
	s.ws()
	const required = mFormat | mPledgeID | mDocument | mApplicantSignature | mNotice | mCertificates | mStatusURL
	if s.i != len(s.in) || seen&required != required {
		return Package{}, false
	}
	return p, true
}

// fastField names one required string member of a nested object.
type fastField struct {
	name string
	dst  *string
}

func map2(a string, pa *string, b string, pb *string) []fastField {
	return []fastField{{a, pa}, {b, pb}}
}

// fastScanner reads the restricted JSON of decodePackageFast.
type fastScanner struct {
	in []byte
	i  int
}

func (s *fastScanner) ws() {
	for s.i < len(s.in) {
		switch s.in[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next skips white space and consumes c.
func (s *fastScanner) next(c byte) bool {
	s.ws()
	if s.i < len(s.in) && s.in[s.i] == c {
		s.i++
		return true
	}
	return false
}

// rawStr reads a string without a backslash or control character and with
// valid UTF-8 (after white space) and returns the bytes between the quotes.
func (s *fastScanner) rawStr() ([]byte, bool) {
	if !s.next('"') {
		return nil, false
	}
	start := s.i
	for s.i < len(s.in) {
		c := s.in[s.i]
		switch {
		case c == '"':
			out := s.in[start:s.i]
			s.i++
			return out, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, size := utf8.DecodeRune(s.in[s.i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, false
			}
			s.i += size
		}
	}
	return nil, false
}

func (s *fastScanner) str() (string, bool) {
	b, ok := s.rawStr()
	return string(b), ok
}

// object reads an object whose member values member reads; member gets
// each name and reports whether its value was read and accepted.
func (s *fastScanner) object(member func(name []byte) bool) bool {
	if !s.next('{') {
		return false
	}
	for {
		name, ok := s.rawStr()
		if !ok || !s.next(':') {
			return false
		}
		s.ws()
		if !member(name) {
			return false
		}
		if s.next(',') {
			continue
		}
		return s.next('}')
	}
}

// strObject reads an object whose members are exactly fields (any order,
// each once), all strings.
func (s *fastScanner) strObject(fields []fastField) bool {
	var seen uint
	ok := s.object(func(name []byte) bool {
		for i, f := range fields {
			if string(name) != f.name {
				continue
			}
			v, ok := s.str()
			if !ok || seen&(1<<i) != 0 {
				return false
			}
			seen |= 1 << i
			*f.dst = v
			return true
		}
		return false
	})
	return ok && seen == 1<<len(fields)-1
}

// strArray reads an array of strings (possibly empty, never null).
func (s *fastScanner) strArray() ([]string, bool) {
	if !s.next('[') {
		return nil, false
	}
	out := []string{}
	if s.next(']') {
		return out, true
	}
	for {
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if s.next(',') {
			continue
		}
		return out, s.next(']')
	}
}
