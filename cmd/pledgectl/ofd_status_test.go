package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pledgeseal/pledgeseal/internal/app/devserver"
	"github.com/pledgeseal/pledgeseal/internal/auth"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/outcome"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
	"github.com/pledgeseal/pledgeseal/internal/ses"
	"github.com/pledgeseal/pledgeseal/internal/verify/verifytest"
)

// devServer is pledged as `make run` starts it (devserver: app.Build
// over `pledgectl init --dev` material and Redis, the built-in TSA of the
// dev material stamping every sealing) on a fake clock the test moves.
type devServer struct {
	*devserver.Server
	clk  *clock.Fake
	mint func(auth.CreateRequest) string
}

func startDevServer(t *testing.T) *devServer {
	t.Helper()
	clk := clock.NewFake(time.Now())
	d := devserver.Start(t, clk)
	return &devServer{Server: d, clk: clk, mint: func(req auth.CreateRequest) string {
		t.Helper()
		req.TTL = 24 * time.Hour
		return d.Mint(t, req)
	}}
}

// call sends one request; body is JSON unless it is nil.
func (s *devServer) call(t *testing.T, method, path, token, key string, body any, want int) []byte {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.Base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, out)
	}
	return out
}

// TestDevServerOFDVerifiesWithStatus is the acceptance run end to
// end: on a dev server, a pledge is accepted and its sealed OFD downloaded
// (twice: the same bytes); `pledgectl ofd verify --trust <dev root>
// --base-url URL` reports every check PASSED, the time-stamp and the seal
// and certificate status checks included. The seal is then reported lost
// since before the OFD was sealed: the same command reports the seal-status
// check FAILED (SEAL_REPORTED_LOST). A service that cannot be reached is
// never PASSED.
func TestDevServerOFDVerifiesWithStatus(t *testing.T) {
	s := startDevServer(t)
	ag := verifytest.Agency
	agency := s.mint(auth.CreateRequest{Role: auth.RoleAgency, Org: ag})
	admin := s.mint(auth.CreateRequest{Role: auth.RoleAdmin})
	applicant := s.mint(auth.CreateRequest{Role: auth.RoleApplicant, Identity: &auth.Identity{Name: "张三", IDType: "RESIDENT_ID", IDNumber: "11010519491231002X"}})
	filedAt := s.clk.Now()

	entry := verifytest.Entry(s.clk.Now())
	entry.Owner = ag
	s.call(t, "POST", "/v1/catalogue/entries", agency, "", map[string]any{"entry": entry}, http.StatusCreated)
	s.clk.Advance(time.Minute)
	n := verifytest.Notice()
	n.Agency = ag
	var pub struct {
		Notice pledge.Notice
		Digest string
	}
	_ = json.Unmarshal(s.call(t, "POST", "/v1/notices", agency, "", n, http.StatusCreated), &pub)
	var made struct{ Pledge struct{ ID string } }
	_ = json.Unmarshal(s.call(t, "POST", "/v1/pledges", applicant, "ofd-e2e-000001", map[string]any{
		"notice": pledge.NoticeRef{ID: pub.Notice.ID, Version: pub.Notice.Version, Digest: pub.Digest}, "channel": "WEB", "way": "EVENT_CERTIFICATE"}, http.StatusCreated), &made)
	id := made.Pledge.ID
	s.call(t, "POST", "/v1/pledges/"+id+"/accept", agency, "", map[string]string{"documentNo": "朝市监许〔2026〕21号", "date": pledge.CivilDate(s.clk.Now())}, http.StatusOK)

	s.clk.Advance(time.Hour)
	doc := s.call(t, "GET", "/v1/pledges/"+id+"/ofd", applicant, "", nil, http.StatusOK)
	sealedAt := s.clk.Now()
	s.clk.Advance(time.Minute)
	if again := s.call(t, "GET", "/v1/pledges/"+id+"/ofd", agency, "", nil, http.StatusOK); !bytes.Equal(again, doc) {
		t.Fatal("the second download is another document")
	}
	ofdFile := filepath.Join(t.TempDir(), id+".ofd")
	if err := os.WriteFile(ofdFile, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(s.Keys, "root-ca.pem")
	verify := func(base string) (int, outcome.Report) {
		t.Helper()
		var o, e bytes.Buffer
		code := run([]string{"ofd", "verify", "--json", "--trust", root, "--base-url", base, ofdFile}, &o, &e, func(string) string { return "" }, s.clk)
		var out struct{ Signatures []outcome.Report }
		if err := json.Unmarshal(o.Bytes(), &out); err != nil || len(out.Signatures) != 1 {
			t.Fatalf("ofd verify: exit %d %v\n%s%s", code, err, o.String(), e.String())
		}
		return code, out.Signatures[0]
	}

	code, r := verify(s.Base)
	for _, c := range r.Checks {
		if c.Result != outcome.Passed {
			t.Errorf("check %s: %s: %s", c.Name, c.Result, c.Detail)
		}
	}
	if code != 0 || r.Indication != outcome.TotalPassed {
		t.Fatalf("exit %d, %s / %s", code, r.Indication, r.SubIndication)
	}
	for _, name := range []string{ses.CheckTimestamp, ses.CheckSealStatus, ses.CheckMakerStatus, ses.CheckSignerStatus, "seal-status-now", "ofd-unreferenced-files"} {
		if _, ok := r.Find(name); !ok {
			t.Errorf("no check %s", name)
		}
	}
	t.Logf("pledgectl ofd verify --base-url: %s, %d checks, all PASSED", r.Indication, len(r.Checks))

	// Unreachable service: fail closed.
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadURL := "http://" + dead.Addr().String()
	_ = dead.Close()
	if code, r := verify(deadURL); code == 0 || r.Indication == outcome.TotalPassed {
		t.Fatalf("an unreachable status service gave exit %d, %s", code, r.Indication)
	}

	// The seal was lost since before the OFD was sealed.
	lostSince := filedAt.Add(sealedAt.Sub(filedAt) / 2)
	s.call(t, "POST", "/v1/seals/DEV-"+ag+"/status", admin, "", map[string]string{"action": "report_lost", "reason": "印章遗失",
		"documentNo": "朝市监印失〔2026〕1号", "effective": lostSince.UTC().Format(time.RFC3339Nano)}, http.StatusOK)
	code, r = verify(s.Base)
	c, _ := r.Find(ses.CheckSealStatus)
	if code == 0 || r.Indication != outcome.TotalFailed || c.Result != outcome.Failed || !strings.Contains(c.Detail, "reported lost") {
		t.Fatalf("after the loss: exit %d, %s / %s, %s: %s %s", code, r.Indication, r.SubIndication, c.Name, c.Result, c.Detail)
	}
}
