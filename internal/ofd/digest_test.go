package ofd

import (
	"bytes"
	"testing"

	"github.com/emmansun/gmsm/sm3"
	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// TestDigestMatchesRead: a streamed digest is SM3 of exactly the bytes Read
// returns, with and without a prefix, for deflated and stored entries, and
// an entry hashed for several signatures is inflated once.
func TestDigestMatchesRead(t *testing.T) {
	data := bytes.Repeat([]byte("<Content>page</Content>"), 5000)
	z := makeZip(t, entry{name: "d.xml", data: data}, entry{name: "s.bin", data: data[:1000], raw: true})
	za := bytes.Repeat([]byte{7}, 32)
	for _, name := range []string{"d.xml", "s.bin"} {
		streamed, err := Open(z, Limits{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := streamed.Digest(name, nil)
		if err != nil {
			t.Fatal(err)
		}
		gotZA, err := streamed.Digest(name, za)
		if err != nil {
			t.Fatal(err)
		}
		read := streamed.read
		if _, err := streamed.Digest(name, nil); err != nil || streamed.read != read {
			t.Fatalf("%s: a second digest read %d more bytes (%v)", name, streamed.read-read, err)
		}
		b, err := streamed.Read(name)
		if err != nil {
			t.Fatal(err)
		}
		h := sm3.New()
		h.Write(za)
		h.Write(b)
		if want := sm3.Sum(b); got != want || !bytes.Equal(gotZA[:], h.Sum(nil)) {
			t.Fatalf("%s: streamed digests differ from SM3 of the entry", name)
		}
		// From memory (already read) the same digest comes out.
		cached, _ := Open(z, Limits{})
		if _, err := cached.Read(name); err != nil {
			t.Fatal(err)
		}
		if d, err := cached.Digest(name, nil); err != nil || d != got {
			t.Fatalf("%s: digest from memory %x, streamed %x (%v)", name, d, got, err)
		}
	}
}

// TestDigestRefusesLyingOrCorruptEntries: an entry that only gets hashed is
// held to the same checks as one that is read: more bytes than its
// directory declares, fewer, or a wrong CRC-32 is an error, never a digest.
func TestDigestRefusesLyingOrCorruptEntries(t *testing.T) {
	z := makeZip(t, entry{name: "a", data: bytes.Repeat([]byte("abc"), 1000), raw: true})
	cd := bytes.LastIndex(z, []byte("PK\x01\x02"))
	patch := func(mut func([]byte)) []byte {
		c := bytes.Clone(z)
		mut(c)
		return c
	}
	tests := map[string][]byte{
		"understated size": patch(func(c []byte) { c[cd+24], c[cd+25] = 10, 0 }),
		"overstated size":  patch(func(c []byte) { c[cd+24], c[cd+25] = 0xb9, 0x0b }), // 3001
		"wrong CRC":        patch(func(c []byte) { c[cd+16] ^= 1 }),
		"changed content":  patch(func(c []byte) { c[bytes.Index(c, []byte("abcabc"))] = 'x' }),
	}
	for name, zz := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := Open(zz, Limits{})
			if err != nil {
				return // refusing at open is fine too
			}
			if d, err := p.Digest("a", nil); err == nil || apperr.As(err) == nil {
				t.Fatalf("digest %x, err %v", d, err)
			}
			if _, err := p.Read("a"); err == nil {
				t.Fatal("read it")
			}
		})
	}
	// Beyond the total limit left, a streamed entry is refused like a read one.
	big := makeZip(t, entry{name: "a", data: make([]byte, 600)}, entry{name: "b", data: make([]byte, 600)})
	p, err := Open(big, Limits{MaxTotalSize: 1200})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Digest("a", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Digest("a", []byte("za")); err != nil { // a second pass over a: 1200 read
		t.Fatal(err)
	}
	if _, err := p.Digest("b", nil); apperr.KindOf(err) != apperr.TooLarge {
		t.Fatalf("past the total limit: %v", err)
	}
}
