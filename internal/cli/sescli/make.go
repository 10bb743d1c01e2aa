package sescli

import (
	"encoding/hex"
	"fmt"
	"html"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/ses"
)

// chinaTime is the zone of DATE-only flags: seal validity dates are
// understood as calendar days in China (UTC+8).
func chinaTime() *time.Location { return time.FixedZone("UTC+8", 8*3600) }

// parseDate reads YYYY-MM-DD (start or end of that day, UTC+8) or RFC 3339.
func parseDate(s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, chinaTime())
	if err != nil {
		return time.Time{}, err
	}
	if endOfDay {
		t = t.Add(24*time.Hour - time.Second)
	}
	return t, nil
}

// defaultPropertyInfo is the propertyInfo of a signature when none is
// given: the data file's name, which TBS_Sign holds as IA5String (ASCII).
// A name with other characters (申请表.pdf) is percent-encoded as UTF-8,
// which keeps it readable back (url.PathUnescape) and the field ASCII.
func defaultPropertyInfo(dataFile string) string {
	name := filepath.Base(dataFile)
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 || name[i] < 0x20 {
			return url.PathEscape(name)
		}
	}
	return name
}

// pictureType returns the SES picture type for a file name.
func pictureType(name string) (string, bool) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png":
		return "PNG", true
	case ".jpg", ".jpeg":
		return "JPG", true
	case ".gif":
		return "GIF", true
	case ".bmp":
		return "BMP", true
	case ".svg":
		return "SVG", true
	case ".ofd":
		return "OFD", true
	}
	return "", false
}

// defaultPicture draws a plain round red seal with the name, used when no
// --picture is given.
func defaultPicture(name string) []byte {
	return []byte(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" width="40mm" height="40mm" viewBox="0 0 100 100">`+
		`<circle cx="50" cy="50" r="46" fill="none" stroke="#d00" stroke-width="4"/>`+
		`<text x="50" y="56" font-size="10" text-anchor="middle" fill="#d00">%s</text></svg>`, html.EscapeString(name)))
}

func makeCmd(e env) *cobra.Command {
	var makerKey, makerCert, passFile, name, esID, from, to, picture, out string
	var signerCerts []string
	var sealType, width, height int64
	c := &cobra.Command{
		Use:   "make --maker-key K --maker-cert C --signer-cert S --name N --type T --valid-from DATE --valid-to DATE -o SEAL.esl",
		Short: "Make a GB/T 38540 (v4) electronic seal (制作电子印章)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case makerKey == "" || makerCert == "" || len(signerCerts) == 0 || name == "" || from == "" || to == "" || out == "":
				return usagef("--maker-key, --maker-cert, --signer-cert, --name, --valid-from, --valid-to and -o are required")
			case !cmd.Flags().Changed("type"):
				return usagef("--type is required")
			}
			start, err := parseDate(from, false)
			if err != nil {
				return usagef("--valid-from must be YYYY-MM-DD or RFC 3339")
			}
			end, err := parseDate(to, true)
			if err != nil {
				return usagef("--valid-to must be YYYY-MM-DD or RFC 3339")
			}
			signer, err := e.loadKey(makerKey, passFile)
			if err != nil {
				return err
			}
			mc, err := readCertDER(makerCert, "maker certificate")
			if err != nil {
				return err
			}
			req := ses.SealRequest{ESID: esID, Type: sealType, Name: name, ValidStart: start, ValidEnd: end,
				Picture: ses.Picture{Width: width, Height: height}}
			for _, p := range signerCerts {
				der, err := readCertDER(p, "signer certificate")
				if err != nil {
					return err
				}
				req.SignerCerts = append(req.SignerCerts, der)
			}
			if picture == "" {
				req.Picture.Type, req.Picture.Data = "SVG", defaultPicture(name)
			} else {
				typ, ok := pictureType(picture)
				if !ok {
					return usagef("--picture must be a .png, .jpg, .gif, .bmp, .svg or .ofd file")
				}
				b, err := readInput(picture, "picture")
				if err != nil {
					return err
				}
				req.Picture.Type, req.Picture.Data = typ, b
			}
			if req.ESID == "" {
				// A stable identifier from what the seal is: maker, name, start.
				d := pki.Digest([]byte(fmt.Sprintf("%x|%s|%d|%s", pki.Digest(mc), name, sealType, start.UTC().Format(time.RFC3339))))
				req.ESID = hex.EncodeToString(d[:10])
			}
			seal, err := ses.MakeSeal(req, ses.Maker{Signer: signer, Cert: mc}, e.clk)
			if err != nil {
				return inputError(err)
			}
			if err := writeOutput(out, seal.Raw); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "印章已制作 Seal made: esID %s, %d bytes → %s\n", seal.Info.ESID, len(seal.Raw), out)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&makerKey, "maker-key", "", "seal maker's encrypted PKCS#8 key (PEM)")
	f.StringVar(&makerCert, "maker-cert", "", "seal maker's certificate (PEM or DER)")
	f.StringArrayVar(&signerCerts, "signer-cert", nil, "certificate allowed to sign with the seal (repeatable)")
	f.StringVar(&passFile, "passphrase-file", "", "file holding the key passphrase (default: $"+PassphraseEnv+")")
	f.StringVar(&name, "name", "", "seal name (印章名称)")
	f.Int64Var(&sealType, "type", 0, "seal type code (印章类型)")
	f.StringVar(&esID, "esid", "", "seal identifier (default: derived from maker, name, type and start)")
	f.StringVar(&from, "valid-from", "", "start of validity: YYYY-MM-DD (UTC+8) or RFC 3339")
	f.StringVar(&to, "valid-to", "", "end of validity: YYYY-MM-DD (end of that day, UTC+8) or RFC 3339")
	f.StringVar(&picture, "picture", "", "seal picture: .png .jpg .gif .bmp .svg or .ofd (default: a drawn SVG)")
	f.Int64Var(&width, "width", 40, "picture width in mm")
	f.Int64Var(&height, "height", 40, "picture height in mm")
	f.StringVarP(&out, "output", "o", "", "output seal file")
	return c
}

