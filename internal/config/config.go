// Package config owns the service configuration: one Config struct filled from
// command-line flags and PLEDGESEAL_* environment variables (flags win), then
// validated as a whole. It reads no files other than those a setting names
// (the passphrase file) and holds no globals.
package config

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MinVerifyBurst is the smallest verification burst: one full batch
// (verify.MaxBatch packages; a test holds the two equal), which a smaller
// bucket could never take.
const MinVerifyBurst = 100

// EnvPrefix starts every environment variable the service reads.
const EnvPrefix = "PLEDGESEAL_"

// DefaultTSAPolicy is the built-in TSA's default policy OID, a dev
// placeholder under the UUID arc 2.25 (a random 31-bit value: readers
// built on x/crypto/cryptobyte, this service's among them, take arcs below
// 2^31). A production TSA names the policy it publishes
// (--tsa-policy).
const DefaultTSAPolicy = "2.25.1530595699"

// parseOID reads a dotted OID: a first arc of 0, 1 or 2, then at least one
// more, each a decimal without leading zeros and below 2^31 (readers built
// on x/crypto/cryptobyte, this service's among them, take no larger arcs).
func parseOID(s string) (asn1.ObjectIdentifier, error) {
	arcs := strings.Split(s, ".")
	if len(arcs) < 2 || len(arcs[0]) != 1 || arcs[0][0] < '0' || arcs[0][0] > '2' {
		return nil, errors.New("want a dotted OID such as 1.2.3.4")
	}
	oid := make(asn1.ObjectIdentifier, 0, len(arcs))
	for _, arc := range arcs {
		if arc == "" || len(arc) > 1 && arc[0] == '0' || strings.Trim(arc, "0123456789") != "" {
			return nil, errors.New("want a dotted OID such as 1.2.3.4")
		}
		n, err := strconv.ParseInt(arc, 10, 64)
		if err != nil || n >= 1<<31 {
			return nil, errors.New("each arc of the OID must be below 2^31 (verifiers read no larger arcs)")
		}
		oid = append(oid, int(n))
	}
	return oid, nil
}

// Config is the validated configuration of pledged.
type Config struct {
	Listen  string // host:port to listen on
	BaseURL string // public base URL used in status links and QR codes

	RedisAddrs      []string
	RedisMasterName string // Sentinel master name; empty = no Sentinel
	RedisCluster    bool
	RedisUsername   string
	RedisPassword   string `json:"-"`
	RedisDB         int
	RedisPrefix     string
	RedisTimeout    time.Duration
	// RedisTLS, when not nil, is the client TLS configuration of every
	// Redis connection (PLEDGESEAL_REDIS_TLS*): TLS 1.2 or later, the CA
	// bundle, an optional client certificate and the expected server name.
	RedisTLS *tls.Config `json:"-"`
	// RedisAllowUnsafe lets pledged start on a Redis without AOF or with
	// an evicting maxmemory-policy (tests only; it logs a warning).
	RedisAllowUnsafe bool

	// TLSCertFile and TLSKeyFile, when set, make the listener serve HTTPS
	// (TLS 1.2 or later) with this PEM certificate chain and key; pledged
	// reads them again on SIGHUP.
	TLSCertFile string
	TLSKeyFile  string

	// KeysDir holds the trust material; its passphrase comes from
	// PLEDGESEAL_KEY_PASSPHRASE(_FILE), read by internal/trust.
	KeysDir string

	LogLevel  slog.Level
	LogFormat string // json or text

	MaxBodyBytes    int64
	ReadTimeout     time.Duration
	WriteTimeout    time.Duration
	IdleTimeout     time.Duration
	RequestTimeout  time.Duration
	ShutdownTimeout time.Duration
	// ClockSkew is how far in the future a revocation's effective time may
	// lie (clocks of callers and service differ a little).
	ClockSkew time.Duration

	// Per-client rate limits (token buckets shared through Redis): rate
	// tokens a second up to burst. Verify covers verification and status
	// reads (a batch takes one token a package), Public the public
	// listings. A zero rate turns a limit off.
	VerifyRate, PublicRate   float64
	VerifyBurst, PublicBurst int
	// TrustedProxies are the addresses or CIDRs of reverse proxies whose
	// X-Forwarded-For names the client (rate limits, the access log's
	// client field); empty (the default) trusts none.
	TrustedProxies []string
	// WebhookAllow are CIDRs or host names a webhook may target although
	// they are loopback, private or otherwise internal (tests, an internal
	// receiver); empty allows only public addresses.
	WebhookAllow []string
	// redisTLS collects the PLEDGESEAL_REDIS_TLS* settings until Load
	// builds RedisTLS from them.
	redisTLS redisTLSFiles

	// PprofAddr, when set, is a loopback host:port where pledged serves
	// the Go runtime profiles (net/http/pprof); empty means off.
	PprofAddr string

	// TSAPolicy is the policy OID of the built-in time-stamping
	// authority's tokens, parsed and bounded once here; TSAAccuracy the
	// accuracy it states.
	TSAPolicy   asn1.ObjectIdentifier
	TSAAccuracy time.Duration
	// TSAURL, when set, is an external RFC 3161 TSA the service asks for
	// the tokens it puts into signatures instead of the built-in one;
	// TSATrust is the PEM file of its trust anchors (required with it).
	// TSARequired refuses a signing for which no token can be had (503
	// TRY_LATER) instead of going on without one.
	TSAURL      string
	TSATrust    string
	TSARequired bool

	// LogOrigin names the transparency log (the first line of its
	// checkpoints and its signed-note key name); LogCheckpointInterval is
	// the most often a checkpoint is signed; LogIntegrateInterval how often
	// pending entries are moved into the log (docs/transparency.md).
	LogOrigin             string
	LogCheckpointInterval time.Duration
	LogIntegrateInterval  time.Duration

	// ServiceName is the service's name in the pages' footer (empty: the
	// pages' own name, 告知承诺电子核验 / PledgeSeal); OperatorContact is how
	// to reach the operator, shown beside it (empty: "ask the agency that
	// handles your matter").
	ServiceName     string
	OperatorContact string

	// HolidaysFile is the holiday calendar (docs/enforcement.md) post-check
	// due dates count working days by; empty: weekends only, with a
	// start-up warning.
	HolidaysFile string
}

