package tsa_test

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/tsa"
)

// opensslTSA makes an SM2 root and an SM2 TSA certificate with openssl;
// ext is the TSA certificate's extension line ("" for none).
func opensslTSA(t *testing.T, dir, ext string) (root, cert *smx509.Certificate, keyPEM []byte) {
	t.Helper()
	p := func(n string) string { return filepath.Join(dir, n) }
	id := "distid:1234567812345678"
	openssl(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", p("root.key"))
	openssl(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", p("tsa.key"))
	write(t, dir, "req.cnf", []byte("[req]\ndistinguished_name=dn\nx509_extensions=ca\n[dn]\n"+
		"[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"))
	openssl(t, "req", "-new", "-x509", "-key", p("root.key"), "-sm3", "-sigopt", id, "-subj", "/CN=OpenSSL SM2 Root", "-days", "30",
		"-config", p("req.cnf"), "-out", p("root.pem"))
	openssl(t, "req", "-new", "-key", p("tsa.key"), "-sm3", "-sigopt", id, "-subj", "/CN=OpenSSL SM2 TSA", "-config", p("req.cnf"), "-out", p("tsa.csr"))
	args := []string{"x509", "-req", "-in", p("tsa.csr"), "-CA", p("root.pem"), "-CAkey", p("root.key"), "-sm3", "-sigopt", id, "-vfyopt", id,
		"-set_serial", "2", "-days", "30", "-out", p("tsa.pem")}
	if ext != "" {
		write(t, dir, "tsa.cnf", []byte("[tsa]\nkeyUsage=critical,digitalSignature,nonRepudiation\n"+ext+"\n"))
		args = append(args, "-extfile", p("tsa.cnf"), "-extensions", "tsa")
	}
	openssl(t, args...)
	parse := func(n string) *smx509.Certificate {
		cs, err := pki.ParseCertificatesPEM(read(t, p(n)))
		if err != nil || len(cs) != 1 {
			t.Fatalf("%s: %v", n, err)
		}
		return cs[0]
	}
	return parse("root.pem"), parse("tsa.pem"), read(t, p("tsa.key"))
}

// TestOpenSSLMadeTSACertificate: a token from a TSA certificate made by
// openssl with a critical extendedKeyUsage timeStamping verifies (and
// openssl itself calls the certificate a timestamp signer); one whose
// certificate lacks the extension is refused.
func TestOpenSSLMadeTSACertificate(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl is required")
	}
	for _, tc := range []struct {
		name, ext string
		want      error
	}{
		{"critical timeStamping", "extendedKeyUsage=critical,timeStamping", nil},
		{"no extendedKeyUsage", "", tsa.ErrKeyPurpose},
		{"timeStamping not critical", "extendedKeyUsage=timeStamping", tsa.ErrKeyPurpose},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			root, cert, keyPEM := opensslTSA(t, dir, tc.ext)
			if tc.want == nil {
				// openssl's own purpose check agrees.
				openssl(t, "verify", "-vfyopt", "distid:1234567812345678", "-purpose", "timestampsign", "-CAfile", filepath.Join(dir, "root.pem"), filepath.Join(dir, "tsa.pem"))
			}
			key, err := pki.ParsePrivateKeyPEM(keyPEM, nil)
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.NewFake(cert.NotBefore.Add(time.Hour))
			d := pki.Digest([]byte("data"))
			req := &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true}
			trust := pki.NewTrustStore([]*smx509.Certificate{root}, nil)
			a, err := tsa.New(tsa.Config{Cert: cert, Signer: pki.NewKeySigner(key), Policy: policy, Serials: newStore(t, clk), Clock: clk})
			if tc.want != nil {
				if err == nil {
					t.Fatal("start-up accepted a TSA certificate without the critical timeStamping purpose")
				}
				// What another TSA would issue with such a certificate.
				good := newMaterial(t, pki.TimeStampingExtension())
				genuine, err := newAuthority(t, good, newStore(t, clk), clk).Token(context.Background(), req)
				if err != nil {
					t.Fatal(err)
				}
				sd, _ := pki.ParseCMS(genuine)
				forged, err := pki.SignTimeStampToken(sd.Content, cert, pki.NewKeySigner(key), true)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tsa.VerifyToken(forged, trust); !errors.Is(err, tc.want) {
					t.Fatalf("verify: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			der, err := a.Token(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := tsa.VerifyToken(der, trust)
			if err != nil {
				t.Fatal(err)
			}
			if err := tok.Covers([]byte("data")); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestOpenSSLMadeChainPurpose: a TSA certificate with the critical
// timeStamping purpose made by openssl under an openssl-made intermediate
// CA whose extendedKeyUsage is serverAuth only is refused (the CA cannot
// delegate time-stamping); under an intermediate without an
// extendedKeyUsage it is accepted.
func TestOpenSSLMadeChainPurpose(t *testing.T) {
	id := "distid:1234567812345678"
	for _, tc := range []struct {
		name, caExt string
		want        error
	}{
		{"CA without extendedKeyUsage", "", nil},
		{"CA for serverAuth only", "extendedKeyUsage=serverAuth", tsa.ErrKeyPurpose},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := func(n string) string { return filepath.Join(dir, n) }
			for _, k := range []string{"root", "ca", "tsa"} {
				openssl(t, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2", "-out", p(k+".key"))
			}
			write(t, dir, "req.cnf", []byte("[req]\ndistinguished_name=dn\nx509_extensions=ca\n[dn]\n"+
				"[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n"))
			write(t, dir, "ext.cnf", []byte("[ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"+tc.caExt+"\n"+
				"[tsa]\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=critical,timeStamping\n"))
			openssl(t, "req", "-new", "-x509", "-key", p("root.key"), "-sm3", "-sigopt", id, "-subj", "/CN=OpenSSL SM2 Root", "-days", "30", "-config", p("req.cnf"), "-out", p("root.pem"))
			sign := func(name, subj, issuer, ext string) {
				openssl(t, "req", "-new", "-key", p(name+".key"), "-sm3", "-sigopt", id, "-subj", subj, "-config", p("req.cnf"), "-out", p(name+".csr"))
				openssl(t, "x509", "-req", "-in", p(name+".csr"), "-CA", p(issuer+".pem"), "-CAkey", p(issuer+".key"), "-sm3", "-sigopt", id, "-vfyopt", id,
					"-set_serial", "7", "-days", "30", "-extfile", p("ext.cnf"), "-extensions", ext, "-out", p(name+".pem"))
			}
			sign("ca", "/CN=OpenSSL SM2 Sub CA", "root", "ca")
			sign("tsa", "/CN=OpenSSL SM2 TSA", "ca", "tsa")
			parse := func(n string) *smx509.Certificate {
				cs, err := pki.ParseCertificatesPEM(read(t, p(n)))
				if err != nil || len(cs) != 1 {
					t.Fatalf("%s: %v", n, err)
				}
				return cs[0]
			}
			root, ca, cert := parse("root.pem"), parse("ca.pem"), parse("tsa.pem")
			key, err := pki.ParsePrivateKeyPEM(read(t, p("tsa.key")), nil)
			if err != nil {
				t.Fatal(err)
			}
			clk := clock.NewFake(cert.NotBefore.Add(time.Hour))
			a, err := tsa.New(tsa.Config{Cert: cert, Signer: pki.NewKeySigner(key), Policy: policy, Serials: newStore(t, clk), Clock: clk})
			if err != nil {
				t.Fatal(err)
			}
			d := pki.Digest([]byte("data"))
			der, err := a.Token(context.Background(), &tsa.Request{HashAlg: pki.OIDSM3(), Imprint: d[:], CertReq: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = tsa.VerifyToken(der, pki.NewTrustStore([]*smx509.Certificate{root}, []*smx509.Certificate{ca}))
			if tc.want == nil && err != nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("verify: %v, want %v", err, tc.want)
			}
		})
	}
}
