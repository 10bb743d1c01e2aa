package ses

import "bytes"

// sealMemo keeps the parse of embedded seals by the SM3 of their DER: an
// agency seals every pledge with the same SESeal, so each of its
// signatures carries the same seal bytes, and parsing them (SES_SealInfo,
// property, picture, certificate list) was most of a signature's parse.
// Safe for concurrent use; bounded by the Verifier's cache.
//
// Why content addressing is safe: a parsed Seal is a pure function of its
// DER (parseSealTLV reads nothing else), it is never modified after the
// parse, and it refers only to a private copy of those bytes, so a cached
// Seal can describe no other bytes than the ones it is looked up by and
// keeps no caller's buffer alive. Nothing needs invalidating: the bytes of
// a seal never change, only its status does, and status is not part of a
// parse (internal/verify asks the registry on every verification). Parse
// errors are not kept: a refusal is always the parser's own.
type sealMemo struct {
	cache *lru
	sums  *sumMemo
}

// parse returns the parse of the SESeal t; a nil memo parses every time.
func (m *sealMemo) parse(t tlv) (*Seal, error) {
	if m == nil {
		return parseSealTLV(t)
	}
	key := cacheKey{kind: kindParsedSeal, digest: m.sums.sum(t.full)}
	if c, ok := m.cache.get(key); ok {
		return c.(*Seal), nil
	}
	own, _, ok := readTLV(bytes.Clone(t.full))
	if !ok {
		return parseSealTLV(t) // cannot happen: t was read as one TLV
	}
	s, err := parseSealTLV(own)
	if err != nil {
		return nil, err
	}
	m.cache.put(key, s)
	return s, nil
}