// setting describes one configuration item: its flag name, environment
// variable, default and how to apply a string value.
type setting struct {
	name  string // flag name; env is PLEDGESEAL_ + upper(name with - → _)
	def   string
	usage string
	set   func(c *Config, v string) error
}

func (s setting) env() string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

// reservedEnv are PLEDGESEAL_* variables that belong to scripts or tests, not
// to the server; they are accepted and ignored.
func reservedEnv(name string) bool {
	return strings.HasPrefix(name, EnvPrefix+"TEST_") ||
		name == EnvPrefix+"REDIS_PORT" || name == EnvPrefix+"DEV_TOKENS" ||
		name == EnvPrefix+"KEY_PASSPHRASE" || name == EnvPrefix+"KEY_PASSPHRASE_FILE"
}

func settings() []setting {
	return []setting{
		{"listen", "127.0.0.1:8080", "address to listen on (host:port)", func(c *Config, v string) error {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("want host:port: %v", err)
			}
			c.Listen = v
			return nil
		}},
		{"base-url", "", "public base URL (default http://LISTEN)", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return errors.New("want an absolute http(s) URL")
			}
			c.BaseURL = strings.TrimRight(v, "/")
			return nil
		}},
		{"redis-addrs", "127.0.0.1:6379", "Redis address(es), comma-separated (several = cluster or sentinel seeds)", func(c *Config, v string) error {
			c.RedisAddrs = nil
			for _, a := range strings.Split(v, ",") {
				a = strings.TrimSpace(a)
				if _, _, err := net.SplitHostPort(a); err != nil {
					return fmt.Errorf("%q is not host:port", a)
				}
				c.RedisAddrs = append(c.RedisAddrs, a)
			}
			return nil
		}},
		{"redis-master-name", "", "Sentinel master name (enables Sentinel)", func(c *Config, v string) error { c.RedisMasterName = v; return nil }},
		{"redis-cluster", "false", "use the Redis Cluster client even with one seed", boolSetter(func(c *Config, b bool) { c.RedisCluster = b })},
		{"redis-username", "", "Redis ACL user name", func(c *Config, v string) error { c.RedisUsername = v; return nil }},
		{"redis-password-file", "", "file holding the Redis password", func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			b, err := os.ReadFile(v)
			if err != nil {
				return fmt.Errorf("cannot read: %v", err)
			}
			c.RedisPassword = strings.TrimSpace(string(b))
			return nil
		}},
		{"redis-db", "0", "Redis database number (single node and Sentinel only)", intSetter(0, 15, func(c *Config, n int) { c.RedisDB = n })},
		{"redis-prefix", "ps:", "prefix of every Redis key", func(c *Config, v string) error { c.RedisPrefix = v; return nil }},
		{"redis-timeout", "2s", "timeout of every Redis call", durSetter(10*time.Millisecond, time.Minute, func(c *Config, d time.Duration) { c.RedisTimeout = d })},
		{"redis-tls", "false", "connect to Redis over TLS", boolSetter(func(c *Config, b bool) { c.redisTLS.on = b })},
		{"redis-tls-ca-file", "", "PEM bundle of the CAs that issue Redis's certificate (empty = the system roots)", func(c *Config, v string) error { c.redisTLS.caFile = v; return nil }},
		{"redis-tls-cert-file", "", "PEM client certificate for Redis (with -redis-tls-key-file)", func(c *Config, v string) error { c.redisTLS.certFile = v; return nil }},
		{"redis-tls-key-file", "", "PEM client key for Redis (with -redis-tls-cert-file)", func(c *Config, v string) error { c.redisTLS.keyFile = v; return nil }},
		{"redis-tls-server-name", "", "name expected in Redis's certificate (default: the host of each address)", func(c *Config, v string) error { c.redisTLS.serverName = v; return nil }},
		{"redis-allow-unsafe", "false", "start even when Redis has AOF off or an evicting maxmemory-policy (tests only; logs a warning)", boolSetter(func(c *Config, b bool) { c.RedisAllowUnsafe = b })},
		{"tls-cert-file", "", "PEM certificate chain of the HTTPS listener (with -tls-key-file; reloaded on SIGHUP)", func(c *Config, v string) error { c.TLSCertFile = v; return nil }},
		{"tls-key-file", "", "PEM private key of the HTTPS listener (with -tls-cert-file)", func(c *Config, v string) error { c.TLSKeyFile = v; return nil }},
		{"tsa-policy", DefaultTSAPolicy, "policy OID of the built-in RFC 3161 TSA's tokens (dotted)", func(c *Config, v string) error {
			oid, err := parseOID(v)
			if err != nil {
				return err
			}
			c.TSAPolicy = oid
			return nil
		}},
		{"log-origin", "pledgeseal.local/log", "name of the transparency log (first line of its checkpoints; no spaces or '+')", func(c *Config, v string) error {
			if v == "" || len(v) > 256 || strings.ContainsAny(v, " \t\r\n+") {
				return errors.New("want 1-256 bytes without spaces or '+'")
			}
			c.LogOrigin = v
			return nil
		}},
		{"log-checkpoint-interval", "10s", "the transparency log signs a checkpoint at most this often (when it grew)", durSetter(time.Second, time.Hour, func(c *Config, d time.Duration) { c.LogCheckpointInterval = d })},
		{"log-integrate-interval", "1s", "how often pending log entries are moved into the transparency log", durSetter(100*time.Millisecond, time.Minute, func(c *Config, d time.Duration) { c.LogIntegrateInterval = d })},
		{"tsa-accuracy", "1s", "accuracy the built-in TSA states for its genTime (0 = none)", durSetter(0, time.Minute, func(c *Config, d time.Duration) { c.TSAAccuracy = d })},
		{"tsa-url", "", "external RFC 3161 TSA (http/https URL) for the tokens put into signatures, instead of the built-in TSA (with -tsa-trust)", func(c *Config, v string) error {
			if v != "" {
				u, err := url.Parse(v)
				if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
					return errors.New("want an http or https URL")
				}
			}
			c.TSAURL = v
			return nil
		}},
		{"tsa-trust", "", "PEM file of the external TSA's trust anchors (required with -tsa-url)", func(c *Config, v string) error { c.TSATrust = v; return nil }},
		{"tsa-required", "false", "refuse a signing (503 TRY_LATER) when no time-stamp token can be had", boolSetter(func(c *Config, b bool) { c.TSARequired = b })},
		{"keys-dir", "keys/dev", "directory holding trust material (manifest.json)", func(c *Config, v string) error {
			if v == "" {
				return errors.New("must not be empty")
			}
			c.KeysDir = v
			return nil
		}},
		{"log-level", "info", "debug, info, warn or error", func(c *Config, v string) error {
			return c.LogLevel.UnmarshalText([]byte(v))
		}},
		{"log-format", "json", "json or text", func(c *Config, v string) error {
			if v != "json" && v != "text" {
				return errors.New("want json or text")
			}
			c.LogFormat = v
			return nil
		}},
		{"max-body-bytes", "1048576", "largest request body accepted, in bytes", func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1024 || n > 64<<20 {
				return errors.New("want an integer between 1024 and 67108864")
			}
			c.MaxBodyBytes = n
			return nil
		}},
		{"read-timeout", "15s", "HTTP read timeout", durSetter(time.Second, 10*time.Minute, func(c *Config, d time.Duration) { c.ReadTimeout = d })},
		{"write-timeout", "30s", "HTTP write timeout", durSetter(time.Second, 10*time.Minute, func(c *Config, d time.Duration) { c.WriteTimeout = d })},
		{"idle-timeout", "120s", "HTTP keep-alive idle timeout", durSetter(time.Second, time.Hour, func(c *Config, d time.Duration) { c.IdleTimeout = d })},
		{"request-timeout", "20s", "time budget of one request's handler", durSetter(100*time.Millisecond, 10*time.Minute, func(c *Config, d time.Duration) { c.RequestTimeout = d })},
		{"shutdown-timeout", "10s", "how long graceful shutdown may take", durSetter(100*time.Millisecond, 5*time.Minute, func(c *Config, d time.Duration) { c.ShutdownTimeout = d })},
		{"clock-skew", "2m", "how far past now a revocation's effective time may lie", durSetter(time.Second, time.Hour, func(c *Config, d time.Duration) { c.ClockSkew = d })},
		{"ratelimit-verify-rate", "10", "verifications and status reads per second per client (0 = no limit)", rateSetter(func(c *Config, r float64) { c.VerifyRate = r })},
		{"ratelimit-verify-burst", "200", "most verifications and status reads a client may send at once (at least 100, a full batch)", intSetter(MinVerifyBurst, 1000000, func(c *Config, n int) { c.VerifyBurst = n })},
		{"ratelimit-public-rate", "5", "public listing requests per second per client (0 = no limit)", rateSetter(func(c *Config, r float64) { c.PublicRate = r })},
		{"ratelimit-public-burst", "50", "most public listing requests a client may send at once", intSetter(1, 1000000, func(c *Config, n int) { c.PublicBurst = n })},
		{"trusted-proxies", "", "comma-separated addresses or CIDRs of reverse proxies whose X-Forwarded-For names the client; empty = none", func(c *Config, v string) error {
			list, err := cidrList(v, false)
			c.TrustedProxies = list
			return err
		}},
		{"webhook-allow", "", "comma-separated CIDRs or host names webhooks may target although internal (loopback, private); empty = public addresses only", func(c *Config, v string) error {
			list, err := cidrList(v, true)
			c.WebhookAllow = list
			return err
		}},
		{"pprof-addr", "", "loopback host:port serving Go runtime profiles (net/http/pprof); empty = off", func(c *Config, v string) error {
			if v == "" {
				c.PprofAddr = ""
				return nil
			}
			if err := CheckLoopback(v); err != nil {
				return err
			}
			c.PprofAddr = v
			return nil
		}},
		{"service-name", "", "the service's name shown to citizens in the pages' footer (empty = the pages' own name)", siteText(func(c *Config, v string) { c.ServiceName = v })},
		{"operator-contact", "", "how citizens reach the operator (phone, e-mail or address), shown in the pages' footer (empty = ask the agency of the matter)", siteText(func(c *Config, v string) { c.OperatorContact = v })},
		{"holidays-file", "", "holiday calendar for working-day due dates (pledgeseal.holidays/v1 JSON; empty = weekends only)", func(c *Config, v string) error { c.HolidaysFile = v; return nil }},
	}
}

