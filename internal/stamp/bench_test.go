package stamp_test

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/stamp"
	"github.com/pledgeseal/pledgeseal/internal/testredis"
)

// countingSigner counts SM2 signatures.
type countingSigner struct {
	pki.Signer
	n *atomic.Int64
}

func (c countingSigner) SignMessage(m []byte) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.SignMessage(m)
}

// redisCommands is the server's total_commands_processed (redis-cli).
func redisCommands(b *testing.B, addr string) int64 {
	b.Helper()
	host, port, _ := strings.Cut(addr, ":")
	out, err := exec.Command("redis-cli", "-h", host, "-p", port, "INFO", "stats").Output()
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "total_commands_processed:"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return n
		}
	}
	b.Fatal("no total_commands_processed")
	return 0
}

// BenchmarkSeal is one agency seal over a decision statement without a
// time-stamp (plain, the same-run baseline) and with one from the built-in
// TSA over real Redis (stamped). sm2/op counts SM2 signatures, redis/op the
// commands Redis processed per seal (the INFO call itself is one per run).
func BenchmarkSeal(b *testing.B) {
	e := newEnv(b, nil)
	var sigs atomic.Int64
	e.signer.Signer = countingSigner{Signer: e.signer.Signer, n: &sigs}
	e.authority = e.newAuthority(b, newStore(b, e.clk), countingSigner{Signer: pki.NewKeySigner(e.tsaKey), n: &sigs})
	// The same TSA with serials from a counter in memory: what the token
	// costs in CPU alone, without the Redis round trip.
	local := e.newAuthority(b, &memSerials{}, countingSigner{Signer: pki.NewKeySigner(e.tsaKey), n: &sigs})
	data := []byte(`{"decision":"ACCEPTED","pledgeId":"P1"}`)
	addr := testredis.Addr(b)
	for _, bc := range []struct {
		name   string
		sealer interface {
			SealData(context.Context, string, []byte, string) ([]byte, error)
		}
	}{
		{"plain", sealer{e}},
		{"stamped", stamp.Sealer{Inner: sealer{e}, Stamper: stamp.New(e.authority, true, nil)}},
		{"stamped-serial-in-memory", stamp.Sealer{Inner: sealer{e}, Stamper: stamp.New(local, true, nil)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			sigs.Store(0)
			before := redisCommands(b, addr)
			b.ResetTimer()
			for range b.N {
				raw, err := bc.sealer.SealData(context.Background(), "A", data, "pledge:P1")
				if err != nil {
					b.Fatal(err)
				}
				if len(raw) == 0 {
					b.Fatal("empty")
				}
			}
			b.StopTimer()
			cmds := redisCommands(b, addr) - before - 1
			b.ReportMetric(float64(sigs.Load())/float64(b.N), "sm2/op")
			b.ReportMetric(float64(cmds)/float64(b.N), "redis/op")
		})
	}
	_ = ses.CheckTimestamp
}

// memSerials numbers tokens in memory (benchmark decomposition only: the
// service's serials are Redis's, BenchmarkSeal/stamped).
type memSerials struct{ n atomic.Int64 }

func (m *memSerials) NextTSASerial(context.Context) (int64, error) { return m.n.Add(1), nil }
