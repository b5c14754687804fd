// Package server is Vendo's composition root: Open builds the shop top to
// bottom (storage, services, event handlers, routes) and Serve runs it
// until the context ends, then shuts down gracefully. The commands (sync,
// backup, admin-link) and the control socket live here too.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"vendo/app"
	"vendo/app/auth"
	"vendo/app/backup"
	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/demo"
	"vendo/app/hooks"
	"vendo/app/mail"
	"vendo/app/redact"
	"vendo/app/s3files"
	"vendo/app/sandbox"
	"vendo/app/search"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/web"
	"vendo/app/webhook"
	"vendo/static"
	"vendo/views"
)

// The implementations wired here satisfy the interfaces their users
// declare; the compiler checks it here, where both sides are in view.
var (
	_ shop.Payments      = (*stripeapi.Client)(nil)
	_ shop.Mailer        = (*mail.Mailer)(nil)
	_ shop.Files         = (*blobs.Dir)(nil)
	_ shop.Files         = (*s3files.Bucket)(nil)
	_ web.FileOpener     = (*s3files.Bucket)(nil)
	_ auth.Mailer        = (*mail.Mailer)(nil)
	_ webhook.Lister     = (*stripeapi.Client)(nil)
	_ demo.Blobs         = (*blobs.Dir)(nil)
	_ demo.Blobs         = (*s3files.Bucket)(nil)
	_ backup.Snapshotter = (*store.Store)(nil)
)

// Server is a running Vendo. Its exported fields are the services Open
// built, each once: the commands and the tests reach them here.
type Server struct {
	Config *config.Config
	Store  *store.Store
	// Files holds product files and covers: data/files/, or the bucket
	// VENDO_FILES_URL names.
	Files  blobs.Store
	Stripe *stripeapi.Client
	// Sandbox is the offline Stripe stand-in, nil in Stripe mode.
	Sandbox *sandbox.Sandbox
	Ledger  *webhook.Ledger
	Shop    *shop.Shop
	// Auth signs people in; Mail is the outbox and its worker.
	Auth *auth.Service
	Mail *mail.Mailer
	// Hooks sends the outgoing webhooks to the merchant's endpoints; a
	// test may set it to nil in vendotest's Setup to drive its own.
	Hooks *hooks.Sender
	Web   *web.Server

	log    *slog.Logger
	ln     net.Listener
	syncer *webhook.Syncer
	index  *search.Index
	// catalogMu serialises catalogChanged, so the index and the page
	// cache follow the commits one at a time.
	catalogMu sync.Mutex
	indexing  sync.WaitGroup // the start-up build of the index
	// secret signs links and sessions: VENDO_SECRET, or data/secret made
	// at the first start.
	secret string
	// console is where the first-start admin link is printed, and, on a
	// shop at a loopback address without SMTP, unsent mail.
	console io.Writer
	bg      sync.WaitGroup // background goroutines to wait for at shutdown
	noSync  bool           // Options.NoSync, for the sandbox's database too
}

// Options are what a caller supplies beyond the settings. The zero value
// is what `vendo` uses.
type Options struct {
	// Listener, when set, is served instead of listening on cfg.Addr (a
	// caller that listened on port 0 first, to know the address).
	Listener net.Listener
	// Now is the store's clock (sessions, links, rate limits); time.Now
	// when nil.
	Now func() time.Time
	// Console receives the first-start admin link and, on a shop at a
	// loopback address without SMTP, unsent mail; os.Stderr when nil.
	Console io.Writer
	// NoSync skips fsync on the shop's and its sandbox's databases. Only
	// for in-process tests: their data never has to outlive the machine
	// (a process that dies loses nothing bbolt wrote; only a power cut
	// does), and under -race the fsyncs were a fifth of a shop test's CPU.
	// The shipped binary always syncs.
	NoSync bool
}

