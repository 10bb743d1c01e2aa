package pledgecli

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
	"github.com/pledgeseal/pledgeseal/internal/cli/sescli"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/ofdmake"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/version"
	"github.com/pledgeseal/pledgeseal/internal/web"
)

// exportCmd is `pledge export --ofd OUT.ofd`: the agency seals, offline, the
// OFD of an accepted package with the seal that counter-sealed it (taken
// from the package's own SES) and its signing key.
func exportCmd(stdout io.Writer, clk clock.Clock, getenv func(string) string) *cobra.Command {
	var (
		out, keyFile, certFile, passFile string
		trust                            []string
		mask                             bool
	)
	c := &cobra.Command{
		Use:   "export --ofd OUT.ofd --key K --cert C --trust PEM PACKAGE",
		Short: "Write the agency-sealed OFD of an accepted pledge package, offline (导出盖章版式文件)",
		Long: `Write the printable, agency-sealed OFD (GB/T 33190, GB/T 38540) of an
accepted pledge package, offline. The package must verify ("valid at signing
time") against --trust; the OFD is sealed with the seal that counter-sealed
the decision (read from the package) and the agency signing key --key whose
certificate --cert signed that counter-seal. The package is attached to the
OFD unless --mask masks the applicant (then nothing personal is attached).
Verify the result with 'pledgectl ofd verify --trust PEM OUT.ofd'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" || keyFile == "" || certFile == "" || len(trust) == 0 {
				return usagef("--ofd, --key, --cert and --trust are required")
			}
			pkg, r, err := verifyOffline(cmd.Context(), args[0], trust, clk)
			if err != nil {
				return err
			}
			if r.ValidAtSigning.Indication != outcome.TotalPassed {
				return &exitstatus.Error{Code: exitstatus.Failed, Msg: fmt.Sprintf("the package does not verify (valid at signing: %s %s); nothing was sealed (承诺包验证未通过，未盖章)",
					r.ValidAtSigning.Indication, r.ValidAtSigning.SubIndication)}
			}
			p, err := pledge.ParsePackage(pkg)
			if err != nil || p.AgencySES == nil {
				return usagef("%s is not an accepted pledge package: only an accepted pledge has a sealed OFD", args[0])
			}
			counter, err := ses.ParseSignature(p.AgencySES)
			if err != nil {
				return usagef("the package's agency seal cannot be read")
			}
			cert, err := sescli.ReadCertificate(certFile, "agency certificate")
			if err != nil {
				return err
			}
			if !bytes.Equal(cert, counter.Cert) {
				return usagef("--cert is not the certificate that counter-sealed this pledge: only the deciding agency seals its OFD")
			}
			signer, err := sescli.LoadSigner(keyFile, passFile, getenv)
			if err != nil {
				return err
			}
			labels, err := web.Messages("zh-CN")
			if err != nil {
				return err
			}
			agency := p.Sealed.Statement.Agency
			sealer := pledge.NewSESSealer(map[string]pledge.AgencySeal{agency: {Seal: counter.TBS.Seal, Signer: ses.Signer{Signer: signer, Cert: cert}}}, nil, clk)
			w := &ofdmake.Writer{Sealer: sealer, Clock: clk}
			b, err := w.Write(cmd.Context(), ofdmake.Input{Package: pkg, Labels: labels, MaskApplicant: mask, Version: version.Get().Version})
			if err != nil {
				if e := apperr.As(err); e != nil {
					return usagef("cannot seal the OFD: %s", e.Detail)
				}
				return err
			}
			if err := os.WriteFile(out, b, 0o644); err != nil {
				return usagef("cannot write %q: %v", out, err)
			}
			fmt.Fprintf(stdout, "已导出 Exported: %s sealed by %s (%s), %d bytes → %s\n", p.Doc.PledgeID, agency, counter.TBS.Seal.Info.ESID, len(b), out)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&out, "ofd", "", "write the sealed OFD to this file")
	f.StringVar(&keyFile, "key", "", "the agency's encrypted PKCS#8 signing key (PEM)")
	f.StringVar(&certFile, "cert", "", "the agency's signing certificate (PEM or DER)")
	f.StringVar(&passFile, "passphrase-file", "", "file holding the key passphrase (default: $"+sescli.PassphraseEnv+")")
	f.StringArrayVar(&trust, "trust", nil, "PEM file of trust anchors for seals and applicant certificates (repeatable)")
	f.BoolVar(&mask, "mask", false, "mask the applicant as on public pages (no package attached)")
	return c
}
