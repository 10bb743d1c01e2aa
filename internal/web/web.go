package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

//go:embed messages/*.json
var messageFS embed.FS

// ContentSecurityPolicy is sent with every page and asset: everything from
// this origin only, no inline script, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// LangCookie is the cookie that keeps the reader's language choice.
const LangCookie = "pledgeseal_lang"

// Languages are the supported page languages, the default first.
var languages = []string{"zh-CN", "en"}

// page is one page of the site.
type page struct {
	Path  string // under /app/
	Name  string // template name and nav key
	Title string // message key of the title
}

func pages() []page {
	return []page{
		{Path: "", Name: "home", Title: "home.title"},
		{Path: "verify", Name: "verify", Title: "verify.title"},
		{Path: "public", Name: "public", Title: "public.title"},
		{Path: "apply", Name: "apply", Title: "apply.title"},
		{Path: "officer", Name: "officer", Title: "officer.title"},
		{Path: "enforce", Name: "enforce", Title: "enforce.title"},
	}
}

// Site is what the footer says about the service: its name and how to
// reach its operator (config PLEDGESEAL_SERVICE_NAME and
// PLEDGESEAL_OPERATOR_CONTACT). Empty values fall back to the catalogue.
type Site struct {
	ServiceName     string
	OperatorContact string
}

// Handler serves the pages under /app/ and the static files under
// /assets/; / redirects to /app/.
type Handler struct {
	tmpl     map[string]*template.Template
	catalog  map[string]map[string]string
	msgsJSON map[string]template.JS
	assets   http.Handler
	etags    map[string]string // asset path under /assets/ → strong ETag
	site     Site
}

// NewForSite parses the embedded templates and message catalogues. It fails
// when a catalogue is missing a key another one has.
func NewForSite(site Site) (*Handler, error) {
	h := &Handler{tmpl: map[string]*template.Template{}, catalog: map[string]map[string]string{}, msgsJSON: map[string]template.JS{},
		etags: map[string]string{}, site: site}
	for _, lang := range languages {
		raw, err := messageFS.ReadFile("messages/" + lang + ".json")
		if err != nil {
			return nil, fmt.Errorf("web: message catalogue %s: %w", lang, err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, fmt.Errorf("web: message catalogue %s: %w", lang, err)
		}
		h.catalog[lang] = m
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(true)
		if err := enc.Encode(m); err != nil {
			return nil, err
		}
		h.msgsJSON[lang] = template.JS(buf.String())
	}
	if err := CheckCatalogues(h.catalog); err != nil {
		return nil, err
	}
	for _, lang := range languages {
		msgs := h.catalog[lang]
		funcs := template.FuncMap{"t": func(k string) string {
			if v, ok := msgs[k]; ok {
				return v
			}
			return k
		}}
		for _, p := range pages() {
			t, err := template.New("layout.html").Funcs(funcs).
				ParseFS(templateFS, "templates/layout.html", "templates/"+p.Name+".html")
			if err != nil {
				return nil, fmt.Errorf("web: template %s: %w", p.Name, err)
			}
			h.tmpl[lang+"/"+p.Name] = t
		}
	}
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return nil, err
	}
	h.assets = http.StripPrefix("/assets/", http.FileServer(http.FS(sub)))
	// Embedded files carry no modification time, so each asset gets a
	// strong ETag from its content: a repeat visit revalidates and gets 304.
	err = fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h.etags[path] = `"` + hex.EncodeToString(sum[:16]) + `"`
		return nil
	})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// CheckCatalogues reports keys that one language has and another lacks.
