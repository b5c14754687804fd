package config

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Setting is one row of the settings table: the environment variable, the
// flag that overrides it (if any), the default, the help line and the
// parser that reads a value into Config. `vendo help` and the README's
// Settings table are written from these rows (readme_test.go keeps the
// README in step).
type Setting struct {
	Env         string // the environment variable, the setting's name
	Flag        string // the flag without its dash; empty when there is none
	Arg         string // what the flag takes, for the help: HOST:PORT, DIR…
	Default     string // parsed like a given value
	DefaultText string // how the help shows a default that is not a value
	Help        string // one line
	Bool        bool   // a switch: the flag takes no value
	Hidden      bool   // for tests and demos; described for contributors, not in the Settings table
	Raw         bool   // keep surrounding spaces (a secret is used as given)

	// parse checks one value and stores it in c. Its error reads after the
	// setting's name: `%q is not a duration: use …`. An errors.Join of
	// several is several problems.
	parse func(c *Config, v string) error
}

// DefaultDoc is the default as the help and the README show it.
func (s Setting) DefaultDoc() string {
	if s.DefaultText != "" {
		return s.DefaultText
	}
	return s.Default
}

// Settings returns the table, in the order the help and the README list it.
func Settings() []Setting { return append([]Setting(nil), settings...) }

