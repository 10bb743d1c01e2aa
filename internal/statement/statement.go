// Package statement holds signed status statements (docs/status-statements.md):
// a short text saying what a pledge's state is now, which decision or
// finding set it, when it was read (thisUpdate) and until when it may be
// relied on (nextUpdate), with the log index of the pledge's latest state
// and the transparency log's latest checkpoint, signed as a C2SP signed
// note with the SM2 status key (translog's note signer). It holds the
// format (Marshal, Parse), signing and opening (Sign, Open), the validity
// check (Check) and the server-side issuer (Issuer, issuer.go). It imports
// neither Redis nor HTTP.
package statement

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

// Format is the first line of every statement.
const Format = "pledgeseal.status-statement/v1"

// MaxSize bounds a signed statement read from a file or the network.
const MaxSize = 16 << 10

// MaxSkew is how far a statement's thisUpdate may lie after the
// verifier's clock before the statement is refused as not yet valid.
const MaxSkew = 5 * time.Minute

// timeLayout is the one time form of a statement: RFC 3339, UTC, seconds.
const timeLayout = "2006-01-02T15:04:05Z"

// Reference kinds: what set the state.
const (
	// RefDecision: the agency's decision (state ACTIVE).
	RefDecision = "decision"
	// RefFinding: an enforcement finding (FALSE, NOT_FULFILLED).
	RefFinding = "finding"
	// RefRevocation: the revocation of the decision (REVOKED).
	RefRevocation = "revocation"
)

// SignedCode is a pledge signed and awaiting the agency's decision;
// ReturnedCode a pledge the agency returned without a decision (the
// codes the status answer and the verification report use).
const (
	SignedCode   status.Code = "SIGNED"
	ReturnedCode status.Code = "RETURNED"
)

// States are the states a statement may carry: the vocabulary of the
// verification report's statusNow.state, without UNKNOWN (the service
// signs no statement about a pledge it does not hold).
func States() []status.Code {
	return []status.Code{SignedCode, status.Active, status.Withdrawn, ReturnedCode, status.False, status.NotFulfilled, status.Revoked}
}

func knownState(c status.Code) bool {
	for _, s := range States() {
		if s == c {
			return true
		}
	}
	return false
}

// Reference names the document that set the state.
type Reference struct {
	Kind       string
	DocumentNo string
}

// Statement is one status statement.
type Statement struct {
	// Issuer is the status key's signed-note name.
	Issuer   string
	PledgeID string
	State    status.Code
	// Since is when the state took effect.
	Since time.Time
	// Reference is the decision, finding or revocation that set the
	// state (nil when none has a document number).
	Reference *Reference
	// ThisUpdate is when the registry was read; NextUpdate the time after
	// which the statement no longer says anything about the state now.
	ThisUpdate time.Time
	NextUpdate time.Time
	// LogIndex is the transparency log index of the pledge's latest state
	// change, when known.
	LogIndex *uint64
	// Checkpoint is the transparency log's latest signed checkpoint (a
	// signed note, verifiable with the log key), when the log has one.
	Checkpoint []byte
}

