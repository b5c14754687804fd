// Package vendotest starts a whole Vendo for a test, the way PocketBase's
// tests.NewTestApp does: the real server.Open on a temp data directory,
// served on 127.0.0.1 port 0, with browsers that keep cookies and CSRF
// tokens. It is the one way a test starts a shop (STYLE.md habit 16).
//
// A test that needs Stripe mode starts two shops: the first in sandbox
// mode, the second with Options.StripeFrom set to the first, so the
// second's Stripe client talks to the first's /sandbox/stripe.
package vendotest

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"vendo/app/config"
	"vendo/app/mail/mailtest"
	"vendo/app/server"
)

// Options change the shop Start runs; the zero value is a sandbox-mode
// shop with the demo catalog on a new temp directory (copied from one
// seeded once per test process; see demo.go).
type Options struct {
	// Env holds settings by their environment name (VENDO_ADMIN_EMAILS,
	// VENDO_UPLOAD_LIMIT, OIDC_ISSUER…). The process's own environment is
	// never read, so a developer's STRIPE_SECRET_KEY cannot leak in.
	Env map[string]string
	// Args are command-line flags, read after the ones Start sets.
	Args []string
	// DataDir is the data directory, a new temp directory when empty. Two
	// shops started on one directory, one after the other, are the same
	// shop restarted.
	DataDir string
	// StripeFrom runs this shop in Stripe mode with that shop's sandbox as
	// its Stripe (STRIPE_API_BASE is StripeFrom's /sandbox/stripe and the
	// webhook secret is the sandbox's).
	StripeFrom *Shop
	// Now is the store's clock (sessions, sign-in links, rate limits);
	// time.Now when nil. A Clock can be moved by the test.
	Now func() time.Time
	// SMTP starts a real SMTP server and points SMTP_URL at it; what it
	// receives is in Shop.Inbox. Without it mail stays in the outbox.
	SMTP bool
	// NoBackground serves the pages and the sandbox's API but starts no
	// background work: the sandbox delivers no webhooks, the outbox is not
	// sent, nothing is reconciled, no admin link is printed.
	NoBackground bool
	// Setup runs after the shop is opened and before it serves: the place
	// to wrap a service (Server.Shop.Stripe) or set a test knob.
	Setup func(*server.Server)
	// Debug logs at debug level (every request), as VENDO_LOG_LEVEL=debug
	// does; Info and above otherwise.
	Debug bool
	// Level, when set, is the log's level instead, which the test may
	// move while the shop runs (in-process shops only).
	Level *slog.LevelVar
}

// Shop is a running Vendo. The embedded Server's fields are its services
// (Store, Sandbox, Shop, Auth, Mail, Ledger, Files, Web, Config).
type Shop struct {
	*server.Server
	// URL is the base URL, http://127.0.0.1:port, also VENDO_BASE_URL.
	URL string
	// Dir is the data directory.
	Dir string
	// Admin and Customer are two signed-out browsers; SignInAdmin and
	// SignIn sign them in.
	Admin, Customer *Client
	// Inbox receives the shop's mail when Options.SMTP is set.
	Inbox *mailtest.Server
	// Console is what the shop printed for its operator (the first-start
	// admin link); Log is its log, shown when the test fails.
	Console, Log *Buffer

	t        testing.TB
	stopOnce sync.Once
	stop     func()
}

// Start opens a shop and serves it until the test ends (or Stop).
func Start(t testing.TB, opts Options) *Shop {
	t.Helper()
	dir := opts.DataDir
	if dir == "" {
		dir = t.TempDir()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Shop{URL: "http://" + ln.Addr().String(), Dir: dir, Console: &Buffer{}, Log: &Buffer{}, t: t}
	env := map[string]string{"VENDO_BASE_URL": s.URL, "VENDO_SYNC_INTERVAL": "0"}
	if from := opts.StripeFrom; from != nil {
		if from.Sandbox == nil {
			t.Fatal("vendotest: StripeFrom must be a shop in sandbox mode")
		}
		env["STRIPE_SECRET_KEY"] = from.Sandbox.SecretKey() // the only key its API takes
		env["STRIPE_WEBHOOK_SECRET"] = from.Sandbox.WebhookSecret()
		env["STRIPE_API_BASE"] = from.URL + "/sandbox/stripe"
	}
	if opts.SMTP {
		s.Inbox = mailtest.Start(t)
		env["SMTP_URL"] = s.Inbox.URL
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	args := append([]string{"-data", dir, "-addr", ln.Addr().String()}, opts.Args...)
	cfg, err := config.Load(args, func(k string) string { return env[k] })
	if err != nil {
		ln.Close()
		t.Fatalf("vendotest: settings: %v", err)
	}
	// The copy's files are on disk: a shop with its files in a bucket
	// seeds the demo into the bucket itself.
	if opts.DataDir == "" && cfg.SandboxMode() && cfg.FilesBucket == nil {
		copyDemo(t, cfg)
	}
	level := slog.LevelInfo
	if opts.Debug {
		level = slog.LevelDebug
	}
	var leveler slog.Leveler = level
	if opts.Level != nil {
		leveler = opts.Level
	}
	log := slog.New(slog.NewTextHandler(s.Log, &slog.HandlerOptions{Level: leveler}))
	// NoSync: a test's shop never has to outlive the machine, and the
	// fsyncs were a fifth of a shop test's CPU under -race (the binary
	// that e2e and Exec run always syncs).
	srv, err := server.Open(context.Background(), cfg, log, server.Options{Listener: ln, Now: opts.Now, Console: s.Console, NoSync: true})
	if err != nil {
		ln.Close()
		t.Fatalf("vendotest: open the shop: %v", err)
	}
	s.Server = srv
	if opts.Setup != nil {
		opts.Setup(srv)
	}
	if opts.NoBackground {
		go srv.Web.App().Listener(ln)
		s.stop = func() {
			if err := srv.Web.App().ShutdownWithTimeout(5 * time.Second); err != nil {
				t.Errorf("vendotest: shut down: %v", err)
			}
			srv.Close()
		}
	} else {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx) }()
		s.stop = func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("vendotest: serve: %v", err)
				}
			case <-time.After(20 * time.Second):
				t.Error("vendotest: the shop did not stop within 20s")
			}
		}
	}
	t.Cleanup(s.Stop)
	s.Admin, s.Customer = s.NewClient(), s.NewClient()
	return s
}

// Stop shuts the shop down gracefully (as SIGINT does) and waits for it:
// the database is closed, so another shop may start on Dir. The test's
// cleanup calls it too; a second call does nothing.
func (s *Shop) Stop() {
	s.stopOnce.Do(func() {
		s.stop()
		if s.t.Failed() {
			log := s.Log.String()
			if len(log) > 16<<10 {
				log = "…" + log[len(log)-16<<10:]
			}
			s.t.Logf("the shop at %s logged:\n%s", s.URL, log)
		}
	})
}

// Buffer collects what a running shop writes, safe to read meanwhile.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// Len is how many bytes were written so far: a mark to read after.
func (b *Buffer) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Len()
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Clock is a settable clock for Options.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock is a clock that starts at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