func CheckCatalogues(cat map[string]map[string]string) error {
	var missing []string
	for a, ma := range cat {
		for b, mb := range cat {
			for k := range ma {
				if _, ok := mb[k]; !ok {
					missing = append(missing, fmt.Sprintf("%s lacks %q (present in %s)", b, k, a))
				}
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("web: message catalogues differ: %s", strings.Join(missing, "; "))
	}
	return nil
}

// Lang picks the page language: the lang query parameter, then the
// cookie, then Simplified Chinese. It returns whether the query chose it.
func Lang(r *http.Request) (string, bool) {
	if q := normLang(r.URL.Query().Get("lang")); q != "" {
		return q, true
	}
	if c, err := r.Cookie(LangCookie); err == nil {
		if l := normLang(c.Value); l != "" {
			return l, false
		}
	}
	return languages[0], false
}

func normLang(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "zh", "zh-cn", "zh-hans", "zh_cn":
		return "zh-CN"
	case "en", "en-us", "en-gb":
		return "en"
	}
	return ""
}

// ServeHTTP routes a request to a page, an asset or the redirect.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	switch p := r.URL.Path; {
	case p == "/":
		http.Redirect(w, r, "/app/", http.StatusFound)
	case strings.HasPrefix(p, "/assets/") && strings.HasSuffix(p, "/"):
		http.NotFound(w, r) // no directory listings
	case strings.HasPrefix(p, "/assets/"):
		hd.Set("Cache-Control", "no-cache")
		if tag, ok := h.etags[strings.TrimPrefix(p, "/assets/")]; ok {
			hd.Set("ETag", tag) // http.FileServer answers If-None-Match with 304
		}
		h.assets.ServeHTTP(w, r)
	case p == "/app":
		http.Redirect(w, r, "/app/", http.StatusMovedPermanently)
	case strings.HasPrefix(p, "/app/"):
		h.servePage(w, r, strings.TrimSuffix(strings.TrimPrefix(p, "/app/"), "/"))
	default:
		http.NotFound(w, r)
	}
}

// view is what a page template sees.
type view struct {
	Lang  string
	Other string // the other language, for the switch
	Page  string
	Title string
	Msgs  template.JS
	Pages []page
	// Service and Contact are the footer's service name and operator
	// contact (from config, else the catalogue).
	Service string
	Contact string
}

func (h *Handler) servePage(w http.ResponseWriter, r *http.Request, path string) {
	var pg *page
	for _, p := range pages() {
		if p.Path == path {
			pg = &p
			break
		}
	}
	if pg == nil {
		http.NotFound(w, r)
		return
	}
	lang, fromQuery := Lang(r)
	if fromQuery {
		http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			SameSite: http.SameSiteLaxMode, HttpOnly: true})
	}
	msgs := h.catalog[lang]
	other := languages[0]
	if lang == languages[0] {
		other = languages[1]
	}
	t := h.tmpl[lang+"/"+pg.Name]
	var buf bytes.Buffer
	v := view{Lang: lang, Other: other, Page: pg.Name, Title: msgs[pg.Title], Msgs: h.msgsJSON[lang], Pages: pages(),
		Service: h.site.ServiceName, Contact: h.site.OperatorContact}
	if v.Service == "" {
		v.Service = msgs["site.name"]
	}
	if v.Contact == "" {
		v.Contact = msgs["footer.contactDefault"]
	}
	if err := t.Execute(&buf, v); err != nil {
		http.Error(w, "page error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Language", lang)
	_, _ = w.Write(buf.Bytes())
}

// AcceptLanguage picks the page language an Accept-Language header asks
// for (q-values honoured): English when it prefers English, else
// Simplified Chinese, the default.
func AcceptLanguage(header string) string {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil {
		return languages[0]
	}
	for _, tag := range tags {
		base, _ := tag.Base()
		switch base.String() {
		case "zh":
			return "zh-CN"
		case "en":
			return "en"
		}
	}
	return languages[0]
}

// CheckText is what one verification check found, in plain words in lang
// (zh-CN or en): the sub-indication's words for a failure or an
// indeterminate result, else the check's sentence for its result, else the
// result's general sentence. app.js words the checks the same way.
func (h *Handler) CheckText(lang, name, result, sub string) string {
	msgs, ok := h.catalog[lang]
	if !ok {
		msgs = h.catalog[languages[0]]
	}
	if (result == "FAILED" || result == "INDETERMINATE") && sub != "" {
		if v, ok := msgs["sub."+sub]; ok {
			return v
		}
	}
	if v, ok := msgs["detail."+name+"."+result]; ok {
		return v
	}
	return msgs["detail."+result]
}

// Messages returns a copy of the embedded message catalogue of lang
// ("zh-CN" or "en"): for texts made outside the pages, such as the sealed
// OFD's labels (internal/ofdmake).
func Messages(lang string) (map[string]string, error) {
	raw, err := messageFS.ReadFile("messages/" + normLang(lang) + ".json")
	if err != nil {
		return nil, fmt.Errorf("web: message catalogue %s: %w", lang, err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("web: message catalogue %s: %w", lang, err)
	}
	return m, nil
}