// CheckLoopback accepts a host:port whose host is localhost or a loopback
// IP address: profiles show the program's internals and memory, so they
// are never served beyond the machine.
func CheckLoopback(hostport string) error {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return fmt.Errorf("want host:port: %v", err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address (127.0.0.1, ::1 or localhost): profiles are never served beyond the machine", host)
}

// siteText accepts a short single line of text for the pages: at most 200
// characters, no control characters.
func siteText(f func(*Config, string)) func(*Config, string) error {
	return func(c *Config, v string) error {
		v = strings.TrimSpace(v)
		if utf8.RuneCountInString(v) > 200 || !utf8.ValidString(v) {
			return errors.New("want valid UTF-8 text of at most 200 characters")
		}
		for _, r := range v {
			if unicode.IsControl(r) {
				return errors.New("want one line of text without control characters")
			}
		}
		f(c, v)
		return nil
	}
}

// cidrList splits a comma-separated list of IP addresses or CIDRs (and,
// with hosts, host names) and checks each.
func cidrList(v string, hosts bool) ([]string, error) {
	var out []string
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		_, _, cerr := net.ParseCIDR(item)
		isHost := hosts && !strings.ContainsAny(item, "/:") && strings.Trim(item, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == ""
		if cerr != nil && net.ParseIP(item) == nil && !isHost {
			return nil, fmt.Errorf("%q is not an IP address or CIDR", item)
		}
		out = append(out, item)
	}
	return out, nil
}

func rateSetter(f func(*Config, float64)) func(*Config, string) error {
	return func(c *Config, v string) error {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 100000 {
			return errors.New("want a number of requests per second between 0 and 100000")
		}
		f(c, r)
		return nil
	}
}

func boolSetter(f func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		f(c, b)
		return nil
	}
}

