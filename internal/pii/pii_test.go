package pii

import (
	"bytes"
	"encoding/hex"
	"os/exec"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

func testKeys(t testing.TB) (enc, idx []byte) {
	t.Helper()
	enc, _ = hex.DecodeString("00112233445566778899aabbccddeeff")
	idx = bytes.Repeat([]byte{0x5a}, 32)
	return enc, idx
}

func newProtector(t testing.TB) *Protector {
	t.Helper()
	enc, idx := testKeys(t)
	p, err := New(enc, idx)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestNewRefusesBadKeys(t *testing.T) {
	enc, idx := testKeys(t)
	tests := []struct {
		name     string
		enc, idx []byte
	}{
		{"short enc", enc[:15], idx},
		{"long enc", append(enc, 0), idx},
		{"short index", enc, idx[:31]},
		{"same key", enc, append(append([]byte(nil), enc...), enc...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.enc, tc.idx); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

// TestSM4GCMKnownAnswer checks the AEAD against the SM4-GCM example of
// RFC 8998 Appendix A.1, an independent source.
func TestSM4GCMKnownAnswer(t *testing.T) {
	key, _ := hex.DecodeString("0123456789ABCDEFFEDCBA9876543210")
	p, err := New(key, bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	iv, _ := hex.DecodeString("00001234567800000000ABCD")
	aad, _ := hex.DecodeString("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
	pt, _ := hex.DecodeString("AAAAAAAAAAAAAAAABBBBBBBBBBBBBBBBCCCCCCCCCCCCCCCCDDDDDDDDDDDDDDDDEEEEEEEEEEEEEEEEFFFFFFFFFFFFFFFFEEEEEEEEEEEEEEEEAAAAAAAAAAAAAAAA")
	want := "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D" +
		"83DE3541E4C2B58177E065A9BF7B62EC"
	got := p.aead.Seal(nil, iv, pt, aad)
	if !strings.EqualFold(hex.EncodeToString(got), want) {
		t.Fatalf("SM4-GCM mismatch:\n got %x\nwant %s", got, want)
	}
}

func TestSealOpen(t *testing.T) {
	p := newProtector(t)
	plain := []byte("张三 110101199001061234")
	sealed, err := p.Seal("pledge-1", "name", plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) || bytes.Contains(sealed, []byte("110101")) {
		t.Fatal("plaintext visible in sealed value")
	}
	again, _ := p.Seal("pledge-1", "name", plain)
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one value are equal: nonce reuse")
	}
	got, err := p.Open("pledge-1", "name", sealed)
	if err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	enc, _ := testKeys(t)
	other, _ := New(enc, bytes.Repeat([]byte{0x33}, 32))
	if _, err := other.Open("pledge-1", "name", sealed); err != nil {
		t.Fatal("same data key must open regardless of index key")
	}
	enc2 := append([]byte(nil), enc...)
	enc2[0] ^= 1
	wrongKey, _ := New(enc2, bytes.Repeat([]byte{0x5a}, 32))

	tests := []struct {
		name          string
		p             *Protector
		record, field string
		mutate        func([]byte) []byte
		wantOK        bool
	}{
		{"ok", p, "pledge-1", "name", func(b []byte) []byte { return b }, true},
		{"other record", p, "pledge-2", "name", func(b []byte) []byte { return b }, false},
		{"other field", p, "pledge-1", "idNumber", func(b []byte) []byte { return b }, false},
		{"record/field boundary shift", p, "pledge-1n", "ame", func(b []byte) []byte { return b }, false},
		{"wrong key", wrongKey, "pledge-1", "name", func(b []byte) []byte { return b }, false},
		{"truncated", p, "pledge-1", "name", func(b []byte) []byte { return b[:len(b)-1] }, false},
		{"too short", p, "pledge-1", "name", func(b []byte) []byte { return b[:headerLen+tagLen-1] }, false},
		{"empty", p, "pledge-1", "name", func([]byte) []byte { return nil }, false},
		{"unknown version", p, "pledge-1", "name", func(b []byte) []byte { b[0] = 2; return b }, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.mutate(append([]byte(nil), sealed...))
			_, err := tc.p.Open(tc.record, tc.field, in)
			if (err == nil) != tc.wantOK {
				t.Fatalf("err = %v, want ok=%v", err, tc.wantOK)
			}
			if err != nil && apperr.As(err) == nil {
				t.Fatalf("not an apperr: %v", err)
			}
		})
	}
	// Every single-bit flip anywhere is detected.
	for i := range sealed {
		b := append([]byte(nil), sealed...)
		b[i] ^= 0x80
		if _, err := p.Open("pledge-1", "name", b); err == nil {
			t.Fatalf("flip at byte %d not detected", i)
		}
	}
	if _, err := p.Seal("pledge-1", "name", make([]byte, MaxPlaintext+1)); apperr.KindOf(err) != apperr.TooLarge {
		t.Fatalf("oversized value: %v", err)
	}
	if _, err := p.Seal("", "name", plain); err == nil {
		t.Fatal("sealed without a record id")
	}
}

func TestIndex(t *testing.T) {
	p := newProtector(t)
	a := p.Index("id-number", "11010119900307123x")
	if a != p.Index("id-number", " 11010119900307123X ") {
		t.Fatal("normalisation: x/X and spaces must index alike")
	}
	if a == p.Index("phone", "11010119900307123X") {
		t.Fatal("namespaces collide")
	}
	if a == p.Index("id-number", "110101199003071231") {
		t.Fatal("different values collide")
	}
	enc, _ := testKeys(t)
	q, _ := New(enc, bytes.Repeat([]byte{0x6b}, 32))
	if a == q.Index("id-number", "11010119900307123X") {
		t.Fatal("index is not keyed")
	}
	if len(a) != 64 {
		t.Fatalf("index length %d", len(a))
	}
}

// TestIndexMatchesOpenSSL recomputes the keyed hash with openssl's HMAC-SM3.
func TestIndexMatchesOpenSSL(t *testing.T) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	p := newProtector(t)
	_, idx := testKeys(t)
	kind, value := "id-number", "11010119900307123X"
	msg := []byte(adPrefix + "/index")
	msg = append(msg, 0, 0, 0, byte(len(kind)))
	msg = append(msg, kind...)
	msg = append(msg, value...)
	cmd := exec.Command(bin, "dgst", "-sm3", "-mac", "HMAC", "-macopt", "hexkey:"+hex.EncodeToString(idx), "-r")
	cmd.Stdin = bytes.NewReader(msg)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl: %v", err)
	}
	want := strings.Fields(string(out))[0]
	if got := p.Index(kind, value); got != want {
		t.Fatalf("index %s, openssl %s", got, want)
	}
}

func TestMask(t *testing.T) {
	names := []struct{ in, want string }{
		{"", ""},
		{"张", "*"},
		{"张三", "张*"},
		{"张三丰", "张*丰"},
		{"欧阳娜娜", "欧**娜"},
		{" 李四 ", "李*"},
		{"Li Si", "L***i"},
		{"\xff\xfe", "*"},
	}
	for _, tc := range names {
		if got := MaskName(tc.in); got != tc.want {
			t.Errorf("MaskName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	ids := []struct{ in, want string }{
		{"", ""},
		{"110101199001061234", "1101**********1234"},
		{"11010119900307123x", "1101**********123X"},
		{"110101900307123", "1101*******7123"},
		{"G1234567", "G******7"},
		{"123456", "******"},
		{"\xff1234567", "*"},
	}
	for _, tc := range ids {
		if got := MaskID(tc.in); got != tc.want {
			t.Errorf("MaskID(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzOpen asserts that arbitrary stored bytes never panic and never open.
func FuzzOpen(f *testing.F) {
	p := newProtector(f)
	good, err := p.Seal("r", "f", []byte("张三"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, "r", "f")
	f.Add([]byte{1}, "r", "f")
	f.Add([]byte{}, "", "")
	f.Fuzz(func(t *testing.T, b []byte, record, field string) {
		pt, err := p.Open(record, field, b)
		// Seed values are sealed afresh in each fuzz worker, so only a
		// genuine seal of 张三 for record r, field f may open.
		if err == nil && !(string(pt) == "张三" && record == "r" && field == "f") {
			t.Fatalf("forged value opened: %q", pt)
		}
		_ = MaskName(string(b))
		_ = MaskID(string(b))
	})
}
