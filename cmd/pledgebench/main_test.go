package main

import (
	"os"
	"slices"
	"testing"
	"time"
)

func TestParseSweep(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		bad  bool
	}{
		{in: "1,2,4,8,16", want: []int{1, 2, 4, 8, 16}},
		{in: " 3 ", want: []int{3}},
		{in: "", bad: true},
		{in: "0", bad: true},
		{in: "4,2", bad: true},
		{in: "2,2", bad: true},
		{in: "1,x", bad: true},
		{in: "2000", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSweep(tc.in)
			if (err != nil) != tc.bad || !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}

// TestSESSignatures counts the SES signatures of the pledge package
// fixtures (the cache target compares the seal SM2 counter with it).
func TestSESSignatures(t *testing.T) {
	for _, tc := range []struct {
		file string
		want float64
	}{
		{"../../internal/pledge/testdata/packages/valid-accepted.json", 2},
		{"../../internal/pledge/testdata/packages/valid-signed-own.json", 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			pkg, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sesSignatures(pkg)
			if err != nil || got != tc.want {
				t.Fatalf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	if _, err := sesSignatures([]byte("{")); err == nil {
		t.Fatal("a broken package was counted")
	}
}

func TestVerifyBody(t *testing.T) {
	if got := string(verifyBody([]byte(`{"a":1}`))); got != `{"package":{"a":1}}` {
		t.Fatal(got)
	}
}

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		want       time.Duration
		bad        bool
	}{
		{name: "plain", line: "1234 (pledged) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 0 0", want: 3 * time.Second},
		{name: "name with spaces and parens", line: "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0", want: 30 * time.Millisecond},
		{name: "no name", line: "1234 S 1", bad: true},
		{name: "short", line: "1 (x) S 1 2 3", bad: true},
		{name: "not numbers", line: "1 (x) S 1 1 1 0 -1 0 0 0 0 0 a b 0", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStatCPU(tc.line)
			if (err != nil) != tc.bad || got != tc.want {
				t.Fatalf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
	if d, err := procCPU(os.Getpid()); err != nil || d < 0 {
		t.Fatalf("own /proc stat: %s, %v", d, err)
	}
}

func FuzzParseStatCPU(f *testing.F) {
	f.Add("1234 (pledged) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 0 0")
	f.Add("1 ()) S")
	f.Fuzz(func(t *testing.T, line string) {
		if d, err := parseStatCPU(line); err == nil && d < 0 {
			t.Fatalf("negative CPU time %s", d)
		}
	})
}
