package trust

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// FuzzParseManifest: no panic; every refusal is a Malformed *apperr.Error;
// every accepted manifest has exactly one of each required role.
func FuzzParseManifest(f *testing.F) {
	files, _ := filepath.Glob("testdata/manifest/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"format":"pledgeseal-trust/1","items":[{"role":"agency","code":"","name":""}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			if e := apperr.As(err); e == nil || e.Kind != apperr.Malformed || e.Detail == "" {
				t.Fatalf("refusal is not a Malformed apperr with a detail: %v", err)
			}
			return
		}
		for _, r := range []string{RoleTrustBundle, RoleSealMaker, RoleApplicantCA, RoleTokenKey, RoleDataKeys} {
			n := 0
			for _, it := range m.Items {
				if it.Role == r {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("accepted manifest with %d %s items", n, r)
			}
		}
	})
}

// FuzzParseSecretBlocks: no panic; accepted blocks respect every bound
// checked before key derivation (so a hostile file cannot make loading hang).
func FuzzParseSecretBlocks(f *testing.F) {
	for _, p := range []string{PurposeTokenKey, PurposeDataEncKey} {
		blk, err := encryptSecret(p, make([]byte, 32), []byte("fuzz"), minSecretIterations)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(blk)
		f.Add(append(append([]byte{}, blk...), blk...))
	}
	f.Add([]byte("-----BEGIN PLEDGESEAL ENCRYPTED SECRET-----\nPurpose: x\n\nAAAA\n-----END PLEDGESEAL ENCRYPTED SECRET-----\n"))
	f.Add([]byte("not pem"))
	f.Fuzz(func(t *testing.T, data []byte) {
		blocks, err := parseSecretBlocks(data)
		if err != nil {
			return
		}
		if len(blocks) == 0 || len(blocks) > 8 {
			t.Fatalf("%d blocks accepted", len(blocks))
		}
		for _, b := range blocks {
			if b.iter < minSecretIterations || b.iter > maxSecretIterations || len(b.salt) != secretSaltLen ||
				len(b.nonce) != secretNonceLen || len(b.ct) < 16 || len(b.ct) > maxSecretLen+16 {
				t.Fatalf("out-of-bounds block accepted: iter=%d salt=%d nonce=%d ct=%d", b.iter, len(b.salt), len(b.nonce), len(b.ct))
			}
		}
	})
}
