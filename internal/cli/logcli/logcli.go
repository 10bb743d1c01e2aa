// Package logcli holds the `pledgectl log` commands: a witness that keeps
// the transparency log's latest checkpoint and checks every new one is
// consistent with it (`log verify`), and a full replay of the log's entries
// against its signed checkpoint (`log audit`, from Redis or over HTTP). It
// must not write to Redis; only `log verify` writes its state file.
package logcli

import (
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/translog"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

// Exit statuses of `log verify` and `log audit`.
const (
	ExitConsistent = 0
	// ExitBad: forked, rolled back, a bad signature, or (audit) entries
	// that do not hash to the checkpoint.
	ExitBad = 1
	// ExitUnreachable: the log could not be read; no verdict.
	ExitUnreachable = 2
)

// Verdicts named on a failure (first word of the message and of the JSON
// "verdict").
const (
	VerdictConsistent   = "CONSISTENT"
	VerdictForked       = "FORKED"
	VerdictRolledBack   = "ROLLED_BACK"
	VerdictBadSignature = "BAD_SIGNATURE"
	VerdictMismatch     = "MISMATCH"
	VerdictUnreachable  = "UNREACHABLE"
)

// exitError carries an exit status to pledgectl's main.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }
func (e exitError) ExitCode() int { return e.code }

func bad(verdict, format string, a ...any) error {
	return exitError{ExitBad, verdict + ": " + fmt.Sprintf(format, a...)}
}

func unreachable(format string, a ...any) error {
	return exitError{ExitUnreachable, VerdictUnreachable + ": " + fmt.Sprintf(format, a...)}
}

// Commands returns the `log` command group.
func Commands(stdout io.Writer, getenv func(string) string) []*cobra.Command {
	log := &cobra.Command{Use: "log", Short: "Witness and audit the transparency log (透明日志见证与审计)"}
	log.AddCommand(verifyCmd(stdout), auditCmd(stdout, getenv))
	return []*cobra.Command{log}
}

// State is what a witness keeps between runs (the --state file).
type State struct {
	Origin string `json:"origin"`
	// LogKey is the pinned log key: the SM2 public key in signed-note
	// encoding, base64.
	LogKey     string `json:"logKey"`
	Checkpoint string `json:"checkpoint"`
	Size       uint64 `json:"size"`
	Root       string `json:"root"`
}

func readState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s State
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: not a witness state file: %w", path, err)
	}
	return &s, nil
}

func writeState(path string, s State) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return trust.WriteFileAtomic(path, append(b, '\n'), 0o644)
}

// loadLogKey reads the pinned log certificate (PEM) and returns its key.
func loadLogKey(path string) (*ecdsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pub, err := translog.ParseSM2CertificatePEM(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return pub, nil
}

// client reads the log over HTTP.
type client struct {
	base string
	http *http.Client
}

func newClient(base string, timeout time.Duration) (*client, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--base-url %q must be an http(s) URL", base)
	}
	return &client{base: strings.TrimRight(base, "/"), http: &http.Client{Timeout: timeout}}, nil
}

// errUnreachable marks a failure to read (network, 5xx, 429).
type errUnreachable struct{ msg string }

func (e errUnreachable) Error() string { return e.msg }

func (c *client) get(ctx context.Context, path string, limit int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, errUnreachable{err.Error()}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, errUnreachable{err.Error()}
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: reply larger than %d bytes", path, limit)
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return nil, errUnreachable{fmt.Sprintf("GET %s: HTTP %d", path, resp.StatusCode)}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return body, nil
}

func (c *client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.get(ctx, "/v1/log/checkpoint", translog.MaxCheckpointSize)
}

type proofReply struct {
	Hashes []string `json:"hashes"`
}

func decodeProof(b []byte) ([][]byte, error) {
	var p proofReply
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("proof reply does not decode: %w", err)
	}
	if len(p.Hashes) > 128 {
		return nil, errors.New("proof longer than 128 hashes")
	}
	out := make([][]byte, len(p.Hashes))
	for i, h := range p.Hashes {
		x, err := hex.DecodeString(h)
		if err != nil || len(x) != translog.HashSize {
			return nil, errors.New("proof hash is not 64 hex digits")
		}
		out[i] = x
	}
	return out, nil
}

func (c *client) Consistency(ctx context.Context, from, to uint64) ([][]byte, error) {
	b, err := c.get(ctx, "/v1/log/proofs/consistency?from="+strconv.FormatUint(from, 10)+"&to="+strconv.FormatUint(to, 10), 64<<10)
	if err != nil {
		return nil, err
	}
	return decodeProof(b)
}

