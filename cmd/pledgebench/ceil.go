package main

import (
	"crypto/rand"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/pledgeseal/pledgeseal/internal/bench"
	"github.com/pledgeseal/pledgeseal/internal/clock"
)

// ceilings measures raw gmsm SM2 sign and verify (with ZA, default UID)
// rates with GOMAXPROCS goroutines, each for d.
func ceilings(clk clock.Clock, d time.Duration) (bench.Ceilings, error) {
	key, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return bench.Ceilings{}, err
	}
	// A message of the size of a CMS signed-attributes block.
	msg := make([]byte, 160)
	if _, err := rand.Read(msg); err != nil {
		return bench.Ceilings{}, err
	}
	sig, err := key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
	if err != nil {
		return bench.Ceilings{}, err
	}
	n := runtime.GOMAXPROCS(0)
	var failed atomic.Bool
	rate := func(op func() bool) (perSec, perCPUSec float64) {
		var count atomic.Int64
		cpu0 := selfCPU()
		var wg sync.WaitGroup
		start := clk.Now()
		deadline := start.Add(d)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for clk.Now().Before(deadline) {
					if !op() {
						failed.Store(true)
						return
					}
					count.Add(1)
				}
			}()
		}
		wg.Wait()
		wall, cpu := clk.Now().Sub(start), selfCPU()-cpu0
		perSec = float64(count.Load()) / wall.Seconds()
		if cpu > 0 {
			perCPUSec = float64(count.Load()) / cpu.Seconds()
		}
		return perSec, perCPUSec
	}
	c := bench.Ceilings{Goroutines: n}
	c.SignPerSec, c.SignPerCPUSec = rate(func() bool {
		_, err := key.Sign(rand.Reader, msg, sm2.DefaultSM2SignerOpts)
		return err == nil
	})
	c.VerifyPerSec, c.VerifyPerCPUSec = rate(func() bool { return sm2.VerifyASN1WithSM2(&key.PublicKey, nil, msg, sig) })
	if failed.Load() {
		return c, errors.New("an SM2 operation failed while measuring the ceilings")
	}
	return c, nil
}