// Marshal returns the statement text, one "key value" line each, in a
// fixed order; optional lines are left out when empty.
func (s Statement) Marshal() []byte {
	var b bytes.Buffer
	line := func(k, v string) {
		b.WriteString(k)
		b.WriteByte(' ')
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString(Format + "\n")
	line("issuer", s.Issuer)
	line("pledge", s.PledgeID)
	line("state", string(s.State))
	line("since", s.Since.UTC().Format(timeLayout))
	if s.Reference != nil {
		line("reference", s.Reference.Kind+" "+s.Reference.DocumentNo)
	}
	line("this-update", s.ThisUpdate.UTC().Format(timeLayout))
	line("next-update", s.NextUpdate.UTC().Format(timeLayout))
	if s.LogIndex != nil {
		line("log-index", strconv.FormatUint(*s.LogIndex, 10))
	}
	if len(s.Checkpoint) > 0 {
		line("checkpoint", base64.StdEncoding.EncodeToString(s.Checkpoint))
	}
	return b.Bytes()
}

func invalid(format string, args ...any) error {
	return apperr.New(apperr.Malformed, "status statement: "+format, args...).WithCode(apperr.CodeStatusStatementInvalid)
}

// Parse parses a statement text strictly: the lines of Marshal in its
// order, each value in its one canonical form, nothing else. Parse of the
// output of Marshal gives the statement back; any other text is an error
// with code STATUS_STATEMENT_INVALID.
func Parse(text []byte) (Statement, error) {
	if len(text) > MaxSize {
		return Statement{}, invalid("larger than %d bytes", MaxSize)
	}
	if !utf8.Valid(text) || !bytes.HasSuffix(text, []byte("\n")) {
		return Statement{}, invalid("not UTF-8 text ending in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(string(text), "\n"), "\n")
	if len(lines) == 0 || lines[0] != Format {
		return Statement{}, invalid("unknown format (want %s)", Format)
	}
	lines = lines[1:]
	take := func(key string, optional bool) (string, bool, error) {
		if len(lines) == 0 || !strings.HasPrefix(lines[0], key+" ") {
			if optional {
				return "", false, nil
			}
			return "", false, invalid("missing %q line", key)
		}
		v := strings.TrimPrefix(lines[0], key+" ")
		lines = lines[1:]
		return v, true, nil
	}
	var s Statement
	var err error
	var v string
	var ok bool
	if v, _, err = take("issuer", false); err != nil {
		return Statement{}, err
	}
	if !translog.ValidName(v) {
		return Statement{}, invalid("bad issuer")
	}
	s.Issuer = v
	if v, _, err = take("pledge", false); err != nil {
		return Statement{}, err
	}
	if !validID(v) {
		return Statement{}, invalid("bad pledge ID")
	}
	s.PledgeID = v
	if v, _, err = take("state", false); err != nil {
		return Statement{}, err
	}
	if !knownState(status.Code(v)) {
		return Statement{}, invalid("unknown state %q", v)
	}
	s.State = status.Code(v)
	if v, _, err = take("since", false); err != nil {
		return Statement{}, err
	}
	if s.Since, err = parseTime(v, "since"); err != nil {
		return Statement{}, err
	}
	if v, ok, err = take("reference", true); err != nil {
		return Statement{}, err
	} else if ok {
		kind, doc, _ := strings.Cut(v, " ")
		if kind != RefDecision && kind != RefFinding && kind != RefRevocation {
			return Statement{}, invalid("unknown reference kind %q", kind)
		}
		if !validDocumentNo(doc) {
			return Statement{}, invalid("bad reference document number")
		}
		s.Reference = &Reference{Kind: kind, DocumentNo: doc}
	}
	if v, _, err = take("this-update", false); err != nil {
		return Statement{}, err
	}
	if s.ThisUpdate, err = parseTime(v, "this-update"); err != nil {
		return Statement{}, err
	}
	if v, _, err = take("next-update", false); err != nil {
		return Statement{}, err
	}
	if s.NextUpdate, err = parseTime(v, "next-update"); err != nil {
		return Statement{}, err
	}
	if !s.NextUpdate.After(s.ThisUpdate) {
		return Statement{}, invalid("next-update is not after this-update")
	}
	if s.Since.After(s.ThisUpdate) {
		return Statement{}, invalid("since is after this-update")
	}
	if v, ok, err = take("log-index", true); err != nil {
		return Statement{}, err
	} else if ok {
		if v == "" || len(v) > 20 || (len(v) > 1 && v[0] == '0') || strings.Trim(v, "0123456789") != "" {
			return Statement{}, invalid("bad log index")
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return Statement{}, invalid("bad log index")
		}
		s.LogIndex = &n
	}
	if v, ok, err = take("checkpoint", true); err != nil {
		return Statement{}, err
	} else if ok {
		cp, err := base64.StdEncoding.Strict().DecodeString(v)
		if err != nil || len(cp) == 0 || len(cp) > translog.MaxCheckpointSize {
			return Statement{}, invalid("bad checkpoint")
		}
		s.Checkpoint = cp
	}
	if len(lines) != 0 {
		return Statement{}, invalid("unexpected line %q", truncate(lines[0]))
	}
	if !bytes.Equal(s.Marshal(), text) {
		return Statement{}, invalid("not in canonical form")
	}
	return s, nil
}

// Sign returns s as a signed note signed by signer, whose name must be
// s.Issuer.
func Sign(s Statement, signer note.Signer) ([]byte, error) {
	if s.Issuer != signer.Name() {
		return nil, apperr.New(apperr.Internal, "statement issuer %q is not the status key's name %q", s.Issuer, signer.Name())
	}
	text := s.Marshal()
	if _, err := Parse(text); err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "cannot sign a malformed status statement")
	}
	out, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		return nil, apperr.Wrap(apperr.Internal, err, "cannot sign the status statement")
	}
	return out, nil
}

