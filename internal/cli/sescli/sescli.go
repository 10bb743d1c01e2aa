// Package sescli owns the pledgectl commands for electronic seals: `ses
// inspect`, `ses verify`, `ses sign`, `seal make`, `seal verify` and `ofd
// verify`. It turns flags and files into calls of internal/ses and
// internal/ofd and their reports into text or JSON and an exit status.
//
// It must not hold verification logic of its own or touch Redis; its only
// HTTP is the status lookups of `ofd verify --base-url`, through
// internal/cli/statusclient. It must not print secrets: key passphrases
// come from PLEDGESEAL_KEY_PASSPHRASE or a --passphrase-file and are never
// echoed.
package sescli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emmansun/gmsm/smx509"
	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/cli/exitstatus"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pki"
	"github.com/pledgeseal/pledgeseal/internal/verify"
)

// PassphraseEnv is the environment variable holding the key passphrase.
const PassphraseEnv = "PLEDGESEAL_KEY_PASSPHRASE"

// maxInput bounds the files the commands read (seals, signatures, OFD).
const maxInput = 256 << 20

func usagef(format string, args ...any) error { return exitstatus.Usagef(format, args...) }

// env abstracts the process environment for tests.
type env struct {
	stdout, stderr io.Writer
	clk            clock.Clock
	getenv         func(string) string
}

// Commands returns the top-level `ses`, `seal` and `ofd` commands.
func Commands(stdout, stderr io.Writer, clk clock.Clock) []*cobra.Command {
	return commands(env{stdout: stdout, stderr: stderr, clk: clk, getenv: os.Getenv})
}

func commands(e env) []*cobra.Command {
	sesCmd := &cobra.Command{Use: "ses", Short: "Inspect, verify and make SES signatures (电子签章)"}
	sesCmd.AddCommand(inspectCmd(e), sesVerifyCmd(e), signCmd(e))
	sealCmd := &cobra.Command{Use: "seal", Short: "Make and verify electronic seals (电子印章)"}
	sealCmd.AddCommand(makeCmd(e), sealVerifyCmd(e))
	ofdCmd := &cobra.Command{Use: "ofd", Short: "Verify signed OFD documents (OFD 签章验证)"}
	ofdCmd.AddCommand(ofdVerifyCmd(e))
	return []*cobra.Command{sesCmd, sealCmd, ofdCmd}
}

// readInput reads a file the user named; failures are usage errors (exit 3).
func readInput(path, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("cannot read %s %q: %v", what, path, unwrapPathErr(err))
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxInput+1))
	if err != nil {
		return nil, usagef("cannot read %s %q: %v", what, path, err)
	}
	if len(b) > maxInput {
		return nil, usagef("%s %q is larger than %d bytes", what, path, maxInput)
	}
	return b, nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadTrust reads anchors from PEM files; none gives an empty store.
func loadTrust(paths []string) (*pki.TrustStore, error) {
	var anchors []*smx509.Certificate
	for _, p := range paths {
		b, err := readInput(p, "trust file")
		if err != nil {
			return nil, err
		}
		certs, err := pki.ParseCertificatesPEM(b)
		if err != nil {
			return nil, usagef("trust file %q: %v", p, err)
		}
		anchors = append(anchors, certs...)
	}
	return pki.NewTrustStore(anchors, nil), nil
}

// readCertDER reads a certificate file in PEM or DER.
func readCertDER(path, what string) ([]byte, error) {
	b, err := readInput(path, what)
	if err != nil {
		return nil, err
	}
	if strings.Contains(string(b[:min(len(b), 64)]), "-----BEGIN") {
		certs, err := pki.ParseCertificatesPEM(b)
		if err != nil {
			return nil, usagef("%s %q: %v", what, path, err)
		}
		if len(certs) != 1 {
			return nil, usagef("%s %q holds %d certificates, expected one", what, path, len(certs))
		}
		return certs[0].Raw, nil
	}
	if _, err := pki.ParseCertificate(b); err != nil {
		return nil, usagef("%s %q: %v", what, path, err)
	}
	return b, nil
}

// loadKey reads an encrypted PKCS#8 key with the passphrase from a file or
// the environment.
func (e env) loadKey(path, passFile string) (pki.Signer, error) {
	b, err := readInput(path, "key file")
	if err != nil {
		return nil, err
	}
	var pass []byte
	if passFile != "" {
		p, err := readInput(passFile, "passphrase file")
		if err != nil {
			return nil, err
		}
		pass = []byte(strings.TrimRight(string(p), "\r\n"))
	} else {
		pass = []byte(e.getenv(PassphraseEnv))
	}
	key, err := pki.ParsePrivateKeyPEM(b, pass)
	if err != nil {
		return nil, usagef("key file %q cannot be read (wrong passphrase? set %s or --passphrase-file)", path, PassphraseEnv)
	}
	return pki.NewKeySigner(key), nil
}

