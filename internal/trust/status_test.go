package trust

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

func TestDevStatusKeyIsItsOwn(t *testing.T) {
	dir := generate(t)
	m, err := Load(dir, testPass, genTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if m.Status == nil {
		t.Fatal("dev material has no status-statement identity")
	}
	for _, o := range []*KeyPair{&m.SealMaker, m.Log, m.TSA, &m.Agencies[0].KeyPair} {
		if o.Key.PublicKey.Equal(&m.Status.Key.PublicKey) {
			t.Fatalf("the status key is %s's", o.Cert.Subject.CommonName)
		}
	}
	if _, err := m.Trust.VerifyAt(m.Status.Cert, nil, genTime.Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	// The status key file is passphrase-protected: another passphrase does
	// not load it.
	if _, err := Load(dir, []byte("not the passphrase"), genTime.Add(time.Hour)); err == nil {
		t.Fatal("the material loaded with a wrong passphrase")
	}
	raw, err := os.ReadFile(filepath.Join(dir, fileStatusKey))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), "ENCRYPTED") {
		t.Fatalf("the status key is not stored encrypted:\n%.60s", raw)
	}
	// Attack: point the status item at the log's or an agency's key and
	// certificate.
	for _, pair := range [][2]string{{fileLogCert, fileLogKey}, {manifestItem(t, dir, RoleAgency).Cert, manifestItem(t, dir, RoleAgency).Key}} {
		b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
		if err != nil {
			t.Fatal(err)
		}
		var man Manifest
		if err := json.Unmarshal(b, &man); err != nil {
			t.Fatal(err)
		}
		for i, it := range man.Items {
			if it.Role == RoleStatus {
				man.Items[i].Cert, man.Items[i].Key = pair[0], pair[1]
			}
		}
		out, _ := json.Marshal(man)
		bad := t.TempDir()
		copyDir(t, dir, bad)
		if err := os.WriteFile(filepath.Join(bad, ManifestFile), out, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(bad, testPass, genTime.Add(time.Hour)); !apperr.Is(err, apperr.Malformed) || !strings.Contains(err.Error(), "key of their own") {
			t.Fatalf("a status key shared with %s loaded: %v", pair[0], err)
		}
	}
}

func manifestItem(t *testing.T, dir, role string) Item {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var man Manifest
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatal(err)
	}
	for _, it := range man.Items {
		if it.Role == role {
			return it
		}
	}
	t.Fatalf("no %s item", role)
	return Item{}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
