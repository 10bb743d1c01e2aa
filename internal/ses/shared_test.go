package ses

import (
	"bytes"
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
)

// TestSharedInput: a Shared signature's parse and signer-signature result
// are kept by the SM3 of its bytes, the reports are the same as without
// the flag, every other check (data hash, time, status) still runs, and
// different bytes (a tampered value) are checked afresh.
func TestSharedInput(t *testing.T) {
	p := newTestPKI(t, t0)
	clk := clock.NewFake(t0.Add(time.Hour))
	seal := p.makeSeal(t, clk)
	clk.Advance(time.Minute)
	data := []byte("告知书 canonical bytes")
	sig := p.sign(t, seal, data, clk)
	good := sig.Raw
	tampered := bytes.Clone(good)
	// The signature value is the BIT STRING at the end of the TLV.
	tampered[len(tampered)-3] ^= 0x01
	ctx := context.Background()

	plain := NewVerifier(Options{SealTrust: p.trust})
	shared := NewVerifier(Options{SealTrust: p.trust})
	cases := []struct {
		name string
		der  []byte
		data []byte
		want outcome.Indication
		sub  outcome.SubIndication
	}{
		{"first", good, data, outcome.TotalPassed, ""},
		{"again", good, data, outcome.TotalPassed, ""},
		{"again, other data", good, []byte("other"), outcome.TotalFailed, outcome.HashFailure},
		{"tampered value", tampered, data, outcome.TotalFailed, outcome.SigCryptoFailure},
		{"tampered again", tampered, data, outcome.TotalFailed, outcome.SigCryptoFailure},
		{"good after tampered", good, data, outcome.TotalPassed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := plain.VerifySignatureBytes(ctx, tc.der, Input{Data: tc.data, HasData: true})
			got := shared.VerifySignatureBytes(ctx, tc.der, Input{Data: tc.data, HasData: true, Shared: true})
			if got.Indication != tc.want || (tc.sub != "" && got.SubIndication != tc.sub) {
				t.Fatalf("got %s/%s, want %s/%s", got.Indication, got.SubIndication, tc.want, tc.sub)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("shared report differs:\n got %+v\nwant %+v", got, want)
			}
		})
	}
	// Plain: 6 signer signatures; the maker signature once (then cached);
	// for each of the 2 tampered values the diagnosis (e = dataHash).
	if st := plain.Stats(); st.SM2Performed != 9 || st.SM2Skipped != 5 {
		t.Fatalf("plain stats %+v", st)
	}
	// Shared: the signer signature once per distinct bytes (good, tampered,
	// this one with its diagnosis), the maker signature once.
	if st := shared.Stats(); st.SM2Performed != 4 || st.SM2Skipped != 5+4 {
		t.Fatalf("shared stats %+v", st)
	}
	// A malformed Shared input is refused each time, never kept.
	for range 2 {
		r := shared.VerifySignatureBytes(ctx, good[:len(good)-1], Input{Data: data, HasData: true, Shared: true})
		if r.SubIndication != outcome.FormatFailure {
			t.Fatalf("truncated: %s/%s", r.Indication, r.SubIndication)
		}
	}
}