// writeOutput writes a result file, refusing to overwrite silently nothing:
// it creates or truncates path with mode 0644.
func writeOutput(path string, b []byte) error {
	if path == "" {
		return usagef("an output file is required (-o)")
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return &exitstatus.Error{Code: 1, Msg: fmt.Sprintf("cannot write %q: %v", path, unwrapPathErr(err))}
	}
	return nil
}

// inputError maps an apperr from making or signing to an exit error.
func inputError(err error) error {
	e := apperr.As(err)
	if e == nil || e.Kind == apperr.Internal {
		return &exitstatus.Error{Code: 1, Msg: "internal error"}
	}
	return usagef("%s", e.Detail)
}

// jsonOut is the --json shape of every verification command.
type jsonOut struct {
	Signatures []outcome.Report `json:"signatures"`
	// Pledge is the report of a pledge package attached to an OFD
	// (ofd verify), as in POST /v1/ofd/verifications.
	Pledge *verify.Report `json:"pledge,omitempty"`
}

func resultName(i outcome.Indication) string {
	switch i {
	case outcome.TotalPassed:
		return "验证通过 TOTAL_PASSED"
	case outcome.TotalFailed:
		return "验证失败 TOTAL_FAILED"
	}
	return "无法确定 INDETERMINATE"
}

// Labels of the reports in text output.
const (
	labelSignature = "签章 Signature"
	labelSeal      = "印章 Seal"
)

// report prints signature reports as text or JSON and returns the exit error.
func (e env) report(reports []outcome.Report, asJSON bool) error {
	return e.reportAs(labelSignature, reports, asJSON)
}

// reportAs is report with the label of each report in text output (a bare
// seal is a seal, not a signature). Each check's warnings follow it.
func (e env) reportAs(label string, reports []outcome.Report, asJSON bool) error {
	if err := e.printReports(label, jsonOut{Signatures: reports}, asJSON); err != nil {
		return err
	}
	return exitOf(outcome.Worst(reports))
}

// printReports prints out's signature reports (and an attached pledge
// package's report) as text or JSON.
func (e env) printReports(label string, out jsonOut, asJSON bool) error {
	if out.Signatures == nil {
		out.Signatures = []outcome.Report{}
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		return enc.Encode(out)
	}
	for _, r := range out.Signatures {
		sub := ""
		if r.SubIndication != "" {
			sub = " / " + string(r.SubIndication)
		}
		fmt.Fprintf(e.stdout, "%s %s (%s): %s%s\n", label, r.ID, r.Version, resultName(r.Indication), sub)
		for _, c := range r.Checks {
			fmt.Fprintf(e.stdout, "  [%s] %s: %s\n", c.Result, c.Name, c.Detail)
			for _, w := range c.Warnings {
				fmt.Fprintf(e.stdout, "      注意 Warning %s: %s\n", w.Code, w.Detail)
			}
		}
	}
	if len(out.Signatures) == 0 {
		fmt.Fprintln(e.stdout, "未找到签章 No signatures found")
	}
	if p := out.Pledge; p != nil {
		id := ""
		if p.Pledge != nil {
			id = p.Pledge.PledgeID
		}
		fmt.Fprintf(e.stdout, "附件承诺书包 Attached pledge package %s: 签署时 at signing %s; 当前 now %s\n", id,
			resultName(p.ValidAtSigning.Indication), resultName(p.StatusNow.Indication))
		for _, c := range p.Checks() {
			sub := ""
			if c.SubIndication != "" {
				sub = " / " + string(c.SubIndication)
			}
			fmt.Fprintf(e.stdout, "  [%s%s] %s: %s\n", c.Result, sub, c.Name, c.Detail)
		}
	}
	return nil
}

// exitOf is the exit error of an overall indication (nil when passed).
func exitOf(worst outcome.Indication) error {
	switch worst {
	case outcome.TotalPassed:
		return nil
	case outcome.TotalFailed:
		return &exitstatus.Error{Code: exitstatus.Failed, Msg: "verification failed (验证失败)"}
	}
	return &exitstatus.Error{Code: exitstatus.Indeterminate, Msg: "verification indeterminate (无法确定)"}
}

// LoadSigner reads an encrypted PKCS#8 key (PEM) with the passphrase from
// passFile, or else from $PLEDGESEAL_KEY_PASSPHRASE via getenv: the key
// loading of `ses sign`, for other commands that sign (pledge export).
func LoadSigner(path, passFile string, getenv func(string) string) (pki.Signer, error) {
	return env{getenv: getenv}.loadKey(path, passFile)
}

// ReadCertificate reads one certificate, PEM or DER, and returns its DER.
func ReadCertificate(path, what string) ([]byte, error) { return readCertDER(path, what) }
