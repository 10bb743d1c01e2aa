package trust

import (
	"bytes"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

var (
	genTime  = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	testPass = []byte("test-passphrase")
)

// fastKDF lowers the KDF work factor so that the many sets these tests make
// stay fast under the race detector. The real GenerateDev (100,000
// iterations) is exercised end to end by cmd/pledgectl's TestInitDev.
func fastKDF() GenerateOptions { return GenerateOptions{KDFIterations: minSecretIterations} }

// generate writes a fresh dev set made at genTime into a temp dir.
func generate(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	if err := GenerateDevWith(dir, testPass, clock.NewFake(genTime), false, fastKDF()); err != nil {
		t.Fatalf("GenerateDev: %v", err)
	}
	return dir
}

func TestGenerateThenLoad(t *testing.T) {
	dir := generate(t)
	m, err := Load(dir, testPass, genTime.Add(24*time.Hour))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !m.Dev || len(m.Roots) != 1 || m.Trust.Empty() {
		t.Fatalf("material: dev=%v roots=%d", m.Dev, len(m.Roots))
	}
	if len(m.TokenKey) != 32 || len(m.DataKeys.Enc) != 16 || len(m.DataKeys.Index) != 32 {
		t.Fatalf("secret lengths %d %d %d", len(m.TokenKey), len(m.DataKeys.Enc), len(m.DataKeys.Index))
	}
	if bytes.Equal(m.DataKeys.Index, m.TokenKey) {
		t.Fatal("token key and index key are the same bytes")
	}
	want := DevAgencies()
	if len(m.Agencies) != len(want) {
		t.Fatalf("%d agencies, want %d", len(m.Agencies), len(want))
	}
	for i, a := range want {
		got := m.Agencies[i]
		if got.Code != a.Code || got.Name != a.Name || got.Cert.Subject.SerialNumber != a.Code {
			t.Errorf("agency %d: %q %q serial %q", i, got.Code, got.Name, got.Cert.Subject.SerialNumber)
		}
		if _, ok := m.Agency(a.Code); !ok {
			t.Errorf("Agency(%q) not found", a.Code)
		}
	}
	if _, ok := m.Agency("nope"); ok {
		t.Error("unknown agency found")
	}
	signing := []struct {
		name string
		kp   KeyPair
	}{{"seal maker", m.SealMaker}, {"agency 0", m.Agencies[0].KeyPair}, {"agency 1", m.Agencies[1].KeyPair}}
	for _, s := range signing {
		c := s.kp.Cert
		if c.IsCA || c.KeyUsage&smx509.KeyUsageDigitalSignature == 0 || c.KeyUsage&smx509.KeyUsageContentCommitment == 0 {
			t.Errorf("%s: IsCA=%v keyUsage=%v", s.name, c.IsCA, c.KeyUsage)
		}
		if c.SignatureAlgorithm != smx509.SM2WithSM3 {
			t.Errorf("%s: signature algorithm %v", s.name, c.SignatureAlgorithm)
		}
		sig, err := s.kp.Signer().SignMessage([]byte("pledge"))
		if err != nil || !pki.VerifyMessage(s.kp.Signer().Public(), []byte("pledge"), sig) {
			t.Errorf("%s: key does not sign verifiably: %v", s.name, err)
		}
	}
	ca := m.ApplicantCA.Cert
	if !ca.IsCA || ca.KeyUsage&smx509.KeyUsageCertSign == 0 || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Fatalf("applicant CA profile: IsCA=%v usage=%v maxPathLen=%d", ca.IsCA, ca.KeyUsage, ca.MaxPathLen)
	}
	root := m.Roots[0]
	if !root.IsCA || root.KeyUsage&smx509.KeyUsageCertSign == 0 || !root.BasicConstraintsValid {
		t.Fatal("root lacks the CA profile")
	}
	// The applicant CA can issue an event certificate that chains to the roots.
	ek, _ := pki.GenerateKey()
	der, err := pki.Issue(pki.CertRequest{PublicKey: ek, NotBefore: genTime, NotAfter: genTime.Add(time.Hour)}, m.ApplicantCA.Issuer())
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := pki.ParseCertificate(der)
	if _, err := m.Trust.VerifyAt(ev, []*smx509.Certificate{ca}, genTime.Add(time.Minute), true); err != nil {
		t.Fatalf("event certificate does not chain: %v", err)
	}
}

