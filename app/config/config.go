// Package config reads Vendo's settings from the environment, lets flags
// override them, and checks them at start-up with sentences that say how to
// fix each problem. Every setting is one row of the table in settings.go.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
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

	// FilesBucket keeps product files and covers in an S3-compatible
	// bucket (VENDO_FILES_URL); nil keeps them in data/files/.
	FilesBucket *Bucket
	// FilesProxy streams bucket downloads through the shop instead of
	// redirecting to a presigned URL (VENDO_FILES_PROXY).
	FilesProxy bool

	SyncInterval    time.Duration // background reconciliation with Stripe
	CartLifetime    time.Duration // carts unchanged this long are swept
	UploadLimit     int64         // bytes, admin uploads
	ShutdownTimeout time.Duration
	Dev             bool // read views and static from disk
	// Sandbox delivery knobs for tests and demos of idempotency: deliver
	// every event twice, and shuffle deliveries within windows of N events.
	SandboxDeliverTwice bool
	SandboxShuffle      int
	LogLevel            string
	LogFormat           string // text or json

	// from maps a setting's variable to the name the user gave it by (the
	// flag they typed, or the variable), so a problem names what to fix.
	from map[string]string
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

// LoopbackBaseURL reports whether the public URL names this machine
// (localhost, 127.0.0.1, [::1]): a developer's shop, not a published one.
func (c *Config) LoopbackBaseURL() bool {
	u, err := url.Parse(c.BaseURL)
	if err != nil {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// Secure reports whether the shop is served over https (cookies get Secure,
// HSTS is sent).
func (c *Config) Secure() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// name is how the user set the setting whose variable is env: "-addr" when
// they typed the flag, else the variable.
func (c *Config) name(env string) string {
	if n := c.from[env]; n != "" {
		return n
	}
	return env
}

// Load reads every setting of the table from the environment through getenv,
// then the flags in args (which override it), and validates the result. A
// malformed flag or a stray argument is a usage error (flag.ErrHelp for -h);
// every mistake in the values is reported at once as *Problems, each naming
// the flag or variable the user set.
func Load(args []string, getenv func(string) string) (*Config, error) {
	flags := map[string]string{} // variable → the value its flag was given
	fs := flag.NewFlagSet("vendo", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the caller prints the returned error once
	for _, s := range settings {
		if s.Flag != "" {
			fs.Var(&flagValue{env: s.Env, bool: s.Bool, into: flags}, s.Flag, s.Help)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, fmt.Errorf("%v: run `vendo help` for the flags", err)
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: run `vendo help` for the commands", fs.Arg(0))
	}

	c := &Config{ShutdownTimeout: 15 * time.Second, from: map[string]string{}}
	var problems []problem
	for i, s := range settings {
		v := s.Default
		if e := getenv(s.Env); strings.TrimSpace(e) != "" {
			v = e
		}
		if fv, ok := flags[s.Env]; ok {
			v = fv
			c.from[s.Env] = typedFlag(args, s.Flag)
		}
		if !s.Raw {
			v = strings.TrimSpace(v)
		}
		err := s.parse(c, v)
		errs := []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			errs = j.Unwrap() // one problem per bad item of a list
		}
		for _, e := range errs {
			if e != nil {
				problems = append(problems, problem{i, fmt.Errorf("%s %w", c.name(s.Env), e)})
			}
		}
	}
	c.deriveBaseURL()
	if c.FilesBucket != nil {
		problems = append(problems, c.FilesBucket.credentials(getenv, index("VENDO_FILES_URL"), c.name("VENDO_FILES_URL"))...)
	}
	problems = append(problems, c.validate()...)
	if len(problems) > 0 {
		return nil, sorted(problems)
	}
	return c, nil
}

// typedFlag is the flag as the user typed it in args, "--addr" or "-addr".
func typedFlag(args []string, name string) string {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "--"+name || strings.HasPrefix(a, "--"+name+"=") {
			return "--" + name
		}
	}
	return "-" + name
}

// flagValue records what a flag was given; the setting's parser reads it
// after the environment, so the flag and the variable share one parser.
type flagValue struct {
	env  string
	bool bool
	into map[string]string
}

func (f *flagValue) Set(v string) error { f.into[f.env] = v; return nil }
func (f *flagValue) String() string     { return "" }
func (f *flagValue) IsBoolFlag() bool   { return f.bool }

// deriveBaseURL fills in the base URL from the listen address when none is
// set: a shop listening on every interface links to localhost.
func (c *Config) deriveBaseURL() {
	host, port, err := net.SplitHostPort(c.Addr)
	if c.BaseURL != "" || err != nil { // a bad address is reported by its parser
		return
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	c.BaseURL = "http://" + net.JoinHostPort(host, port)
}

// Validate checks the rules that tie settings together (a Stripe key needs
// its webhook secret, a live key needs https, sign-in providers need their
// key and secret). Load calls it; each value's own check is its parser's.
func (c *Config) Validate() error {
	if p := c.validate(); len(p) > 0 {
		return sorted(p)
	}
	return nil
}

func (c *Config) validate() []problem {
	var problems []problem
	bad := func(env, format string, a ...any) {
		problems = append(problems, problem{index(env), fmt.Errorf(format, a...)})
	}
	key, whsec, base := c.name("STRIPE_SECRET_KEY"), c.name("STRIPE_WEBHOOK_SECRET"), c.name("VENDO_BASE_URL")
	switch {
	case c.StripeSecretKey == "":
		if c.StripeWebhookSecret != "" {
			bad("STRIPE_WEBHOOK_SECRET", "%s is set but %s is not: set your secret key from the Stripe dashboard (Developers → API keys), or unset both to use the offline sandbox.", whsec, key)
		}
	case !strings.HasPrefix(c.StripeSecretKey, "sk_test_") && !strings.HasPrefix(c.StripeSecretKey, "sk_live_") && !strings.HasPrefix(c.StripeSecretKey, "rk_"):
		bad("STRIPE_SECRET_KEY", "%s does not look like a Stripe secret key: it starts with sk_test_ or sk_live_ (Stripe dashboard → Developers → API keys).", key)
	case c.StripeWebhookSecret == "":
		bad("STRIPE_SECRET_KEY", "%s is set but %s is not: create a webhook endpoint for %s/webhooks/stripe in the Stripe dashboard, or run `stripe listen --forward-to %s/webhooks/stripe`, and set the whsec_… secret it shows.", key, whsec, c.BaseURL, c.BaseURL)
	case !strings.HasPrefix(c.StripeWebhookSecret, "whsec_"):
		bad("STRIPE_WEBHOOK_SECRET", "%s should start with whsec_: copy the signing secret of your webhook endpoint (or the one `stripe listen` prints).", whsec)
	}
	if strings.HasPrefix(c.StripeSecretKey, "sk_live_") && !c.Secure() {
		bad("STRIPE_SECRET_KEY", "%s is a live key but %s is %q: live payments need https, so set %s to your https address.", key, base, c.BaseURL, base)
	}
	pair := func(kv, sv, key, secret string) {
		if (key == "") != (secret == "") {
			bad(kv, "%s and %s go together: set both to enable that sign-in, or neither.", c.name(kv), c.name(sv))
		}
	}
	pair("GITHUB_KEY", "GITHUB_SECRET", c.GitHubKey, c.GitHubSecret)
	pair("GOOGLE_KEY", "GOOGLE_SECRET", c.GoogleKey, c.GoogleSecret)
	if c.OIDCIssuer != "" || c.OIDCKey != "" || c.OIDCSecret != "" {
		if c.OIDCIssuer == "" || c.OIDCKey == "" || c.OIDCSecret == "" {
			bad("OIDC_ISSUER", "%s, %s and %s go together: set all three to enable OpenID Connect sign-in, or none.", c.name("OIDC_ISSUER"), c.name("OIDC_KEY"), c.name("OIDC_SECRET"))
		} else if !isURL(c.OIDCIssuer) {
			bad("OIDC_ISSUER", "%s %q is not a URL: use the issuer address, like https://accounts.example.com.", c.name("OIDC_ISSUER"), c.OIDCIssuer)
		}
	}
	return problems
}

// problem is one mistake and the row of the table it is about, so problems
// are listed in the table's (and the README's) order.
type problem struct {
	at  int
	err error
}

func sorted(ps []problem) *Problems {
	slices.SortStableFunc(ps, func(a, b problem) int { return a.at - b.at })
	p := &Problems{}
	for _, x := range ps {
		p.List = append(p.List, x.err)
	}
	return p
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

// PrintFlags writes the flags (each with its variable and default), then
// the settings that are only variables, for `vendo help`.
func PrintFlags(w io.Writer) {
	fmt.Fprintln(w, "Flags (each overrides its environment variable):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range settings {
		if s.Flag == "" {
			continue
		}
		arg := " " + s.Arg
		if s.Bool {
			arg = ""
		}
		fmt.Fprintf(tw, "  -%s%s\t%s\t%s; default %s\n", s.Flag, arg, s.Env, s.Help, s.DefaultDoc())
	}
	tw.Flush()
	fmt.Fprintln(w, "\nEnvironment only (see the README's Settings table):")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range settings {
		if s.Flag == "" && !s.Hidden {
			fmt.Fprintf(tw, "  %s\t%s\n", s.Env, s.Help)
		}
	}
	tw.Flush()
}
