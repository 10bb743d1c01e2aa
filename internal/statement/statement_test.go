package statement

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/emmansun/gmsm/sm2"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/status"
	"github.com/pledgeseal/pledgeseal/internal/translog"
)

const testIssuer = "pledgeseal.test/status"

var t0 = time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)

func newKey(t testing.TB) *sm2.PrivateKey {
	t.Helper()
	k, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func signer(t testing.TB, name string, k *sm2.PrivateKey) *translog.NoteSigner {
	t.Helper()
	s, err := translog.NewNoteSigner(name, k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sample() Statement {
	idx := uint64(41)
	return Statement{Issuer: testIssuer, PledgeID: "P0123456789abcdef0123456789abcdef", State: status.Active,
		Since: t0.Add(-48 * time.Hour), Reference: &Reference{Kind: RefDecision, DocumentNo: "京市监〔2026〕12 号"},
		ThisUpdate: t0, NextUpdate: t0.Add(24 * time.Hour), LogIndex: &idx,
		Checkpoint: []byte("pledgeseal.test/log\n42\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n— pledgeseal.test/log AAAA\n")}
}

func TestRoundTrip(t *testing.T) {
	k := newKey(t)
	for _, s := range []Statement{sample(), {Issuer: testIssuer, PledgeID: "P1", State: SignedCode, Since: t0, ThisUpdate: t0, NextUpdate: t0.Add(time.Second)}} {
		signed, err := Sign(s, signer(t, testIssuer, k))
		if err != nil {
			t.Fatal(err)
		}
		got, err := Open(signed, &k.PublicKey)
		if err != nil {
			t.Fatalf("%v\n%s", err, signed)
		}
		if !bytes.Equal(got.Marshal(), s.Marshal()) {
			t.Fatalf("round trip changed the statement:\n%s\n%s", got.Marshal(), s.Marshal())
		}
		if err := got.Check(t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
	}
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want %s", code)
	}
	if e := apperr.As(err); e == nil || e.Code != code {
		t.Fatalf("error %v; want code %s", err, code)
	}
}

// Attack: a statement signed with another key (the log key, an agency
// key) under the status key's name does not open with the status key.
func TestOtherKeysAreRefused(t *testing.T) {
	status, logKey, agency := newKey(t), newKey(t), newKey(t)
	for name, k := range map[string]*sm2.PrivateKey{"log key": logKey, "agency key": agency} {
		signed, err := Sign(sample(), signer(t, testIssuer, k))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Open(signed, &logKey.PublicKey); name == "log key" && err != nil {
			t.Fatalf("control: the log key's own statement does not open with it: %v", err)
		}
		_, err = Open(signed, &status.PublicKey)
		wantCode(t, err, apperr.CodeStatusStatementInvalid)
	}
	// A valid signature by the status key under another name (another
	// issuer line) is refused too: the issuer names the key.
	s := sample()
	s.Issuer = "other.example/status"
	signed, err := Sign(s, signer(t, s.Issuer, status))
	if err != nil {
		t.Fatal(err)
	}
	forged := bytes.Replace(signed, []byte("issuer other.example/status"), []byte("issuer "+testIssuer), 1)
	_, err = Open(forged, &status.PublicKey)
	wantCode(t, err, apperr.CodeStatusStatementInvalid)
}

// Attack: flipping the state (or any byte of the text) breaks the
// signature.
func TestAlteredStatementIsRefused(t *testing.T) {
	k := newKey(t)
	s := sample()
	s.State, s.Reference = status.Revoked, &Reference{Kind: RefRevocation, DocumentNo: "撤销-1"}
	signed, err := Sign(s, signer(t, testIssuer, k))
	if err != nil {
		t.Fatal(err)
	}
	altered := bytes.Replace(signed, []byte("state REVOKED"), []byte("state ACTIVE\x00\x00"), 1)
	altered = bytes.Replace(altered, []byte("ACTIVE\x00\x00"), []byte("ACTIVE"), 1)
	if bytes.Equal(altered, signed) {
		t.Fatal("test did not alter the state")
	}
	_, err = Open(altered, &k.PublicKey)
	wantCode(t, err, apperr.CodeStatusStatementInvalid)
	text, _, _ := bytes.Cut(signed, []byte("\n\n"))
	for i := range text {
		b := bytes.Clone(signed)
		b[i] ^= 0x01
		if _, err := Open(b, &k.PublicKey); err == nil {
			t.Fatalf("a statement with byte %d flipped opened", i)
		}
	}
}

func TestExpiry(t *testing.T) {
	s := sample()
	if err := s.Check(s.NextUpdate); err != nil {
		t.Fatalf("at nextUpdate: %v", err)
	}
	wantCode(t, s.Check(s.NextUpdate.Add(time.Second)), apperr.CodeStatusStatementExpired)
	wantCode(t, s.Check(s.ThisUpdate.Add(-MaxSkew-time.Second)), apperr.CodeStatusStatementInvalid)
}

func TestParseRefusesNonCanonical(t *testing.T) {
	good := string(sample().Marshal())
	for name, text := range map[string]string{
		"no format":        strings.Replace(good, Format, "pledgeseal.status-statement/v2", 1),
		"reordered":        strings.Replace(strings.Replace(good, "pledge P", "PLEDGE", 1), "issuer ", "pledge P", 1),
		"unknown state":    strings.Replace(good, "state ACTIVE", "state UNKNOWN", 1),
		"lower-case state": strings.Replace(good, "state ACTIVE", "state active", 1),
		"local time":       strings.Replace(good, "this-update 2026-12-07T03:00:00Z", "this-update 2026-12-07T11:00:00+08:00", 1),
		"fraction":         strings.Replace(good, "this-update 2026-12-07T03:00:00Z", "this-update 2026-12-07T03:00:00.5Z", 1),
		"leading zero":     strings.Replace(good, "log-index 41", "log-index 041", 1),
		"extra line":       good + "extra 1\n",
		"no newline":       strings.TrimSuffix(good, "\n"),
		"next before this": strings.Replace(good, "next-update 2026-12-08T03:00:00Z", "next-update 2026-12-07T03:00:00Z", 1),
		"bad reference":    strings.Replace(good, "reference decision", "reference opinion", 1),
		"double space":     strings.Replace(good, "pledge P", "pledge  P", 1),
		"control in doc":   strings.Replace(good, "12 号", "12\t号", 1),
		"padded base64":    strings.Replace(good, "checkpoint ", "checkpoint =", 1),
	} {
		if text == good {
			t.Fatalf("%s: test did not change the text", name)
		}
		_, err := Parse([]byte(text))
		wantCode(t, err, apperr.CodeStatusStatementInvalid)
	}
}