// Open builds the shop, top to bottom: it opens the storage (database,
// listener, files), builds each service once from those before it,
// registers the shop's handlers for Stripe's events, and mounts the
// routes. A failure here is a start-up failure with a clear message, and
// what was opened is closed again.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger, opts Options) (_ *Server, err error) {
	// Every line any part of the shop logs has its links' tokens blanked
	// (issue 17, hole 11): the log is read by more people, and kept
	// longer, than the links are meant to be.
	log = slog.New(redact.Handler(log.Handler()))
	s := &Server{Config: cfg, log: log, console: opts.Console, noSync: opts.NoSync}
	if s.console == nil {
		s.console = os.Stderr
	}
	defer func() {
		if err != nil {
			s.closeAll()
		}
	}()

	// 1. Storage. The listener comes before the services: its real address
	// is the base URL of a shop on port 0, and the sandbox and the Stripe
	// client reach this process through it.
	if s.Store, err = openStore(cfg, opts.Now, opts.NoSync, s.catalogChanged); err != nil {
		return nil, err
	}
	if s.ln, err = listen(cfg, opts.Listener); err != nil {
		return nil, err
	}
	if s.Files, err = OpenFiles(ctx, cfg); err != nil {
		return nil, err
	}
	if cfg.SandboxMode() {
		if err := seedDemo(ctx, s.Store, s.Files, log); err != nil {
			return nil, err
		}
	}

	// 2. Services, each built once.
	viewsFS, staticFS := assets(cfg)
	if s.secret, err = auth.LoadSecret(cfg.DataDir, cfg.Secret); err != nil {
		return nil, err
	}
	if cfg.SandboxMode() {
		if s.Sandbox, err = s.openSandbox(); err != nil {
			return nil, err
		}
	}
	s.Stripe = s.stripeClient()
	s.Ledger = webhook.NewLedger(s.Store, log.With("component", "ledger"))
	s.syncer = &webhook.Syncer{Ledger: s.Ledger, Stripe: s.Stripe, Store: s.Store, Log: log.With("component", "sync")}
	mc := mail.Config{Store: s.Store, Log: log, Views: viewsFS, BaseURL: cfg.BaseURL, SMTPURL: cfg.SMTPURL}
	if cfg.LoopbackBaseURL() {
		mc.Console = s.console // a developer's shop: unsent mail shown on the terminal
	}
	if s.Mail, err = mail.New(mc); err != nil {
		return nil, err
	}
	s.Hooks = hooks.New(hooks.Config{Store: s.Store, Log: log})
	s.Auth = auth.New(auth.Deps{Store: s.Store, Config: cfg, Mail: s.Mail, Secret: s.secret, Log: log})
	s.Shop = &shop.Shop{
		Store: s.Store, Stripe: s.Stripe, Mail: s.Mail, Files: s.Files,
		Signer:  shop.NewSigner(auth.DeriveKey(s.secret, "downloads")),
		BaseURL: cfg.BaseURL, Log: log.With("component", "shop"), AdminEmails: cfg.AdminEmails,
	}
	// Links that carry a secret never rest in the outbox: it keeps
	// references, made links again as each message is sent.
	s.Mail.SecretLinks(auth.EmailLinkPath, s.Auth.SignEmailRef)
	s.Mail.SecretLinks(auth.FreeLinkPath, s.Auth.SignFreeRef)
	s.Mail.SecretLinks(shop.DownloadPath, s.Shop.Signer.SignRef)
	if s.Sandbox != nil {
		// Billing periods live on the sandbox's test clock: the credit rule
		// (DESIGN.md §5 rule 6) must compare them with the same clock.
		s.Shop.Now = s.Sandbox.Now
	}
	s.index = search.NewReading(s.productTexts)
	s.index.Building() // built once the routes are up, searches waiting for it

	// 3. Events: the ledger hands each Stripe event type the shop acts on
	// to its handler (DESIGN.md §5 rules 2–7).
	s.Shop.RegisterEvents(s.Ledger)

	// 4. Routes: the web app, with the webhook receiver and, in sandbox
	// mode, the sandbox's API and pages.
	receiver := &webhook.Receiver{Ledger: s.Ledger, Secret: s.webhookSecret(), Log: log.With("component", "webhook")}
	s.Web, err = web.New(web.Deps{Config: cfg, Store: s.Store, Log: log, Views: viewsFS, Static: staticFS, Files: s.Files,
		Auth: s.Auth, Shop: s.Shop, Search: s.index, Webhook: receiver.Handle, Mount: s.mountSandbox, SandboxKey: s.sandboxKey(),
		Replay: s.replayEvent, Backup: s.backupTo, Mail: s.Mail})
	if err != nil {
		return nil, err
	}
	s.buildIndex(context.WithoutCancel(ctx))
	return s, nil
}

// openStore opens the database in the data directory, saying what to do
// when that fails.
func openStore(cfg *config.Config, now func() time.Time, noSync bool, onCatalogChange func(store.CatalogChange)) (*store.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create the data directory %s: %w (set VENDO_DATA or -data to a writable directory)", cfg.DataDir, err)
	}
	st, err := store.Open(cfg.DBPath(), store.Options{LockTimeout: 2 * time.Second, Now: now, NoSync: noSync, OnCatalogChange: onCatalogChange})
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("another Vendo is already running with the data directory %s (its database %s is locked): stop it first, or start this one with a different -data directory", cfg.DataDir, cfg.DBPath())
	}
	if err != nil {
		return nil, fmt.Errorf("cannot open the database: %w", err)
	}
	return st, nil
}

