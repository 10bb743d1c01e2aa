// Package config owns the service configuration: one Config struct filled from
// command-line flags and PLEDGESEAL_* environment variables (flags win), then
// validated as a whole. It reads no files other than those a setting names
// (the passphrase file) and holds no globals.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix starts every environment variable the service reads.
const EnvPrefix = "PLEDGESEAL_"

// DefaultTSAPolicy is the built-in TSA's default policy OID, a dev
// placeholder under the UUID arc 2.25 (a random 62-bit value: Go's OIDs
// hold int arcs). A production TSA names the policy it publishes
// (--tsa-policy).
const DefaultTSAPolicy = "2.25.3682319336483254396"

// oidPattern is a dotted OID: 0, 1 or 2, then at least one arc (each
// an int: Go's asn1.ObjectIdentifier holds ints).
var oidPattern = regexp.MustCompile(`^[0-2](\.(0|[1-9][0-9]{0,18}))+$`)

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

	// PprofAddr, when set, is a loopback host:port where pledged serves
	// the Go runtime profiles (net/http/pprof); empty means off.
	PprofAddr string

	// TSAPolicy is the policy OID of the built-in time-stamping
	// authority's tokens (dotted); TSAAccuracy the accuracy it states.
	TSAPolicy   string
	TSAAccuracy time.Duration
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
		{"tsa-policy", DefaultTSAPolicy, "policy OID of the built-in RFC 3161 TSA's tokens (dotted)", func(c *Config, v string) error {
			if !oidPattern.MatchString(v) {
				return errors.New("want a dotted OID such as 1.2.3.4")
			}
			for _, arc := range strings.Split(v, ".") {
				if _, err := strconv.Atoi(arc); err != nil {
					return errors.New("an arc of the OID is too large")
				}
			}
			c.TSAPolicy = v
			return nil
		}},
		{"tsa-accuracy", "1s", "accuracy the built-in TSA states for its genTime (0 = none)", durSetter(0, time.Minute, func(c *Config, d time.Duration) { c.TSAAccuracy = d })},
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
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Listen
	}
	if c.RedisMasterName != "" && c.RedisCluster {
		return Config{}, &Error{Setting: "-redis-master-name / -redis-cluster", Reason: "Sentinel and Cluster cannot both be set"}
	}
	return c, nil
}
