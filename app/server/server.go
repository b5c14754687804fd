// Package server wires Vendo together: it opens the store, prepares files,
// starts the sandbox in sandbox mode, builds the web app and runs it until
// the context ends, then shuts down gracefully.
package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/demo"
	"vendo/app/store"
	"vendo/app/web"
	"vendo/static"
	"vendo/views"
)

// Server is a running Vendo.
type Server struct {
	cfg   *config.Config
	log   *slog.Logger
	store *store.Store
	files *blobs.Dir
	web   *web.Server
}

// Open prepares everything short of listening: store, files, demo data and
// the web app. A failure here is a start-up failure with a clear message.
func Open(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("cannot create the data directory %s: %w (set VENDO_DATA or -data to a writable directory)", cfg.DataDir, err)
	}
	st, err := store.Open(cfg.DBPath(), store.Options{LockTimeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, store.ErrLocked) {
			return nil, fmt.Errorf("another Vendo is already running with the data directory %s (its database %s is locked): stop it first, or start this one with a different -data directory", cfg.DataDir, cfg.DBPath())
		}
		return nil, fmt.Errorf("cannot open the database: %w", err)
	}
	s := &Server{cfg: cfg, log: log, store: st}
	ok := false
	defer func() {
		if !ok {
			st.Close()
		}
	}()
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
	viewsFS, staticFS := fs.FS(views.FS), fs.FS(static.FS)
	if cfg.Dev {
		viewsFS, staticFS = os.DirFS("views"), os.DirFS("static")
	}
	s.web, err = web.New(web.Deps{Config: cfg, Store: st, Log: log, Views: viewsFS, Static: staticFS, Files: s.files})
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

// Serve listens on cfg.Addr and serves until ctx ends; then in-flight
// requests get ShutdownTimeout to finish and the database is closed.
func (s *Server) Serve(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		s.store.Close()
		return fmt.Errorf("cannot listen on %s: %w (set VENDO_ADDR or -addr to a free address)", s.cfg.Addr, err)
	}
	return s.ServeListener(ctx, ln)
}

// ServeListener serves on an open listener (tests pass 127.0.0.1:0).
func (s *Server) ServeListener(ctx context.Context, ln net.Listener) error {
	mode := "stripe"
	if s.cfg.SandboxMode() {
		mode = "sandbox"
	}
	s.log.Info("Vendo is running", "url", s.cfg.BaseURL, "addr", ln.Addr().String(), "mode", mode, "data", s.cfg.DataDir, "version", app.Version)
	errc := make(chan error, 1)
	go func() { errc <- s.web.App().Listener(ln) }()
	select {
	case err := <-errc:
		s.store.Close()
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing in-flight requests")
	if err := s.web.App().ShutdownWithTimeout(s.cfg.ShutdownTimeout); err != nil {
		s.log.Warn("shutdown", "err", err)
	}
	if err := s.store.Close(); err != nil {
		return fmt.Errorf("close database: %w", err)
	}
	s.log.Info("stopped cleanly")
	return nil
}

// Close releases the store without serving (commands and tests).
func (s *Server) Close() error { return s.store.Close() }
