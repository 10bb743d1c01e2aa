package trust

import (
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/emmansun/gmsm/sm3"
	"github.com/emmansun/gmsm/sm4"
)

// Secret is key material that must never be printed or logged: every fmt
// verb and slog render it as [REDACTED]. Use it as a []byte.
type Secret []byte

// Format redacts the secret for every fmt verb.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "[REDACTED]") }

// String redacts the secret.
func (Secret) String() string { return "[REDACTED]" }

// LogValue redacts the secret in log/slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue("[REDACTED]") }

// The on-disk secret format (documented in keys/README.md):
//
//	-----BEGIN PLEDGESEAL ENCRYPTED SECRET-----
//	Cipher: SM4-GCM
//	Iterations: 100000
//	KDF: PBKDF2-HMAC-SM3
//	Nonce: <12 bytes hex>
//	Purpose: <purpose>
//	Salt: <16 bytes hex>
//
//	<base64 of SM4-GCM ciphertext ‖ 16-byte tag>
//	-----END PLEDGESEAL ENCRYPTED SECRET-----
//
// The 16-byte SM4 key is PBKDF2-HMAC-SM3(passphrase, salt, iterations). The
// associated data binds every header, so a secret cannot be moved to another
// purpose, nor its parameters changed, without the tag failing.
const (
	pemSecret       = "PLEDGESEAL ENCRYPTED SECRET"
	secretKDF       = "PBKDF2-HMAC-SM3"
	secretCipher    = "SM4-GCM"
	secretAADPrefix = "pledgeseal-secret-v1\n"
	secretSaltLen   = 16
	secretNonceLen  = 12
	// secretIterations matches internal/pki's PBES2 work factor for keys.
	secretIterations = 100_000
	// Bounds on what a file may ask for: enough for any sane setting, and
	// small enough that a hostile file cannot make loading hang.
	minSecretIterations = 10_000
	maxSecretIterations = 10_000_000
	maxSecretLen        = 1024
)

// Secret purposes: each secret is bound to exactly one.
const (
	PurposeTokenKey   = "token-hash-key"
	PurposeDataEncKey = "pii-sm4-gcm-key"
	PurposeDataIdxKey = "pii-hmac-sm3-index-key"
)

// errSecretFormat is the cause of every structural problem in a secret block.
var errSecretFormat = errors.New("trust: malformed encrypted secret")

func secretAAD(h map[string]string) []byte {
	var b strings.Builder
	b.WriteString(secretAADPrefix)
	for _, k := range []string{"Purpose", "KDF", "Iterations", "Salt", "Cipher", "Nonce"} {
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(h[k])
		b.WriteString("\n")
	}
	return []byte(b.String())
}

func secretKey(passphrase, salt []byte, iter int) ([]byte, error) {
	return pbkdf2.Key(sm3.New, string(passphrase), salt, iter, 16)
}

func gcmFor(key []byte) (cipher.AEAD, error) {
	block, err := sm4.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// encryptSecret returns one PEM block holding plain encrypted under passphrase
// for purpose.
func encryptSecret(purpose string, plain, passphrase []byte, iter int) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("trust: an empty passphrase is not allowed for secrets at rest")
	}
	if iter < minSecretIterations || iter > maxSecretIterations {
		return nil, fmt.Errorf("trust: iterations %d out of range", iter)
	}
	salt := make([]byte, secretSaltLen)
	nonce := make([]byte, secretNonceLen)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	h := map[string]string{
		"Purpose":    purpose,
		"KDF":        secretKDF,
		"Iterations": strconv.Itoa(iter),
		"Salt":       hex.EncodeToString(salt),
		"Cipher":     secretCipher,
		"Nonce":      hex.EncodeToString(nonce),
	}
	key, err := secretKey(passphrase, salt, iter)
	if err != nil {
		return nil, err
	}
	aead, err := gcmFor(key)
	if err != nil {
		return nil, err
	}
	ct := aead.Seal(nil, nonce, plain, secretAAD(h))
	return pem.EncodeToMemory(&pem.Block{Type: pemSecret, Headers: h, Bytes: ct}), nil
}

// secretBlock is a parsed, not yet decrypted, secret.
type secretBlock struct {
	purpose string
	iter    int
	salt    []byte
	nonce   []byte
	headers map[string]string
	ct      []byte
}

