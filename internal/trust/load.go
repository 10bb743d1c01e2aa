package trust

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// maxMaterialFile bounds every certificate, key and secret file read.
const maxMaterialFile = 1 << 20

// KeyPair is a certificate with its private key.
type KeyPair struct {
	// CertDER is the certificate as found on disk.
	CertDER []byte
	Cert    *smx509.Certificate
	// Chain holds intermediates that followed the certificate in its file.
	Chain []*smx509.Certificate
	Key   *sm2.PrivateKey
}

// Signer returns a pki.Signer over the key.
func (k KeyPair) Signer() pki.Signer { return pki.NewKeySigner(k.Key) }

// Issuer returns k as a pki.Issuer (for CA key pairs).
func (k KeyPair) Issuer() *pki.Issuer { return &pki.Issuer{Cert: k.Cert, Key: k.Key} }

// Format prints the subject only, never the key.
func (k KeyPair) Format(f fmt.State, _ rune) {
	if k.Cert == nil {
		_, _ = io.WriteString(f, "KeyPair{}")
		return
	}
	_, _ = fmt.Fprintf(f, "KeyPair{%s}", k.Cert.Subject.CommonName)
}

// LogValue logs the subject only, never the key.
func (k KeyPair) LogValue() slog.Value {
	if k.Cert == nil {
		return slog.StringValue("")
	}
	return slog.StringValue(k.Cert.Subject.CommonName)
}

// Agency is an agency's signing identity.
type Agency struct {
	Code string
	Name string
	KeyPair
}

// DataKeys protect personal data at rest.
type DataKeys struct {
	// Enc is the 16-byte SM4 key for SM4-GCM.
	Enc Secret
	// Index is the 32-byte HMAC-SM3 key for keyed-hash indexes.
	Index Secret
}

// Material is a loaded and checked trust set.
type Material struct {
	Dir string
	// Dev is true for material made by GenerateDev: never for production.
	Dev         bool
	Roots       []*smx509.Certificate
	Trust       *pki.TrustStore
	SealMaker   KeyPair
	Agencies    []Agency
	ApplicantCA KeyPair
	// TSA is the time-stamping authority's identity (nil when the manifest
	// lists none): its certificate has the critical extendedKeyUsage
	// timeStamping (checked at load).
	TSA *KeyPair
	// Log is the transparency log's checkpoint signing identity (nil when
	// the manifest lists none); its key is distinct from every other key
	// of the set (checked at load).
	Log *KeyPair
	// Status signs pledge status statements (nil when the manifest lists
	// none); its key is distinct from every other key of the set, the log
	// key included (checked at load).
	Status *KeyPair
	// TokenKey is the 32-byte HMAC-SM3 key for token hashes.
	TokenKey Secret
	DataKeys DataKeys
}

// Agency returns the agency with the given code.
func (m *Material) Agency(code string) (Agency, bool) {
	for _, a := range m.Agencies {
		if a.Code == code {
			return a, true
		}
	}
	return Agency{}, false
}

// LogValue summarises m without any secret.
func (m *Material) LogValue() slog.Value {
	codes := make([]string, 0, len(m.Agencies))
	for _, a := range m.Agencies {
		codes = append(codes, a.Code)
	}
	return slog.GroupValue(slog.String("dir", m.Dir), slog.Bool("dev", m.Dev),
		slog.Int("roots", len(m.Roots)), slog.Any("agencies", codes))
}

// loader carries what every check needs, to name files in its errors.
type loader struct {
	dir        string
	passphrase []byte
	now        time.Time
	trust      *pki.TrustStore
}

func (l *loader) path(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(l.dir, p)
}

func (l *loader) read(p string) ([]byte, error) {
	full := l.path(p)
	f, err := os.Open(full)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, apperr.Wrap(apperr.NotFound, err, "%s: missing", full)
		}
		return nil, apperr.Wrap(apperr.Unavailable, err, "%s: unreadable", full)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxMaterialFile+1))
	if err != nil {
		return nil, apperr.Wrap(apperr.Unavailable, err, "%s: unreadable", full)
	}
	if len(data) > maxMaterialFile {
		return nil, apperr.New(apperr.Malformed, "%s: larger than %d bytes", full, maxMaterialFile)
	}
	return data, nil
}