func intSetter(lo, hi int, f func(*Config, int)) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("want an integer between %d and %d", lo, hi)
		}
		f(c, n)
		return nil
	}
}

func durSetter(lo, hi time.Duration, f func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("want a duration between %s and %s (e.g. 5s)", lo, hi)
		}
		f(c, d)
		return nil
	}
}

// Error is a configuration error that names the setting at fault.
type Error struct {
	Setting string // flag name and environment variable
	Value   string // the offending value (empty for secrets)
	Reason  string
}

func (e *Error) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("invalid configuration: %s=%q: %s", e.Setting, e.Value, e.Reason)
	}
	return fmt.Sprintf("invalid configuration: %s: %s", e.Setting, e.Reason)
}

// Load builds the configuration from args (flags, without the program name)
// and environ ("KEY=value" pairs). Flags override environment variables,
// which override defaults. Unknown flags and unknown PLEDGESEAL_* variables
// are errors. usage receives the help text on -h.
func Load(args, environ []string, usage io.Writer) (Config, error) {
	all := settings()
	env := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	known := map[string]bool{}
	for _, s := range all {
		known[s.env()] = true
	}
	var unknown []string
	for k := range env {
		if !known[k] && !reservedEnv(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return Config{}, &Error{Setting: strings.Join(unknown, ", "), Reason: "unknown environment variable (see pledged -h)"}
	}

	fs := flag.NewFlagSet("pledged", flag.ContinueOnError)
	fs.SetOutput(usage)
	flagVals := map[string]*string{}
	for _, s := range all {
		flagVals[s.name] = fs.String(s.name, "", fmt.Sprintf("%s (env %s, default %q)", s.usage, s.env(), s.def))
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if fs.NArg() > 0 {
		return Config{}, &Error{Setting: "arguments", Value: strings.Join(fs.Args(), " "), Reason: "pledged takes no positional arguments"}
	}
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })

	var c Config
	for _, s := range all {
		v, from := s.def, "default"
		if ev, ok := env[s.env()]; ok {
			v, from = ev, s.env()
		}
		if setFlags[s.name] {
			v, from = *flagVals[s.name], "-"+s.name
		}
		if err := s.set(&c, v); err != nil {
			name := "-" + s.name + " / " + s.env()
			if from != "default" {
				name = from
			}
			shown := v
			if strings.Contains(s.name, "password") {
				shown = ""
			}
			return Config{}, &Error{Setting: name, Value: shown, Reason: err.Error()}
		}
	}
	if err := c.checkListenerTLS(); err != nil {
		return Config{}, err
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
		if c.TLSCertFile != "" {
			c.BaseURL = "https://" + c.Listen
		}
	}
	if (c.TSAURL == "") != (c.TSATrust == "") {
		return Config{}, &Error{Setting: "-tsa-url / -tsa-trust", Reason: "an external TSA needs both its URL and its trust anchor file"}
	}
	if c.RedisMasterName != "" && c.RedisCluster {
		return Config{}, &Error{Setting: "-redis-master-name / -redis-cluster", Reason: "Sentinel and Cluster cannot both be set"}
	}
	tc, err := c.redisTLS.build()
	if err != nil {
		return Config{}, err
	}
	c.RedisTLS = tc
	c.redisTLS = redisTLSFiles{}
	return c, nil
}

