package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"vendo/app/backup"
	"vendo/app/blobs"
	"vendo/app/config"
	"vendo/app/store"
	"vendo/app/webhook"
)

// RunSync reconciles with Stripe: through the running shop when there is
// one (it holds the database), otherwise by opening the shop in this
// process for the duration of the sync.
func RunSync(ctx context.Context, cfg *config.Config, log *slog.Logger, progress webhook.Progress) (string, error) {
	summary, err := RemoteSync(ctx, cfg.DataDir, progress)
	if err == nil || !errors.Is(err, errNotRunning) {
		return summary, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv, err := Open(ctx, cfg, log, Options{Listener: ln})
	if err != nil {
		return "", err
	}
	defer srv.Close()
	go srv.Web.App().Listener(ln) // the sandbox API answers on this listener
	defer srv.Web.App().Shutdown()
	sum, err := srv.Sync(ctx, progress)
	if err != nil {
		return "", err
	}
	return sum.String(), nil
}

// RunBackup writes a backup archive to path: from the running shop over
// its control socket, or straight from the database when it is stopped.
// The archive appears under its name only when complete.
func RunBackup(ctx context.Context, cfg *config.Config, path string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vendo-backup-*")
	if err != nil {
		return 0, fmt.Errorf("cannot write the backup next to %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	n, err := RemoteBackup(ctx, cfg.DataDir, tmp)
	if errors.Is(err, errNotRunning) {
		if _, serr := tmp.Seek(0, io.SeekStart); serr != nil {
			return 0, serr
		}
		n, err = localBackup(ctx, cfg, tmp)
	}
	if err != nil {
		tmp.Close()
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, err
	}
	if err := tmp.Close(); err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), path)
}

func localBackup(ctx context.Context, cfg *config.Config, w io.Writer) (int64, error) {
	if _, err := os.Stat(cfg.DBPath()); err != nil {
		return 0, fmt.Errorf("there is no shop in %s to back up (no %s)", cfg.DataDir, filepath.Base(cfg.DBPath()))
	}
	st, err := store.Open(cfg.DBPath(), store.Options{})
	if err != nil {
		return 0, err
	}
	defer st.Close()
	src := backup.Source{DB: st, DBName: "vendo.db", FilesDir: cfg.FilesDir(), Extra: []string{filepath.Join(cfg.DataDir, "secret")}}
	if cfg.FilesBucket != nil {
		if src.Bucket, err = openBucket(ctx, cfg.FilesBucket); err != nil {
			return 0, err
		}
	}
	cw := &countingWriter{w: w}
	_, err = backup.Write(ctx, cw, src)
	return cw.n, err
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// MigrateFiles copies every product file from data/files/ to the bucket
// VENDO_FILES_URL names, or back when back is set, verifying each by its
// hash (blobs.Copy). The shop may run meanwhile: files are only added,
// under names their content decides.
func MigrateFiles(ctx context.Context, cfg *config.Config, back bool, progress func(blobs.CopyProgress)) (blobs.CopyProgress, error) {
	if cfg.FilesBucket == nil {
		return blobs.CopyProgress{}, errors.New("VENDO_FILES_URL is not set: set it to the bucket to copy the files to (or from, with -back), like s3://my-bucket/vendo?endpoint=https://…&region=…")
	}
	bucket, err := openBucket(ctx, cfg.FilesBucket)
	if err != nil {
		return blobs.CopyProgress{}, err
	}
	local, err := blobs.Attach(cfg.FilesDir())
	if err != nil {
		return blobs.CopyProgress{}, err
	}
	if back {
		return blobs.Copy(ctx, bucket, local, progress)
	}
	return blobs.Copy(ctx, local, bucket, progress)
}