// Load reads the trust set described by dir/manifest.json and checks it as of
// now. It refuses, with an error naming the file and the problem, when a file
// is missing or unreadable, a key does not decrypt or does not match its
// certificate, a certificate does not chain to the trust bundle at now or
// lacks the key usage its role needs, or a secret does not decrypt.
func Load(dir string, passphrase []byte, now time.Time) (*Material, error) {
	l := &loader{dir: dir, passphrase: passphrase, now: now}
	raw, err := l.read(ManifestFile)
	if err != nil {
		if apperr.Is(err, apperr.NotFound) {
			return nil, apperr.Wrap(apperr.NotFound, err,
				"%s: missing: run `pledgectl init --dev` for dev material, or point PLEDGESEAL_KEYS_DIR at a directory with a manifest",
				l.path(ManifestFile))
		}
		return nil, err
	}
	man, err := ParseManifest(raw)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "%s: %s", l.path(ManifestFile), apperr.As(err).Detail)
	}
	m := &Material{Dir: dir, Dev: man.Dev}

	bundleItem, _ := man.item(RoleTrustBundle)
	bundle, err := l.read(bundleItem.File)
	if err != nil {
		return nil, err
	}
	m.Roots, err = pki.ParseCertificatesPEM(bundle)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "%s: not a PEM certificate bundle", l.path(bundleItem.File))
	}
	for _, r := range m.Roots {
		if !r.IsCA || r.KeyUsage&smx509.KeyUsageCertSign == 0 {
			return nil, apperr.New(apperr.Malformed, "%s: root %q is not a CA certificate with keyCertSign", l.path(bundleItem.File), r.Subject.CommonName)
		}
		if !validAt(r, now) {
			return nil, apperr.New(apperr.Malformed, "%s: root %q is not valid at %s (valid %s to %s)", l.path(bundleItem.File),
				r.Subject.CommonName, now.UTC().Format(time.RFC3339), r.NotBefore.Format(time.RFC3339), r.NotAfter.Format(time.RFC3339))
		}
	}
	l.trust = pki.NewTrustStore(m.Roots, nil)
	m.Trust = l.trust

	for _, it := range man.Items {
		switch it.Role {
		case RoleRootCA:
			if err := l.checkRootItem(it, m.Roots); err != nil {
				return nil, err
			}
		case RoleSealMaker:
			if m.SealMaker, err = l.keyPair(it, false); err != nil {
				return nil, err
			}
		case RoleAgency:
			kp, err := l.keyPair(it, false)
			if err != nil {
				return nil, err
			}
			m.Agencies = append(m.Agencies, Agency{Code: it.Code, Name: it.Name, KeyPair: kp})
		case RoleApplicantCA:
			if m.ApplicantCA, err = l.keyPair(it, true); err != nil {
				return nil, err
			}
		case RoleTSA:
			kp, err := l.keyPair(it, false)
			if err != nil {
				return nil, err
			}
			if err := pki.CheckTimeStamping(kp.Cert); err != nil {
				return nil, apperr.Wrap(apperr.Malformed, err, "%s: the tsa certificate must have a critical extendedKeyUsage of exactly timeStamping (RFC 3161 §2.3)", l.path(it.Cert))
			}
			m.TSA = &kp
		case RoleTransparencyLog:
			kp, err := l.keyPair(it, false)
			if err != nil {
				return nil, err
			}
			m.Log = &kp
		case RoleStatus:
			kp, err := l.keyPair(it, false)
			if err != nil {
				return nil, err
			}
			m.Status = &kp
		case RoleTokenKey:
			s, err := l.secrets(it, []string{PurposeTokenKey}, []int{tokenKeyLen})
			if err != nil {
				return nil, err
			}
			m.TokenKey = s[0]
		case RoleDataKeys:
			s, err := l.secrets(it, []string{PurposeDataEncKey, PurposeDataIdxKey}, []int{dataEncKeyLen, dataIndexKeyLen})
			if err != nil {
				return nil, err
			}
			m.DataKeys = DataKeys{Enc: s[0], Index: s[1]}
		}
	}
	if err := m.checkLogKeyOwn(); err != nil {
		return nil, err
	}
	if err := m.checkStatusKeyOwn(); err != nil {
		return nil, err
	}
	return m, nil
}

// checkLogKeyOwn refuses a log key that is also another identity's key: a
// checkpoint must never be signable with a seal, agency or TSA key.
func (m *Material) checkLogKeyOwn() error {
	return m.checkOwnKey(m.Log, "the transparency-log key", "the log needs a key of its own", m.TSA)
}

// checkOwnKey refuses kp when its key is the seal maker's, the applicant
// CA's, an agency's or one of extra's.
func (m *Material) checkOwnKey(kp *KeyPair, what, why string, extra ...*KeyPair) error {
	if kp == nil {
		return nil
	}
	others := []KeyPair{m.SealMaker, m.ApplicantCA}
	for _, a := range m.Agencies {
		others = append(others, a.KeyPair)
	}
	for _, o := range extra {
		if o != nil {
			others = append(others, *o)
		}
	}
	for _, o := range others {
		if o.Key != nil && o.Key.PublicKey.Equal(&kp.Key.PublicKey) {
			return apperr.New(apperr.Malformed, "%s: %s is also the key of %q; %s",
				ManifestFile, what, o.Cert.Subject.CommonName, why)
		}
	}
	return nil
}

