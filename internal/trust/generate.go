package trust

import (
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/emmansun/gmsm/pkcs"
	"github.com/emmansun/gmsm/pkcs8"
	"github.com/emmansun/gmsm/sm2"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// DevAgency is a demo agency in the dev trust material.
type DevAgency struct {
	Code string
	Name string
}

// DevAgencies returns the demo agencies GenerateDev makes certificates for:
// two bureaus of Beijing's Chaoyang district (region code 110105).
func DevAgencies() []DevAgency {
	return []DevAgency{
		{Code: "110105-SCJGJ", Name: "北京市朝阳区市场监督管理局"},
		{Code: "110105-MZJ", Name: "北京市朝阳区民政局"},
	}
}

// DevJurisdiction is the jurisdiction code of the demo agencies, used for dev
// enforcement tokens.
const DevJurisdiction = "110105"

// File names of the dev layout.
const (
	fileBundle      = "trust-bundle.pem"
	fileRootCert    = "root-ca.pem"
	fileRootKey     = "root-ca.key.pem"
	fileMakerCert   = "seal-maker.pem"
	fileMakerKey    = "seal-maker.key.pem"
	fileApplCert    = "applicant-ca.pem"
	fileApplKey     = "applicant-ca.key.pem"
	fileTSACert     = "tsa.pem"
	fileTSAKey      = "tsa.key.pem"
	fileLogCert     = "log.pem"
	fileLogKey      = "log.key.pem"
	fileStatusCert  = "status.pem"
	fileStatusKey   = "status.key.pem"
	fileTokenKey    = "token-key.pem"
	fileDataKeys    = "data-keys.pem"
	agencyCertFmt   = "agency-%s.pem"
	agencyKeyFmt    = "agency-%s.key.pem"
	devMarker       = "（开发测试 DEV ONLY）"
	tokenKeyLen     = 32
	dataEncKeyLen   = 16
	dataIndexKeyLen = 32
)

// devFile is one file GenerateDev writes.
type devFile struct {
	name string
	data []byte
	mode fs.FileMode
}

// GenerateDev writes a complete dev trust set into dir: a root CA, a seal-maker
// certificate, signing certificates for DevAgencies, an applicant CA, the
// trust bundle, the encrypted token and personal-data keys, and manifest.json.
// Every key is SM2, encrypted (PKCS#8, SM4 PBES2) under passphrase. Without
// force it refuses, touching nothing, when any of those files already exists.
func GenerateDev(dir string, passphrase []byte, clk clock.Clock, force bool) error {
	return generateDev(dir, passphrase, clk, force, defaultGenOptions())
}

// DefaultKDFIterations is the PBKDF2-HMAC-SM3 work factor GenerateDev uses for
// every key and secret (the same as internal/pki's keys at rest).
const DefaultKDFIterations = secretIterations

// GenerateOptions tunes GenerateDevWith. The zero value is what GenerateDev uses.
type GenerateOptions struct {
	// KDFIterations is the PBKDF2-HMAC-SM3 iteration count for every key and
	// secret; 0 means DefaultKDFIterations. Lower values (at least 10,000) are
	// for tests only: the material loads faster under the race detector, and is
	// easier to brute-force.
	KDFIterations int
}

// GenerateDevWith is GenerateDev with explicit options (tests use it to make
// material that is cheap to load).
func GenerateDevWith(dir string, passphrase []byte, clk clock.Clock, force bool, o GenerateOptions) error {
	opts := defaultGenOptions()
	if n := o.KDFIterations; n != 0 && n != DefaultKDFIterations {
		if n < minSecretIterations || n > maxSecretIterations {
			return apperr.New(apperr.Malformed, "KDF iterations must be from %d to %d", minSecretIterations, maxSecretIterations)
		}
		opts = genOptions{encryptKey: encryptKeyWithIterations(n), secretIterations: n}
	}
	return generateDev(dir, passphrase, clk, force, opts)
}

// genOptions carries the work factors into generation.
type genOptions struct {
	encryptKey       func(k *sm2.PrivateKey, passphrase []byte) ([]byte, error)
	secretIterations int
}

func defaultGenOptions() genOptions {
	return genOptions{encryptKey: pki.EncryptPrivateKeyPEM, secretIterations: secretIterations}
}

// encryptKeyWithIterations writes the same format as pki.EncryptPrivateKeyPEM
// (PKCS#8, PBES2 with PBKDF2-HMAC-SM3 and SM4-CBC) with another work factor.
func encryptKeyWithIterations(n int) func(*sm2.PrivateKey, []byte) ([]byte, error) {
	return func(k *sm2.PrivateKey, passphrase []byte) ([]byte, error) {
		if len(passphrase) == 0 {
			return nil, errors.New("trust: an empty passphrase is not allowed for keys at rest")
		}
		der, err := pkcs8.MarshalPrivateKey(k, passphrase, pkcs.NewSMPBESEncrypter(16, n))
		if err != nil {
			return nil, err
		}
		return pem.EncodeToMemory(&pem.Block{Type: pki.PEMEncryptedPrivateKey, Bytes: der}), nil
	}
}

func generateDev(dir string, passphrase []byte, clk clock.Clock, force bool, opts genOptions) error {
	if len(passphrase) == 0 {
		return apperr.New(apperr.Malformed, "an empty key passphrase is not allowed")
	}
	if dir == "" {
		return apperr.New(apperr.Malformed, "no directory given for the trust material")
	}
	names := devFileNames()
	if !force {
		var existing []string
		for _, n := range names {
			if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
				existing = append(existing, n)
			} else if !errors.Is(err, fs.ErrNotExist) {
				return apperr.Wrap(apperr.Unavailable, err, "%s: cannot check for existing material", filepath.Join(dir, n))
			}
		}
		if len(existing) > 0 {
			return apperr.New(apperr.Conflict, "%s already holds trust material (%s): refusing to overwrite it; use --force to replace it",
				dir, strings.Join(existing, ", "))
		}
	}
	files, err := buildDev(passphrase, clk.Now(), opts)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "%s: cannot create the directory", dir)
	}
	for _, f := range files {
		if err := WriteFileAtomic(filepath.Join(dir, f.name), f.data, f.mode); err != nil {
			return apperr.Wrap(apperr.Unavailable, err, "%s: cannot write", filepath.Join(dir, f.name))
		}
	}
	return nil
}