// Setting is one configuration item as another front end (pledgectl)
// offers it: the same name, variable, default and meaning as pledged's.
type Setting struct {
	Name    string // flag name without dashes
	Env     string // PLEDGESEAL_* variable
	Default string
	Usage   string
}

// RedisSettings are the settings that say how to reach Redis (addresses,
// Sentinel, Cluster, ACL user, password file, DB, prefix, timeout, TLS):
// every pledgectl command that talks to Redis offers exactly these.
func RedisSettings() []Setting {
	var names []string
	for _, s := range settings() {
		if strings.HasPrefix(s.name, "redis-") && s.name != "redis-allow-unsafe" {
			names = append(names, s.name)
		}
	}
	return SettingsNamed(names...)
}

// SettingsNamed returns the settings with these flag names, in this order;
// an unknown name is a programming error and panics.
func SettingsNamed(names ...string) []Setting {
	byName := map[string]setting{}
	for _, s := range settings() {
		byName[s.name] = s
	}
	out := make([]Setting, 0, len(names))
	for _, n := range names {
		s, ok := byName[n]
		if !ok {
			panic("config: no setting " + n)
		}
		out = append(out, Setting{Name: s.name, Env: s.env(), Default: s.def, Usage: s.usage})
	}
	return out
}

// EnvironOf returns, as "KEY=value" pairs for Load, the PLEDGESEAL_*
// settings that getenv has a non-empty value for.
func EnvironOf(getenv func(string) string) []string {
	var out []string
	for _, s := range settings() {
		if v := getenv(s.env()); v != "" {
			out = append(out, s.env()+"="+v)
		}
	}
	return out
}

