package blobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// Store is a content-addressed file store: a Dir, or a bucket
// (s3files.Bucket). The shop keeps its product files and covers in one,
// and Copy moves them from one to another.
type Store interface {
	List(ctx context.Context, fn func(sha string, size int64) error) error
	Stat(ctx context.Context, sha string) (int64, error)
	Open(ctx context.Context, sha string, offset, length int64) (io.ReadCloser, error)
	Put(ctx context.Context, r io.Reader, limit int64) (sha string, size int64, err error)
	PutBytes(ctx context.Context, b []byte) (sha string, size int64, err error)
	Remove(ctx context.Context, sha string) error
	// Check reports whether the store answers (/healthz).
	Check(ctx context.Context) error
	String() string
}

var _ Store = (*Dir)(nil)

// CopyProgress is how far a Copy is: files and bytes done (copied or
// skipped) out of the totals.
type CopyProgress struct {
	From, To          string // the stores, as their String says
	Files, TotalFiles int
	Bytes, TotalBytes int64
	// Copied and Skipped count the files done so far by what happened to
	// them: skipped files were already in the destination. CopiedBytes
	// are the copied files' bytes.
	Copied, Skipped int
	CopiedBytes     int64
}

// Copy copies every file of from into to and verifies each by its hash:
// the bytes read from the source must hash to the file's name (Put
// computes it while streaming), and the copy read back from the
// destination must too. It is resumable: a file the destination already
// holds with the right size is skipped, which is safe because a store
// shows a file under its name only after its hash was checked (a temp file
// renamed, a temp object copied). A file that fails is reported at the
// end and the others still copied; the source is never changed. progress,
// when set, is called as bytes move.
func Copy(ctx context.Context, from, to Store, progress func(CopyProgress)) (CopyProgress, error) {
	type file struct {
		sha  string
		size int64
	}
	var files []file
	p := CopyProgress{From: from.String(), To: to.String()}
	err := from.List(ctx, func(sha string, size int64) error {
		files = append(files, file{sha, size})
		p.TotalBytes += size
		return nil
	})
	if err != nil {
		return p, fmt.Errorf("list the files in %s: %w", from, err)
	}
	p.TotalFiles = len(files)
	report := func() {
		if progress != nil {
			progress(p)
		}
	}
	report()
	var failed []string
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		if n, err := to.Stat(ctx, f.sha); err == nil && n == f.size {
			p.Files, p.Bytes, p.Skipped = p.Files+1, p.Bytes+f.size, p.Skipped+1
			report()
			continue
		}
		base := p.Bytes
		err := copyOne(ctx, from, to, f.sha, f.size, func(n int64) { p.Bytes = base + n; report() })
		if err != nil {
			if ctx.Err() != nil {
				return p, ctx.Err()
			}
			failed = append(failed, fmt.Sprintf("%s: %v", f.sha, err))
			p.Bytes = base
		} else {
			p.Copied++
			p.CopiedBytes += f.size
		}
		p.Files++
		p.Bytes = base + f.size
		report()
	}
	if len(failed) > 0 {
		return p, fmt.Errorf("%d of %d files could not be copied (the others were; run the command again to retry):\n  %s",
			len(failed), len(files), strings.Join(failed, "\n  "))
	}
	return p, nil
}

// copyOne streams one file from → to and checks both hashes.
func copyOne(ctx context.Context, from, to Store, sha string, size int64, moved func(int64)) error {
	r, err := from.Open(ctx, sha, 0, size)
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	// The source's bytes are checked against its name as they are read, so
	// a damaged file fails the Put before anything is stored: stored, it
	// would go under the hash of its bytes, which may be another file's
	// the destination already holds (and removing it would lose that one).
	src := &verifyingReader{r: &countingReader{r: r, fn: moved}, h: sha256.New(), sha: sha, size: size}
	got, n, err := to.Put(ctx, src, 0)
	r.Close()
	if src.damaged != nil {
		return src.damaged
	}
	if err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if got != sha || n != size {
		return fmt.Errorf("the destination stored it as %s (%d bytes), not as %s", got, n, sha)
	}
	back, err := to.Open(ctx, sha, 0, size)
	if err != nil {
		return fmt.Errorf("read back the copy: %w", err)
	}
	h := sha256.New()
	m, err := io.Copy(h, back)
	back.Close()
	if err == nil && (m != size || hex.EncodeToString(h.Sum(nil)) != sha) {
		err = errors.New("the copy read back does not hash to its name")
	}
	if err != nil {
		if rerr := to.Remove(context.WithoutCancel(ctx), sha); rerr != nil {
			return fmt.Errorf("verify the copy: %w (and removing it failed: %v)", err, rerr)
		}
		return fmt.Errorf("verify the copy: %w; it was removed", err)
	}
	return nil
}

// countingReader tells fn how many bytes passed so far.
type countingReader struct {
	r  io.Reader
	n  int64
	fn func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.n += int64(n)
		c.fn(c.n)
	}
	return n, err
}

// verifyingReader fails at the end of the source when its bytes do not
// hash to the file's name or have another size, instead of returning
// io.EOF.
type verifyingReader struct {
	r       io.Reader
	h       hash.Hash
	sha     string
	size    int64
	n       int64
	damaged error
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.damaged != nil {
		return 0, v.damaged
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.sha || v.n != v.size {
			v.damaged = fmt.Errorf("the source file is damaged: its bytes hash to %s (%d bytes), not to its name; it was not copied", got, v.n)
			return n, v.damaged
		}
	}
	return n, err
}