var settings = []Setting{
	{Env: "VENDO_ADDR", Flag: "addr", Arg: "HOST:PORT", Default: "127.0.0.1:8080", Help: "address to listen on (:8080 for all interfaces)",
		parse: func(c *Config, v string) error {
			if _, _, err := splitAddr(v); err != nil {
				return err
			}
			c.Addr = v
			return nil
		}},
	{Env: "VENDO_DATA", Flag: "data", Arg: "DIR", Default: "./data", Help: "data directory: database, product files, sandbox",
		parse: func(c *Config, v string) error {
			if v == "" {
				return errors.New("is empty: set it to the directory where Vendo keeps its database and files, like ./data.")
			}
			c.DataDir = v
			return nil
		}},
	{Env: "VENDO_BASE_URL", Flag: "base-url", Arg: "URL", DefaultText: "derived from the address", Help: "public address customers use, like https://shop.example.com",
		parse: func(c *Config, v string) error {
			v = strings.TrimRight(v, "/")
			if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/")) {
				return fmt.Errorf("%q is not a site address: use the scheme and host customers visit, like https://shop.example.com (no path).", v)
			}
			c.BaseURL = v
			return nil
		}},
	{Env: "VENDO_SECRET", DefaultText: "generated once into data/secret", Help: "key that signs admin and download links (32+ characters)", Raw: true,
		parse: func(c *Config, v string) error {
			if v != "" && len(v) < 32 {
				return errors.New("is too short: use at least 32 random characters (for example the output of `openssl rand -hex 32`), or leave it unset and Vendo generates one.")
			}
			c.Secret = v
			return nil
		}},
	{Env: "VENDO_ADMIN_EMAILS", Help: "comma-separated emails of the shop's admins",
		parse: func(c *Config, v string) error {
			var errs []error
			for _, e := range list(v) {
				e = strings.ToLower(e)
				if !strings.Contains(e, "@") {
					errs = append(errs, fmt.Errorf("contains %q, which is not an email address: list addresses separated by commas.", e))
					continue
				}
				c.AdminEmails = append(c.AdminEmails, e)
			}
			return errors.Join(errs...)
		}},
	{Env: "VENDO_TRUSTED_PROXIES", Help: "IPs or ranges of your reverse proxies, whose X-Forwarded-For gives the visitor's address",
		parse: func(c *Config, v string) error {
			var errs []error
			for _, p := range list(v) {
				if _, _, cidrErr := net.ParseCIDR(p); net.ParseIP(p) == nil && cidrErr != nil {
					errs = append(errs, fmt.Errorf("contains %q, which is neither an IP address nor a range: list your proxies like 127.0.0.1,10.0.0.0/8.", p))
					continue
				}
				c.TrustedProxies = append(c.TrustedProxies, p)
			}
			return errors.Join(errs...)
		}},
	{Env: "STRIPE_SECRET_KEY", Help: "sk_test_… or sk_live_…; unset means sandbox mode",
		parse: func(c *Config, v string) error { c.StripeSecretKey = v; return nil }},
	{Env: "STRIPE_WEBHOOK_SECRET", Help: "whsec_… of your webhook endpoint; required with a key",
		parse: func(c *Config, v string) error { c.StripeWebhookSecret = v; return nil }},
	{Env: "STRIPE_API_BASE", DefaultText: "Stripe", Help: "point the Stripe client elsewhere (stripe-mock in tests)",
		parse: func(c *Config, v string) error {
			v = strings.TrimRight(v, "/")
			if v != "" && !isURL(v) {
				return fmt.Errorf("%q is not a URL: use something like http://localhost:12111, or unset it to talk to Stripe.", v)
			}
			c.StripeAPIBase = v
			return nil
		}},
	{Env: "SMTP_URL", Help: "smtp://user:pass@host:587 or smtps://user:pass@host:465; unset keeps mail in the outbox and the log",
		parse: func(c *Config, v string) error {
			if u, err := url.Parse(v); v != "" && (err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "") {
				return errors.New("is not a mail server address: use smtp://user:password@host:587 or smtps://user:password@host:465.")
			}
			c.SMTPURL = v
			return nil
		}},
	{Env: "GITHUB_KEY", Help: "with GITHUB_SECRET, enables \"Sign in with GitHub\"",
		parse: func(c *Config, v string) error { c.GitHubKey = v; return nil }},
	{Env: "GITHUB_SECRET", Help: "see GITHUB_KEY",
		parse: func(c *Config, v string) error { c.GitHubSecret = v; return nil }},
	{Env: "GOOGLE_KEY", Help: "with GOOGLE_SECRET, enables \"Sign in with Google\"",
		parse: func(c *Config, v string) error { c.GoogleKey = v; return nil }},
	{Env: "GOOGLE_SECRET", Help: "see GOOGLE_KEY",
		parse: func(c *Config, v string) error { c.GoogleSecret = v; return nil }},
	{Env: "OIDC_ISSUER", Help: "with OIDC_KEY and OIDC_SECRET, enables a generic OpenID Connect provider",
		parse: func(c *Config, v string) error { c.OIDCIssuer = strings.TrimRight(v, "/"); return nil }},
	{Env: "OIDC_KEY", Help: "see OIDC_ISSUER",
		parse: func(c *Config, v string) error { c.OIDCKey = v; return nil }},
	{Env: "OIDC_SECRET", Help: "see OIDC_ISSUER",
		parse: func(c *Config, v string) error { c.OIDCSecret = v; return nil }},
	{Env: "VENDO_SYNC_INTERVAL", Flag: "sync-interval", Arg: "DURATION", Default: "1h", Help: "how often to reconcile with Stripe, 0 to turn it off",
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%q is not a duration: use something like 1h or 30m, or 0 to turn reconciliation off.", v)
			}
			c.SyncInterval = d
			return nil
		}},
	{Env: "VENDO_CART_LIFETIME", Flag: "cart-lifetime", Arg: "DURATION", Default: "30d", Help: "a cart nobody changed for this long is removed (days like 30d, or a duration like 72h)",
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if n, ok := strings.CutSuffix(v, "d"); ok {
				var days int
				days, err = strconv.Atoi(n)
				d = time.Duration(days) * 24 * time.Hour
			}
			if err != nil || d < time.Hour {
				return fmt.Errorf("%q is not a cart lifetime: use days like 30d, or a duration of an hour or more like 72h.", v)
			}
			c.CartLifetime = d
			return nil
		}},
	{Env: "VENDO_UPLOAD_LIMIT", Flag: "upload-limit", Arg: "SIZE", Default: "512MiB", Help: "largest admin upload",
		parse: func(c *Config, v string) error {
			n, err := ParseSize(v)
			if err != nil || n < 1<<20 {
				return fmt.Errorf("%q is not a size of at least 1MiB: use something like 512MiB or 2GiB.", v)
			}
			c.UploadLimit = n
			return nil
		}},
	{Env: "VENDO_FILES_URL", Arg: "URL", DefaultText: "data/files/", Help: "keep product files and covers in an S3-compatible bucket: s3://bucket/prefix?endpoint=https://…&region=…",
		parse: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			b, err := parseBucketURL(v)
			if err != nil {
				return err
			}
			c.FilesBucket = b
			return nil
		}},
	{Env: "VENDO_FILES_PROXY", Bool: true, DefaultText: "off", Help: "with VENDO_FILES_URL, stream downloads through the shop instead of redirecting to the bucket",
		parse: func(c *Config, v string) (err error) { c.FilesProxy, err = parseSwitch(v); return err }},
	{Env: "VENDO_LOG_LEVEL", Flag: "log-level", Arg: "LEVEL", Default: "info", Help: "debug, info, warn or error",
		parse: func(c *Config, v string) error {
			switch v {
			case "debug", "info", "warn", "error":
				c.LogLevel = v
				return nil
			}
			return fmt.Errorf("%q is not a level: use debug, info, warn or error.", v)
		}},
	{Env: "VENDO_LOG_FORMAT", Flag: "log-format", Arg: "FORMAT", Default: "text", Help: "text or json",
		parse: func(c *Config, v string) error {
			if v != "text" && v != "json" {
				return fmt.Errorf("%q is not a format: use text or json.", v)
			}
			c.LogFormat = v
			return nil
		}},
	{Env: "VENDO_DEV", Flag: "dev", Bool: true, DefaultText: "off", Help: "read views/ and static/ from disk (for template work)",
		parse: func(c *Config, v string) (err error) { c.Dev, err = parseSwitch(v); return err }},
	{Env: "VENDO_SANDBOX_DELIVER_TWICE", Bool: true, Hidden: true, DefaultText: "off", Help: "the sandbox delivers every event twice",
		parse: func(c *Config, v string) (err error) { c.SandboxDeliverTwice, err = parseSwitch(v); return err }},
	{Env: "VENDO_SANDBOX_SHUFFLE", Hidden: true, Default: "0", Help: "the sandbox shuffles deliveries within windows of N events",
		parse: func(c *Config, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 1000 {
				return errors.New("must be a number of events from 0 to 1000.")
			}
			c.SandboxShuffle = n
			return nil
		}},
}

// index is the row of the setting named env.
func index(env string) int {
	for i, s := range settings {
		if s.Env == env {
			return i
		}
	}
	panic("config: no setting " + env)
}

// parseSwitch reads an on/off setting: 1 or 0 (true and false work too);
// unset is off.
func parseSwitch(v string) (bool, error) {
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%q is not on or off: use 1 to turn it on or 0 to leave it off.", v)
	}
	return b, nil
}

// splitAddr checks a listen address and splits it.
func splitAddr(addr string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(addr)
	if err != nil {
		return "", "", fmt.Errorf("%q is not a listen address: use host:port, like 127.0.0.1:8080 or :8080.", addr)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return "", "", fmt.Errorf("%q has no valid port: use a number from 1 to 65535, like 127.0.0.1:8080.", addr)
	}
	return host, port, nil
}

// isURL reports whether s parses as an absolute URL with a host.
func isURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != ""
}

// list splits a comma-separated setting, dropping blanks.
func list(v string) []string {
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// ParseSize reads "512MiB", "2GiB", "10MB", "1048576".
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	units := []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, errors.New("not a size")
	}
	return n * mult, nil
}