// checkListenerTLS requires both or neither of the listener's certificate
// and key, and that they load and match.
func (c *Config) checkListenerTLS() error {
	const names = "-tls-cert-file / PLEDGESEAL_TLS_CERT_FILE and -tls-key-file / PLEDGESEAL_TLS_KEY_FILE"
	switch {
	case c.TLSCertFile == "" && c.TLSKeyFile == "":
		return nil
	case c.TLSCertFile == "" || c.TLSKeyFile == "":
		return &Error{Setting: names, Reason: "set both or neither"}
	}
	if _, err := tls.LoadX509KeyPair(c.TLSCertFile, c.TLSKeyFile); err != nil {
		return &Error{Setting: names, Reason: "cannot load the certificate and key: " + err.Error()}
	}
	return nil
}

// redisTLSFiles are the raw PLEDGESEAL_REDIS_TLS* values.
type redisTLSFiles struct {
	on                                    bool
	caFile, certFile, keyFile, serverName string
}

// build turns the settings into a client tls.Config (nil when TLS is off),
// reading the CA bundle and the client key pair now so a mistake stops
// start-up with the setting's name.
func (f redisTLSFiles) build() (*tls.Config, error) {
	if !f.on {
		if f.caFile != "" || f.certFile != "" || f.keyFile != "" || f.serverName != "" {
			return nil, &Error{Setting: "PLEDGESEAL_REDIS_TLS", Reason: "a PLEDGESEAL_REDIS_TLS_* setting is given but PLEDGESEAL_REDIS_TLS is not true"}
		}
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: f.serverName}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, &Error{Setting: "-redis-tls-ca-file / PLEDGESEAL_REDIS_TLS_CA_FILE", Value: f.caFile, Reason: "cannot read: " + err.Error()}
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, &Error{Setting: "-redis-tls-ca-file / PLEDGESEAL_REDIS_TLS_CA_FILE", Value: f.caFile, Reason: "holds no PEM certificate"}
		}
		tc.RootCAs = pool
	}
	switch {
	case f.certFile == "" && f.keyFile == "":
	case f.certFile == "" || f.keyFile == "":
		return nil, &Error{Setting: "PLEDGESEAL_REDIS_TLS_CERT_FILE and PLEDGESEAL_REDIS_TLS_KEY_FILE", Reason: "set both or neither"}
	default:
		pair, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
		if err != nil {
			return nil, &Error{Setting: "PLEDGESEAL_REDIS_TLS_CERT_FILE and PLEDGESEAL_REDIS_TLS_KEY_FILE", Reason: "cannot load the client certificate and key: " + err.Error()}
		}
		tc.Certificates = []tls.Certificate{pair}
	}
	return tc, nil
}
