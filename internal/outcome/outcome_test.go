package outcome

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestDerive(t *testing.T) {
	pass := Check{Name: "a", Result: Passed}
	skip := Check{Name: "s", Result: NotPerformed, Detail: "no status source"}
	tests := []struct {
		name   string
		checks []Check
		ind    Indication
		sub    SubIndication
	}{
		{"empty", nil, IndeterminateResult, SignedDataNotFound},
		{"all passed", []Check{pass, pass}, TotalPassed, None},
		{"not performed ignored", []Check{pass, skip}, TotalPassed, None},
		{"indeterminate", []Check{pass, {Result: Indeterminate, SubIndication: NoCertificateChainFound}}, IndeterminateResult, NoCertificateChainFound},
		{"failed beats indeterminate", []Check{
			{Result: Indeterminate, SubIndication: NoCertificateChainFound},
			{Result: Failed, SubIndication: HashFailure}, pass}, TotalFailed, HashFailure},
		{"crypto beats hash", []Check{
			{Result: Failed, SubIndication: HashFailure},
			{Result: Failed, SubIndication: SigCryptoFailure}}, TotalFailed, SigCryptoFailure},
		{"format beats all", []Check{
			{Result: Failed, SubIndication: Expired},
			{Result: Failed, SubIndication: FormatFailure},
			{Result: Failed, SubIndication: SigCryptoFailure}}, TotalFailed, FormatFailure},
		{"revoked beats expired", []Check{
			{Result: Failed, SubIndication: Expired},
			{Result: Failed, SubIndication: Revoked}}, TotalFailed, Revoked},
		{"try later beats unsupported among indeterminate", []Check{
			{Result: Indeterminate, SubIndication: Unsupported},
			{Result: Indeterminate, SubIndication: TryLater}}, IndeterminateResult, TryLater},
		{"only not performed passes", []Check{skip}, TotalPassed, None},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ind, sub := Derive(tt.checks)
			if ind != tt.ind || sub != tt.sub {
				t.Fatalf("Derive = %s/%s, want %s/%s", ind, sub, tt.ind, tt.sub)
			}
		})
	}
}

func TestRankOrderIsTotalOnKnown(t *testing.T) {
	known := []SubIndication{FormatFailure, SigCryptoFailure, HashFailure, Revoked, SealSuspended, Expired, NoCertificateChainFound, TryLater}
	for i := 1; i < len(known); i++ {
		if Rank(known[i-1]) >= Rank(known[i]) {
			t.Fatalf("%s must rank before %s", known[i-1], known[i])
		}
	}
	if Rank("SOMETHING_ELSE") <= Rank(Unsupported) {
		t.Fatal("unknown sub-indication must rank last")
	}
}

func TestReportJSONShape(t *testing.T) {
	r := Report{ID: "s1", Version: "v4"}
	r.Add(Check{Name: "signer-signature", Result: Passed, Detail: "ok", SubIndication: SigCryptoFailure})
	r.Finish()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"s1","version":"v4","indication":"TOTAL_PASSED","subIndication":"","checks":[{"name":"signer-signature","result":"PASSED","detail":"ok"}]}`
	if string(b) != want {
		t.Fatalf("json\n got %s\nwant %s", b, want)
	}
	if c, ok := r.Find("signer-signature"); !ok || c.Result != Passed {
		t.Fatal("Find")
	}
	if _, ok := r.Find("nope"); ok {
		t.Fatal("Find found a missing check")
	}
}

func TestWorst(t *testing.T) {
	p := Report{Indication: TotalPassed}
	i := Report{Indication: IndeterminateResult}
	f := Report{Indication: TotalFailed}
	tests := []struct {
		in   []Report
		want Indication
	}{
		{nil, IndeterminateResult},
		{[]Report{p, p}, TotalPassed},
		{[]Report{p, i}, IndeterminateResult},
		{[]Report{i, f, p}, TotalFailed},
	}
	for n, tt := range tests {
		if got := Worst(tt.in); got != tt.want {
			t.Fatalf("%d: Worst = %s, want %s", n, got, tt.want)
		}
	}
}

// TestCheckWarnings: warnings are absent from the JSON when there are none
// (other reports keep their shape), and Warn never writes to the list of the
// check it is called on (checks are cached and shared).
func TestCheckWarnings(t *testing.T) {
	c := Check{Name: "format", Result: Passed, Detail: "ok"}
	if b, _ := json.Marshal(c); string(b) != `{"name":"format","result":"PASSED","detail":"ok"}` {
		t.Fatalf("no warnings: %s", b)
	}
	w1 := c.Warn(WarnTimeNoZone, "timeInfo %q", "20260301")
	w2 := w1.Warn(WarnBEREncoding, "b")
	w3 := w1.Warn(WarnTimeTwoDigitYear, "c")
	if len(c.Warnings) != 0 || len(w1.Warnings) != 1 || w2.Warnings[1].Code != WarnBEREncoding || w3.Warnings[1].Code != WarnTimeTwoDigitYear {
		t.Fatalf("aliasing: %+v %+v %+v", w1.Warnings, w2.Warnings, w3.Warnings)
	}
	if b, _ := json.Marshal(w1); !strings.Contains(string(b), `"warnings":[{"code":"TIME_NO_ZONE","detail":"timeInfo \"20260301\""}]`) {
		t.Fatalf("JSON %s", b)
	}
	seen := map[WarningCode]bool{}
	for _, code := range WarningCodes() {
		if code == "" || seen[code] {
			t.Fatalf("code %q empty or repeated", code)
		}
		seen[code] = true
	}
}