// Open verifies a signed statement with the SM2 status key pub (its name
// is the statement's issuer line) and parses it. Any failure (too large,
// not a signed note, no valid signature by pub, malformed text) is an
// error with code STATUS_STATEMENT_INVALID. Open does not check the
// validity period: see Check.
func Open(signed []byte, pub *ecdsa.PublicKey) (Statement, error) {
	if len(signed) > MaxSize {
		return Statement{}, invalid("larger than %d bytes", MaxSize)
	}
	text, _, ok := bytes.Cut(signed, []byte("\n\n"))
	if !ok {
		return Statement{}, invalid("not a signed note")
	}
	unverified, err := Parse(append(text, '\n'))
	if err != nil {
		return Statement{}, err
	}
	v, err := translog.NewNoteVerifier(unverified.Issuer, pub)
	if err != nil {
		return Statement{}, apperr.Wrap(apperr.Malformed, err, "status statement: the status key is not an SM2 key").WithCode(apperr.CodeStatusStatementInvalid)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		return Statement{}, apperr.Wrap(apperr.Malformed, err, "status statement: the signature does not verify with the status key").WithCode(apperr.CodeStatusStatementInvalid)
	}
	return Parse([]byte(n.Text))
}

// About refuses a statement that is not about pledgeID (a statement of one
// pledge presented with another's package).
func (s Statement) About(pledgeID string) error {
	if s.PledgeID != pledgeID {
		return apperr.New(apperr.Malformed, "the status statement is about pledge %s, not about pledge %s", s.PledgeID, pledgeID).WithCode(apperr.CodeStatusStatementMismatch)
	}
	return nil
}

// Check tells whether s may be relied on at now: nil within
// [thisUpdate − MaxSkew, nextUpdate]; STATUS_STATEMENT_EXPIRED past
// nextUpdate; STATUS_STATEMENT_INVALID before thisUpdate − MaxSkew.
func (s Statement) Check(now time.Time) error {
	if now.After(s.NextUpdate) {
		return apperr.New(apperr.Malformed, "status statement expired at %s (next-update); ask the service for a new one",
			s.NextUpdate.UTC().Format(timeLayout)).WithCode(apperr.CodeStatusStatementExpired)
	}
	if now.Add(MaxSkew).Before(s.ThisUpdate) {
		return invalid("this-update %s lies in the future", s.ThisUpdate.UTC().Format(timeLayout))
	}
	return nil
}

func parseTime(v, key string) (time.Time, error) {
	t, err := time.Parse(timeLayout, v)
	if err != nil || t.Format(timeLayout) != v {
		return time.Time{}, invalid("bad %s time", key)
	}
	return t, nil
}

// validID accepts pledge IDs as documents carry them: 1 to 64 of
// A-Z a-z 0-9 - _ .
func validID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// validDocumentNo accepts 1 to 256 bytes of printable UTF-8 (spaces
// inside, none at either end).
func validDocumentNo(s string) bool {
	if s == "" || len(s) > 256 || strings.TrimSpace(s) != s || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			return false
		}
	}
	return true
}

// checkName applies the signed-note key name rules.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// OpenCheckpoint verifies the statement's carried checkpoint with the log
// key logKey (a relying party that pinned the log certificate) and returns
// it. A statement without a checkpoint, a checkpoint of another key, or a
// log index the checkpoint does not cover is STATUS_STATEMENT_INVALID.
func (s Statement) OpenCheckpoint(logKey *ecdsa.PublicKey) (translog.Checkpoint, error) {
	if len(s.Checkpoint) == 0 {
		return translog.Checkpoint{}, invalid("it carries no log checkpoint")
	}
	cp, err := translog.OpenCheckpointWithKey(s.Checkpoint, logKey)
	if err != nil {
		return translog.Checkpoint{}, apperr.Wrap(apperr.Malformed, err, "status statement: the carried checkpoint does not verify with the log key").WithCode(apperr.CodeStatusStatementInvalid)
	}
	if s.LogIndex != nil && *s.LogIndex >= cp.Size {
		return translog.Checkpoint{}, invalid("log index %d is not in the carried checkpoint of size %d", *s.LogIndex, cp.Size)
	}
	return cp, nil
}