func (c *client) Entries(ctx context.Context, start, end uint64) ([][]byte, error) {
	b, err := c.get(ctx, "/v1/log/entries?start="+strconv.FormatUint(start, 10)+"&end="+strconv.FormatUint(end, 10), 256<<20)
	if err != nil {
		return nil, err
	}
	var r struct {
		Start   uint64   `json:"start"`
		Entries []string `json:"entries"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Start != start || uint64(len(r.Entries)) != end-start {
		return nil, fmt.Errorf("entries %d..%d: the reply is not the entries asked for", start, end)
	}
	out := make([][]byte, len(r.Entries))
	for i, e := range r.Entries {
		if out[i], err = base64.StdEncoding.DecodeString(e); err != nil {
			return nil, fmt.Errorf("entry %d is not base64", start+uint64(i))
		}
	}
	return out, nil
}

func verifyCmd(stdout io.Writer) *cobra.Command {
	var baseURL, statePath, certPath string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Witness the log: check the new checkpoint is signed and consistent with the one kept in --state",
		Long: "Fetches the log's checkpoint, verifies its SM2 signature with the pinned log key (--log-cert on the\n" +
			"first run; the key is then kept in the state file), fetches a consistency proof from the checkpoint\n" +
			"kept in --state, verifies it, and only then stores the new checkpoint.\n" +
			"Exit 0: consistent. Exit 1: FORKED, ROLLED_BACK or BAD_SIGNATURE (named). Exit 2: UNREACHABLE.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(baseURL, timeout)
			if err != nil {
				return exitError{3, err.Error()}
			}
			return witness(cmd.Context(), stdout, c, statePath, certPath)
		},
	}
	cmd.Flags().StringVar(&baseURL, "base-url", "", "the service's base URL (required)")
	cmd.Flags().StringVar(&statePath, "state", "", "file keeping the last checkpoint seen and the pinned key (required)")
	cmd.Flags().StringVar(&certPath, "log-cert", "", "PEM certificate of the log key (required on the first run; must match the pinned key later)")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "HTTP timeout")
	_ = cmd.MarkFlagRequired("base-url")
	_ = cmd.MarkFlagRequired("state")
	return cmd
}

func witness(ctx context.Context, stdout io.Writer, c *client, statePath, certPath string) error {
	st, err := readState(statePath)
	if err != nil {
		return exitError{3, err.Error()}
	}
	var pub *ecdsa.PublicKey
	var pinned []byte
	if certPath != "" {
		if pub, err = loadLogKey(certPath); err != nil {
			return exitError{3, err.Error()}
		}
		pinned, _ = translog.EncodePublicKey(pub)
	}
	if st != nil {
		key, err := base64.StdEncoding.DecodeString(st.LogKey)
		if err != nil {
			return exitError{3, statePath + ": bad logKey"}
		}
		if pinned != nil && string(pinned) != string(key) {
			return bad(VerdictBadSignature, "--log-cert is not the key pinned in %s", statePath)
		}
		if pub == nil {
			if pub, err = translog.DecodePublicKey(key); err != nil {
				return exitError{3, statePath + ": bad logKey"}
			}
		}
	}
	if pub == nil {
		return exitError{3, "first run: give the log certificate with --log-cert"}
	}
	signed, err := c.Checkpoint(ctx)
	if err != nil {
		var u errUnreachable
		if errors.As(err, &u) {
			return unreachable("%v", err)
		}
		return unreachable("cannot read the checkpoint: %v", err)
	}
	cp, err := translog.OpenCheckpointWithKey(signed, pub)
	if err != nil {
		return bad(VerdictBadSignature, "the checkpoint does not verify with the pinned log key: %s", apperr.As(err).Detail)
	}
	if st != nil {
		if cp.Origin != st.Origin {
			return bad(VerdictBadSignature, "the checkpoint names origin %q, the witness pinned %q", cp.Origin, st.Origin)
		}
		oldRoot, err := hex.DecodeString(st.Root)
		if err != nil {
			return exitError{3, statePath + ": bad root"}
		}
		switch {
		case cp.Size < st.Size:
			return bad(VerdictRolledBack, "the log now has %d entries, but checkpoint %d was seen: history was rolled back or cut off", cp.Size, st.Size)
		case cp.Size == st.Size:
			if !equalBytes(cp.Root, oldRoot) {
				return bad(VerdictForked, "two checkpoints of size %d with different roots: the log forked (history was rewritten)", cp.Size)
			}
		case st.Size > 0:
			p, err := c.Consistency(ctx, st.Size, cp.Size)
			if err != nil {
				var u errUnreachable
				if errors.As(err, &u) {
					return unreachable("%v", err)
				}
				return bad(VerdictForked, "no consistency proof from %d to %d: %v", st.Size, cp.Size, err)
			}
			if err := translog.VerifyConsistency(st.Size, cp.Size, p, oldRoot, cp.Root); err != nil {
				return bad(VerdictForked, "checkpoint %d does not extend checkpoint %d kept by this witness: history was rewritten or rolled back and regrown", cp.Size, st.Size)
			}
		}
	}
	enc, _ := translog.EncodePublicKey(pub)
	ns := State{Origin: cp.Origin, LogKey: base64.StdEncoding.EncodeToString(enc), Checkpoint: string(signed), Size: cp.Size, Root: hex.EncodeToString(cp.Root)}
	if err := writeState(statePath, ns); err != nil {
		return exitError{3, "cannot store the new checkpoint: " + err.Error()}
	}
	from := uint64(0)
	if st != nil {
		from = st.Size
	}
	fmt.Fprintf(stdout, "%s: %s grew from %d to %d entries; root %s\n", VerdictConsistent, cp.Origin, from, cp.Size, hex.EncodeToString(cp.Root))
	return nil
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }
