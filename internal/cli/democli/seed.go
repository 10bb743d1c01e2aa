package democli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pledgeseal/pledgeseal/internal/apperr"
	"github.com/pledgeseal/pledgeseal/internal/clock"
	"github.com/pledgeseal/pledgeseal/internal/pledge"
)

// Commands returns the `demo` command group.
func Commands(stdout io.Writer, getenv func(string) string, clk clock.Clock) []*cobra.Command {
	demo := &cobra.Command{Use: "demo", Short: "Demo content for a dev pledged (演示数据)"}
	demo.AddCommand(newSeedCmd(stdout, getenv, clk))
	return []*cobra.Command{demo}
}

func newSeedCmd(stdout io.Writer, getenv func(string) string, clk clock.Clock) *cobra.Command {
	var (
		o          Options
		tokensFile string
		agencyToks []string
	)
	cmd := &cobra.Command{
		Use:   "seed --base-url URL [--tokens-file var/dev-tokens | --agency-token [CODE=]TOKEN ...] [--admin-token T]",
		Short: "Create one catalogue entry and one sealed notice per demo agency, through the HTTP API (idempotent)",
		Long: `Seed a running dev pledged through its public HTTP API: for each demo agency
one pledge-eligible catalogue entry (region 110105) and its sealed notice.
What already exists is left alone, so a second run changes nothing and says so.

Tokens come from --agency-token TOKEN or CODE=TOKEN (repeatable; a bare
token's agency is asked of GET /v1/whoami) and --admin-token, or
from a dev tokens file as written by make run (lines "admin TOKEN",
"agency CODE TOKEN"); flags win over the file. Environment:
PLEDGESEAL_BASE_URL, PLEDGESEAL_DEV_TOKENS (the tokens file).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.BaseURL == "" {
				o.BaseURL = getenv("PLEDGESEAL_BASE_URL")
			}
			if tokensFile == "" {
				tokensFile = getenv("PLEDGESEAL_DEV_TOKENS")
			}
			o.AgencyTokens = map[string]string{}
			if tokensFile != "" {
				admin, agencies, err := ReadTokensFile(tokensFile)
				if err != nil {
					return err
				}
				if o.AdminToken == "" {
					o.AdminToken = admin
				}
				o.AgencyTokens = agencies
			}
			for _, kv := range agencyToks {
				code, tok, ok := strings.Cut(kv, "=")
				switch {
				case !ok && kv != "":
					// A bare token: its agency comes from GET /v1/whoami.
					o.BareAgencyTokens = append(o.BareAgencyTokens, kv)
				case code == "" || tok == "":
					return apperr.New(apperr.Malformed, "--agency-token wants TOKEN or CODE=TOKEN")
				default:
					o.AgencyTokens[code] = tok
				}
			}
			res, err := Seed(cmd.Context(), o, clk)
			for _, r := range res {
				fmt.Fprintln(stdout, r)
			}
			if err != nil {
				return err
			}
			if Changed(res) {
				fmt.Fprintln(stdout, "demo seed: done")
			} else {
				fmt.Fprintln(stdout, "demo seed: already seeded, nothing changed")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.BaseURL, "base-url", "", "pledged base URL, e.g. http://127.0.0.1:8080 (env PLEDGESEAL_BASE_URL)")
	f.StringVar(&o.AdminToken, "admin-token", "", "admin token (optional: records catalogue entries)")
	f.StringArrayVar(&agencyToks, "agency-token", nil, "agency token, bare (its agency is asked of /v1/whoami) or CODE=TOKEN (repeatable)")
	f.StringVar(&tokensFile, "tokens-file", "", "dev tokens file written by make run (env PLEDGESEAL_DEV_TOKENS)")
	return cmd
}

// Options says where and as whom to seed.
type Options struct {
	BaseURL    string
	AdminToken string
	// AgencyTokens maps a demo agency code to its agency token.
	AgencyTokens map[string]string
	// BareAgencyTokens are agency tokens whose agency Seed asks of
	// GET /v1/whoami.
	BareAgencyTokens []string
	// Client defaults to an http.Client with a 15 s timeout.
	Client *http.Client
}

// Result is what the seed did for one item.
type Result struct {
	Agency, Matter   string
	EntryCreated     bool
	NoticeCreated    bool
	NoticeID         string
	NoticeVersion    int
	ApplicantPageURL string
}

func (r Result) String() string {
	word := func(b bool) string {
		if b {
			return "created"
		}
		return "unchanged"
	}
	return fmt.Sprintf("%s %s/%s: catalogue entry %s, notice %s v%d %s; apply at %s",
		r.Agency, Region, r.Matter, word(r.EntryCreated), r.NoticeID, r.NoticeVersion, word(r.NoticeCreated), r.ApplicantPageURL)
}

// Changed reports whether any result created something.
func Changed(rs []Result) bool {
	for _, r := range rs {
		if r.EntryCreated || r.NoticeCreated {
			return true
		}
	}
	return false
}

// ReadTokensFile reads a dev tokens file: "admin TOKEN" and
// "agency CODE TOKEN" lines; other lines are ignored.
func ReadTokensFile(path string) (admin string, agencies map[string]string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", nil, apperr.Wrap(apperr.NotFound, err, "cannot read the dev tokens file %s", path)
	}
	defer f.Close()
	admin, agencies, err = parseTokens(f)
	if err != nil {
		return "", nil, apperr.Wrap(apperr.Malformed, err, "cannot read the dev tokens file %s", path)
	}
	return admin, agencies, nil
}

// parseTokens reads "admin TOKEN" and "agency CODE TOKEN" lines.
func parseTokens(r io.Reader) (admin string, agencies map[string]string, err error) {
	agencies = map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		switch {
		case len(fs) == 2 && fs[0] == "admin":
			admin = fs[1]
		case len(fs) == 3 && fs[0] == "agency":
			agencies[fs[1]] = fs[2]
		}
	}
	if err := sc.Err(); err != nil {
		return "", nil, err
	}
	return admin, agencies, nil
}

// matterAnswer is the part of GET /v1/catalogue/matters/{region}/{matter}
// the seed reads.
type matterAnswer struct {
	Demands []struct {
		Entry  pledge.Entry `json:"entry"`
		Notice *struct {
			ID      string `json:"id"`
			Version int    `json:"version"`
		} `json:"notice"`
	} `json:"demands"`
}

// Seed makes sure every demo item exists, in order, and stops at the first
// failure. It returns what it did for each item handled.
func Seed(ctx context.Context, o Options, clk clock.Clock) ([]Result, error) {
	base, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, apperr.New(apperr.Malformed, "--base-url must be an http(s) URL such as http://127.0.0.1:8080")
	}
	c := client{base: base.String(), http: o.Client}
	if c.http == nil {
		c.http = &http.Client{Timeout: 15 * time.Second}
	}
	if len(o.BareAgencyTokens) > 0 {
		all := map[string]string{}
		for k, v := range o.AgencyTokens {
			all[k] = v
		}
		for _, tok := range o.BareAgencyTokens {
			var who struct {
				Role string `json:"role"`
				Org  string `json:"org"`
			}
			if err := c.do(ctx, http.MethodGet, "/v1/whoami", tok, nil, http.StatusOK, &who); err != nil {
				return nil, fmt.Errorf("an --agency-token: %w", err)
			}
			if who.Role != "agency" || who.Org == "" {
				return nil, apperr.New(apperr.Malformed, "an --agency-token has role %s: an agency token is needed", who.Role)
			}
			all[who.Org] = tok
		}
		o.AgencyTokens = all
	}
	// A little in the past, so the entry is in force when the notice is
	// published even if this host's clock runs slightly ahead.
	from := clk.Now().UTC().Add(-30 * time.Second).Truncate(time.Second)
	var out []Result
	for _, it := range Items(from) {
		tok := o.AgencyTokens[it.Agency]
		if tok == "" {
			return out, apperr.New(apperr.Malformed, "no agency token for %s (--agency-token %s=TOKEN or --tokens-file)", it.Agency, it.Agency)
		}
		r := Result{Agency: it.Agency, Matter: it.Entry.Matter,
			ApplicantPageURL: c.base + "/app/apply?region=" + Region + "&matter=" + it.Entry.Matter}
		var ans matterAnswer
		path := "/v1/catalogue/matters/" + Region + "/" + it.Entry.Matter
		if err := c.do(ctx, http.MethodGet, path, "", nil, http.StatusOK, &ans); err != nil {
			return out, err
		}
		entryFound, noticeFound := false, false
		for _, d := range ans.Demands {
			if d.Entry.Certificate != it.Entry.Certificate {
				continue
			}
			entryFound = true
			if d.Notice != nil {
				noticeFound = true
				r.NoticeID, r.NoticeVersion = d.Notice.ID, d.Notice.Version
			}
		}
		if !entryFound {
			editor := tok
			if o.AdminToken != "" {
				editor = o.AdminToken
			}
			body := map[string]any{"entry": it.Entry, "expectVersion": 0}
			if err := c.do(ctx, http.MethodPost, "/v1/catalogue/entries", editor, body, http.StatusCreated, nil); err != nil {
				return out, fmt.Errorf("%s: recording the catalogue entry: %w", it.Agency, err)
			}
			r.EntryCreated = true
		}
		if !noticeFound {
			var pub struct {
				Notice pledge.Notice `json:"notice"`
			}
			if err := c.do(ctx, http.MethodPost, "/v1/notices", tok, it.Notice, http.StatusCreated, &pub); err != nil {
				return out, fmt.Errorf("%s: publishing the notice: %w", it.Agency, err)
			}
			r.NoticeCreated = true
			r.NoticeID, r.NoticeVersion = pub.Notice.ID, pub.Notice.Version
		}
		out = append(out, r)
	}
	return out, nil
}

type client struct {
	base string
	http *http.Client
}

// do sends a JSON request and decodes a JSON answer with status want; any
// other status becomes an error carrying the problem's detail.
func (c client) do(ctx context.Context, method, path, token string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return apperr.Wrap(apperr.Internal, err, "cannot encode a request")
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return apperr.Wrap(apperr.Malformed, err, "bad request to %s", path)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "%s %s: pledged did not answer", method, path)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return apperr.Wrap(apperr.Unavailable, err, "%s %s: reading the answer", method, path)
	}
	if resp.StatusCode != want {
		var p struct {
			Detail string `json:"detail"`
			Code   string `json:"code"`
		}
		_ = json.Unmarshal(raw, &p)
		kind := apperr.Conflict
		switch {
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			kind = apperr.Forbidden
		case resp.StatusCode >= 500:
			kind = apperr.Unavailable
		}
		return apperr.New(kind, "%s %s: HTTP %d %s %s", method, path, resp.StatusCode, p.Code, p.Detail)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return apperr.Wrap(apperr.Malformed, err, "%s %s: the answer does not decode", method, path)
		}
	}
	return nil
}
