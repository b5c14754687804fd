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
	"slices"
	"syscall"
	"time"

	"vendo/app"
	"vendo/app/auth"
	backuparchive "vendo/app/backup"
	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/server"
)

const usage = `Vendo — a shop in one file.

Usage:
  vendo [flags]             serve the shop
  vendo backup FILE         write a consistent backup (database and files)
  vendo sync                reconcile the database with Stripe
  vendo files migrate       copy the product files from data/files/ to the bucket
                            VENDO_FILES_URL names (-back: from the bucket to data/files/)
  vendo admin-link          print a one-time admin sign-in link
  vendo version             print the version
  vendo help                print this help (so do -h and --help)

`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// A command runs with the loaded settings and says the exit code.
type command func(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout, stderr io.Writer) int

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if name == "help" || asksForHelp(args) {
		fmt.Fprint(stdout, usage)
		config.PrintFlags(stdout)
		return 0
	}

	var cmd command
	switch name {
	case "version":
		fmt.Fprintf(stdout, "vendo %s\n", app.Version)
		return 0
	case "serve":
		cmd = serve
	case "sync":
		cmd = syncShop
	case "admin-link":
		cmd = adminLink
	case "backup":
		if len(args) == 0 || args[0] == "" || args[0][0] == '-' {
			fmt.Fprintln(stderr, "vendo backup: name the file to write, like `vendo backup vendo-backup.tar.gz`.")
			return 2
		}
		cmd, args = backup(args[0]), args[1:]
	case "files":
		if len(args) == 0 || args[0] != "migrate" {
			fmt.Fprintln(stderr, "vendo files: the command is `vendo files migrate` (to the bucket) or `vendo files migrate -back` (to data/files/).")
			return 2
		}
		back := false
		args = slices.DeleteFunc(args[1:], func(a string) bool {
			if a == "-back" || a == "--back" {
				back = true
				return true
			}
			return false
		})
		cmd = migrateFiles(back)
	default:
		fmt.Fprintf(stderr, "vendo: unknown command %q. Run `vendo help` for the commands.\n", name)
		return 2
	}

	cfg, err := config.Load(args, getenv)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cmd(ctx, cfg, newLogger(cfg, stderr), stdout, stderr)
}

// asksForHelp reports whether a help flag comes before any "--".
func asksForHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--h", "--help":
			return true
		}
	}
	return false
}

func serve(ctx context.Context, cfg *config.Config, log *slog.Logger, _, stderr io.Writer) int {
	srv, err := server.Open(ctx, cfg, log, server.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "vendo: %v\n", err)
		return 1
	}
	if err := srv.Serve(ctx); err != nil {
		fmt.Fprintf(stderr, "vendo: %v\n", err)
		return 1
	}
	return 0
}

func syncShop(ctx context.Context, cfg *config.Config, log *slog.Logger, stdout, stderr io.Writer) int {
	bar := newProgressBar(stderr)
	summary, err := server.RunSync(ctx, cfg, log, bar.update)
	bar.finish()
	if err != nil {
		fmt.Fprintf(stderr, "vendo sync: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "Sync complete: %s\n", summary)
	return 0
}

// migrateFiles copies every product file between data/files/ and the
// bucket, checking each by its hash; run again, it copies only what is
// missing.
func migrateFiles(back bool) command {
	return func(ctx context.Context, cfg *config.Config, _ *slog.Logger, stdout, stderr io.Writer) int {
		bar := newProgressBar(stderr)
		last := int64(-1)
		p, err := server.MigrateFiles(ctx, cfg, back, func(p blobs.CopyProgress) {
			// In the largest unit the total has one of, redrawn once a
			// unit, not once a read (a small shop's bar counted 0/0 MiB).
			unit, shift := "B", 0
			for _, u := range []struct {
				name  string
				shift int
			}{{"GiB", 30}, {"MiB", 20}, {"KiB", 10}} {
				if p.TotalBytes >= 1<<u.shift {
					unit, shift = u.name, u.shift
					break
				}
			}
			if n := p.Bytes >> shift; n != last || p.Files == p.TotalFiles {
				last = n
				bar.update(unit+" copied", int(n), int(p.TotalBytes>>shift))
			}
		})
		bar.finish()
		if err != nil {
			fmt.Fprintf(stderr, "vendo files migrate: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "Copied %d files (%s) from %s to %s, each checked by its SHA-256; %d were there already.\n",
			p.Copied, humanSize(p.CopiedBytes), p.From, p.To, p.Skipped)
		return 0
	}
}

func backup(file string) command {
	return func(ctx context.Context, cfg *config.Config, _ *slog.Logger, stdout, stderr io.Writer) int {
		n, err := server.RunBackup(ctx, cfg, file)
		if err != nil {
			fmt.Fprintf(stderr, "vendo backup: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "Backup written to %s (%s). Restore by extracting it into an empty data directory.\n", file, humanSize(n))
		if cfg.FilesBucket != nil {
			fmt.Fprintf(stdout, "The product files live in the bucket %s and are not in the backup: it lists them in %s. Back the bucket up on its own.\n", cfg.FilesBucket, backuparchive.BucketList)
		}
		return 0
	}
}

// adminLink needs no database: the running shop holds its lock, and the
// link is signed with the secret in the data directory.
func adminLink(_ context.Context, cfg *config.Config, _ *slog.Logger, stdout, stderr io.Writer) int {
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
