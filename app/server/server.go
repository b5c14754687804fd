// Package server wires Vendo together: it opens the store, prepares files,
// starts the sandbox in sandbox mode, builds the web app and runs it until
// the context ends, then shuts down gracefully.
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

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/auth"
	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/demo"
	"vendo/app/mail"
	"vendo/app/search"
	"vendo/app/shop"
	"vendo/app/store"
	"vendo/app/stripeapi"
	"vendo/app/web"
	"vendo/app/webhook"
	"vendo/static"
	"vendo/views"
)

// Server is a running Vendo.
type Server struct {
	cfg    *config.Config
	log    *slog.Logger
	store  *store.Store
	files  *blobs.Dir
	web    *web.Server
	ln     net.Listener
	stripe *stripeapi.Client
	// sandbox is the offline Stripe stand-in, nil in Stripe mode.
	sandbox sandboxService
	ledger  *webhook.Ledger
	syncer  *webhook.Syncer
	shop    *shop.Shop
	index   *search.Index

	// Accounts (accounts.go): the signing secret from data/secret or
	// VENDO_SECRET, sign-in, the outbox, and where the first-start admin
	// link is printed.
	secret  string
	auth    *auth.Service
	mail    *mail.Mailer
	console io.Writer
	bg      sync.WaitGroup // background goroutines to wait for at shutdown
}

// Open prepares everything: the listener (so the sandbox and the Stripe
// client know the real address), store, files, demo data, payments and the
// web app. A failure here is a start-up failure with a clear message. ln
// may be nil to listen on cfg.Addr.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger, ln net.Listener) (*Server, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create the data directory %s: %w (set VENDO_DATA or -data to a writable directory)", cfg.DataDir, err)
	}
	s := &Server{cfg: cfg, log: log, console: os.Stderr}
	st, err := store.Open(cfg.DBPath(), store.Options{LockTimeout: 2 * time.Second, OnCatalogChange: s.catalogChanged})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("another Vendo is already running with the data directory %s (its database %s is locked): stop it first, or start this one with a different -data directory", cfg.DataDir, cfg.DBPath())
		}
		return nil, fmt.Errorf("cannot open the database: %w", err)
	}
	s.store = st
	ok := false
	defer func() {
		if !ok {
			s.closeAll()
		}
	}()
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("cannot listen on %s: %w (set VENDO_ADDR or -addr to a free address)", cfg.Addr, err)
		}
	}
	s.ln = ln
	if _, port, _ := net.SplitHostPort(cfg.Addr); port == "0" && getenvBaseURLUnset(cfg) {
		// Tests listen on port 0: the public address is the real one.
		cfg.BaseURL = "http://" + ln.Addr().String()
	}
	if s.files, err = blobs.Open(cfg.FilesDir()); err != nil {
		return nil, err
	}
	if cfg.SandboxMode() {
		seeded, err := demo.Seed(ctx, st, s.files)
		if err != nil {
			return nil, fmt.Errorf("seed the demo catalog: %w", err)
		}
		if seeded {
			log.Info("seeded the demo catalog (sandbox mode)")
		}
	}
	if err := s.openPayments(ctx); err != nil {
		return nil, err
	}
	viewsFS, staticFS := fs.FS(views.FS), fs.FS(static.FS)
	if cfg.Dev {
		viewsFS, staticFS = os.DirFS("views"), os.DirFS("static")
	}
	if err := s.openAccounts(viewsFS); err != nil {
		return nil, err
	}
	s.index = search.New()
	if err := s.reindex(ctx); err != nil {
		return nil, fmt.Errorf("build the search index: %w", err)
	}
	s.openShop()
	receiver := &webhook.Receiver{Ledger: s.ledger, Secret: s.webhookSecret(), Log: log.With("component", "webhook")}
	s.web, err = web.New(web.Deps{Config: cfg, Store: st, Log: log, Views: viewsFS, Static: staticFS, Files: s.files,
		Auth: s.auth, Shop: s.shop, Search: s.index, Webhook: receiver.Handle, Mount: s.mountSandbox,
		Replay: s.replayEvent, Backup: s.backupTo})
	if err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// App is the HTTP app, for tests that drive it in-process.
func (s *Server) App() *fiber.App { return s.web.App() }

// Store is the database, for tests and commands.
func (s *Server) Store() *store.Store { return s.store }

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Serve serves until ctx ends; then in-flight requests get ShutdownTimeout
// to finish, background work stops and the database is closed.
func (s *Server) Serve(ctx context.Context) error {
	ln := s.ln
	mode := "stripe"
	if s.cfg.SandboxMode() {
		mode = "sandbox"
	}
	s.log.Info("Vendo is running", "url", s.cfg.BaseURL, "addr", ln.Addr().String(), "mode", mode, "data", s.cfg.DataDir, "version", app.Version)
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	stopControl, err := s.serveControl(bg)
	if err != nil {
		s.log.Warn("control socket unavailable: `vendo sync` and `vendo backup` need the shop stopped", "err", err)
		stopControl = func() {}
	}
	s.startBackground(bg)

	errc := make(chan error, 1)
	go func() { errc <- s.web.App().Listener(ln) }()
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
	if err := s.web.App().ShutdownWithTimeout(s.cfg.ShutdownTimeout); err != nil {
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

// startBackground starts the periodic work: reconciliation with Stripe and
// the sandbox's webhook delivery.
func (s *Server) startBackground(ctx context.Context) {
	if s.sandbox != nil {
		s.sandbox.Start(ctx)
	}
	s.bg.Add(1)
	go func() { defer s.bg.Done(); s.syncer.Every(ctx, s.cfg.SyncInterval) }()
	s.startAccounts(ctx)
}

// Close releases everything without serving (commands and tests).
func (s *Server) Close() error { return s.closeAll() }

func (s *Server) closeAll() error {
	if s.ln != nil {
		s.ln.Close()
	}
	if s.sandbox != nil {
		if err := s.sandbox.Close(); err != nil {
			s.log.Warn("close sandbox", "err", err)
		}
	}
	return s.store.Close()
}

func getenvBaseURLUnset(cfg *config.Config) bool {
	return cfg.BaseURL == "" || strings.HasSuffix(cfg.BaseURL, ":0")
}
