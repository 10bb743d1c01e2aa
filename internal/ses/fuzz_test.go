package ses

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
)

// maxFuzzVerify bounds the inputs that are also verified (SM2 is slow, and
// the real samples are tens of kilobytes): small inputs, such as the seal and
// signature made in addSmallSeeds and their mutants, exercise verification.
const maxFuzzVerify = 8 << 10

// smallSeeds returns a seal and a signature made by this package (small
// enough to be verified on every run).
func smallSeeds(f *testing.F) (seal, sig []byte) {
	p := newTestPKI(f, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	s := p.makeSeal(f, clk)
	return s.Raw, p.sign(f, s, []byte("d"), clk).Raw
}

func addSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(pattern)
	if err != nil || len(files) == 0 {
		f.Fatalf("no seeds for %s", pattern)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
}

// FuzzParseSignature: no panic on any input; errors are *apperr.Error of
// kind Malformed; what parses can be verified without panicking; and for v4
// encoding is idempotent: encode(parse(encode(s))) == encode(s).
func FuzzParseSignature(f *testing.F) {
	addSeeds(f, "testdata/*.dat")
	_, sig := smallSeeds(f)
	f.Add(sig)
	// A signature with a timestamp token exercises the RFC 3161 path.
	p := newTestPKI(f, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	f.Add(timestampedSignature(f, p, p.sign(f, p.makeSeal(f, clk), []byte("d"), clk), t0.Add(2*time.Hour)))
	v := NewVerifier(Options{CacheSize: 8})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSignature(b)
		// The Verifier's parse (embedded seal from its memo, a miss then
		// a hit) is the plain parse.
		for range 2 {
			m, merr := v.ParseSignature(b)
			if (merr == nil) != (err == nil) || (err == nil && !reflect.DeepEqual(m, s)) {
				t.Fatalf("memo parse differs: %v / %v", merr, err)
			}
		}
		if err != nil {
			if apperr.KindOf(err) != apperr.Malformed || apperr.As(err).Detail == "" {
				t.Fatalf("error %v is not a Malformed apperr with a detail", err)
			}
			return
		}
		if len(b) <= maxFuzzVerify {
			v.VerifySignature(context.Background(), s, Input{Data: b, HasData: true})
		}
		if s.Version != V4 {
			return
		}
		s.TBS.Seal.Raw = nil // re-encode the seal too
		enc, err := s.Encode()
		if err != nil {
			return // e.g. a non-ASCII string that IA5 cannot hold
		}
		back, err := ParseSignature(enc)
		if err != nil {
			t.Fatalf("our own encoding does not parse: %v", err)
		}
		back.TBS.Seal.Raw = nil
		again, err := back.Encode()
		if err != nil || !bytes.Equal(enc, again) {
			t.Fatalf("encoding is not idempotent: %v", err)
		}
	})
}

// FuzzParseSeal: as FuzzParseSignature, for bare seals.
func FuzzParseSeal(f *testing.F) {
	addSeeds(f, "testdata/*.esl")
	seal, _ := smallSeeds(f)
	f.Add(seal)
	v := NewVerifier(Options{CacheSize: 8})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseSeal(b)
		if err != nil {
			if apperr.KindOf(err) != apperr.Malformed || apperr.As(err).Detail == "" {
				t.Fatalf("error %v is not a Malformed apperr with a detail", err)
			}
			return
		}
		if len(b) <= maxFuzzVerify {
			v.VerifySeal(context.Background(), s, s.Info.Property.ValidStart)
		}
		if s.Version != V4 {
			return
		}
		enc, err := s.Encode()
		if err != nil {
			return
		}
		back, err := ParseSeal(enc)
		if err != nil {
			t.Fatalf("our own encoding does not parse: %v", err)
		}
		again, err := back.Encode()
		if err != nil || !bytes.Equal(enc, again) {
			t.Fatalf("encoding is not idempotent: %v", err)
		}
	})
}
