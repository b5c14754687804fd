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

	"vendo/app"
	"vendo/app/auth"
	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/demo"
	"vendo/app/mail"
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

// Server is a running Vendo. Its exported fields are the services Open
// built, each once: the commands and the tests reach them here.
type Server struct {
	Config *config.Config
	Store  *store.Store
	Files  *blobs.Dir
	Stripe *stripeapi.Client
	// Sandbox is the offline Stripe stand-in, nil in Stripe mode.
	Sandbox *sandbox.Sandbox
	Ledger  *webhook.Ledger
	Shop    *shop.Shop
	// Auth signs people in; Mail is the outbox and its worker.
	Auth *auth.Service
	Mail *mail.Mailer
	Web  *web.Server

	log    *slog.Logger
	ln     net.Listener
	syncer *webhook.Syncer
	index  *search.Index
	// secret signs links and sessions: VENDO_SECRET, or data/secret made
	// at the first start.
	secret string
	// console is where the first-start admin link is printed.
	console io.Writer
	bg      sync.WaitGroup // background goroutines to wait for at shutdown
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
	// Console receives the first-start admin link; os.Stderr when nil.
	Console io.Writer
}

// Open prepares everything: the listener (so the sandbox and the Stripe
// client know the real address), store, files, demo data, payments and the
// web app. A failure here is a start-up failure with a clear message.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger, opts Options) (*Server, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create the data directory %s: %w (set VENDO_DATA or -data to a writable directory)", cfg.DataDir, err)
	}
	s := &Server{Config: cfg, log: log, console: opts.Console}
	if s.console == nil {
		s.console = os.Stderr
	}
	st, err := store.Open(cfg.DBPath(), store.Options{LockTimeout: 2 * time.Second, Now: opts.Now, OnCatalogChange: s.catalogChanged})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("another Vendo is already running with the data directory %s (its database %s is locked): stop it first, or start this one with a different -data directory", cfg.DataDir, cfg.DBPath())
		}
		return nil, fmt.Errorf("cannot open the database: %w", err)
	}
	s.Store = st
	ok := false
	defer func() {
		if !ok {
			s.closeAll()
		}
	}()
	ln := opts.Listener
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
	if s.Files, err = blobs.Open(cfg.FilesDir()); err != nil {
		return nil, err
	}
	if cfg.SandboxMode() {
		seeded, err := demo.Seed(ctx, st, s.Files)
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
	receiver := &webhook.Receiver{Ledger: s.Ledger, Secret: s.webhookSecret(), Log: log.With("component", "webhook")}
	s.Web, err = web.New(web.Deps{Config: cfg, Store: st, Log: log, Views: viewsFS, Static: staticFS, Files: s.Files,
		Auth: s.Auth, Shop: s.Shop, Search: s.index, Webhook: receiver.Handle, Mount: s.mountSandbox, SandboxKey: s.sandboxKey(),
		Replay: s.replayEvent, Backup: s.backupTo})
	if err != nil {
		return nil, err
	}
	ok = true
	return s, nil
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

// startBackground starts the periodic work: reconciliation with Stripe and
// the sandbox's webhook delivery.
func (s *Server) startBackground(ctx context.Context) {
	if s.Sandbox != nil {
		s.Sandbox.Start(ctx)
	}
	s.bg.Add(1)
	go func() { defer s.bg.Done(); s.syncer.Every(ctx, s.Config.SyncInterval) }()
	s.startAccounts(ctx)
}

// Close releases everything without serving (commands and tests).
func (s *Server) Close() error { return s.closeAll() }

func (s *Server) closeAll() error {
	if s.ln != nil {
		s.ln.Close()
	}
	if s.Sandbox != nil {
		if err := s.Sandbox.Close(); err != nil {
			s.log.Warn("close sandbox", "err", err)
		}
	}
	return s.Store.Close()
}

func getenvBaseURLUnset(cfg *config.Config) bool {
	return cfg.BaseURL == "" || strings.HasSuffix(cfg.BaseURL, ":0")
}
