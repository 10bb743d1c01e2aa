package store

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm3"
	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/registry"
	"github.com/pledgeseal/pledgeseal/internal/status"
)

func (s *Store) sealKey(esID string) string     { return s.key(regTag, "seal", esID) }
func (s *Store) sealDigestKey() string          { return s.key(regTag, "seals", "digest") }
func (s *Store) sealAllKey() string             { return s.key(regTag, "seals", "all") }
func (s *Store) sealAgencyKey(ag string) string { return s.key(regTag, "seals", "agency", ag) }
func (s *Store) sealCertKey(d [32]byte) string {
	return s.key(regTag, "seals", "cert", hex.EncodeToString(d[:]))
}
func sealSubject(rec *registry.SealRecord) status.Subject {
	return status.Subject{Kind: status.KindSeal, ID: rec.ESID, Digest: rec.Digest}
}

func hexList(ds [][32]byte) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = hex.EncodeToString(d[:])
	}
	return strings.Join(parts, ",")
}

// sealFields is the stored form of a seal record, field by field.
func sealFields(rec *registry.SealRecord) map[string]string {
	ms := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	return map[string]string{
		"der": string(rec.DER), "digest": hex.EncodeToString(rec.Digest[:]), "agency": rec.Agency, "name": rec.Name,
		"category": rec.Category, "type": rec.TypeCode, "certs": hexList(rec.SignerCerts),
		"maker": hex.EncodeToString(rec.MakerCert[:]), "origin": rec.Origin, "version": rec.Version,
		"start": ms(rec.ValidStart), "end": ms(rec.ValidEnd), "created": ms(rec.Created),
	}
}