// OpenFiles opens where product files and covers live: data/files/, or
// the bucket VENDO_FILES_URL names, checked before the shop starts (each
// problem one sentence). data/files/ is made in both cases: backups stage
// the database snapshot in its tmp/, and it is what `vendo files migrate`
// copies from.
func OpenFiles(ctx context.Context, cfg *config.Config) (blobs.Store, error) {
	dir, err := blobs.Open(cfg.FilesDir())
	if err != nil {
		return nil, err
	}
	if cfg.FilesBucket == nil {
		return dir, nil
	}
	return openBucket(ctx, cfg.FilesBucket)
}

// openBucket connects to the bucket and checks it can be used.
func openBucket(ctx context.Context, b *config.Bucket) (*s3files.Bucket, error) {
	bucket, err := s3files.Open(ctx, *b)
	if err != nil {
		return nil, fmt.Errorf("VENDO_FILES_URL: %w", err)
	}
	return bucket, nil
}

// listen returns ln, or listens on cfg.Addr. On port 0 (tests) the base
// URL becomes the real address.
func listen(cfg *config.Config, ln net.Listener) (net.Listener, error) {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("cannot listen on %s: %w (set VENDO_ADDR or -addr to a free address)", cfg.Addr, err)
		}
	}
	if _, port, _ := net.SplitHostPort(cfg.Addr); port == "0" && getenvBaseURLUnset(cfg) {
		cfg.BaseURL = "http://" + ln.Addr().String()
	}
	return ln, nil
}

// seedDemo fills a new sandbox-mode shop with the demo catalog, once.
func seedDemo(ctx context.Context, st *store.Store, files demo.Blobs, log *slog.Logger) error {
	seeded, err := demo.Seed(ctx, st, files)
	if err != nil {
		return fmt.Errorf("seed the demo catalog: %w", err)
	}
	if seeded {
		log.Info("seeded the demo catalog (sandbox mode)")
	}
	return nil
}

// assets are the templates and static files: embedded in the binary, or
// read from disk with -dev.
func assets(cfg *config.Config) (viewsFS, staticFS fs.FS) {
	if cfg.Dev {
		return os.DirFS("views"), os.DirFS("static")
	}
	return views.FS, static.FS
}

// Serve serves until ctx ends; then in-flight requests get ShutdownTimeout
// to finish, background work stops and the database is closed.
func (s *Server) Serve(ctx context.Context) error {
	ln := s.ln
	mode := "stripe"
	if s.Config.SandboxMode() {
		mode = "sandbox"
	}
	s.log.Info("Vendo is running", "url", s.Config.BaseURL, "addr", ln.Addr().String(), "mode", mode, "data", s.Config.DataDir, "version", app.Version)
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	stopControl, err := s.serveControl(bg)
	if err != nil {
		s.log.Warn("control socket unavailable: `vendo sync` and `vendo backup` need the shop stopped", "err", err)
		stopControl = func() {}
	}
	s.startBackground(bg)

	errc := make(chan error, 1)
	go func() { errc <- s.Web.App().Listener(ln) }()
	select {
	case err := <-errc:
		stopControl()
		stopBG()
		s.bg.Wait()
		s.closeAll()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests")
	stopControl()
	if err := s.Web.App().ShutdownWithTimeout(s.Config.ShutdownTimeout); err != nil {
		s.log.Warn("shutdown", "err", err)
	}
	stopBG()
	s.bg.Wait()
	if err := s.closeAll(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	s.log.Info("stopped cleanly")
	return nil
}

// reminderSweepEvery is how often due renewal reminders are looked for
// (they are a matter of days; a sandbox clock moved forward is noticed
// within this).
const reminderSweepEvery = 10 * time.Minute

// startBackground starts the periodic work: reconciliation with Stripe and
// the sandbox's webhook delivery.
func (s *Server) startBackground(ctx context.Context) {
	if s.Sandbox != nil {
		s.Sandbox.Start(ctx)
	}
	s.bg.Add(1)
	go func() { defer s.bg.Done(); s.syncer.Every(ctx, s.Config.SyncInterval) }()
	s.bg.Add(1)
	go func() { defer s.bg.Done(); s.Shop.RunRenewalReminders(ctx, reminderSweepEvery) }()
	if s.Hooks != nil {
		s.bg.Add(1)
		go func() { defer s.bg.Done(); s.Hooks.Run(ctx) }()
	}
	s.startAccounts(ctx)
}

// Close releases everything without serving (commands and tests).
func (s *Server) Close() error { return s.closeAll() }

func (s *Server) closeAll() error {
	if s.ln != nil {
		s.ln.Close()
	}
	s.indexing.Wait() // it reads the store
	if s.Sandbox != nil {
		if err := s.Sandbox.Close(); err != nil {
			s.log.Warn("close sandbox", "err", err)
		}
	}
	if s.Store == nil {
		return nil // Open failed before the database opened
	}
	return s.Store.Close()
}

func getenvBaseURLUnset(cfg *config.Config) bool {
	return cfg.BaseURL == "" || strings.HasSuffix(cfg.BaseURL, ":0")
}
