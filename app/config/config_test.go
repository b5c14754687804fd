package config_test

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"vendo/app/config"
)

// env turns a map into the getenv Load reads.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadWithNothingSetGivesASandboxShopOnLocalhost(t *testing.T) {
	c, err := config.Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"addr", c.Addr, "127.0.0.1:8080"},
		{"data", c.DataDir, "./data"},
		{"base URL", c.BaseURL, "http://127.0.0.1:8080"},
		{"sandbox", c.SandboxMode(), true},
		{"secure", c.Secure(), false},
		{"secret", c.Secret, ""},
		{"admins", len(c.AdminEmails), 0},
		{"sync", c.SyncInterval, time.Hour},
		{"upload limit", c.UploadLimit, int64(512 << 20)},
		{"shutdown", c.ShutdownTimeout, 15 * time.Second},
		{"log level", c.LogLevel, "info"},
		{"log format", c.LogFormat, "text"},
		{"dev", c.Dev, false},
		{"db path", c.DBPath(), filepath.Join("data", "vendo.db")},
		{"sandbox db path", c.SandboxDBPath(), filepath.Join("data", "stripe-sandbox.db")},
		{"files dir", c.FilesDir(), filepath.Join("data", "files")},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestLoadReadsTheEnvironmentAndFlagsWin(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c *config.Config)
	}{
		{"listening on every interface links to localhost", nil, map[string]string{"VENDO_ADDR": ":8080"},
			func(t *testing.T, c *config.Config) { want(t, "base URL", c.BaseURL, "http://localhost:8080") }},
		{"0.0.0.0 links to localhost", nil, map[string]string{"VENDO_ADDR": "0.0.0.0:9000"},
			func(t *testing.T, c *config.Config) { want(t, "base URL", c.BaseURL, "http://localhost:9000") }},
		{"[::] links to localhost", nil, map[string]string{"VENDO_ADDR": "[::]:9000"},
			func(t *testing.T, c *config.Config) { want(t, "base URL", c.BaseURL, "http://localhost:9000") }},
		{"an IPv6 host keeps its brackets", nil, map[string]string{"VENDO_ADDR": "[::1]:8080"},
			func(t *testing.T, c *config.Config) { want(t, "base URL", c.BaseURL, "http://[::1]:8080") }},
		{"a base URL loses its trailing slash", nil, map[string]string{"VENDO_BASE_URL": "https://shop.example.com/"},
			func(t *testing.T, c *config.Config) {
				want(t, "base URL", c.BaseURL, "https://shop.example.com")
				want(t, "secure", c.Secure(), true)
			}},
		{"values are trimmed", nil, map[string]string{"VENDO_ADDR": "  127.0.0.1:9090 ", "VENDO_DATA": " /srv/vendo "},
			func(t *testing.T, c *config.Config) {
				want(t, "addr", c.Addr, "127.0.0.1:9090")
				want(t, "data", c.DataDir, "/srv/vendo")
			}},
		{"flags override the environment",
			[]string{"-addr", "127.0.0.1:9999", "-data", "/tmp/flag", "-log-level", "debug", "-log-format", "json", "-dev", "-sync-interval", "5m", "-upload-limit", "2GiB"},
			map[string]string{"VENDO_ADDR": "10.0.0.1:1", "VENDO_DATA": "/env", "VENDO_LOG_LEVEL": "warn", "VENDO_LOG_FORMAT": "text", "VENDO_SYNC_INTERVAL": "2h", "VENDO_UPLOAD_LIMIT": "1GiB"},
			func(t *testing.T, c *config.Config) {
				want(t, "addr", c.Addr, "127.0.0.1:9999")
				want(t, "base URL from the flag's address", c.BaseURL, "http://127.0.0.1:9999")
				want(t, "data", c.DataDir, "/tmp/flag")
				want(t, "log level", c.LogLevel, "debug")
				want(t, "log format", c.LogFormat, "json")
				want(t, "dev", c.Dev, true)
				want(t, "sync", c.SyncInterval, 5*time.Minute)
				want(t, "upload", c.UploadLimit, int64(2<<30))
			}},
		{"the base-url flag beats the environment", []string{"-base-url", "https://flag.example.com"},
			map[string]string{"VENDO_BASE_URL": "https://env.example.com"},
			func(t *testing.T, c *config.Config) { want(t, "base URL", c.BaseURL, "https://flag.example.com") }},
		{"environment only", nil,
			map[string]string{"VENDO_ADDR": "127.0.0.1:7000", "VENDO_DEV": "1", "VENDO_SYNC_INTERVAL": "0", "VENDO_UPLOAD_LIMIT": "10MB"},
			func(t *testing.T, c *config.Config) {
				want(t, "addr", c.Addr, "127.0.0.1:7000")
				want(t, "dev", c.Dev, true)
				want(t, "sync off", c.SyncInterval, time.Duration(0))
				want(t, "upload", c.UploadLimit, int64(10_000_000))
			}},
		{"admin emails are lowercased and blanks dropped", nil,
			map[string]string{"VENDO_ADMIN_EMAILS": " Ada@Example.com, ,bob@example.com,"},
			func(t *testing.T, c *config.Config) {
				if !reflect.DeepEqual(c.AdminEmails, []string{"ada@example.com", "bob@example.com"}) {
					t.Errorf("admins = %q", c.AdminEmails)
				}
			}},
		{"a test key with its webhook secret leaves the sandbox", nil,
			map[string]string{"STRIPE_SECRET_KEY": " sk_test_abc ", "STRIPE_WEBHOOK_SECRET": "whsec_abc", "STRIPE_API_BASE": "http://localhost:12111/"},
			func(t *testing.T, c *config.Config) {
				want(t, "sandbox", c.SandboxMode(), false)
				want(t, "key", c.StripeSecretKey, "sk_test_abc")
				want(t, "api base", c.StripeAPIBase, "http://localhost:12111")
			}},
		{"a live key over https", nil,
			map[string]string{"STRIPE_SECRET_KEY": "sk_live_abc", "STRIPE_WEBHOOK_SECRET": "whsec_abc", "VENDO_BASE_URL": "https://shop.example.com"},
			func(t *testing.T, c *config.Config) { want(t, "sandbox", c.SandboxMode(), false) }},
		{"sign-in providers and mail", nil,
			map[string]string{"GITHUB_KEY": "gh", "GITHUB_SECRET": "ghs", "OIDC_ISSUER": "https://id.example.com/", "OIDC_KEY": "k", "OIDC_SECRET": "s",
				"SMTP_URL": "smtps://user:pw@mail.example.com:465", "VENDO_SECRET": strings.Repeat("s", 32)},
			func(t *testing.T, c *config.Config) {
				want(t, "github", c.GitHubKey+"/"+c.GitHubSecret, "gh/ghs")
				want(t, "issuer", c.OIDCIssuer, "https://id.example.com")
				want(t, "smtp", c.SMTPURL, "smtps://user:pw@mail.example.com:465")
				want(t, "secret", c.Secret, strings.Repeat("s", 32))
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(tt.args, env(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			tt.check(t, c)
		})
	}
}

func want[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestLoadReadsTheBucketFromTheFilesURLAndTheEnvironment(t *testing.T) {
	c, err := config.Load(nil, env(map[string]string{
		"VENDO_FILES_URL":   "s3://shop-files/vendo/live/?endpoint=https://s3.eu-central-1.amazonaws.com&region=eu-central-1",
		"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret/example", "VENDO_FILES_PROXY": "1",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Bucket{Endpoint: "s3.eu-central-1.amazonaws.com", Secure: true, Region: "eu-central-1", Name: "shop-files",
		Prefix: "vendo/live/", AccessKey: "AKIAEXAMPLE", SecretKey: "secret/example"}
	if c.FilesBucket == nil || *c.FilesBucket != want || !c.FilesProxy {
		t.Fatalf("bucket %+v, proxy %v; want %+v", c.FilesBucket, c.FilesProxy, want)
	}
	if s := c.FilesBucket.String(); s != "s3://shop-files/vendo/live/" {
		t.Errorf("String() = %q: it must not show the credentials", s)
	}
	// Credentials in the URL win over the environment; plain http works
	// (a bucket on the shop's network).
	c, err = config.Load(nil, env(map[string]string{
		"VENDO_FILES_URL":   "s3://key:sec%2Fret@b?endpoint=http://127.0.0.1:8333",
		"AWS_ACCESS_KEY_ID": "other", "AWS_SECRET_ACCESS_KEY": "other",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if b := c.FilesBucket; b.AccessKey != "key" || b.SecretKey != "sec/ret" || b.Secure || b.Endpoint != "127.0.0.1:8333" || b.Prefix != "" {
		t.Fatalf("bucket %+v", b)
	}
	// Unset: the files stay on disk.
	if c, err := config.Load(nil, env(nil)); err != nil || c.FilesBucket != nil || c.FilesProxy {
		t.Fatalf("default: %+v %v", c.FilesBucket, err)
	}
}

func TestLoadExplainsEachProblemInASentence(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		phrases []string // one per expected problem, in order
	}{
		{"a live key without a webhook secret", nil,
			map[string]string{"STRIPE_SECRET_KEY": "sk_live_abc", "VENDO_BASE_URL": "https://shop.example.com"},
			[]string{"STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not: create a webhook endpoint for https://shop.example.com/webhooks/stripe in the Stripe dashboard, or run `stripe listen"}},
		{"a live key without a webhook secret on plain http", nil,
			map[string]string{"STRIPE_SECRET_KEY": "sk_live_abc"},
			[]string{"`stripe listen --forward-to http://127.0.0.1:8080/webhooks/stripe`", "live payments need https"}},
		{"a test key without a webhook secret", nil,
			map[string]string{"STRIPE_SECRET_KEY": "sk_test_abc"},
			[]string{"STRIPE_WEBHOOK_SECRET is not"}},
		{"a webhook secret without a key", nil,
			map[string]string{"STRIPE_WEBHOOK_SECRET": "whsec_abc"},
			[]string{"STRIPE_WEBHOOK_SECRET is set but STRIPE_SECRET_KEY is not"}},
		{"a publishable key in place of the secret one", nil,
			map[string]string{"STRIPE_SECRET_KEY": "pk_test_abc", "STRIPE_WEBHOOK_SECRET": "whsec_abc"},
			[]string{"does not look like a Stripe secret key"}},
		{"a webhook secret of the wrong kind", nil,
			map[string]string{"STRIPE_SECRET_KEY": "sk_test_abc", "STRIPE_WEBHOOK_SECRET": "sk_test_abc"},
			[]string{"should start with whsec_"}},
		{"a Stripe API base that is not a URL", nil,
			map[string]string{"STRIPE_API_BASE": "localhost"},
			[]string{"STRIPE_API_BASE \"localhost\" is not a URL"}},
		{"an address without a port", nil,
			map[string]string{"VENDO_ADDR": "localhost"},
			[]string{"VENDO_ADDR \"localhost\" is not a listen address: use host:port"}},
		{"an unparsable address from the flag", []string{"-addr", "127.0.0.1:8080:80"}, nil,
			[]string{"is not a listen address"}},
		{"a port that is a word", nil, map[string]string{"VENDO_ADDR": "127.0.0.1:http"},
			[]string{"has no valid port"}},
		{"a port out of range", nil, map[string]string{"VENDO_ADDR": "127.0.0.1:70000"},
			[]string{"has no valid port: use a number from 1 to 65535"}},
		{"a base URL without a scheme", nil, map[string]string{"VENDO_BASE_URL": "shop.example.com"},
			[]string{"VENDO_BASE_URL \"shop.example.com\" is not a site address"}},
		{"a base URL with another scheme", nil, map[string]string{"VENDO_BASE_URL": "ftp://shop.example.com"},
			[]string{"is not a site address"}},
		{"a base URL with a path", nil, map[string]string{"VENDO_BASE_URL": "https://example.com/shop"},
			[]string{"(no path)"}},
		{"an empty data directory", []string{"-data", ""}, nil,
			[]string{"-data is empty"}},
		{"a short secret", nil, map[string]string{"VENDO_SECRET": "hunter2"},
			[]string{"VENDO_SECRET is too short: use at least 32 random characters"}},
		{"an admin that is not an email", nil, map[string]string{"VENDO_ADMIN_EMAILS": "ada@example.com,bob"},
			[]string{"VENDO_ADMIN_EMAILS contains \"bob\""}},
		{"SMTP over http", nil, map[string]string{"SMTP_URL": "http://mail.example.com"},
			[]string{"SMTP_URL is not a mail server address"}},
		{"SMTP without a host", nil, map[string]string{"SMTP_URL": "smtp://"},
			[]string{"SMTP_URL is not a mail server address"}},
		{"a files URL that is not a bucket", nil, map[string]string{"VENDO_FILES_URL": "https://s3.amazonaws.com/my-bucket"},
			[]string{"VENDO_FILES_URL is not a bucket address: use s3://my-bucket/vendo?endpoint="}},
		{"a files URL without an endpoint", nil, map[string]string{"VENDO_FILES_URL": "s3://my-bucket/vendo", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
			[]string{"VENDO_FILES_URL names no endpoint: add ?endpoint="}},
		{"a files URL whose endpoint has a path", nil, map[string]string{"VENDO_FILES_URL": "s3://b?endpoint=https://s3.example.com/b", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
			[]string{"has the endpoint \"https://s3.example.com/b\", which is not a service address"}},
		{"a files URL with an unknown parameter", nil, map[string]string{"VENDO_FILES_URL": "s3://b?endpoint=https://s3.example.com&acl=public", "AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s"},
			[]string{"has the parameter \"acl\", which Vendo does not know"}},
		{"a bucket without credentials", nil, map[string]string{"VENDO_FILES_URL": "s3://b?endpoint=https://s3.example.com"},
			[]string{"VENDO_FILES_URL has no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}},
		{"a bucket with only a key", nil, map[string]string{"VENDO_FILES_URL": "s3://b?endpoint=https://s3.example.com", "AWS_ACCESS_KEY_ID": "k"},
			[]string{"VENDO_FILES_URL has no credentials"}},
		{"files proxying that is neither on nor off", nil, map[string]string{"VENDO_FILES_PROXY": "sometimes"},
			[]string{"VENDO_FILES_PROXY \"sometimes\" is not on or off"}},
		{"a GitHub key without its secret", nil, map[string]string{"GITHUB_KEY": "gh"},
			[]string{"GITHUB_KEY and GITHUB_SECRET go together"}},
		{"a Google secret without its key", nil, map[string]string{"GOOGLE_SECRET": "gs"},
			[]string{"GOOGLE_KEY and GOOGLE_SECRET go together"}},
		{"OIDC with only an issuer", nil, map[string]string{"OIDC_ISSUER": "https://id.example.com"},
			[]string{"OIDC_ISSUER, OIDC_KEY and OIDC_SECRET go together"}},
		{"OIDC without an issuer", nil, map[string]string{"OIDC_KEY": "k", "OIDC_SECRET": "s"},
			[]string{"go together: set all three"}},
		{"OIDC with an issuer that is not a URL", nil, map[string]string{"OIDC_ISSUER": "accounts", "OIDC_KEY": "k", "OIDC_SECRET": "s"},
			[]string{"OIDC_ISSUER \"accounts\" is not a URL"}},
		{"a sync interval that is not a duration", nil, map[string]string{"VENDO_SYNC_INTERVAL": "hourly"},
			[]string{"VENDO_SYNC_INTERVAL \"hourly\" is not a duration"}},
		{"a negative sync interval", nil, map[string]string{"VENDO_SYNC_INTERVAL": "-1h"},
			[]string{"is not a duration"}},
		{"an upload limit below 1MiB", nil, map[string]string{"VENDO_UPLOAD_LIMIT": "512KiB"},
			[]string{"VENDO_UPLOAD_LIMIT \"512KiB\" is not a size of at least 1MiB"}},
		{"an upload limit that is not a size", []string{"-upload-limit", "lots"}, nil,
			[]string{"-upload-limit \"lots\""}},
		{"a log level that does not exist", nil, map[string]string{"VENDO_LOG_LEVEL": "loud"},
			[]string{"VENDO_LOG_LEVEL \"loud\" is not a level"}},
		{"a log format that does not exist", nil, map[string]string{"VENDO_LOG_FORMAT": "xml"},
			[]string{"VENDO_LOG_FORMAT \"xml\" is not a format"}},
		{"several problems at once", nil,
			map[string]string{"VENDO_ADDR": "nowhere", "VENDO_SECRET": "short", "GITHUB_KEY": "gh", "SMTP_URL": "mail.example.com", "STRIPE_SECRET_KEY": "sk_test_x"},
			[]string{"VENDO_ADDR \"nowhere\"", "VENDO_SECRET is too short", "STRIPE_WEBHOOK_SECRET is not", "SMTP_URL", "GITHUB_KEY and GITHUB_SECRET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(tt.args, env(tt.env))
			if err == nil {
				t.Fatalf("Load accepted it: %+v", c)
			}
			if c != nil {
				t.Errorf("Load returned a config with its error")
			}
			var p *config.Problems
			if !errors.As(err, &p) {
				t.Fatalf("error is %T (%v), want *config.Problems", err, err)
			}
			if len(p.List) != len(tt.phrases) {
				t.Fatalf("%d problems, want %d:\n%v", len(p.List), len(tt.phrases), err)
			}
			for i, phrase := range tt.phrases {
				if !strings.Contains(p.List[i].Error(), phrase) {
					t.Errorf("problem %d = %q, want it to say %q", i+1, p.List[i], phrase)
				}
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "Vendo cannot start because of its settings:") {
				t.Errorf("message does not open with the heading: %q", msg)
			}
			if n := strings.Count(msg, "\n  - "); n != len(tt.phrases) {
				t.Errorf("message lists %d problems, want %d: %q", n, len(tt.phrases), msg)
			}
			for _, prob := range p.List {
				if !strings.HasSuffix(prob.Error(), ".") && !strings.HasSuffix(prob.Error(), ")") {
					t.Errorf("problem is not a sentence: %q", prob)
				}
				if !errors.Is(err, prob) {
					t.Errorf("errors.Is cannot see %q", prob)
				}
			}
		})
	}
}

func TestLoadRefusesStrayArgumentsAndUnknownFlags(t *testing.T) {
	for _, args := range [][]string{{"serve"}, {"-nope"}, {"-addr"}} {
		_, err := config.Load(args, env(nil))
		if err == nil {
			t.Errorf("Load(%q) accepted it", args)
			continue
		}
		var p *config.Problems
		if errors.As(err, &p) {
			t.Errorf("Load(%q) = a settings problem, want a usage error: %v", args, err)
		}
	}
	_, err := config.Load([]string{"serve"}, env(nil))
	if err == nil || !strings.Contains(err.Error(), `unexpected argument "serve"`) {
		t.Errorf("stray argument: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512MiB", 512 << 20, true},
		{"2GiB", 2 << 30, true},
		{"3KiB", 3 << 10, true},
		{"10MB", 10_000_000, true},
		{"1GB", 1_000_000_000, true},
		{"5KB", 5000, true},
		{"7B", 7, true},
		{"1048576", 1 << 20, true},
		{"0", 0, true},
		{" 3 KiB ", 3 << 10, true},
		{"", 0, false},
		{"MiB", 0, false},
		{"-1", 0, false},
		{"-1MiB", 0, false},
		{"1.5GiB", 0, false},
		{"lots", 0, false},
		{"12mib", 0, false},
		{"12TiB", 0, false},
		{"9223372036854775807GiB", 0, false}, // would overflow int64
		{"9007199254740992KiB", 0, false},
		{"17179869185GiB", 0, false}, // 2^34+1 GiB wraps around to exactly 1GiB
		{"9223372036854775807", 1<<63 - 1, true},
	}
	for _, tt := range tests {
		got, err := config.ParseSize(tt.in)
		if tt.ok && (err != nil || got != tt.want) {
			t.Errorf("ParseSize(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
		}
		if !tt.ok && err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", tt.in, got)
		}
	}
}

func TestAProblemNamesTheFlagOrVariableTheUserSet(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // the one problem
	}{
		{"the address flag", []string{"-addr", "nonsense"}, nil, `-addr "nonsense" is not a listen address`},
		{"the address flag with two dashes", []string{"--addr", "nonsense"}, nil, `--addr "nonsense" is not a listen address`},
		{"the address flag with =", []string{"--addr=nonsense"}, nil, `--addr "nonsense" is not a listen address`},
		{"the flag beats a good variable", []string{"-addr", "nonsense"}, map[string]string{"VENDO_ADDR": "127.0.0.1:1"}, `-addr "nonsense"`},
		{"the variable when no flag is given", nil, map[string]string{"VENDO_ADDR": "nonsense"}, `VENDO_ADDR "nonsense" is not a listen address`},
		{"the port of the flag", []string{"-addr", "127.0.0.1:99999"}, nil, `-addr "127.0.0.1:99999" has no valid port`},
		{"the base URL flag", []string{"-base-url", "ftp://shop.example.com"}, nil, `-base-url "ftp://shop.example.com" is not a site address`},
		{"the sync flag", []string{"-sync-interval", "hourly"}, nil, `-sync-interval "hourly" is not a duration`},
		{"the log level flag", []string{"-log-level", "loud"}, nil, `-log-level "loud" is not a level`},
		{"the log format flag", []string{"-log-format", "xml"}, nil, `-log-format "xml" is not a format`},
		{"the dev switch", []string{"-dev=maybe"}, nil, `-dev "maybe" is not on or off`},
		{"the dev variable", nil, map[string]string{"VENDO_DEV": "yes"}, `VENDO_DEV "yes" is not on or off`},
		{"a rule between a variable and a flag", []string{"-base-url", "http://shop.example.com"},
			map[string]string{"STRIPE_SECRET_KEY": "sk_live_abc", "STRIPE_WEBHOOK_SECRET": "whsec_abc"},
			`STRIPE_SECRET_KEY is a live key but -base-url is "http://shop.example.com": live payments need https, so set -base-url to your https address.`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(tt.args, env(tt.env))
			wantProblems(t, err, tt.want)
			if len(tt.args) > 0 && tt.env == nil && strings.Contains(err.Error(), "VENDO_") {
				t.Errorf("a flag's problem blames a variable the user did not set: %q", err)
			}
		})
	}
}

func TestEachBadItemOfAListIsItsOwnProblem(t *testing.T) {
	_, err := config.Load(nil, env(map[string]string{
		"VENDO_ADMIN_EMAILS":    "ada@example.com,bob,carol",
		"VENDO_TRUSTED_PROXIES": "10.0.0.0/8,proxy.local",
	}))
	wantProblems(t, err, `VENDO_ADMIN_EMAILS contains "bob"`, `VENDO_ADMIN_EMAILS contains "carol"`, `VENDO_TRUSTED_PROXIES contains "proxy.local"`)
}

func TestValidateChecksTheRulesBetweenSettings(t *testing.T) {
	ok := &config.Config{StripeSecretKey: "sk_test_abc", StripeWebhookSecret: "whsec_abc", GitHubKey: "gh", GitHubSecret: "ghs"}
	if err := ok.Validate(); err != nil {
		t.Errorf("a key with its webhook secret: %v", err)
	}
	bad := &config.Config{StripeSecretKey: "sk_live_abc", BaseURL: "http://shop.example.com", GoogleKey: "g"}
	err := bad.Validate()
	wantProblems(t, err, "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is not", "STRIPE_SECRET_KEY is a live key", "GOOGLE_KEY and GOOGLE_SECRET go together")
}

// wantProblems checks that err lists exactly the problems that start with
// want, in order.
func wantProblems(t *testing.T, err error, want ...string) {
	t.Helper()
	var p *config.Problems
	if !errors.As(err, &p) {
		t.Fatalf("error is %T (%v), want *config.Problems", err, err)
	}
	if len(p.List) != len(want) {
		t.Fatalf("problems = %q, want %d", p.List, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(p.List[i].Error(), w) {
			t.Errorf("problem %d = %q, want %q", i+1, p.List[i], w)
		}
	}
}

func TestTheTableHasOneRowPerSettingAndFlag(t *testing.T) {
	envs, flags := map[string]bool{}, map[string]bool{}
	for _, s := range config.Settings() {
		if s.Env == "" || envs[s.Env] {
			t.Errorf("variable %q is empty or repeated", s.Env)
		}
		envs[s.Env] = true
		if s.Flag != "" {
			if flags[s.Flag] {
				t.Errorf("flag -%s is repeated", s.Flag)
			}
			flags[s.Flag] = true
			if !s.Bool && s.Arg == "" {
				t.Errorf("flag -%s does not say what it takes", s.Flag)
			}
		}
		if s.Help == "" {
			t.Errorf("%s has no help", s.Env)
		}
	}
}

func TestPrintFlagsListsEveryFlagOnceWithItsVariableAndDefault(t *testing.T) {
	var b strings.Builder
	config.PrintFlags(&b)
	out := b.String()
	for _, s := range config.Settings() {
		switch {
		case s.Flag != "":
			line := lineWith(out, "  -"+s.Flag+" ")
			if n := strings.Count(out, "  -"+s.Flag+" "); n != 1 {
				t.Errorf("-%s is listed %d times:\n%s", s.Flag, n, out)
			}
			if !strings.Contains(line, s.Env) || !strings.Contains(line, "default "+s.DefaultDoc()) {
				t.Errorf("the line of -%s lacks %s or its default %q: %q", s.Flag, s.Env, s.DefaultDoc(), line)
			}
		case s.Hidden:
			if strings.Contains(out, s.Env) {
				t.Errorf("the test-only %s is in the help", s.Env)
			}
		default:
			if n := strings.Count(out, "  "+s.Env+" "); n != 1 {
				t.Errorf("%s is listed %d times:\n%s", s.Env, n, out)
			}
		}
	}
}

// lineWith is the line of out that contains s.
func lineWith(out, s string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	return ""
}
