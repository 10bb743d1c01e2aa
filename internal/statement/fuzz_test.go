package statement

import (
	"bytes"
	"testing"
)

// FuzzParse: a statement read from a file or the network is untrusted. Parse
// never panics, and what it accepts marshals back to the same bytes.
func FuzzParse(f *testing.F) {
	f.Add(sample().Marshal())
	s := sample()
	s.Reference, s.LogIndex, s.Checkpoint = nil, nil, nil
	f.Add(s.Marshal())
	f.Add([]byte(Format + "\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Parse(data)
		if err != nil {
			return
		}
		if !bytes.Equal(st.Marshal(), data) {
			t.Fatalf("accepted text does not round-trip:\n%q\n%q", data, st.Marshal())
		}
	})
}

// FuzzOpen: opening a signed statement never panics, and what opens was
// signed by the key.
func FuzzOpen(f *testing.F) {
	k := newKey(f)
	signed, err := Sign(sample(), signer(f, testIssuer, k))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add(append(sample().Marshal(), '\n'))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := Open(data, &k.PublicKey)
		if err != nil {
			return
		}
		if st.Issuer != testIssuer {
			t.Fatalf("opened a statement of issuer %q", st.Issuer)
		}
	})
}
