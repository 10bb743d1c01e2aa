package store

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/pii"
)

// OFDRepo keeps the sealed OFD of each decision (ofdmake.Repository): one
// key per pledge and decision, in the pledge's hash slot (the tag of its
// record), holding the document sealed with the personal-data key (it
// shows the applicant unmasked and carries the package), bound to the
// pledge and the decision. Documents are bounded by ofdmake.MaxSize and
// kept without expiry: the decided document does not change.
type OFDRepo struct {
	st  *Store
	pii *pii.Protector
}

var _ ofdmake.Repository = (*OFDRepo)(nil)

// NewOFDRepo returns the repository over s, sealing with p.
func NewOFDRepo(s *Store, p *pii.Protector) *OFDRepo { return &OFDRepo{st: s, pii: p} }

func (r *OFDRepo) key(pledgeID string, decision [32]byte) string {
	return r.st.key(pledgeShardTag(pledgeShard(pledgeID)), "ofd", pledgeID, hex.EncodeToString(decision[:]))
}

// field binds a sealed document to its decision (the record is the pledge).
func ofdField(decision [32]byte) string { return "ofd:" + hex.EncodeToString(decision[:]) }

// KeptOFD implements ofdmake.Repository.
func (r *OFDRepo) KeptOFD(ctx context.Context, pledgeID string, decision [32]byte) ([]byte, error) {
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	sealed, err := r.st.rdb.Get(ctx, r.key(pledgeID, decision)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return r.pii.Open(pledgeID, ofdField(decision), sealed)
}

// KeepOFD implements ofdmake.Repository with one SET NX GET: of two
// concurrent first documents one is kept and both callers get it.
func (r *OFDRepo) KeepOFD(ctx context.Context, pledgeID string, decision [32]byte, b []byte) ([]byte, error) {
	if len(b) == 0 || len(b) > ofdmake.MaxSize {
		return nil, apperr.New(apperr.Internal, "a sealed OFD of %d bytes is not kept (at most %d)", len(b), ofdmake.MaxSize)
	}
	sealed, err := r.pii.Seal(pledgeID, ofdField(decision), b)
	if err != nil {
		return nil, err
	}
	ctx, cancel := r.st.ctx(ctx)
	defer cancel()
	prev, err := r.st.rdb.SetArgs(ctx, r.key(pledgeID, decision), sealed, redis.SetArgs{Mode: "NX", Get: true}).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		return b, nil // kept now
	case err != nil:
		return nil, unavailable(err)
	}
	return r.pii.Open(pledgeID, ofdField(decision), prev)
}
