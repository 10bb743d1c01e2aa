package trust

import (
	"bytes"
	"io"
	"os"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// Environment variables that supply the key passphrase.
const (
	EnvPassphrase     = "PLEDGESEAL_KEY_PASSPHRASE"
	EnvPassphraseFile = "PLEDGESEAL_KEY_PASSPHRASE_FILE"
)

// DevPassphrase protects the generated dev material. It is public knowledge
// and is used only when dev mode is asked for explicitly (`--dev`, `make run`)
// and neither passphrase variable is set.
const DevPassphrase = "pledgeseal-dev-only"

// maxPassphraseFile bounds how much of a passphrase file is read.
const maxPassphraseFile = 4096

// Passphrase returns the key passphrase from PLEDGESEAL_KEY_PASSPHRASE, or from
// the file named by PLEDGESEAL_KEY_PASSPHRASE_FILE (one trailing newline is
// removed). Setting both is an error. With neither set, dev mode yields
// DevPassphrase and production mode is an error. getenv is usually os.Getenv.
func Passphrase(getenv func(string) string, dev bool) ([]byte, error) {
	direct, file := getenv(EnvPassphrase), getenv(EnvPassphraseFile)
	switch {
	case direct != "" && file != "":
		return nil, apperr.New(apperr.Malformed, "set only one of %s and %s", EnvPassphrase, EnvPassphraseFile)
	case direct != "":
		return []byte(direct), nil
	case file != "":
		return readPassphraseFile(file)
	case dev:
		return []byte(DevPassphrase), nil
	}
	return nil, apperr.New(apperr.Malformed,
		"no key passphrase: set %s or %s (the dev default is used only with --dev)", EnvPassphrase, EnvPassphraseFile)
}

func readPassphraseFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "%s=%s: cannot open the passphrase file", EnvPassphraseFile, path)
	}
	defer f.Close()
	p, err := io.ReadAll(io.LimitReader(f, maxPassphraseFile+1))
	if err != nil {
		return nil, apperr.Wrap(apperr.Malformed, err, "%s=%s: cannot read the passphrase file", EnvPassphraseFile, path)
	}
	if len(p) > maxPassphraseFile {
		return nil, apperr.New(apperr.Malformed, "%s=%s: the passphrase file is larger than %d bytes", EnvPassphraseFile, path, maxPassphraseFile)
	}
	p = bytes.TrimSuffix(p, []byte("\n"))
	p = bytes.TrimSuffix(p, []byte("\r"))
	if len(p) == 0 {
		return nil, apperr.New(apperr.Malformed, "%s=%s: the passphrase file is empty", EnvPassphraseFile, path)
	}
	return append([]byte(nil), p...), nil
}