func validAt(c *smx509.Certificate, t time.Time) bool {
	return !t.Before(c.NotBefore) && !t.After(c.NotAfter)
}

// certs reads a certificate file: the certificate, then any intermediates.
func (l *loader) certs(p string) ([]byte, *smx509.Certificate, []*smx509.Certificate, error) {
	data, err := l.read(p)
	if err != nil {
		return nil, nil, nil, err
	}
	cs, err := pki.ParseCertificatesPEM(data)
	if err != nil {
		return nil, nil, nil, apperr.Wrap(apperr.Malformed, err, "%s: not a PEM certificate file", l.path(p))
	}
	return cs[0].Raw, cs[0], cs[1:], nil
}

func (l *loader) key(p string) (*sm2.PrivateKey, error) {
	data, err := l.read(p)
	if err != nil {
		return nil, err
	}
	k, err := pki.ParsePrivateKeyPEM(data, l.passphrase)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "%s: cannot read the private key (wrong passphrase, or not an encrypted SM2 PKCS#8 key)", l.path(p))
	}
	return k, nil
}

// keyPair loads and checks one identity: the key matches the certificate, the
// certificate chains to the roots at now, and it has the usage its role needs.
func (l *loader) keyPair(it Item, ca bool) (KeyPair, error) {
	der, cert, chain, err := l.certs(it.Cert)
	if err != nil {
		return KeyPair{}, err
	}
	k, err := l.key(it.Key)
	if err != nil {
		return KeyPair{}, err
	}
	if !pki.KeyMatchesCertificate(k, cert) {
		return KeyPair{}, apperr.New(apperr.Malformed, "%s: the private key does not match the %s certificate in %s", l.path(it.Key), it.Role, l.path(it.Cert))
	}
	if ca {
		if !cert.IsCA || cert.KeyUsage&smx509.KeyUsageCertSign == 0 {
			return KeyPair{}, apperr.New(apperr.Malformed, "%s: the %s certificate is not a CA certificate with keyCertSign", l.path(it.Cert), it.Role)
		}
	} else if cert.KeyUsage&smx509.KeyUsageDigitalSignature == 0 {
		return KeyPair{}, apperr.New(apperr.Malformed, "%s: the %s certificate lacks keyUsage digitalSignature", l.path(it.Cert), it.Role)
	}
	if _, err := l.trust.VerifyAt(cert, chain, l.now, !ca); err != nil {
		return KeyPair{}, apperr.Wrap(apperr.Malformed, err, "%s: the %s certificate does not chain to the trust bundle at %s: %v",
			l.path(it.Cert), it.Role, l.now.UTC().Format(time.RFC3339), err)
	}
	return KeyPair{CertDER: der, Cert: cert, Chain: chain, Key: k}, nil
}

// checkRootItem checks the optional root-ca item: its certificate is one of
// the trusted roots and, when a key is listed, the key matches it.
func (l *loader) checkRootItem(it Item, roots []*smx509.Certificate) error {
	der, cert, _, err := l.certs(it.Cert)
	if err != nil {
		return err
	}
	found := false
	for _, r := range roots {
		if bytes.Equal(r.Raw, der) {
			found = true
		}
	}
	if !found {
		return apperr.New(apperr.Malformed, "%s: the root CA certificate is not in the trust bundle", l.path(it.Cert))
	}
	if it.Key == "" {
		return nil
	}
	k, err := l.key(it.Key)
	if err != nil {
		return err
	}
	defer pki.Zeroize(k) // the server never issues with the root
	if !pki.KeyMatchesCertificate(k, cert) {
		return apperr.New(apperr.Malformed, "%s: the private key does not match the root CA certificate in %s", l.path(it.Key), l.path(it.Cert))
	}
	return nil
}

func (l *loader) secrets(it Item, purposes []string, lengths []int) ([]Secret, error) {
	data, err := l.read(it.File)
	if err != nil {
		return nil, err
	}
	s, err := decryptSecrets(data, l.passphrase, purposes, lengths)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "%s: %v", l.path(it.File), err)
	}
	return s, nil
}

// checkStatusKeyOwn refuses a status key that is also another identity's
// key: a status statement must never be signable with a seal, agency, TSA
// or log key, nor a checkpoint with the status key.
func (m *Material) checkStatusKeyOwn() error {
	return m.checkOwnKey(m.Status, "the status-statement key", "status statements need a key of their own", m.TSA, m.Log)
}
