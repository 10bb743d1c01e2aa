package ofd

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/ses"
)

var benchFiles = []string{"kinggrid-v1-0031.ofd", "aztsign-v4.ofd", "antchain-v4.ofd", "tongz-v4-extdatas-rawsig.ofd", "dms360-v1-nonstd.ofd"}

// processCPU is the CPU time of this process (all threads, GC included).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVerify verifies each sample package with a warm ses.Verifier
// (seal and certificate caches filled by the first round). cpu-ns/op is
// the process's CPU time per verification, which a busy machine moves far
// less than ns/op.
func BenchmarkVerify(b *testing.B) {
	for _, file := range benchFiles {
		data := readFile(b, "testdata/"+file)
		b.Run(file, func(b *testing.B) {
			v := ses.NewVerifier(ses.Options{})
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			start := processCPU(b)
			for b.Loop() {
				if _, err := Verify(context.Background(), data, Options{SES: v}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
		})
	}
}
