package translog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/sm2"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

func testKey(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	k, err := pki.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignedCheckpointRoundTrip(t *testing.T) {
	key := testKey(t)
	s, err := NewNoteSigner("pledgeseal.test/log", key)
	if err != nil {
		t.Fatal(err)
	}
	cp := Checkpoint{Origin: "pledgeseal.test/log", Size: 42, Root: h([]byte("root"))}
	signed, err := SignCheckpoint(cp, s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(signed, cp.Marshal()) || !bytes.Contains(signed, []byte("\n\u2014 pledgeseal.test/log ")) {
		t.Fatalf("not a signed note:\n%s", signed)
	}
	got, err := OpenCheckpointWithKey(signed, &key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if got.Size != 42 || !bytes.Equal(got.Root, cp.Root) || got.Origin != cp.Origin {
		t.Fatalf("got %+v", got)
	}

	// Forgeries: another key, an edited size, an edited root, an origin
	// that is not the key's name.
	other := testKey(t)
	if _, err := OpenCheckpointWithKey(signed, &other.PublicKey); apperr.As(err).Code != apperr.CodeCheckpointSignature {
		t.Fatalf("another key: %v", err)
	}
	edited := bytes.Replace(signed, []byte("\n42\n"), []byte("\n43\n"), 1)
	if _, err := OpenCheckpointWithKey(edited, &key.PublicKey); err == nil {
		t.Fatal("an edited size verifies")
	}
	rootLine := strings.Split(string(signed), "\n")[2]
	flipped := []byte(rootLine)
	if flipped[0] == 'A' {
		flipped[0] = 'B'
	} else {
		flipped[0] = 'A'
	}
	if _, err := OpenCheckpointWithKey(bytes.Replace(signed, []byte(rootLine), flipped, 1), &key.PublicKey); err == nil {
		t.Fatal("an edited root verifies")
	}
	s2, _ := NewNoteSigner("other.test/log", key)
	if _, err := SignCheckpoint(cp, s2); err == nil {
		t.Fatal("signed a checkpoint of another origin")
	}
	v, _ := NewNoteVerifier("other.test/log", &key.PublicKey)
	if _, err := OpenCheckpoint(signed, v); err == nil {
		t.Fatal("a checkpoint verified under another origin")
	}
}

func TestParseCheckpointStrict(t *testing.T) {
	root := "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	for _, bad := range []string{
		"", "o\n1\n" + root, "o\n01\n" + root + "\n", "o\n-1\n" + root + "\n", "o\n1\nAAAA\n",
		"o o\n1\n" + root + "\n", "o\n1\n" + root + "\next\n", "o\n18446744073709551616\n" + root + "\n",
	} {
		if _, err := ParseCheckpoint([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	c, err := ParseCheckpoint([]byte("o\n0\n" + root + "\n"))
	if err != nil || c.Size != 0 {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Marshal(), []byte("o\n0\n"+root+"\n")) {
		t.Fatal("marshal is not the inverse of parse")
	}
}

func TestEntryRoundTrip(t *testing.T) {
	e := Entry{Slot: 16383, ID: "1700000000000-3", Body: []byte("{\"a\":\"b\\nc\"}\n")}
	got, err := ParseEntry(e.Marshal())
	if err != nil || got.Slot != e.Slot || got.ID != e.ID || !bytes.Equal(got.Body, e.Body) {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"", "pledgeseal-log-entry/1\n16384\n1-1\n{}", "pledgeseal-log-entry/1\n01\n1-1\n{}",
		"pledgeseal-log-entry/1\n1\n1-\n{}", "pledgeseal-log-entry/1\n1\n1-1", "x\n1\n1-1\n{}"} {
		if _, err := ParseEntry([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("pledgeseal.test/log\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"))
	f.Add([]byte("o\n01\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseCheckpoint(b)
		if err == nil && !bytes.Equal(c.Marshal(), b) {
			t.Fatalf("parse/marshal differ for %q", b)
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	key := testKey(f)
	s, _ := NewNoteSigner("pledgeseal.test/log", key)
	signed, _ := SignCheckpoint(Checkpoint{Origin: "pledgeseal.test/log", Size: 7, Root: h()}, s)
	f.Add(signed)
	f.Add([]byte("pledgeseal.test/log\n7\n\n\u2014 pledgeseal.test/log AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := OpenCheckpointWithKey(b, &key.PublicKey)
		if err == nil && !bytes.HasPrefix(b, c.Marshal()) {
			t.Fatalf("opened a note whose text is not the checkpoint: %q", b)
		}
	})
}

func FuzzParseEntry(f *testing.F) {
	f.Add(Entry{Slot: 5, ID: "1-0", Body: []byte("{}")}.Marshal())
	f.Add([]byte("pledgeseal-log-entry/1\n0\n0-0\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEntry(b)
		if err == nil && !bytes.Equal(e.Marshal(), b) {
			t.Fatalf("parse/marshal differ for %q", b)
		}
	})
}