func TestFileModes(t *testing.T) {
	dir := generate(t)
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("dir mode %v %v", st.Mode().Perm(), err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(devFileNames()) {
		t.Errorf("%d files, want %d (leftover temporaries?)", len(entries), len(devFileNames()))
	}
	for _, e := range entries {
		info, _ := e.Info()
		name := e.Name()
		want := fs.FileMode(0o644)
		if strings.HasSuffix(name, ".key.pem") || name == fileTokenKey || name == fileDataKeys {
			want = 0o600
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", name, info.Mode().Perm(), want)
		}
		data, _ := os.ReadFile(filepath.Join(dir, name))
		if bytes.Contains(data, []byte("BEGIN PRIVATE KEY")) || bytes.Contains(data, []byte("BEGIN EC PRIVATE KEY")) {
			t.Errorf("%s holds an unencrypted private key", name)
		}
	}
}

func TestGenerateRefusesExistingMaterial(t *testing.T) {
	dir := generate(t)
	before := snapshot(t, dir)
	err := GenerateDevWith(dir, testPass, clock.NewFake(genTime.Add(time.Hour)), false, fastKDF())
	if !apperr.Is(err, apperr.Conflict) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("second GenerateDev: %v", err)
	}
	if after := snapshot(t, dir); !equalSnapshots(before, after) {
		t.Fatal("a refused GenerateDev changed files")
	}
	// One leftover file is enough to refuse.
	partial := filepath.Join(t.TempDir(), "partial")
	if err := os.MkdirAll(partial, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(partial, fileTokenKey), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := GenerateDevWith(partial, testPass, clock.NewFake(genTime), false, fastKDF()); !apperr.Is(err, apperr.Conflict) || !strings.Contains(err.Error(), fileTokenKey) {
		t.Fatalf("partial dir: %v", err)
	}
	// With force it replaces everything with a new set.
	if err := GenerateDevWith(dir, testPass, clock.NewFake(genTime.Add(time.Hour)), true, fastKDF()); err != nil {
		t.Fatalf("forced GenerateDev: %v", err)
	}
	after := snapshot(t, dir)
	if bytes.Equal(before[fileRootCert], after[fileRootCert]) || bytes.Equal(before[fileTokenKey], after[fileTokenKey]) {
		t.Fatal("forced GenerateDev kept the old material")
	}
	if _, err := Load(dir, testPass, genTime.Add(2*time.Hour)); err != nil {
		t.Fatalf("Load after force: %v", err)
	}
}

func TestGenerateRejectsBadArguments(t *testing.T) {
	if err := GenerateDev(t.TempDir(), nil, clock.NewFake(genTime), false); !apperr.Is(err, apperr.Malformed) {
		t.Fatalf("empty passphrase: %v", err)
	}
	if err := GenerateDev("", testPass, clock.NewFake(genTime), false); !apperr.Is(err, apperr.Malformed) {
		t.Fatalf("empty dir: %v", err)
	}
	for _, n := range []int{1, minSecretIterations - 1, maxSecretIterations + 1} {
		if err := GenerateDevWith(t.TempDir(), testPass, clock.NewFake(genTime), false, GenerateOptions{KDFIterations: n}); !apperr.Is(err, apperr.Malformed) {
			t.Fatalf("%d iterations: %v", n, err)
		}
	}
}

func snapshot(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func equalSnapshots(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// clone copies a generated set so each case can break its own copy without
// paying for key generation again.
func clone(t *testing.T, src string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for name, data := range snapshot(t, src) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLoadRefuses breaks one thing at a time and expects Load to name the
// file and the problem.
func TestLoadRefuses(t *testing.T) {
	other := generate(t) // a second, unrelated set to swap files from
	agency := fmt.Sprintf(agencyCertFmt, DevAgencies()[0].Code)
	agencyKey := fmt.Sprintf(agencyKeyFmt, DevAgencies()[0].Code)
	cases := []struct {
		name   string
		break_ func(t *testing.T, dir string)
		pass   []byte
		at     time.Time
		kind   apperr.Kind
		file   string
		words  string
	}{
		{name: "seal-maker key swapped with an agency key",
			break_: func(t *testing.T, d string) { copyFile(t, filepath.Join(d, agencyKey), filepath.Join(d, fileMakerKey)) },
			kind:   apperr.Malformed, file: fileMakerKey, words: "does not match"},
		{name: "agency certificate swapped with the seal-maker certificate",
			break_: func(t *testing.T, d string) { copyFile(t, filepath.Join(d, fileMakerCert), filepath.Join(d, agency)) },
			kind:   apperr.Malformed, file: agencyKey, words: "does not match"},
		{name: "seal-maker pair replaced by a pair from another root",
			break_: func(t *testing.T, d string) {
				copyFile(t, filepath.Join(other, fileMakerCert), filepath.Join(d, fileMakerCert))
				copyFile(t, filepath.Join(other, fileMakerKey), filepath.Join(d, fileMakerKey))
			},
			kind: apperr.Malformed, file: fileMakerCert, words: "does not chain"},
		{name: "applicant CA pair replaced by a pair from another root",
			break_: func(t *testing.T, d string) {
				copyFile(t, filepath.Join(other, fileApplCert), filepath.Join(d, fileApplCert))
				copyFile(t, filepath.Join(other, fileApplKey), filepath.Join(d, fileApplKey))
			},
			kind: apperr.Malformed, file: fileApplCert, words: "does not chain"},
		{name: "TSA pair replaced by the seal-maker pair (no timeStamping purpose)",
			break_: func(t *testing.T, d string) {
				copyFile(t, filepath.Join(d, fileMakerCert), filepath.Join(d, fileTSACert))
				copyFile(t, filepath.Join(d, fileMakerKey), filepath.Join(d, fileTSAKey))
			},
			kind: apperr.Malformed, file: fileTSACert, words: "timeStamping"},
		{name: "trust bundle from another set",
			break_: func(t *testing.T, d string) {
				copyFile(t, filepath.Join(other, fileBundle), filepath.Join(d, fileBundle))
			},
			kind: apperr.Malformed, file: fileRootCert, words: "not in the trust bundle"},
		{name: "root key swapped",
			break_: func(t *testing.T, d string) {
				copyFile(t, filepath.Join(other, fileRootKey), filepath.Join(d, fileRootKey))
			},
			kind: apperr.Malformed, file: fileRootKey, words: "does not match"},
		{name: "missing key file",
			break_: func(t *testing.T, d string) { _ = os.Remove(filepath.Join(d, fileApplKey)) },
			kind:   apperr.NotFound, file: fileApplKey, words: "missing"},
		{name: "missing manifest",
			break_: func(t *testing.T, d string) { _ = os.Remove(filepath.Join(d, ManifestFile)) },
			kind:   apperr.NotFound, file: ManifestFile, words: "pledgectl init --dev"},
		{name: "unreadable certificate (a directory)",
			break_: func(t *testing.T, d string) {
				_ = os.Remove(filepath.Join(d, agency))
				_ = os.Mkdir(filepath.Join(d, agency), 0o700)
			},
			kind: apperr.Unavailable, file: agency, words: "unreadable"},
		{name: "garbage certificate",
			break_: func(t *testing.T, d string) {
				_ = os.WriteFile(filepath.Join(d, fileMakerCert), []byte("not a certificate"), 0o644)
			},
			kind: apperr.Malformed, file: fileMakerCert, words: "not a PEM certificate"},
		{name: "wrong passphrase", pass: []byte("wrong"),
			kind: apperr.Malformed, file: fileRootKey, words: "wrong passphrase"},
		{name: "agency certificate expired", at: genTime.AddDate(4, 0, 0),
			kind: apperr.Malformed, file: agency, words: "does not chain"},
		{name: "before the material existed", at: genTime.AddDate(-1, 0, 0),
			kind: apperr.Malformed, file: fileBundle, words: "not valid at"},
		{name: "token key replaced by the data keys",
			break_: func(t *testing.T, d string) {
				copyFile(t, filepath.Join(d, fileDataKeys), filepath.Join(d, fileTokenKey))
			},
			kind: apperr.Malformed, file: fileTokenKey, words: "blocks"},
		{name: "data keys tampered",
			break_: func(t *testing.T, d string) {
				p := filepath.Join(d, fileDataKeys)
				b, _ := os.ReadFile(p)
				b = bytes.Replace(b, []byte("Purpose: "+PurposeDataIdxKey), []byte("Purpose: "+PurposeDataEncKey), 1)
				_ = os.WriteFile(p, b, 0o600)
			},
			kind: apperr.Malformed, file: fileDataKeys, words: "twice"},
		{name: "secret ciphertext altered",
			break_: func(t *testing.T, d string) {
				p := filepath.Join(d, fileTokenKey)
				b, _ := os.ReadFile(p)
				lines := strings.Split(string(b), "\n")
				for i, l := range lines {
					if i > 0 && l != "" && !strings.Contains(l, ":") && !strings.HasPrefix(l, "-----") {
						c := []byte(l)
						if c[0] == 'A' {
							c[0] = 'B'
						} else {
							c[0] = 'A'
						}
						lines[i] = string(c)
						break
					}
				}
				_ = os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o600)
			},
			kind: apperr.Malformed, file: fileTokenKey, words: "cannot decrypt"},
	}
	base := generate(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := clone(t, base)
			if tc.break_ != nil {
				tc.break_(t, dir)
			}
			pass := testPass
			if tc.pass != nil {
				pass = tc.pass
			}
			at := genTime.Add(time.Hour)
			if !tc.at.IsZero() {
				at = tc.at
			}
			m, err := Load(dir, pass, at)
			if err == nil {
				t.Fatalf("Load accepted broken material: %v", m.Dir)
			}
			e := apperr.As(err)
			if e == nil {
				t.Fatalf("not an *apperr.Error: %v", err)
			}
			if e.Kind != tc.kind {
				t.Errorf("kind %v, want %v (%v)", e.Kind, tc.kind, err)
			}
			if !strings.Contains(e.Detail, filepath.Join(dir, tc.file)) || !strings.Contains(e.Detail, tc.words) {
				t.Errorf("detail %q does not name %s and say %q", e.Detail, tc.file, tc.words)
			}
		})
	}
}

func TestPassphrase(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good", "s3cret passphrase\n")
	crlf := write("crlf", "s3cret\r\n")
	empty := write("empty", "\n")
	big := write("big", strings.Repeat("x", maxPassphraseFile+1))
	cases := []struct {
		name    string
		env     map[string]string
		dev     bool
		want    string
		errWord string
	}{
		{name: "env", env: map[string]string{EnvPassphrase: "abc"}, want: "abc"},
		{name: "env wins over dev default", env: map[string]string{EnvPassphrase: "abc"}, dev: true, want: "abc"},
		{name: "file, newline trimmed", env: map[string]string{EnvPassphraseFile: good}, want: "s3cret passphrase"},
		{name: "file, CRLF trimmed", env: map[string]string{EnvPassphraseFile: crlf}, want: "s3cret"},
		{name: "dev default", dev: true, want: DevPassphrase},
		{name: "production without passphrase", errWord: EnvPassphrase},
		{name: "both set", env: map[string]string{EnvPassphrase: "a", EnvPassphraseFile: good}, errWord: "only one"},
		{name: "missing file", env: map[string]string{EnvPassphraseFile: filepath.Join(dir, "nope")}, errWord: EnvPassphraseFile},
		{name: "empty file", env: map[string]string{EnvPassphraseFile: empty}, errWord: "empty"},
		{name: "huge file", env: map[string]string{EnvPassphraseFile: big}, errWord: "larger"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Passphrase(func(k string) string { return tc.env[k] }, tc.dev)
			if tc.errWord != "" {
				if err == nil || !apperr.Is(err, apperr.Malformed) || !strings.Contains(err.Error(), tc.errWord) {
					t.Fatalf("got %q, %v; want an error saying %q", got, err, tc.errWord)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSecretRoundTripAndBinding(t *testing.T) {
	plain := []byte("0123456789abcdef0123456789abcdef")
	blk, err := encryptSecret(PurposeTokenKey, plain, testPass, minSecretIterations)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decryptSecrets(blk, testPass, []string{PurposeTokenKey}, []int{32})
	if err != nil || !bytes.Equal(got[0], plain) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := decryptSecrets(blk, []byte("other"), []string{PurposeTokenKey}, []int{32}); err == nil {
		t.Fatal("wrong passphrase accepted")
	}
	if _, err := decryptSecrets(blk, testPass, []string{PurposeDataEncKey}, []int{32}); err == nil {
		t.Fatal("secret accepted for another purpose")
	}
	if _, err := decryptSecrets(blk, testPass, []string{PurposeTokenKey}, []int{16}); err == nil {
		t.Fatal("wrong length accepted")
	}
	// Relabelling the purpose in the header breaks the tag: headers are bound.
	relabelled := bytes.Replace(blk, []byte(PurposeTokenKey), []byte(PurposeDataIdxKey), 1)
	if _, err := decryptSecrets(relabelled, testPass, []string{PurposeDataIdxKey}, []int{32}); err == nil {
		t.Fatal("relabelled secret accepted")
	}
	// Changing the work factor breaks the tag too.
	weaker := bytes.Replace(blk, []byte("Iterations: 10000\n"), []byte("Iterations: 10001\n"), 1)
	if bytes.Equal(weaker, blk) {
		t.Fatal("test did not change the iterations header")
	}
	if _, err := decryptSecrets(weaker, testPass, []string{PurposeTokenKey}, []int{32}); err == nil {
		t.Fatal("secret with altered iterations accepted")
	}
	if _, err := encryptSecret(PurposeTokenKey, plain, nil, secretIterations); err == nil {
		t.Fatal("empty passphrase accepted")
	}
}

// TestSecretsNeverPrinted checks that fmt and slog show no key bytes.
func TestSecretsNeverPrinted(t *testing.T) {
	dir := generate(t)
	m, err := Load(dir, testPass, genTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	log.Info("loaded", "material", m, "token", m.TokenKey, "data", m.DataKeys, "maker", m.SealMaker)
	printed := fmt.Sprintf("%v %+v %s %x %X %d %q %#v %v %+v %v", m.TokenKey, m.DataKeys, m.DataKeys.Enc, m.TokenKey, m.DataKeys.Index,
		m.TokenKey, m.DataKeys.Index, m.DataKeys, m.SealMaker, m.Agencies[0], m.ApplicantCA)
	out := logs.String() + printed
	secrets := [][]byte{m.TokenKey, m.DataKeys.Enc, m.DataKeys.Index, m.SealMaker.Key.D.Bytes(), m.Agencies[0].Key.D.Bytes(), m.ApplicantCA.Key.D.Bytes()}
	for i, s := range secrets {
		for _, enc := range []string{fmt.Sprintf("%x", []byte(s)), fmt.Sprintf("%X", []byte(s)), fmt.Sprint([]byte(s)), m.SealMaker.Key.D.String()} {
			if i < 3 && strings.Contains(out, enc) {
				t.Fatalf("secret %d printed:\n%s", i, out)
			}
		}
		if strings.Contains(out, fmt.Sprintf("%x", []byte(s))) {
			t.Fatalf("key %d printed in hex:\n%s", i, out)
		}
	}
	if strings.Contains(out, m.SealMaker.Key.D.String()) || strings.Contains(out, m.ApplicantCA.Key.D.String()) {
		t.Fatalf("private scalar printed:\n%s", out)
	}
	if !strings.Contains(out, "[REDACTED]") {
		t.Fatalf("no redaction marker in output:\n%s", out)
	}
}

func TestParseManifestFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/manifest/*.json")
	if err != nil || len(files) < 5 {
		t.Fatalf("fixtures: %v %d", err, len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseManifest(data)
			valid := strings.HasPrefix(filepath.Base(f), "valid-")
			if valid && err != nil {
				t.Fatalf("valid manifest refused: %v", err)
			}
			if !valid {
				if err == nil {
					t.Fatalf("invalid manifest accepted: %+v", m)
				}
				if !apperr.Is(err, apperr.Malformed) {
					t.Fatalf("kind %v", apperr.KindOf(err))
				}
			}
		})
	}
	if _, err := ParseManifest(bytes.Repeat([]byte(" "), maxManifest+1)); err == nil {
		t.Fatal("oversized manifest accepted")
	}
}

// TestLoadProductionLayout points a manifest at absolute paths outside the
// directory, without the root key, as a production deployment would.
func TestLoadProductionLayout(t *testing.T) {
	src := generate(t)
	dir := t.TempDir()
	raw, err := os.ReadFile(filepath.Join(src, ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(raw)
	if err != nil {
		t.Fatal(err)
	}
	var items []Item
	for _, it := range m.Items {
		if it.Role == RoleRootCA {
			continue
		}
		for _, p := range []*string{&it.Cert, &it.Key, &it.File} {
			if *p != "" {
				*p = filepath.Join(src, *p)
			}
		}
		items = append(items, it)
	}
	m.Items, m.Dev = items, false
	if err := writeJSON(filepath.Join(dir, ManifestFile), m); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir, testPass, genTime.Add(time.Hour))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if got.Dev || len(got.Agencies) != 2 {
		t.Fatalf("dev=%v agencies=%d", got.Dev, len(got.Agencies))
	}
}

func writeJSON(path string, m *Manifest) error {
	var b bytes.Buffer
	if _, err := fmt.Fprintf(&b, `{"format":%q,"dev":%v,"created":%q,"items":[`, m.Format, m.Dev, m.Created.Format(time.RFC3339)); err != nil {
		return err
	}
	for i, it := range m.Items {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"role":%q`, it.Role)
		for _, kv := range [][2]string{{"code", it.Code}, {"name", it.Name}, {"cert", it.Cert}, {"key", it.Key}, {"file", it.File}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, `,%q:%q`, kv[0], kv[1])
			}
		}
		b.WriteString("}")
	}
	b.WriteString("]}")
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// TestDevTSA: init --dev makes a TSA identity whose certificate chains to
// the dev root and has the critical extendedKeyUsage timeStamping.
func TestDevTSA(t *testing.T) {
	dir := generate(t)
	m, err := Load(dir, testPass, genTime.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if m.TSA == nil {
		t.Fatal("no TSA identity")
	}
	if err := pki.CheckTimeStamping(m.TSA.Cert); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Trust.VerifyAt(m.TSA.Cert, nil, genTime.Add(time.Hour), true); err != nil {
		t.Fatal(err)
	}
}