// sealRecordDigest is SM3 over a record's fields in name order, each name
// and value length-prefixed. The filing's audit entry carries it, so that
// Store.VerifyIndex can tell an edited seal record.
func sealRecordDigest(fields map[string]string) string {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	h := sm3.New()
	var n [4]byte
	for _, k := range names {
		for _, part := range []string{k, fields[k]} {
			binary.BigEndian.PutUint32(n[:], uint32(len(part)))
			h.Write(n[:])
			h.Write([]byte(part))
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Audit entry Data keys the store reserves for seal filings.
const (
	dataSealRecord       = "sealRecord"
	dataSealRecordDigest = "sealRecordSM3"
)

// sealOps builds the script ops that write a new seal record and its indexes.
func (r *Registry) sealOps(kl *keyList, rec *registry.SealRecord) (int, []any) {
	fields := sealFields(rec)
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	score := rec.Created.UnixMilli()
	args := []any{"N", kl.at(r.st.sealKey(rec.ESID)), len(names)}
	for _, k := range names {
		args = append(args, k, fields[k])
	}
	args = append(args, "F", kl.at(r.st.sealDigestKey()), hex.EncodeToString(rec.Digest[:]), rec.ESID)
	args = append(args, "Z", kl.at(r.st.sealAllKey()), score, rec.ESID)
	args = append(args, "Z", kl.at(r.st.sealAgencyKey(rec.Agency)), score, rec.ESID)
	n := 4
	for _, c := range rec.SignerCerts {
		args = append(args, "Z", kl.at(r.st.sealCertKey(c)), score, rec.ESID)
		n++
	}
	return n, args
}

// CreateSeal files a new seal and its first status event (c.To, normally
// ACTIVE) in one atomic change. c.Items and c.From are set here.
func (r *Registry) CreateSeal(ctx context.Context, rec registry.SealRecord, c registry.Change) (registry.Applied, error) {
	if rec.ESID == "" || len(rec.DER) == 0 || rec.Agency == "" {
		return registry.Applied{}, apperr.New(apperr.Malformed, "a seal record needs an esID, the seal bytes and an agency")
	}
	for _, t := range []struct{ what, s string }{{"esID", rec.ESID}, {"agency", rec.Agency}, {"name", rec.Name},
		{"category", rec.Category}, {"type code", rec.TypeCode}} {
		if err := registry.CheckText(t.what, t.s, registry.MaxIDLen); err != nil {
			return registry.Applied{}, err
		}
	}
	rec.Created = rec.Created.UTC()
	data := make(map[string]string, len(c.Data)+2)
	for k, v := range c.Data {
		data[k] = v
	}
	data[dataSealRecord] = rec.ESID
	data[dataSealRecordDigest] = sealRecordDigest(sealFields(&rec))
	c.Data = data
	c.Items = []status.Subject{sealSubject(&rec)}
	c.From = []status.Code{status.Unknown}
	return r.apply1(ctx, c, &rec)
}

// GetSeal reads one seal record.
func (r *Registry) GetSeal(ctx context.Context, esID string) (registry.SealRecord, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	m, err := r.st.rdb.HGetAll(ctx, r.st.sealKey(esID)).Result()
	if err != nil {
		return registry.SealRecord{}, mapErr(err, "seal not found")
	}
	if len(m) == 0 {
		return registry.SealRecord{}, apperr.New(apperr.NotFound, "seal %q is not registered", esID)
	}
	return decodeSeal(esID, m)
}

// SealIDByDigest finds a seal's esID by the SM3 digest of its DER.
func (r *Registry) SealIDByDigest(ctx context.Context, d [32]byte) (string, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	id, err := r.st.rdb.HGet(ctx, r.st.sealDigestKey(), hex.EncodeToString(d[:])).Result()
	if err != nil {
		return "", mapErr(err, "no seal with this digest is registered")
	}
	return id, nil
}

// ListSeals lists esIDs in filing order: all seals, or one agency's, or
// those bound to a signer certificate (certDigest non-zero).
func (r *Registry) ListSeals(ctx context.Context, agency string, certDigest [32]byte, cursor string, limit int) (registry.SealPage, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	off := int64(0)
	if cursor != "" {
		n, err := strconv.ParseInt(cursor, 10, 64)
		if err != nil || n < 0 {
			return registry.SealPage{}, apperr.New(apperr.Malformed, "bad cursor")
		}
		off = n
	}
	key := r.st.sealAllKey()
	switch {
	case certDigest != ([32]byte{}):
		key = r.st.sealCertKey(certDigest)
	case agency != "":
		key = r.st.sealAgencyKey(agency)
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	ids, err := r.st.rdb.ZRangeArgs(ctx, redis.ZRangeArgs{Key: key, Start: off, Stop: off + int64(limit)}).Result()
	if err != nil {
		return registry.SealPage{}, mapErr(err, "seals")
	}
	p := registry.SealPage{IDs: ids}
	if len(ids) > limit {
		p.IDs = ids[:limit]
		p.Next = strconv.FormatInt(off+int64(limit), 10)
	}
	return p, nil
}

func decodeSeal(esID string, m map[string]string) (registry.SealRecord, error) {
	bad := apperr.New(apperr.Internal, "corrupt seal record")
	dig := func(s string) ([32]byte, bool) {
		var d [32]byte
		b, err := hex.DecodeString(s)
		if err != nil || len(b) != 32 {
			return d, false
		}
		copy(d[:], b)
		return d, true
	}
	ms := func(f string) time.Time {
		n, _ := strconv.ParseInt(m[f], 10, 64)
		return time.UnixMilli(n).UTC()
	}
	rec := registry.SealRecord{ESID: esID, DER: []byte(m["der"]), Agency: m["agency"], Name: m["name"], Category: m["category"],
		TypeCode: m["type"], Origin: m["origin"], Version: m["version"], ValidStart: ms("start"), ValidEnd: ms("end"), Created: ms("created")}
	var ok bool
	if rec.Digest, ok = dig(m["digest"]); !ok {
		return rec, bad
	}
	if rec.MakerCert, ok = dig(m["maker"]); !ok {
		return rec, bad
	}
	if m["certs"] != "" {
		for _, c := range strings.Split(m["certs"], ",") {
			d, ok := dig(c)
			if !ok {
				return rec, bad
			}
			rec.SignerCerts = append(rec.SignerCerts, d)
		}
	}
	return rec, nil
}
