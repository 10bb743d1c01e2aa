package democli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/app/devserver"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/trust"
)

// server is a real pledged (app.Build over dev trust material and the test
// Redis) serving on a loopback port, with dev tokens like make run's.
type server struct {
	base       string
	tokensFile string
	applicant  string
	admin      string
	agencies   map[string]string
}

func startServer(t *testing.T) *server {
	t.Helper()
	d := devserver.Start(t, clock.Real{})
	mint := func(req auth.CreateRequest) string {
		t.Helper()
		return d.Mint(t, req)
	}
	s := &server{base: d.Base, agencies: map[string]string{}}
	var file bytes.Buffer
	s.admin = mint(auth.CreateRequest{Role: auth.RoleAdmin, TTL: time.Hour})
	fmt.Fprintf(&file, "%-34s %s\n", "admin", s.admin)
	for _, ag := range trust.DevAgencies() {
		s.agencies[ag.Code] = mint(auth.CreateRequest{Role: auth.RoleAgency, Org: ag.Code, TTL: time.Hour})
		fmt.Fprintf(&file, "%-34s %s\n", "agency "+ag.Code, s.agencies[ag.Code])
	}
	s.applicant = mint(auth.CreateRequest{Role: auth.RoleApplicant, TTL: time.Hour,
		Identity: &auth.Identity{Name: "张三", IDType: "RESIDENT_ID", IDNumber: "11010519491231002X"}})
	fmt.Fprintf(&file, "%-34s %s\n", "applicant 张三 (11010519491231002X)", s.applicant)
	s.tokensFile = filepath.Join(t.TempDir(), "dev-tokens")
	if err := os.WriteFile(s.tokensFile, file.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// runSeed runs `demo seed` as pledgectl would and returns its stdout.
func runSeed(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd := Commands(&out, func(string) string { return "" }, clock.Real{})[0]
	cmd.SetArgs(append([]string{"seed"}, args...))
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	err := cmd.Execute()
	return out.String(), err
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// TestSeedCreatesThenChangesNothing: against a real pledged, the first run
// records every entry and publishes every notice, the second changes
// nothing and says so, and an applicant can then sign against each notice
// the matter query names.
func TestSeedCreatesThenChangesNothing(t *testing.T) {
	s := startServer(t)

	// First run with bare agency tokens (their agencies from /v1/whoami),
	// the second with make run's tokens file.
	out, err := runSeed(t, "--base-url", s.base, "--agency-token", s.agencies["110105-SCJGJ"], "--agency-token", s.agencies["110105-MZJ"])
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out)
	}
	items := Items(time.Now())
	if got := strings.Count(out, "catalogue entry created, notice "); got != len(items) || !strings.Contains(out, "demo seed: done") {
		t.Fatalf("first run should create %d entries and notices:\n%s", len(items), out)
	}

	out, err = runSeed(t, "--base-url", s.base, "--tokens-file", s.tokensFile)
	if err != nil {
		t.Fatalf("second run: %v\n%s", err, out)
	}
	if strings.Contains(out, "created") || !strings.Contains(out, "already seeded, nothing changed") {
		t.Fatalf("second run changed something:\n%s", out)
	}

	for i, it := range items {
		var ans struct {
			Demands []struct {
				Entry struct {
					Owner          string `json:"owner"`
					PledgeEligible bool   `json:"pledgeEligible"`
					Version        int    `json:"version"`
				} `json:"entry"`
				Notice *struct {
					ID      string `json:"id"`
					Version int    `json:"version"`
					Digest  string `json:"digest"`
				} `json:"notice"`
			} `json:"demands"`
		}
		getJSON(t, s.base+"/v1/catalogue/matters/"+Region+"/"+it.Entry.Matter, &ans)
		if len(ans.Demands) != 1 || ans.Demands[0].Notice == nil {
			t.Fatalf("%s: want one demand with its notice, got %+v", it.Entry.Matter, ans)
		}
		d := ans.Demands[0]
		if d.Entry.Owner != it.Agency || !d.Entry.PledgeEligible || d.Entry.Version != 1 ||
			d.Notice.ID != it.Notice.ID || d.Notice.Version != 1 {
			t.Fatalf("%s: after two runs: entry %+v notice %+v (want version 1 of each)", it.Entry.Matter, d.Entry, d.Notice)
		}

		// The applicant signs against the notice the query named.
		body, _ := json.Marshal(map[string]any{
			"notice":  map[string]any{"id": d.Notice.ID, "version": d.Notice.Version, "digest": d.Notice.Digest},
			"channel": "WEB", "way": "EVENT_CERTIFICATE",
		})
		req, _ := http.NewRequest(http.MethodPost, s.base+"/v1/pledges", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+s.applicant)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("demo-seed-test-%d", i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("%s: signing against the seeded notice: %d %s", it.Entry.Matter, resp.StatusCode, msg)
		}
	}
}

// TestSeedRefuses: bad options and bad tokens are errors that name the
// problem, and nothing is created with a token of the wrong agency.
func TestSeedRefuses(t *testing.T) {
	s := startServer(t)
	scj, mzj := s.agencies["110105-SCJGJ"], s.agencies["110105-MZJ"]
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"400/no base url", []string{"--agency-token", "110105-SCJGJ=" + scj}, "--base-url must be"},
		{"400/ftp base url", []string{"--base-url", "ftp://x", "--agency-token", "110105-SCJGJ=" + scj}, "--base-url must be"},
		{"400/bad agency-token flag", []string{"--base-url", s.base, "--agency-token", "=" + scj}, "TOKEN or CODE=TOKEN"},
		{"401/bare unknown token", []string{"--base-url", s.base, "--agency-token", "not-a-token"}, "HTTP 401"},
		{"400/bare admin token as agency token", []string{"--base-url", s.base, "--agency-token", s.admin}, "has role admin: an agency token is needed"},
		{"400/bare tokens, one agency missing", []string{"--base-url", s.base, "--agency-token", mzj}, "no agency token for 110105-SCJGJ"},
		{"400/missing agency token", []string{"--base-url", s.base}, "no agency token for 110105-SCJGJ"},
		{"404/no tokens file", []string{"--base-url", s.base, "--tokens-file", filepath.Join(t.TempDir(), "absent")}, "cannot read the dev tokens file"},
		{"401/unknown token", []string{"--base-url", s.base, "--agency-token", "110105-SCJGJ=not-a-token"}, "HTTP 401"},
		{"403/other agency's token", []string{"--base-url", s.base, "--agency-token", "110105-SCJGJ=" + mzj}, "HTTP 403"},
		{"503/nobody listening", []string{"--base-url", "http://127.0.0.1:1", "--agency-token", "110105-SCJGJ=" + scj}, "did not answer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runSeed(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q\n%s", err, tc.want, out)
			}
			if strings.Contains(err.Error(), scj) || strings.Contains(err.Error(), mzj) {
				t.Fatalf("the error shows a token: %v", err)
			}
		})
	}
	// Nothing was recorded by the refused runs.
	var ans struct {
		Demands []json.RawMessage `json:"demands"`
	}
	getJSON(t, s.base+"/v1/catalogue/matters/"+Region+"/"+Items(time.Now())[0].Entry.Matter, &ans)
	if len(ans.Demands) != 0 {
		t.Fatalf("a refused run recorded an entry: %+v", ans)
	}
}

func TestReadTokensFile(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		wantAdmin string
		wantAg    map[string]string
	}{
		{"make run layout", "admin                              A1\nseal_maker                         S1\nagency 110105-SCJGJ                G1\nagency 110105-MZJ                  G2\napplicant 张三 (11010519491231002X) P1\n",
			"A1", map[string]string{"110105-SCJGJ": "G1", "110105-MZJ": "G2"}},
		{"empty", "", "", map[string]string{}},
		{"junk lines ignored", "agency\nadmin\n\n#x y\nagency X Y Z\n", "", map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "tokens")
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			admin, ag, err := ReadTokensFile(p)
			if err != nil {
				t.Fatal(err)
			}
			if admin != tc.wantAdmin || len(ag) != len(tc.wantAg) {
				t.Fatalf("admin %q agencies %v", admin, ag)
			}
			for k, v := range tc.wantAg {
				if ag[k] != v {
					t.Fatalf("agency %s: %q, want %q", k, ag[k], v)
				}
			}
		})
	}
	if _, _, err := ReadTokensFile(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatalf("a missing file reads: %v", err)
	}
}
