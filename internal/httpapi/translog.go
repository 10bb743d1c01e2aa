package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// TransparencyLog is the transparency log's read side and its on-demand
// checkpoint (*app.TransLog over store.TransLog; docs/transparency.md).
type TransparencyLog interface {
	Checkpoint(ctx context.Context) ([]byte, error)
	SignNow(ctx context.Context) ([]byte, error)
	Entries(ctx context.Context, start, end uint64) ([][]byte, error)
	LeafIndex(ctx context.Context, leafHash []byte) (uint64, error)
	InclusionProof(ctx context.Context, index, size uint64) ([][]byte, error)
	ConsistencyProof(ctx context.Context, from, to uint64) ([][]byte, error)
	// PledgeIndex and CheckpointFor prove a pledge's state in verification
	// reports (verify.LogSource).
	PledgeIndex(ctx context.Context, pledgeID string, registry bool) (uint64, bool, error)
	CheckpointFor(ctx context.Context, index uint64) ([]byte, bool, error)
}

// attachLogProofs adds to each report the log proof of its pledge's state
// now (verify.ProveLog); nothing without a log.
func (s *Server) attachLogProofs(ctx context.Context, rs []verify.Report) {
	if s.deps.TransLog == nil {
		return
	}
	for i := range rs {
		rs[i].Log = verify.ProveLog(ctx, s.deps.TransLog, &rs[i])
	}
}

// Media type of a signed checkpoint (C2SP tlog-checkpoint in a signed note).
const mediaCheckpoint = "text/plain; charset=utf-8"

// logRoutes serve the transparency log: public, rate limited in the
// verification scope (ratelimit.go), except signing a checkpoint on demand
// (admin).
func (s *Server) logRoutes() {
	s.handle(http.MethodGet, "/v1/log/checkpoint", anyone(), s.logCheckpoint)
	s.handle(http.MethodPost, "/v1/log/checkpoint", only(auth.RoleAdmin), s.logSignCheckpoint)
	s.handle(http.MethodGet, "/v1/log/proofs/inclusion", anyone(), s.logInclusion)
	s.handle(http.MethodGet, "/v1/log/proofs/consistency", anyone(), s.logConsistency)
	s.handle(http.MethodGet, "/v1/log/entries", anyone(), s.logEntries)
}

func (s *Server) transLog() (TransparencyLog, error) {
	if s.deps.TransLog == nil {
		return nil, apperr.New(apperr.NotFound, "this service runs no transparency log (no transparency-log identity in the trust material) / 本服务未配置透明日志").WithCode(apperr.CodeLogNotConfigured)
	}
	return s.deps.TransLog, nil
}

func (s *Server) logCheckpoint(c *gin.Context, _ auth.Principal) error {
	l, err := s.transLog()
	if err != nil {
		return err
	}
	cp, err := l.Checkpoint(c.Request.Context())
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, mediaCheckpoint, cp)
	return nil
}

func (s *Server) logSignCheckpoint(c *gin.Context, _ auth.Principal) error {
	l, err := s.transLog()
	if err != nil {
		return err
	}
	cp, err := l.SignNow(c.Request.Context())
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, mediaCheckpoint, cp)
	return nil
}

// queryUint reads a required decimal query parameter.
func queryUint(c *gin.Context, name string) (uint64, error) {
	v := c.Query(name)
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || len(v) > 20 || (len(v) > 1 && v[0] == '0') {
		return 0, apperr.New(apperr.Malformed, "query parameter %s must be a decimal number / 参数须为十进制数", name).WithCode(apperr.CodeRangeInvalid)
	}
	return n, nil
}

// LogProof is an inclusion or consistency proof (hashes in lower-case hex).
type LogProof struct {
	LeafIndex *uint64  `json:"leafIndex,omitempty"`
	TreeSize  uint64   `json:"treeSize"`
	From      *uint64  `json:"from,omitempty"`
	Hashes    []string `json:"hashes"`
}

func hexAll(h [][]byte) []string {
	out := make([]string, len(h))
	for i, x := range h {
		out[i] = hex.EncodeToString(x)
	}
	return out
}

func (s *Server) logInclusion(c *gin.Context, _ auth.Principal) error {
	l, err := s.transLog()
	if err != nil {
		return err
	}
	leaf, err := hex.DecodeString(c.Query("leaf"))
	if err != nil || len(leaf) != translog.HashSize {
		return apperr.New(apperr.Malformed, "leaf must be the 64-hex-digit leaf hash / leaf 须为 64 位十六进制叶子哈希").WithCode(apperr.CodeRangeInvalid)
	}
	size, err := queryUint(c, "size")
	if err != nil {
		return err
	}
	ctx := c.Request.Context()
	idx, err := l.LeafIndex(ctx, leaf)
	if err != nil {
		return err
	}
	if idx >= size {
		return apperr.New(apperr.NotFound, "the leaf is at index %d, not in a tree of size %d / 该叶子不在此大小的树中", idx, size).WithCode(apperr.CodeLeafNotFound)
	}
	p, err := l.InclusionProof(ctx, idx, size)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, LogProof{LeafIndex: &idx, TreeSize: size, Hashes: hexAll(p)})
	return nil
}

func (s *Server) logConsistency(c *gin.Context, _ auth.Principal) error {
	l, err := s.transLog()
	if err != nil {
		return err
	}
	from, err := queryUint(c, "from")
	if err != nil {
		return err
	}
	to, err := queryUint(c, "to")
	if err != nil {
		return err
	}
	p, err := l.ConsistencyProof(c.Request.Context(), from, to)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, LogProof{From: &from, TreeSize: to, Hashes: hexAll(p)})
	return nil
}

// LogEntries is a page of log entries: each the base64 of its leaf data
// (translog.Entry encoding), from index Start on.
type LogEntries struct {
	Start   uint64   `json:"start"`
	Entries []string `json:"entries"`
}

func (s *Server) logEntries(c *gin.Context, _ auth.Principal) error {
	l, err := s.transLog()
	if err != nil {
		return err
	}
	start, err := queryUint(c, "start")
	if err != nil {
		return err
	}
	end, err := queryUint(c, "end")
	if err != nil {
		return err
	}
	got, err := l.Entries(c.Request.Context(), start, end)
	if err != nil {
		return err
	}
	out := LogEntries{Start: start, Entries: make([]string, len(got))}
	for i, e := range got {
		out.Entries[i] = base64.StdEncoding.EncodeToString(e)
	}
	c.JSON(http.StatusOK, out)
	return nil
}