func signCmd(e env) *cobra.Command {
	var sealFile, keyFile, certFile, passFile, dataFile, propertyInfo, out string
	c := &cobra.Command{
		Use:   "sign --seal SEAL.esl --key K --cert C --data FILE -o SIG.dat",
		Short: "Sign data with a seal, making an SES_Signature v4 (电子签章)",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if sealFile == "" || keyFile == "" || certFile == "" || dataFile == "" || out == "" {
				return usagef("--seal, --key, --cert, --data and -o are required")
			}
			sb, err := readInput(sealFile, "seal file")
			if err != nil {
				return err
			}
			seal, err := ses.ParseSeal(sb)
			if err != nil {
				return inputError(err)
			}
			signer, err := e.loadKey(keyFile, passFile)
			if err != nil {
				return err
			}
			cert, err := readCertDER(certFile, "signer certificate")
			if err != nil {
				return err
			}
			data, err := readInput(dataFile, "data file")
			if err != nil {
				return err
			}
			if propertyInfo == "" {
				propertyInfo = defaultPropertyInfo(dataFile)
			}
			sig, err := ses.Sign(ses.SignRequest{Seal: seal, DataHash: ses.DataDigest(data), PropertyInfo: propertyInfo},
				ses.Signer{Signer: signer, Cert: cert}, e.clk)
			if err != nil {
				return inputError(err)
			}
			if err := writeOutput(out, sig.Raw); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "已签章 Signed: seal %s at %s, %d bytes → %s\n", seal.Info.ESID, sig.TBS.TimeInfo.Format(time.RFC3339), len(sig.Raw), out)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&sealFile, "seal", "", "seal file (SESeal v4)")
	f.StringVar(&keyFile, "key", "", "signer's encrypted PKCS#8 key (PEM)")
	f.StringVar(&certFile, "cert", "", "signer's certificate (PEM or DER)")
	f.StringVar(&passFile, "passphrase-file", "", "file holding the key passphrase (default: $"+PassphraseEnv+")")
	f.StringVar(&dataFile, "data", "", "file to sign")
	f.StringVar(&propertyInfo, "property-info", "", "what is signed, ASCII (default: the data file's name, percent-encoded if it is not ASCII)")
	f.StringVarP(&out, "output", "o", "", "output signature file")
	return c
}
