package translog

import (
	"bytes"
	"testing"
	"time"
)

func TestPublicBodyCommitment(t *testing.T) {
	salt := bytes.Repeat([]byte{7}, CommitSaltSize)
	record := []byte(`{"actor":{"id":"officer-1"},"reason":"x"}`)
	priv, commit := SealPrivate(salt, record)
	p := PublicBody{V: PublicBodyVersion, Source: "registry", Action: "seal.revoke", At: time.Unix(1, 0), Commit: commit,
		Subjects: []PublicSubject{{Kind: "seal", ID: "S1"}}, Data: map[string]string{"code": "REVOKED"}}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParsePublicBody(b)
	if err != nil || !got.Names("seal", "S1") || got.Names("seal", "S2") {
		t.Fatalf("%+v %v", got, err)
	}
	if r, err := OpenPrivate(got, priv); err != nil || !bytes.Equal(r, record) {
		t.Fatalf("open: %q %v", r, err)
	}
	// Another salt, a changed record, a short record: refused.
	other := append(bytes.Repeat([]byte{8}, CommitSaltSize), record...)
	changed := append(bytes.Clone(salt), bytes.Replace(record, []byte("officer-1"), []byte("officer-2"), 1)...)
	for _, bad := range [][]byte{other, changed, salt[:5], nil} {
		if _, err := OpenPrivate(got, bad); err == nil {
			t.Errorf("%q opened", bad)
		}
	}
	for _, bad := range []string{"", "{}", `{"v":1,"source":"x","at":"2026-01-01T00:00:00Z","commit":"00"}`,
		`{"v":2,"source":"x","at":"2026-01-01T00:00:00Z","commit":"` + commit + `","actor":"a"}`,
		`{"v":2,"source":"x","at":"2026-01-01T00:00:00Z","commit":"` + commit + `"} {}`,
		`{"v":2,"source":"x","at":"2026-01-01T00:00:00Z","commit":"` + string(bytes.ToUpper([]byte(commit))) + `"}`} {
		if _, err := ParsePublicBody([]byte(bad)); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
}

func FuzzParsePublicBody(f *testing.F) {
	_, commit := SealPrivate(make([]byte, CommitSaltSize), []byte("r"))
	b, _ := PublicBody{V: PublicBodyVersion, Source: "pledge", Action: "pledge.accepted", Commit: commit,
		Subjects: []PublicSubject{{Kind: "pledge", ID: "P"}}, Data: map[string]string{"status": "ACCEPTED"}}.Marshal()
	f.Add(b)
	f.Add([]byte(`{"v":2}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePublicBody(b)
		if err != nil {
			return
		}
		if _, err := p.Marshal(); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenPrivate(p, make([]byte, CommitSaltSize)); err == nil && p.Commit != commit {
			t.Fatal("an arbitrary record opened")
		}
	})
}
