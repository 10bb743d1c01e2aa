package jcs

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
)

// TestVectors checks the RFC 8785 examples and our own fixtures: each
// NAME.in.json must canonicalise to exactly NAME.out.json, and the output
// must be a fixed point.
func TestVectors(t *testing.T) {
	ins, err := filepath.Glob("testdata/vectors/*.in.json")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(in, ".in.json") + ".out.json")
			if err != nil {
				t.Fatal(err)
			}
			got, err := Canonicalize(src)
			if err != nil {
				t.Fatalf("Canonicalize: %v", err)
			}
			if string(got) != string(want) {
				t.Fatalf("got  %s\nwant %s", got, want)
			}
			if !IsCanonical(got) {
				t.Fatal("output is not a fixed point")
			}
		})
	}
}

// TestNumbers checks RFC 8785 Appendix B.
func TestNumbers(t *testing.T) {
	f, err := os.Open("testdata/numbers.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		bitsHex, want, _ := strings.Cut(line, ",")
		bits, err := strconv.ParseUint(bitsHex, 16, 64)
		if err != nil {
			t.Fatalf("bad fixture line %q", line)
		}
		got, err := FormatNumber(math.Float64frombits(bits))
		if want == "error" {
			if apperr.KindOf(err) != apperr.Malformed {
				t.Errorf("%s: want a Malformed error, got %q, %v", bitsHex, got, err)
			}
		} else if err != nil || got != want {
			t.Errorf("%s: got %q (%v), want %q", bitsHex, got, err, want)
		}
		n++
	}
	if n < 20 {
		t.Fatalf("only %d number vectors read", n)
	}
}

// TestRefusals checks that every kind of bad input is refused with the right
// kind and never canonicalised.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name string
		in   string
		kind apperr.Kind
	}{
		{"malformed/trailing data", `{"a":1} x`, apperr.Malformed},
		{"malformed/two values", `{} {}`, apperr.Malformed},
		{"malformed/invalid utf8", "\"\xff\"", apperr.Malformed},
		{"malformed/leading zero", `01`, apperr.Malformed},
		{"malformed/overflow", `1e400`, apperr.Malformed},
		{"malformed/trailing comma", `[1,]`, apperr.Malformed},
		{"malformed/lone high surrogate", `"\ud800"`, apperr.Malformed},
		{"malformed/lone low surrogate", `"\udc00x"`, apperr.Malformed},
		{"malformed/duplicate key", `{"a":1,"a":2}`, apperr.Malformed},
		{"malformed/duplicate key by escape", `{"a":1,"\u0061":2}`, apperr.Malformed},
		{"malformed/raw control", "\"a\x01\"", apperr.Malformed},
		{"malformed/empty", ``, apperr.Malformed},
		{"malformed/too deep", strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), apperr.Malformed},
		{"too-large", `"` + strings.Repeat("a", MaxInput) + `"`, apperr.TooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Canonicalize([]byte(tc.in))
			if err == nil {
				t.Fatalf("accepted: %q", out)
			}
			if apperr.KindOf(err) != tc.kind {
				t.Fatalf("kind %v, want %v (%v)", apperr.KindOf(err), tc.kind, err)
			}
			if e := apperr.As(err); e.Detail == "" || e.Code == "" {
				t.Fatalf("error without detail or code: %#v", e)
			}
		})
	}
	// Brackets inside strings do not count toward depth.
	deepInString := `"` + strings.Repeat("[", 2*MaxDepth) + `"`
	if _, err := Canonicalize([]byte(deepInString)); err != nil {
		t.Fatalf("brackets in a string were counted: %v", err)
	}
}

func TestMarshal(t *testing.T) {
	type doc struct {
		B string  `json:"b"`
		A float64 `json:"a"`
		C string  `json:"c,omitempty"`
	}
	got, err := Marshal(doc{B: "<&>", A: 1e21})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":1e+21,"b":"<&>"}`; string(got) != want {
		t.Fatalf("got %s want %s", got, want)
	}
	if _, err := Marshal(math.NaN()); err == nil {
		t.Fatal("NaN marshalled")
	}
}

// TestNumbersAgainstNode compares FormatNumber with Node's JSON.stringify (the
// ECMAScript reference behaviour) on pseudo-random doubles from a fixed seed.
func TestNumbersAgainstNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: the Appendix B vectors still run")
	}
	rng := rand.New(rand.NewPCG(8785, 1))
	var hexes []string
	var vals []float64
	for len(vals) < 3000 {
		var f float64
		switch len(vals) % 3 {
		case 0: // any bit pattern
			f = math.Float64frombits(rng.Uint64())
		case 1: // ordinary magnitudes around the 'f'/'e' switch points
			f = (rng.Float64() - 0.5) * math.Pow(10, float64(rng.IntN(50)-25))
		default: // integers near 2^53
			f = float64(int64(1)<<53 - int64(rng.IntN(1000)) + int64(rng.IntN(1000)))
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], math.Float64bits(f))
		hexes = append(hexes, hex.EncodeToString(b[:]))
		vals = append(vals, f)
	}
	script := `const lines=require('fs').readFileSync(0,'utf8').trim().split('\n');
const out=lines.map(h=>{const b=Buffer.from(h,'hex');return JSON.stringify(b.readDoubleBE(0));});
process.stdout.write(out.join('\n'));`
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = strings.NewReader(strings.Join(hexes, "\n"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	want := strings.Split(string(out), "\n")
	if len(want) != len(vals) {
		t.Fatalf("node returned %d lines for %d values", len(want), len(vals))
	}
	for i, f := range vals {
		got, err := FormatNumber(f)
		if err != nil || got != want[i] {
			t.Errorf("%s: got %q (%v), node says %q", hexes[i], got, err, want[i])
		}
	}
}

// FuzzCanonicalize asserts that canonicalisation never panics, that its
// output is a fixed point, and that accepted input is valid JSON.
func FuzzCanonicalize(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/vectors/*.json")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{`{}`, `[]`, `"\ud83d\ude00"`, `-0.0`, `1e-7`, `{"a":{"b":[1,2,{"c":null}]}}`, "\"\xff\"", `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		once, err := Canonicalize(data)
		if err != nil {
			if apperr.As(err) == nil {
				t.Fatalf("error is not an *apperr.Error: %v", err)
			}
			return
		}
		twice, err := Canonicalize(once)
		if err != nil {
			t.Fatalf("canonical output refused: %q: %v", once, err)
		}
		if string(once) != string(twice) {
			t.Fatalf("not idempotent:\n%q\n%q", once, twice)
		}
	})
}
