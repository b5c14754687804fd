// Package blobs keeps files on disk, named by the SHA-256 of their
// content under data/files/ab/abcdef…. Writes go to a temp file first and
// are renamed into place after an fsync, so a half-written file is never
// visible under its final name. The bucket store (package s3files) keeps
// the same names and the same methods, so the shop uses either; Copy
// moves files between two stores (vendo files migrate).
package blobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var shaRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidSHA reports whether sha is a well-formed content name (64 lowercase
// hex digits), so no path or object key can be smuggled in with it.
func ValidSHA(sha string) bool { return shaRE.MatchString(sha) }

// ErrTooLarge is returned by Put when the content exceeds the limit.
var ErrTooLarge = errors.New("file is larger than the limit")

// ErrUnavailable is in the chain of a Put that failed because the store
// itself did not answer (a bucket that is down or refuses), not because
// of the content being read: the one uploading is told so.
var ErrUnavailable = errors.New("the file store did not answer")

// Dir is a content-addressed directory.
type Dir struct{ root string }

// Open prepares root and removes temp files left by a crash.
func Open(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("create files directory: %w", err)
	}
	d := &Dir{root: root}
	if err := d.CleanTemp(); err != nil {
		return nil, err
	}
	return d, nil
}

// Attach prepares root without cleaning its temp files, for a command
// that runs beside the shop (vendo files migrate): the shop's unfinished
// uploads are there.
func Attach(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o750); err != nil {
		return nil, fmt.Errorf("create files directory: %w", err)
	}
	return &Dir{root: root}, nil
}

// CleanTemp deletes unfinished uploads (there are none while the server is
// not running, so this is safe at start-up).
func (d *Dir) CleanTemp() error {
	entries, err := os.ReadDir(filepath.Join(d.root, "tmp"))
	if err != nil {
		return fmt.Errorf("read temp directory: %w", err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(d.root, "tmp", e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove temp file: %w", err)
		}
	}
	return nil
}

// Root is the directory.
func (d *Dir) Root() string { return d.root }

// String says where the files are, for logs and messages.
func (d *Dir) String() string { return d.root }

// Path returns where the file with sha lives, checking that sha is a
// well-formed hash (so no path can be smuggled in) and that it exists.
func (d *Dir) Path(sha string) (string, error) {
	if !shaRE.MatchString(sha) {
		return "", fmt.Errorf("bad file id %q", sha)
	}
	p := filepath.Join(d.root, sha[:2], sha)
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("file %s: %w", sha, err)
	}
	return p, nil
}

// Put streams r to disk (never holding it in memory), returning its SHA-256
// and size. limit ≤ 0 means no limit.
func (d *Dir) Put(ctx context.Context, r io.Reader, limit int64) (sha string, size int64, err error) {
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "upload-*")
	if err != nil {
		return "", 0, fmt.Errorf("create temp file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	src := r
	if limit > 0 {
		src = io.LimitReader(r, limit+1)
	}
	size, err = io.Copy(io.MultiWriter(tmp, h), readerWithContext{ctx, src})
	if err != nil {
		return "", 0, fmt.Errorf("write file: %w", err)
	}
	if limit > 0 && size > limit {
		return "", 0, ErrTooLarge
	}
	if err = tmp.Sync(); err != nil {
		return "", 0, fmt.Errorf("sync file: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return "", 0, fmt.Errorf("close file: %w", err)
	}
	sha = hex.EncodeToString(h.Sum(nil))
	dir := filepath.Join(d.root, sha[:2])
	if err = os.MkdirAll(dir, 0o750); err != nil {
		return "", 0, fmt.Errorf("create directory: %w", err)
	}
	if err = os.Rename(tmp.Name(), filepath.Join(dir, sha)); err != nil {
		return "", 0, fmt.Errorf("move file into place: %w", err)
	}
	syncDir(dir)
	return sha, size, nil
}

// Stat returns the size of the file named sha; a missing file is an error
// that matches fs.ErrNotExist.
func (d *Dir) Stat(_ context.Context, sha string) (int64, error) {
	p, err := d.Path(sha)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(p)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// Open returns length bytes of the file named sha from offset on.
// Copying it to a connection goes through sendfile(2) (its WriteTo hands
// the file itself to the connection's ReadFrom), so the bytes never pass
// through user space.
func (d *Dir) Open(_ context.Context, sha string, offset, length int64) (io.ReadCloser, error) {
	p, err := d.Path(sha)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return &section{f: f, lr: io.LimitedReader{R: f, N: length}}, nil
}

// section is a part of an open file. io.Copy calls WriteTo, which passes
// the *io.LimitedReader over the *os.File on: that is the shape the
// network's ReadFrom recognises for sendfile(2).
type section struct {
	f  *os.File
	lr io.LimitedReader
}

func (s *section) Read(p []byte) (int, error)         { return s.lr.Read(p) }
func (s *section) WriteTo(w io.Writer) (int64, error) { return io.Copy(w, &s.lr) }
func (s *section) Close() error                       { return s.f.Close() }

// Remove deletes the file named sha; a file already gone is no error.
func (d *Dir) Remove(_ context.Context, sha string) error {
	if !shaRE.MatchString(sha) {
		return fmt.Errorf("bad file id %q", sha)
	}
	err := os.Remove(filepath.Join(d.root, sha[:2], sha))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// List calls fn for every stored file, in name order, with its size.
// Temp files and anything not named by a hash are skipped.
func (d *Dir) List(ctx context.Context, fn func(sha string, size int64) error) error {
	dirs, err := os.ReadDir(d.root)
	if err != nil {
		return fmt.Errorf("read files directory: %w", err)
	}
	for _, sub := range dirs {
		if !sub.IsDir() || len(sub.Name()) != 2 {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(d.root, sub.Name()))
		if err != nil {
			return fmt.Errorf("read files directory: %w", err)
		}
		for _, e := range entries {
			if err := ctx.Err(); err != nil {
				return err
			}
			if !shaRE.MatchString(e.Name()) || e.Name()[:2] != sub.Name() {
				continue
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			if err := fn(e.Name(), info.Size()); err != nil {
				return err
			}
		}
	}
	return nil
}

// Check reports whether the directory is still there (/healthz).
func (d *Dir) Check(context.Context) error {
	if _, err := os.Stat(filepath.Join(d.root, "tmp")); err != nil {
		return fmt.Errorf("files directory: %w", err)
	}
	return nil
}

// PutBytes stores small in-memory content (demo files, generated covers).
func (d *Dir) PutBytes(ctx context.Context, b []byte) (string, int64, error) {
	return d.Put(ctx, strings.NewReader(string(b)), 0)
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}

type readerWithContext struct {
	ctx context.Context
	r   io.Reader
}

func (r readerWithContext) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
