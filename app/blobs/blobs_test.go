package blobs_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"vendo/app/blobs"
)

func TestPutStoresByContentAndRefusesOversize(t *testing.T) {
	root := t.TempDir()
	d, err := blobs.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sha, n, err := d.Put(ctx, strings.NewReader("hello, file"), 100)
	sum := sha256.Sum256([]byte("hello, file"))
	if err != nil || n != 11 || sha != hex.EncodeToString(sum[:]) {
		t.Fatalf("put: %s %d %v", sha, n, err)
	}
	p, err := d.Path(sha)
	if b, _ := os.ReadFile(p); err != nil || string(b) != "hello, file" || filepath.Base(filepath.Dir(p)) != sha[:2] {
		t.Fatalf("path %s: %q %v", p, b, err)
	}
	// The same bytes again: the same file.
	if sha2, _, _ := d.PutBytes(ctx, []byte("hello, file")); sha2 != sha {
		t.Fatal("same content, different name")
	}
	// Over the limit: an error, and nothing left behind.
	if _, _, err := d.Put(ctx, strings.NewReader(strings.Repeat("x", 101)), 100); !errors.Is(err, blobs.ErrTooLarge) {
		t.Fatalf("oversize: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(root, "tmp")); len(left) != 0 {
		t.Fatalf("%d temp files left after a refused put", len(left))
	}
	for _, bad := range []string{"../../etc/passwd", "", strings.Repeat("A", 64), sha[:63], sha + "/"} {
		if _, err := d.Path(bad); err == nil {
			t.Errorf("Path(%q) accepted", bad)
		}
	}
}

func TestOpenCleansUnfinishedUploads(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "tmp"), 0o750)
	os.WriteFile(filepath.Join(root, "tmp", "upload-123"), []byte("half"), 0o600)
	if _, err := blobs.Open(root); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(filepath.Join(root, "tmp")); len(left) != 0 {
		t.Fatal("an unfinished upload survived Open")
	}
}

// A damaged file whose bytes are now those of another file is not copied,
// and the other file, already in the destination, stays there: the copy
// stops before it stores anything under the wrong name.
func TestCopyOfADamagedFileLeavesTheDestinationsFilesAlone(t *testing.T) {
	ctx := context.Background()
	from, err := blobs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	to, err := blobs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	kept, _, _ := to.PutBytes(ctx, []byte("the file both share"))
	damaged, _, _ := from.PutBytes(ctx, []byte("a file soon damaged"))
	path, _ := from.Path(damaged)
	if err := os.WriteFile(path, []byte("the file both share"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := blobs.Copy(ctx, from, to, nil)
	if err == nil || !strings.Contains(err.Error(), "damaged") || p.Copied != 0 {
		t.Fatalf("copy of a damaged file: %+v %v", p, err)
	}
	if n, err := to.Stat(ctx, kept); err != nil || n != int64(len("the file both share")) {
		t.Fatalf("the destination's own file is gone after the copy: %d, %v", n, err)
	}
	if _, err := to.Stat(ctx, damaged); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the damaged file is in the destination: %v", err)
	}
	if left, _ := os.ReadDir(filepath.Join(filepath.Dir(filepath.Dir(mustPath(t, to, kept))), "tmp")); len(left) != 0 {
		t.Errorf("%d temp files left", len(left))
	}
}

func mustPath(t *testing.T, d *blobs.Dir, sha string) string {
	t.Helper()
	p, err := d.Path(sha)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
