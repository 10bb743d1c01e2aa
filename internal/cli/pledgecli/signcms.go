package pledgecli

import (
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/cli/sescli"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pki"
)

// maxSignInput bounds the file sign-cms reads: a pledge document is far
// smaller; anything this large is not one.
const maxSignInput = 4 << 20

// signCMSCmd is `pledge sign-cms`: the applicant signs the exact bytes of
// a pledge draft (the file the applicant page offers) with their own SM2
// key and certificate, writing the detached CMS SignedData (GM/T 0010,
// SM2/SM3, signed attributes, the signer's certificate) that POST
// /v1/pledges/{id}/signature and the page's upload accept. OpenSSL 3.0's
// `cms -sign` cannot make SM2 signatures, so this is the command the page
// names.
func signCMSCmd(stdout io.Writer, clk clock.Clock, getenv func(string) string) *cobra.Command {
	var in, out, keyFile, certFile, passFile string
	var asPEM bool
	c := &cobra.Command{
		Use:   "sign-cms --key K --cert C --in DOCUMENT --out SIG.p7s",
		Short: "Sign a pledge draft's exact bytes with your own SM2 certificate: detached CMS (用自己的证书签名)",
		Long: `Sign the exact bytes of a pledge draft (the file to sign that the applicant
page offers for download) with your own SM2 key and certificate, writing a
detached CMS SignedData (GM/T 0010: SM3, SM2 with the default user ID,
signed attributes contentType, messageDigest and signingTime, and the
signer's certificate). Upload the result on the page, or POST it to
/v1/pledges/{id}/signature. --key is a PKCS#8 PEM file: encrypted (the
passphrase from --passphrase-file or $` + sescli.PassphraseEnv + `) or plain
(as 'openssl genpkey -algorithm SM2' writes). The certificate's issuing
CA must be one the service accepts for applicants, and the certificate
must be yours: the service compares its subject serialNumber with your
identity number. The output is DER unless --pem.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in == "" || out == "" || keyFile == "" || certFile == "" {
				return usagef("--in, --out, --key and --cert are required")
			}
			doc, err := readLimited(in, maxSignInput)
			if err != nil {
				return err
			}
			cert, err := sescli.ReadCertificate(certFile, "certificate")
			if err != nil {
				return err
			}
			signer, err := sescli.LoadSigner(keyFile, passFile, getenv)
			if err != nil {
				return err
			}
			parsed, err := pki.ParseCertificate(cert)
			if err != nil {
				return usagef("--cert %q is not an X.509 certificate: %v", certFile, err)
			}
			if pub, ok := parsed.PublicKey.(*ecdsa.PublicKey); !ok || !pub.Equal(signer.Public()) {
				return usagef("the key %q is not the key of the certificate %q", keyFile, certFile)
			}
			sig, err := pki.SignDetached(doc, cert, signer, clk.Now())
			if err != nil {
				return usagef("cannot sign: %v", err)
			}
			// What is written verifies over what was read.
			if _, err := pki.VerifyDetached(sig, doc); err != nil {
				return fmt.Errorf("the signature made does not verify: %w", err)
			}
			if asPEM {
				sig = pem.EncodeToMemory(&pem.Block{Type: "CMS", Bytes: sig})
			}
			if err := os.WriteFile(out, sig, 0o644); err != nil {
				return usagef("cannot write %q: %v", out, err)
			}
			sum := pki.Digest(doc)
			fmt.Fprintf(stdout, "已签名 Signed: %s (%d bytes, SM3 %s) by %q → %s\n", in, len(doc), hex.EncodeToString(sum[:]), parsed.Subject.CommonName, out)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&in, "in", "", "the file to sign, byte for byte (the draft downloaded from the page)")
	f.StringVar(&out, "out", "", "write the CMS SignedData to this file")
	f.StringVar(&keyFile, "key", "", "your SM2 private key: PKCS#8 PEM, encrypted or plain")
	f.StringVar(&certFile, "cert", "", "your signing certificate (PEM or DER)")
	f.StringVar(&passFile, "passphrase-file", "", "file holding the key passphrase (default: $"+sescli.PassphraseEnv+")")
	f.BoolVar(&asPEM, "pem", false, "write PEM (-----BEGIN CMS-----) instead of DER")
	return c
}

// readLimited reads a whole input file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, usagef("cannot read %q: %v", path, err)
	}
	defer fh.Close()
	b, err := io.ReadAll(io.LimitReader(fh, limit+1))
	if err != nil {
		return nil, usagef("cannot read %q: %v", path, err)
	}
	if int64(len(b)) > limit {
		return nil, usagef("%q is larger than %d bytes: not a pledge document", path, limit)
	}
	return b, nil
}
