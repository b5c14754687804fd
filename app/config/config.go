// Package config reads Vendo's settings from the environment, lets flags
// override them, and checks them at start-up with sentences that say how to
// fix each problem.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything Vendo needs to start.
type Config struct {
	Addr        string // listen address, host:port
	DataDir     string // bbolt file, product files, sandbox db
	BaseURL     string // public URL, no trailing slash
	Secret      string // signing key; empty means "generate once and store"
	AdminEmails []string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the visitor (rate limits and logs are per visitor address).
	TrustedProxies []string

	StripeSecretKey     string
	StripeWebhookSecret string
	StripeAPIBase       string // optional: stripe-mock or another endpoint

	SMTPURL string

	GitHubKey, GitHubSecret string
	GoogleKey, GoogleSecret string
	OIDCIssuer              string
	OIDCKey, OIDCSecret     string

	SyncInterval    time.Duration // background reconciliation with Stripe
	UploadLimit     int64         // bytes, admin uploads
	ShutdownTimeout time.Duration
	Dev             bool // read views and static from disk
	// Sandbox delivery knobs for tests and demos of idempotency: deliver
	// every event twice, and shuffle deliveries within windows of N events.
	SandboxDeliverTwice bool
	SandboxShuffle      int
	LogLevel            string
	LogFormat           string // text or json
}

// SandboxMode reports whether Vendo runs with its offline Stripe stand-in
// (no Stripe key set).
func (c *Config) SandboxMode() bool { return c.StripeSecretKey == "" }

// DBPath is the shop's bbolt file.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, "vendo.db") }

// SandboxDBPath is the sandbox's own bbolt file.
func (c *Config) SandboxDBPath() string { return filepath.Join(c.DataDir, "stripe-sandbox.db") }

// FilesDir holds product files, content-addressed.
func (c *Config) FilesDir() string { return filepath.Join(c.DataDir, "files") }

