package ses

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

// TestSealMemo: a Verifier parses the seal embedded in its signatures once
// per content. Signatures carrying the same seal share one parse, equal to
// a fresh one; the parse keeps no caller's buffer; a seal differing in one
// byte (a forged maker signature under the genuine seal's name, ESID and
// picture, re-signed by a valid signer) is parsed and verified afresh and
// fails, also after the genuine seal was cached; the memo is bounded.
func TestSealMemo(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(t, clk)
	clk.Advance(time.Minute)
	d1, d2 := []byte("pledge one"), []byte("pledge two")
	der1 := bytes.Clone(p.sign(t, seal, d1, clk).Raw)
	der2 := bytes.Clone(p.sign(t, seal, d2, clk).Raw)
	v := NewVerifier(Options{SealTrust: p.trust, CacheSize: 8})
	ctx := context.Background()

	s1, err := v.ParseSignature(der1)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := ParseSignature(der2)
	if err != nil {
		t.Fatal(err)
	}
	// The caller's buffer may be reused after the call: the cached seal
	// must not refer to it.
	for i := range der1 {
		der1[i] = 0
	}
	s2, err := v.ParseSignature(der2)
	if err != nil {
		t.Fatal(err)
	}
	if s1.TBS.Seal != s2.TBS.Seal {
		t.Fatal("two signatures over the same seal did not share its parse")
	}
	if !reflect.DeepEqual(s2.TBS.Seal, fresh.TBS.Seal) || !reflect.DeepEqual(s2, fresh) {
		t.Fatal("the cached seal parse differs from a fresh parse")
	}
	if r := v.VerifySignature(ctx, s2, Input{Data: d2, HasData: true}); r.Indication != outcome.TotalPassed {
		t.Fatalf("genuine: %s/%s %v", r.Indication, r.SubIndication, failedChecks(r))
	}

	// The forged seal: the genuine seal with the last byte of its maker
	// signature changed, signed by the (valid) agency signer.
	raw := bytes.Clone(seal.Raw)
	raw[len(raw)-1] ^= 0x01
	forgedSeal, err := ParseSeal(raw)
	if err != nil {
		t.Fatal(err)
	}
	forged := p.sign(t, forgedSeal, d1, clk).Raw
	res := v.VerifySignatureResult(ctx, forged, Input{Data: d1, HasData: true})
	if res.Signature == nil || res.Signature.TBS.Seal == s2.TBS.Seal || !bytes.Equal(res.Signature.TBS.Seal.Raw, raw) {
		t.Fatal("the forged seal was answered with the genuine seal's parse")
	}
	if c, _ := res.Report.Find(CheckMakerSignature); c.Result != outcome.Failed {
		t.Fatalf("forged seal: maker signature %s (%s)", c.Result, c.Detail)
	}
	if c, _ := res.Report.Find(CheckSignerSignature); c.Result != outcome.Passed {
		t.Fatalf("forged seal: signer signature %s: the test does not isolate the seal", c.Result)
	}
	// And the genuine one still passes after the forged one was seen.
	if r := v.VerifySignatureBytes(ctx, der2, Input{Data: d2, HasData: true}); r.Indication != outcome.TotalPassed {
		t.Fatalf("genuine after forged: %s/%s", r.Indication, r.SubIndication)
	}

	// Concurrent use (go test -race): many goroutines, two seals.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			der, want := der2, outcome.TotalPassed
			if i%2 == 1 {
				der, want = forged, outcome.TotalFailed
			}
			data := d2
			if i%2 == 1 {
				data = d1
			}
			if r := v.VerifySignatureBytes(ctx, der, Input{Data: data, HasData: true}); r.Indication != want {
				t.Errorf("goroutine %d: %s", i, r.Indication)
			}
		})
	}
	wg.Wait()

	// Bounded: many distinct seals leave at most CacheSize entries.
	for i := range 12 {
		req := p.sealRequest(t)
		req.ESID = fmt.Sprintf("1101000000%04d", i)
		s, err := MakeSeal(req, p.maker(), clk)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.ParseSignature(p.sign(t, s, d1, clk).Raw); err != nil {
			t.Fatal(err)
		}
	}
	if n := v.cache.len(); n > 8 {
		t.Fatalf("the cache holds %d entries, more than its bound 8", n)
	}
	// A malformed signature is refused each time and leaves no entry.
	if _, err := v.ParseSignature(der1); err == nil {
		t.Fatal("the zeroed buffer parsed")
	}
}
