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

func TestDevLogKeyIsItsOwn(t *testing.T) {
	dir := generate(t)
	m, err := Load(dir, testPass, genTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if m.Log == nil {
		t.Fatal("dev material has no transparency-log identity")
	}
	if m.Log.Key.PublicKey.Equal(&m.SealMaker.Key.PublicKey) {
		t.Fatal("the log key is the seal maker's")
	}
	if _, err := m.Trust.VerifyAt(m.Log.Cert, nil, genTime.Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
	// Attack: point the log item at the seal maker's key and certificate.
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var man Manifest
	if err := json.Unmarshal(raw, &man); err != nil {
		t.Fatal(err)
	}
	for i, it := range man.Items {
		if it.Role == RoleTransparencyLog {
			man.Items[i].Cert, man.Items[i].Key = fileMakerCert, fileMakerKey
		}
	}
	out, _ := json.Marshal(man)
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), out, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, testPass, genTime.Add(time.Hour)); !apperr.Is(err, apperr.Malformed) || !strings.Contains(err.Error(), "key of its own") {
		t.Fatalf("a log key shared with the seal maker loaded: %v", err)
	}
}