// Secure reports whether the shop is served over https (cookies get Secure,
// HSTS is sent).
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Load reads the environment through getenv and then the flags in args
// (which override it). It returns every problem found, one sentence each.
func Load(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("vendo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.Addr, "addr", env("VENDO_ADDR", "127.0.0.1:8080"), "listen address (VENDO_ADDR)")
	fs.StringVar(&c.DataDir, "data", env("VENDO_DATA", "./data"), "data directory (VENDO_DATA)")
	fs.StringVar(&c.BaseURL, "base-url", env("VENDO_BASE_URL", ""), "public base URL (VENDO_BASE_URL)")
	fs.BoolVar(&c.Dev, "dev", env("VENDO_DEV", "") == "1", "read views and static files from disk (VENDO_DEV=1)")
	sync := fs.String("sync-interval", env("VENDO_SYNC_INTERVAL", "1h"), "how often to reconcile with Stripe, 0 to disable (VENDO_SYNC_INTERVAL)")
	upload := fs.String("upload-limit", env("VENDO_UPLOAD_LIMIT", "512MiB"), "largest admin upload (VENDO_UPLOAD_LIMIT)")
	fs.StringVar(&c.LogLevel, "log-level", env("VENDO_LOG_LEVEL", "info"), "debug, info, warn or error (VENDO_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("VENDO_LOG_FORMAT", "text"), "text or json (VENDO_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: run `vendo help` for the commands", fs.Arg(0))
	}

	c.Secret = getenv("VENDO_SECRET")
	for _, e := range strings.Split(getenv("VENDO_ADMIN_EMAILS"), ",") {
		if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
			c.AdminEmails = append(c.AdminEmails, e)
		}
	}
	var proxyProblems []error
	for _, p := range strings.Split(getenv("VENDO_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		_, _, cidrErr := net.ParseCIDR(p)
		if net.ParseIP(p) == nil && cidrErr != nil {
			proxyProblems = append(proxyProblems, fmt.Errorf("VENDO_TRUSTED_PROXIES contains %q, which is neither an IP address nor a range: list your proxies like 127.0.0.1,10.0.0.0/8.", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	c.StripeSecretKey = strings.TrimSpace(getenv("STRIPE_SECRET_KEY"))
	c.StripeWebhookSecret = strings.TrimSpace(getenv("STRIPE_WEBHOOK_SECRET"))
	c.StripeAPIBase = strings.TrimRight(strings.TrimSpace(getenv("STRIPE_API_BASE")), "/")
	c.SMTPURL = strings.TrimSpace(getenv("SMTP_URL"))
	c.GitHubKey, c.GitHubSecret = getenv("GITHUB_KEY"), getenv("GITHUB_SECRET")
	c.GoogleKey, c.GoogleSecret = getenv("GOOGLE_KEY"), getenv("GOOGLE_SECRET")
	c.OIDCIssuer, c.OIDCKey, c.OIDCSecret = strings.TrimRight(getenv("OIDC_ISSUER"), "/"), getenv("OIDC_KEY"), getenv("OIDC_SECRET")
	c.ShutdownTimeout = 15 * time.Second
	c.SandboxDeliverTwice = getenv("VENDO_SANDBOX_DELIVER_TWICE") == "1"
	if v := getenv("VENDO_SANDBOX_SHUFFLE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1000 {
			c.SandboxShuffle = -1
		} else {
			c.SandboxShuffle = n
		}
	}

	problems := proxyProblems
	bad := func(format string, a ...any) { problems = append(problems, fmt.Errorf(format, a...)) }

	if host, port, err := net.SplitHostPort(c.Addr); err != nil {
		bad("VENDO_ADDR %q is not a listen address: use host:port, like 127.0.0.1:8080 or :8080.", c.Addr)
	} else if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		bad("VENDO_ADDR %q has no valid port: use a number from 1 to 65535, like 127.0.0.1:8080.", c.Addr)
	} else if c.BaseURL == "" {
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, port)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if u, err := url.Parse(c.BaseURL); c.BaseURL != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/")) {
		bad("VENDO_BASE_URL %q is not a site address: use the scheme and host customers visit, like https://shop.example.com (no path).", c.BaseURL)
	}
	if c.SandboxShuffle < 0 {
		bad("VENDO_SANDBOX_SHUFFLE must be a number of events from 0 to 1000.")
	}
	if c.DataDir == "" {
		bad("VENDO_DATA is empty: set it to the directory where Vendo keeps its database and files, like ./data.")
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		bad("VENDO_SECRET is too short: use at least 32 random characters (for example the output of `openssl rand -hex 32`), or leave it unset and Vendo generates one.")
	}
	for _, e := range c.AdminEmails {
		if !strings.Contains(e, "@") {
			bad("VENDO_ADMIN_EMAILS contains %q, which is not an email address: list addresses separated by commas.", e)
		}
	}

	switch {
	case c.StripeSecretKey == "":
		if c.StripeWebhookSecret != "" {
			bad("STRIPE_WEBHOOK_SECRET is set but STRIPE_SECRET_KEY is not: set your secret key from the Stripe dashboard (Developers → API keys), or unset both to use the offline sandbox.")
		}
	case !strings.HasPrefix(c.StripeSecretKey, "sk_test_") && !strings.HasPrefix(c.StripeSecretKey, "sk_live_") && !strings.HasPrefix(c.StripeSecretKey, "rk_"):
		bad("STRIPE_SECRET_KEY does not look like a Stripe secret key: it starts with sk_test_ or sk_live_ (Stripe dashboard → Developers → API keys).")
	case c.StripeWebhookSecret == "":
		bad("STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: create a webhook endpoint for %s/webhooks/stripe in the Stripe dashboard, or run `stripe listen --forward-to %s/webhooks/stripe`, and set the whsec_… secret it shows.", c.BaseURL, c.BaseURL)
	case !strings.HasPrefix(c.StripeWebhookSecret, "whsec_"):
		bad("STRIPE_WEBHOOK_SECRET should start with whsec_: copy the signing secret of your webhook endpoint (or the one `stripe listen` prints).")
	}
	if strings.HasPrefix(c.StripeSecretKey, "sk_live_") && !c.Secure() {
		bad("STRIPE_SECRET_KEY is a live key but VENDO_BASE_URL is %q: live payments need https, so set VENDO_BASE_URL to your https address.", c.BaseURL)
	}
	if c.StripeAPIBase != "" {
		if u, err := url.Parse(c.StripeAPIBase); err != nil || u.Host == "" {
			bad("STRIPE_API_BASE %q is not a URL: use something like http://localhost:12111, or unset it to talk to Stripe.", c.StripeAPIBase)
		}
	}
	if c.SMTPURL != "" {
		if u, err := url.Parse(c.SMTPURL); err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
			bad("SMTP_URL is not a mail server address: use smtp://user:password@host:587 or smtps://user:password@host:465.")
		}
	}
	pair := func(key, secret, kv, sv string) {
		if (key == "") != (secret == "") {
			bad("%s and %s go together: set both to enable that sign-in, or neither.", kv, sv)
		}
	}
	pair(c.GitHubKey, c.GitHubSecret, "GITHUB_KEY", "GITHUB_SECRET")
	pair(c.GoogleKey, c.GoogleSecret, "GOOGLE_KEY", "GOOGLE_SECRET")
	if c.OIDCIssuer != "" || c.OIDCKey != "" || c.OIDCSecret != "" {
		if c.OIDCIssuer == "" || c.OIDCKey == "" || c.OIDCSecret == "" {
			bad("OIDC_ISSUER, OIDC_KEY and OIDC_SECRET go together: set all three to enable OpenID Connect sign-in, or none.")
		} else if u, err := url.Parse(c.OIDCIssuer); err != nil || u.Host == "" {
			bad("OIDC_ISSUER %q is not a URL: use the issuer address, like https://accounts.example.com.", c.OIDCIssuer)
		}
	}
	if d, err := time.ParseDuration(*sync); err != nil || d < 0 {
		bad("VENDO_SYNC_INTERVAL %q is not a duration: use something like 1h or 30m, or 0 to turn reconciliation off.", *sync)
	} else {
		c.SyncInterval = d
	}
	if n, err := ParseSize(*upload); err != nil || n < 1<<20 {
		bad("VENDO_UPLOAD_LIMIT %q is not a size of at least 1MiB: use something like 512MiB or 2GiB.", *upload)
	} else {
		c.UploadLimit = n
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("VENDO_LOG_LEVEL %q is not a level: use debug, info, warn or error.", c.LogLevel)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("VENDO_LOG_FORMAT %q is not a format: use text or json.", c.LogFormat)
	}
	if len(problems) > 0 {
		return nil, &Problems{List: problems}
	}
	return c, nil
}

// Problems lists every configuration mistake found at once, so a merchant
// fixes them in one go.
type Problems struct{ List []error }

func (p *Problems) Error() string {
	var b strings.Builder
	b.WriteString("Vendo cannot start because of its settings:")
	for _, e := range p.List {
		b.WriteString("\n  - ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap lets errors.Is see each problem.
func (p *Problems) Unwrap() []error { return p.List }

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