func devFileNames() []string {
	n := []string{ManifestFile, fileBundle, fileRootCert, fileRootKey, fileMakerCert, fileMakerKey,
		fileApplCert, fileApplKey, fileTSACert, fileTSAKey, fileLogCert, fileLogKey, fileStatusCert, fileStatusKey, fileTokenKey, fileDataKeys}
	for _, a := range DevAgencies() {
		n = append(n, fmt.Sprintf(agencyCertFmt, a.Code), fmt.Sprintf(agencyKeyFmt, a.Code))
	}
	return n
}

// buildDev makes every file in memory; the manifest comes last so that a set
// without a manifest is visibly incomplete.
func buildDev(passphrase []byte, now time.Time, opts genOptions) ([]devFile, error) {
	now = now.UTC().Truncate(time.Second)
	start := now.Add(-time.Hour) // tolerate small clock differences between machines
	var files []devFile
	addCert := func(name string, der []byte) {
		files = append(files, devFile{name: name, data: pki.EncodeCertificatePEM(der), mode: 0o644})
	}
	addKey := func(name string, k *sm2.PrivateKey) error {
		pemKey, err := opts.encryptKey(k, passphrase)
		if err != nil {
			return err
		}
		files = append(files, devFile{name: name, data: pemKey, mode: 0o600})
		return nil
	}
	fail := func(err error, what string) error {
		return apperr.Wrap(apperr.Internal, err, "cannot generate the %s", what)
	}

	rootKey, err := pki.GenerateKey()
	if err != nil {
		return nil, fail(err, "root key")
	}
	rootDER, err := pki.Issue(pki.CertRequest{
		Subject:   devName("PledgeSeal", "PledgeSeal Dev Root CA 开发测试根证书"),
		PublicKey: rootKey, NotBefore: start, NotAfter: now.AddDate(20, 0, 0),
		IsCA: true, MaxPathLen: 1,
	}, nil)
	if err != nil {
		return nil, fail(err, "root certificate")
	}
	root, err := pki.ParseCertificate(rootDER)
	if err != nil {
		return nil, fail(err, "root certificate")
	}
	issuer := &pki.Issuer{Cert: root, Key: rootKey}
	files = append(files, devFile{name: fileBundle, data: pki.EncodeCertificatePEM(rootDER), mode: 0o644})
	addCert(fileRootCert, rootDER)
	if err := addKey(fileRootKey, rootKey); err != nil {
		return nil, fail(err, "root key file")
	}

	issueLeaf := func(subject pkix.Name, years int, certName, keyName string, ca bool, ext ...pkix.Extension) error {
		k, err := pki.GenerateKey()
		if err != nil {
			return err
		}
		req := pki.CertRequest{Subject: subject, PublicKey: k, NotBefore: start, NotAfter: now.AddDate(years, 0, 0), ExtraExtensions: ext}
		if ca {
			req.IsCA, req.MaxPathLen = true, 0
		}
		der, err := pki.Issue(req, issuer)
		if err != nil {
			return err
		}
		addCert(certName, der)
		return addKey(keyName, k)
	}
	if err := issueLeaf(devName("PledgeSeal 电子印章制作单位", "PledgeSeal 电子印章制作 Seal Maker"), 5, fileMakerCert, fileMakerKey, false); err != nil {
		return nil, fail(err, "seal-maker certificate")
	}
	items := []Item{
		{Role: RoleTrustBundle, File: fileBundle, Note: "roots trusted for every chain"},
		{Role: RoleRootCA, Cert: fileRootCert, Key: fileRootKey, Note: "dev root; in production keep the root key offline and omit key"},
		{Role: RoleSealMaker, Cert: fileMakerCert, Key: fileMakerKey},
	}
	for _, a := range DevAgencies() {
		subj := devName(a.Name, a.Name+" 电子签章")
		subj.SerialNumber = a.Code
		subj.Province = []string{"北京市"}
		subj.Locality = []string{"朝阳区"}
		cn, kn := fmt.Sprintf(agencyCertFmt, a.Code), fmt.Sprintf(agencyKeyFmt, a.Code)
		if err := issueLeaf(subj, 3, cn, kn, false); err != nil {
			return nil, fail(err, "agency certificate for "+a.Code)
		}
		items = append(items, Item{Role: RoleAgency, Code: a.Code, Name: a.Name, Cert: cn, Key: kn})
	}
	if err := issueLeaf(devName("PledgeSeal", "PledgeSeal 申请人事件证书 Applicant CA"), 10, fileApplCert, fileApplKey, true); err != nil {
		return nil, fail(err, "applicant CA")
	}
	items = append(items, Item{Role: RoleApplicantCA, Cert: fileApplCert, Key: fileApplKey, Note: "issues one-time event certificates to applicants"})
	if err := issueLeaf(devName("PledgeSeal", "PledgeSeal 时间戳服务 TSA"), 5, fileTSACert, fileTSAKey, false, pki.TimeStampingExtension()); err != nil {
		return nil, fail(err, "TSA certificate")
	}
	items = append(items, Item{Role: RoleTSA, Cert: fileTSACert, Key: fileTSAKey, Note: "RFC 3161 time-stamping authority (critical extendedKeyUsage timeStamping)"})
	if err := issueLeaf(devName("PledgeSeal", "PledgeSeal 透明日志 Transparency Log"), 10, fileLogCert, fileLogKey, false); err != nil {
		return nil, fail(err, "transparency log certificate")
	}
	items = append(items, Item{Role: RoleTransparencyLog, Cert: fileLogCert, Key: fileLogKey, Note: "signs the transparency log's checkpoints (a key of its own)"})
	if err := issueLeaf(devName("PledgeSeal", "PledgeSeal 状态声明 Status Statements"), 10, fileStatusCert, fileStatusKey, false); err != nil {
		return nil, fail(err, "status statement certificate")
	}
	items = append(items, Item{Role: RoleStatus, Cert: fileStatusCert, Key: fileStatusKey, Note: "signs pledge status statements for offline relying parties (a key of its own)"})

	tokenKey, err := randomBytes(tokenKeyLen)
	if err != nil {
		return nil, fail(err, "token key")
	}
	tk, err := encryptSecret(PurposeTokenKey, tokenKey, passphrase, opts.secretIterations)
	if err != nil {
		return nil, fail(err, "token key file")
	}
	files = append(files, devFile{name: fileTokenKey, data: tk, mode: 0o600})
	encKey, err := randomBytes(dataEncKeyLen)
	if err != nil {
		return nil, fail(err, "data key")
	}
	idxKey, err := randomBytes(dataIndexKeyLen)
	if err != nil {
		return nil, fail(err, "index key")
	}
	dk1, err := encryptSecret(PurposeDataEncKey, encKey, passphrase, opts.secretIterations)
	if err != nil {
		return nil, fail(err, "data key file")
	}
	dk2, err := encryptSecret(PurposeDataIdxKey, idxKey, passphrase, opts.secretIterations)
	if err != nil {
		return nil, fail(err, "data key file")
	}
	files = append(files, devFile{name: fileDataKeys, data: append(dk1, dk2...), mode: 0o600})
	items = append(items,
		Item{Role: RoleTokenKey, File: fileTokenKey, Note: "32-byte HMAC-SM3 key for token hashes"},
		Item{Role: RoleDataKeys, File: fileDataKeys, Note: "SM4-GCM key and 32-byte HMAC-SM3 index key for personal data"},
	)
	m := Manifest{Format: ManifestFormat, Dev: true, Created: now, Items: items}
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fail(err, "manifest")
	}
	files = append(files, devFile{name: ManifestFile, data: append(mj, '\n'), mode: 0o644})
	return files, nil
}

func devName(org, cn string) pkix.Name {
	return pkix.Name{Country: []string{"CN"}, Organization: []string{org + devMarker}, CommonName: cn + devMarker}
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := rand.Read(b)
	return b, err
}

// WriteFileAtomic writes data to a temporary file beside path and renames it
// into place, so a reader never sees half a file.
func WriteFileAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after a successful rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(name, path)
}
