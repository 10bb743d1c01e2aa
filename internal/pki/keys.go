package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"

	"github.com/emmansun/gmsm/pkcs"
	"github.com/emmansun/gmsm/pkcs8"
	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"
)

// PEM block types written and read by this package.
const (
	PEMEncryptedPrivateKey = "ENCRYPTED PRIVATE KEY"
	PEMPrivateKey          = "PRIVATE KEY"
	PEMCertificate         = "CERTIFICATE"
)

// kdfIterations is the PBKDF2-HMAC-SM3 iteration count for keys at rest.
const kdfIterations = 100_000

// GenerateKey returns a fresh SM2 private key.
func GenerateKey() (*sm2.PrivateKey, error) {
	return sm2.GenerateKey(rand.Reader)
}

// EncryptPrivateKeyPEM encodes priv as PKCS#8 encrypted with SM4-CBC under a
// key derived by PBKDF2-HMAC-SM3 from passphrase (PBES2), in PEM.
func EncryptPrivateKeyPEM(priv *sm2.PrivateKey, passphrase []byte) ([]byte, error) {
	if len(passphrase) == 0 {
		return nil, errors.New("pki: an empty passphrase is not allowed for keys at rest")
	}
	enc := pkcs.NewSMPBESEncrypter(16, kdfIterations)
	der, err := pkcs8.MarshalPrivateKey(priv, passphrase, enc)
	if err != nil {
		return nil, fmt.Errorf("pki: encrypt private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: PEMEncryptedPrivateKey, Bytes: der}), nil
}

// ParsePrivateKeyPEM decodes an SM2 private key from PEM: encrypted PKCS#8
// (needs passphrase) or, for tests and imports, plain PKCS#8.
func ParsePrivateKeyPEM(data, passphrase []byte) (*sm2.PrivateKey, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("pki: no PEM block found in private key file")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case PEMEncryptedPrivateKey:
		key, _, err = pkcs8.ParsePrivateKey(block.Bytes, passphrase)
		if err != nil {
			return nil, fmt.Errorf("pki: decrypt private key (wrong passphrase?): %w", err)
		}
	case PEMPrivateKey:
		key, err = smx509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("pki: parse private key: %w", err)
		}
	default:
		return nil, fmt.Errorf("pki: unexpected PEM block %q in private key file", block.Type)
	}
	priv, ok := key.(*sm2.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("pki: private key is %T, not SM2", key)
	}
	return priv, nil
}

// Signer signs messages with SM2 over SM3(ZA ‖ M) using the default user ID.
// A file-backed key implements it today; an HSM can implement it later.
type Signer interface {
	// Public returns the signer's public key.
	Public() *ecdsa.PublicKey
	// SignMessage returns a DER SEQUENCE{r, s} signature over msg.
	SignMessage(msg []byte) ([]byte, error)
}

// KeySigner is a Signer backed by an in-memory SM2 private key.
type KeySigner struct {
	Key  *sm2.PrivateKey
	Rand io.Reader // nil means crypto/rand
}

// NewKeySigner wraps priv.
func NewKeySigner(priv *sm2.PrivateKey) *KeySigner { return &KeySigner{Key: priv} }

// Public returns the public key.
func (s *KeySigner) Public() *ecdsa.PublicKey { return &s.Key.PublicKey }

// SignMessage signs msg with ZA preprocessing (default UID), DER-encoded.
func (s *KeySigner) SignMessage(msg []byte) ([]byte, error) {
	r := s.Rand
	if r == nil {
		r = rand.Reader
	}
	return s.Key.Sign(r, msg, sm2.DefaultSM2SignerOpts)
}

// CryptoSigner adapts a Signer to crypto.Signer for x509/CMS code that expects one.
// Only valid where the callee passes the whole message with SM2 signer opts,
// as gmsm's smx509 and pkcs7 do for SM2 keys.
func (s *KeySigner) CryptoSigner() crypto.Signer { return s.Key }

// VerifyMessage reports whether sig (DER, non-minimal DER or raw r‖s) is a
// valid SM2 signature by pub over msg with the default user ID.
func VerifyMessage(pub *ecdsa.PublicKey, msg, sig []byte) bool {
	der, err := NormalizeSignature(sig)
	if err != nil {
		return false
	}
	return sm2.VerifyASN1WithSM2(pub, nil, msg, der)
}

// KeyMatchesCertificate reports whether priv is the private half of cert's key.
func KeyMatchesCertificate(priv *sm2.PrivateKey, cert *smx509.Certificate) bool {
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok {
		return false
	}
	return pub.Equal(&priv.PublicKey)
}

// Zeroize overwrites the private scalar of priv. It is best effort: Go may have
// copied the value elsewhere, but the key object itself is no longer usable.
func Zeroize(priv *sm2.PrivateKey) {
	if priv == nil || priv.D == nil {
		return
	}
	words := priv.D.Bits()
	for i := range words {
		words[i] = 0
	}
	priv.D.SetInt64(0)
}
