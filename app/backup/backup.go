// Package backup writes a consistent snapshot of a running shop: the
// database as one read transaction sees it, plus the product files, in one
// tar.gz archive. Restoring is extracting it into an empty data directory.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Snapshotter writes a consistent copy of the database (store.Store).
type Snapshotter interface {
	WriteBackup(ctx context.Context, w io.Writer) (int64, error)
}

// Source is what a backup contains.
type Source struct {
	DB       Snapshotter
	DBName   string // name inside the archive, "vendo.db"
	FilesDir string // data/files
	// Bucket, when set, holds the product files (VENDO_FILES_URL): the
	// archive names them in files-in-bucket.txt instead of copying them,
	// since the bucket is backed up on its own terms (versioning,
	// replication) and may hold far more than a disk.
	Bucket Lister
	Extra  []string
	Now    time.Time
}

// Lister lists the files in a bucket (s3files.Bucket).
type Lister interface {
	List(ctx context.Context, fn func(sha string, size int64) error) error
	String() string
}

// BucketList is the archive entry that names the files left in the
// bucket.
const BucketList = "files-in-bucket.txt"

// Stats counts what a backup wrote.
type Stats struct {
	DBBytes   int64
	Files     int
	FileBytes int64
	// BucketFiles are the files left in the bucket and only named.
	BucketFiles int
}

// Write streams the archive to w. The database is written first: files
// are content-addressed and written before any record points at them, so
// every file the snapshot references is already on disk when the walk
// reaches it; files added later are harmless extras.
func Write(ctx context.Context, w io.Writer, src Source) (Stats, error) {
	var st Stats
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	if src.Now.IsZero() {
		src.Now = time.Now()
	}

	// A tar header needs the size before the bytes, and the database may
	// grow between two transactions, so the snapshot goes through a temp
	// file (beside the files, on the same disk) to know its exact length.
	// In files/tmp: a crash mid-backup leaves it where start-up cleans.
	tmp, err := os.CreateTemp(filepath.Join(src.FilesDir, "tmp"), ".backup-db-*")
	if err != nil {
		return st, fmt.Errorf("backup temp file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	n, err := src.DB.WriteBackup(ctx, tmp)
	if err != nil {
		return st, fmt.Errorf("snapshot database: %w", err)
	}
	st.DBBytes = n
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return st, err
	}
	if err := tw.WriteHeader(&tar.Header{Name: src.DBName, Mode: 0o600, Size: n, ModTime: src.Now, Typeflag: tar.TypeReg}); err != nil {
		return st, err
	}
	if _, err := io.Copy(tw, tmp); err != nil {
		return st, fmt.Errorf("write database to archive: %w", err)
	}

	for _, extra := range src.Extra {
		if err := addFile(tw, extra, filepath.Base(extra)); err != nil && !os.IsNotExist(err) {
			return st, err
		}
	}

	if src.Bucket != nil {
		if err := listBucket(ctx, tw, src, &st); err != nil {
			return st, err
		}
		if err := tw.Close(); err != nil {
			return st, err
		}
		return st, gz.Close()
	}

	err = filepath.WalkDir(src.FilesDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(src.FilesDir, path)
		if d.IsDir() {
			if rel == "tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := addFile(tw, path, filepath.ToSlash(filepath.Join("files", rel))); err != nil {
			return err
		}
		st.Files++
		st.FileBytes += info.Size()
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("add files: %w", err)
	}
	if err := tw.Close(); err != nil {
		return st, err
	}
	return st, gz.Close()
}

// listBucket writes files-in-bucket.txt: where the files are, then one
// line per file, its SHA-256 and size.
func listBucket(ctx context.Context, tw *tar.Writer, src Source, st *Stats) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# The product files of this shop live in %s and are not in this backup.\n", src.Bucket)
	b.WriteString("# Back the bucket up on its own (versioning, replication, or `vendo files migrate -back`).\n")
	b.WriteString("# One file a line: SHA-256, size in bytes; the object is <prefix>/<first two hex digits>/<SHA-256>.\n")
	err := src.Bucket.List(ctx, func(sha string, size int64) error {
		fmt.Fprintf(&b, "%s %d\n", sha, size)
		st.BucketFiles++
		return nil
	})
	if err != nil {
		return fmt.Errorf("list the files in %s: %w", src.Bucket, err)
	}
	if err := tw.WriteHeader(&tar.Header{Name: BucketList, Mode: 0o600, Size: int64(b.Len()), ModTime: src.Now, Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	_, err = io.WriteString(tw, b.String())
	return err
}

func addFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg}); err != nil {
		return err
	}
	// Stream: a product file may be gigabytes.
	_, err = io.CopyN(tw, f, info.Size())
	return err
}

// Restore extracts an archive into dir (which should be empty), refusing
// any entry that would land outside it.
func Restore(r io.Reader, dir string) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a Vendo backup (gzip): %w", err)
	}
	tr := tar.NewReader(gz)
	root, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read backup: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		target := filepath.Join(root, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(target, root+string(filepath.Separator)) {
			return fmt.Errorf("backup entry %q points outside the data directory", h.Name)
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o750); err != nil {
			return err
		}
		f, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, tr); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
}
