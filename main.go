// Command vendo is a shop in one file: it serves the store, the admin and,
// without Stripe keys, an offline Stripe sandbox.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"vendo/app"
	"vendo/app/auth"
	"vendo/app/config"
	"vendo/app/server"
	"vendo/bench/baseline"
)

const usage = `Vendo — a shop in one file.

Usage:
  vendo [flags]             serve the shop
  vendo backup FILE         write a consistent backup (database and files)
  vendo sync                reconcile the database with Stripe
  vendo admin-link          print a one-time admin sign-in link
  vendo version             print the version

`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "version":
		fmt.Fprintf(stdout, "vendo %s\n", app.Version)
		return 0
	case "help":
		fmt.Fprint(stdout, usage)
		config.PrintFlags(stdout)
		return 0
	case "bench-baseline":
		// Hidden (not in help): the bare-Fiber yardstick of `make bench`.
		return baseline.Run(args, stdout, stderr)
	case "serve", "backup", "sync", "admin-link":
	default:
		fmt.Fprintf(stderr, "vendo: unknown command %q. Run `vendo help` for the commands.\n", cmd)
		return 2
	}

	var cmdArgs []string
	if cmd == "backup" {
		if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
			fmt.Fprintln(stderr, "vendo backup: name the file to write, like `vendo backup vendo-backup.tar.gz`.")
			return 2
		}
		cmdArgs, args = args[:1], args[1:]
	}
	cfg, err := config.Load(args, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	log := newLogger(cfg, stderr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "serve":
		srv, err := server.Open(ctx, cfg, log, nil)
		if err != nil {
			fmt.Fprintf(stderr, "vendo: %v\n", err)
			return 1
		}
		if err := srv.Serve(ctx); err != nil {
			fmt.Fprintf(stderr, "vendo: %v\n", err)
			return 1
		}
		return 0
	case "sync":
		bar := newProgressBar(stderr)
		summary, err := server.RunSync(ctx, cfg, log, bar.update)
		bar.finish()
		if err != nil {
			fmt.Fprintf(stderr, "vendo sync: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "Sync complete: %s\n", summary)
		return 0
	case "backup":
		n, err := server.RunBackup(ctx, cfg, cmdArgs[0])
		if err != nil {
			fmt.Fprintf(stderr, "vendo backup: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "Backup written to %s (%s). Restore by extracting it into an empty data directory.\n", cmdArgs[0], humanSize(n))
		return 0
	case "admin-link":
		// No database needed: the running shop holds its lock, and the
		// link is signed with the secret in the data directory.
		secret, err := auth.LoadSecret(cfg.DataDir, cfg.Secret)
		if err != nil {
			fmt.Fprintf(stderr, "vendo admin-link: %v\n", err)
			return 1
		}
		link, err := auth.NewAdminLink(secret, cfg.BaseURL, time.Now())
		if err != nil {
			fmt.Fprintf(stderr, "vendo admin-link: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "Open this link within %d minutes to sign in as the shop's owner. It works once.\n%s\n", int(auth.AdminLinkTTL.Minutes()), link)
		return 0
	default:
		fmt.Fprintf(stderr, "vendo %s: not yet available in this version.\n", cmd)
		return 1
	}
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