// parseSecretBlocks reads every PEM block of data as an encrypted secret,
// checking structure and bounds before any expensive key derivation.
func parseSecretBlocks(data []byte) ([]secretBlock, error) {
	var out []secretBlock
	rest := data
	for {
		trimmed := strings.TrimSpace(string(rest))
		if trimmed == "" {
			break
		}
		block, r := pem.Decode([]byte(trimmed))
		if block == nil {
			return nil, fmt.Errorf("%w: data that is not a PEM block", errSecretFormat)
		}
		rest = r
		sb, err := checkSecretBlock(block)
		if err != nil {
			return nil, err
		}
		out = append(out, sb)
		if len(out) > 8 {
			return nil, fmt.Errorf("%w: too many blocks", errSecretFormat)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no PEM block", errSecretFormat)
	}
	return out, nil
}

func checkSecretBlock(block *pem.Block) (secretBlock, error) {
	bad := func(format string, args ...any) (secretBlock, error) {
		return secretBlock{}, fmt.Errorf("%w: "+format, append([]any{errSecretFormat}, args...)...)
	}
	if block.Type != pemSecret {
		return bad("unexpected PEM block %q", block.Type)
	}
	h := block.Headers
	want := map[string]bool{"Purpose": true, "KDF": true, "Iterations": true, "Salt": true, "Cipher": true, "Nonce": true}
	for k := range h {
		if !want[k] {
			return bad("unknown header %q", k)
		}
	}
	for k := range want {
		if h[k] == "" {
			return bad("header %q missing", k)
		}
	}
	if h["KDF"] != secretKDF {
		return bad("unsupported KDF %q", h["KDF"])
	}
	if h["Cipher"] != secretCipher {
		return bad("unsupported cipher %q", h["Cipher"])
	}
	iter, err := strconv.Atoi(h["Iterations"])
	if err != nil || iter < minSecretIterations || iter > maxSecretIterations {
		return bad("iterations must be a number from %d to %d", minSecretIterations, maxSecretIterations)
	}
	salt, err := hex.DecodeString(h["Salt"])
	if err != nil || len(salt) != secretSaltLen {
		return bad("salt must be %d bytes in hex", secretSaltLen)
	}
	nonce, err := hex.DecodeString(h["Nonce"])
	if err != nil || len(nonce) != secretNonceLen {
		return bad("nonce must be %d bytes in hex", secretNonceLen)
	}
	if len(block.Bytes) < 16 || len(block.Bytes) > maxSecretLen+16 {
		return bad("ciphertext length %d out of range", len(block.Bytes))
	}
	return secretBlock{purpose: h["Purpose"], iter: iter, salt: salt, nonce: nonce, headers: h, ct: block.Bytes}, nil
}

// open decrypts b; a wrong passphrase and a tampered block look the same.
func (b secretBlock) open(passphrase []byte) ([]byte, error) {
	key, err := secretKey(passphrase, b.salt, b.iter)
	if err != nil {
		return nil, err
	}
	aead, err := gcmFor(key)
	if err != nil {
		return nil, err
	}
	plain, err := aead.Open(nil, b.nonce, b.ct, secretAAD(b.headers))
	if err != nil {
		return nil, errors.New("trust: cannot decrypt secret (wrong passphrase, or the file was altered)")
	}
	return plain, nil
}

// decryptSecrets parses data and decrypts exactly the purposes asked for, each
// with its required length, returning them in the order asked.
func decryptSecrets(data, passphrase []byte, purposes []string, lengths []int) ([]Secret, error) {
	blocks, err := parseSecretBlocks(data)
	if err != nil {
		return nil, err
	}
	if len(blocks) != len(purposes) {
		return nil, fmt.Errorf("%w: %d blocks, want %d (%s)", errSecretFormat, len(blocks), len(purposes), strings.Join(purposes, ", "))
	}
	out := make([]Secret, len(purposes))
	for i, p := range purposes {
		var found *secretBlock
		for j := range blocks {
			if blocks[j].purpose == p {
				if found != nil {
					return nil, fmt.Errorf("%w: purpose %q appears twice", errSecretFormat, p)
				}
				found = &blocks[j]
			}
		}
		if found == nil {
			return nil, fmt.Errorf("%w: no block for purpose %q", errSecretFormat, p)
		}
		plain, err := found.open(passphrase)
		if err != nil {
			return nil, err
		}
		if len(plain) != lengths[i] {
			return nil, fmt.Errorf("%w: %s is %d bytes, want %d", errSecretFormat, p, len(plain), lengths[i])
		}
		out[i] = plain
	}
	return out, nil
}
