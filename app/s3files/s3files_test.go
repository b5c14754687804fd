package s3files_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"vendo/app/blobs"
	"vendo/app/s3files"
	"vendo/app/s3files/weedtest"
	"vendo/app/vendotest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	weedtest.StopShared()
	os.Exit(code)
}

// openBucket is a fresh bucket on the shared server, opened as the shop
// opens it.
func openBucket(t *testing.T, prefix string) (*weedtest.Server, string, *s3files.Bucket) {
	t.Helper()
	srv := weedtest.Shared(t)
	name := srv.NewBucket(t)
	b, err := s3files.Open(context.Background(), bucketConfig(srv, name, prefix, weedtest.AccessKey, weedtest.SecretKey))
	if err != nil {
		t.Fatal(err)
	}
	return srv, name, b
}

func bucketConfig(srv *weedtest.Server, bucket, prefix, key, secret string) s3files.Config {
	return s3files.Config{Endpoint: srv.Endpoint, Region: "us-east-1", Name: bucket, Prefix: prefix, AccessKey: key, SecretKey: secret}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func shaOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// keys lists every object and unfinished multipart upload in a bucket.
func keys(t *testing.T, srv *weedtest.Server, bucket string) (objects, uploads []string) {
	t.Helper()
	c := srv.Client(weedtest.AccessKey, weedtest.SecretKey)
	ctx := context.Background()
	for o := range c.ListObjects(ctx, bucket, minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		objects = append(objects, o.Key)
	}
	for u := range c.ListIncompleteUploads(ctx, bucket, "", true) {
		if u.Err != nil {
			t.Fatal(u.Err)
		}
		uploads = append(uploads, u.Key)
	}
	return objects, uploads
}

func TestAFileIsStoredUnderItsHashAndReadBackByRange(t *testing.T) {
	srv, name, b := openBucket(t, "shop")
	ctx := context.Background()
	content := randomBytes(s3files.PartSize + 12345) // two parts
	sha, size, err := b.Put(ctx, bytes.NewReader(content), 0)
	if err != nil {
		t.Fatal(err)
	}
	if sha != shaOf(content) || size != int64(len(content)) {
		t.Fatalf("Put = %s, %d", sha, size)
	}
	objects, uploads := keys(t, srv, name)
	if len(objects) != 1 || objects[0] != "shop/"+sha[:2]+"/"+sha || len(uploads) != 0 {
		t.Fatalf("bucket holds %q, unfinished uploads %q: want only the file under its hash", objects, uploads)
	}
	if n, err := b.Stat(ctx, sha); err != nil || n != size {
		t.Fatalf("Stat = %d, %v", n, err)
	}
	r, err := b.Open(ctx, sha, 100, 50)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if !bytes.Equal(got, content[100:150]) {
		t.Fatalf("range read %d bytes, not bytes 100–149", len(got))
	}
	var listed []string
	if err := b.List(ctx, func(s string, n int64) error { listed = append(listed, s); return nil }); err != nil || len(listed) != 1 || listed[0] != sha {
		t.Fatalf("List = %q, %v", listed, err)
	}
	// The same bytes again are the same file.
	if again, _, err := b.Put(ctx, bytes.NewReader(content), 0); err != nil || again != sha {
		t.Fatalf("second Put = %s, %v", again, err)
	}
	if err := b.Remove(ctx, sha); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Stat(ctx, sha); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Stat after Remove: %v, want fs.ErrNotExist", err)
	}
	if _, err := b.Stat(ctx, "../../etc/passwd"); err == nil {
		t.Fatal("a name that is not a hash was accepted")
	}
}

// failingReader gives n bytes, then fails: a dropped connection.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("connection reset by peer")
	}
	if len(p) > f.n {
		p = p[:f.n]
	}
	f.n -= len(p)
	return len(p), nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// cancelingReader gives zeros and cancels its context after n bytes: the
// request of an upload ending.
type cancelingReader struct {
	n      int
	cancel func()
}

func (c *cancelingReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		c.cancel()
		return len(p), nil
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	clear(p)
	c.n -= len(p)
	return len(p), nil
}

func TestAnInterruptedOrTooLargeUploadLeavesNothingBehind(t *testing.T) {
	srv, name, b := openBucket(t, "")
	ctx := context.Background()
	// Past the first part, so a multipart upload is under way.
	_, _, err := b.Put(ctx, &failingReader{n: s3files.PartSize + 1<<20}, 0)
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("interrupted upload: %v", err)
	}
	// A body cut off the way the multipart reader says it: minio-go would
	// take io.ErrUnexpectedEOF for the end of the last part.
	_, _, err = b.Put(ctx, io.MultiReader(io.LimitReader(vendotest.Zeros{}, s3files.PartSize+1<<20), errReader{io.ErrUnexpectedEOF}), 0)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a body cut off: %v", err)
	}
	_, _, err = b.Put(ctx, bytes.NewReader(make([]byte, 3<<20)), 2<<20)
	if !errors.Is(err, blobs.ErrTooLarge) {
		t.Fatalf("upload over the limit: %v, want ErrTooLarge", err)
	}
	// The admin's request ends in the middle of the second part.
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if _, _, err = b.Put(cctx, &cancelingReader{n: s3files.PartSize + 1<<20, cancel: cancel}, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("an upload whose request ended: %v", err)
	}
	objects, uploads := keys(t, srv, name)
	if len(objects) != 0 || len(uploads) != 0 {
		t.Fatalf("left behind: objects %q, unfinished uploads %q", objects, uploads)
	}
}

func TestAPresignedLinkNamesTheFileAndServesOnlyTheSignedRange(t *testing.T) {
	_, _, b := openBucket(t, "p")
	ctx := context.Background()
	content := randomBytes(100_000)
	sha, _, err := b.Put(ctx, bytes.NewReader(content), 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.PresignGet(ctx, sha, time.Minute, "Café guide.pdf", "application/pdf", "")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || shaOf(got) != sha {
		t.Fatalf("GET presigned: %d, %d bytes", resp.StatusCode, len(got))
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "Caf") {
		t.Errorf("Content-Disposition %q does not name the file", cd)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/pdf" {
		t.Errorf("Content-Type %q", ct)
	}

	// A link signed for a range works with exactly that range…
	u, err = b.PresignGet(ctx, sha, time.Minute, "guide.pdf", "", "bytes=10-19")
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Range", "bytes=10-19")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 206 || !bytes.Equal(got, content[10:20]) {
		t.Fatalf("signed range: %d, %q", resp.StatusCode, got)
	}
	// …and not without it (the whole file was not charged).
	resp, err = http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode == 200 || len(got) == len(content) {
		t.Fatalf("a link signed for 10 bytes fetched the whole file: %d, %d bytes", resp.StatusCode, len(got))
	}
}

func TestALinkStopsWorkingWhenItExpires(t *testing.T) {
	_, _, b := openBucket(t, "")
	ctx := context.Background()
	sha, _, err := b.Put(ctx, strings.NewReader("short-lived"), 0)
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.PresignGet(ctx, sha, time.Second, "a.txt", "", "")
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // S3 link expiry is in whole seconds
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 403 || strings.Contains(string(body), "short-lived") {
		t.Fatalf("expired link: %d %s", resp.StatusCode, body)
	}
}

// Start-up says what is wrong, one sentence each.
func TestOpenExplainsEachMistakeInASentence(t *testing.T) {
	srv := weedtest.Shared(t)
	name := srv.NewBucket(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close() // nothing listens there now
	cases := []struct {
		name string
		cfg  s3files.Config
		want string
	}{
		{"missing bucket", bucketConfig(srv, "no-such-bucket-here", "", weedtest.AccessKey, weedtest.SecretKey), "does not exist"},
		{"wrong secret", bucketConfig(srv, name, "", weedtest.AccessKey, "not-the-secret"), "refused the credentials"},
		{"unknown key", bucketConfig(srv, name, "", "nobody", "nothing-at-all"), "refused the credentials"},
		{"no permission", bucketConfig(srv, name, "", weedtest.ReadOnlyKey, weedtest.ReadOnlySecret), "may not write"},
		{"nothing there", s3files.Config{Endpoint: down, Region: "us-east-1", Name: name, AccessKey: "k", SecretKey: "s"}, "cannot reach"},
		{"a host that does not exist", s3files.Config{Endpoint: "vendo-test.invalid:9000", Region: "us-east-1", Name: name, AccessKey: "k", SecretKey: "s"}, "cannot find the storage host vendo-test.invalid:9000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_, err := s3files.Open(ctx, tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open: %v, want a sentence with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), tc.cfg.SecretKey) && tc.cfg.SecretKey != "s" {
				t.Errorf("not one sentence, or it shows the secret: %v", err)
			}
		})
	}
}

// vendo files migrate: local → bucket → local, every file checked by its
// hash, and a second run copies nothing.
func TestCopyMovesFilesThereAndBackVerifyingEachHash(t *testing.T) {
	_, _, b := openBucket(t, "m")
	ctx := context.Background()
	local, err := blobs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{}
	for _, n := range []int{0, 1, 5 << 10, s3files.PartSize + 1} {
		sha, size, err := local.Put(ctx, bytes.NewReader(randomBytes(n)), 0)
		if err != nil {
			t.Fatal(err)
		}
		want[sha] = size
	}
	var last blobs.CopyProgress
	p, err := blobs.Copy(ctx, local, b, func(p blobs.CopyProgress) { last = p })
	if err != nil || p.Copied != len(want) || p.Skipped != 0 || last.Files != len(want) {
		t.Fatalf("copy to the bucket: %+v %v", p, err)
	}
	got := map[string]int64{}
	b.List(ctx, func(sha string, size int64) error { got[sha] = size; return nil })
	if len(got) != len(want) {
		t.Fatalf("the bucket holds %v, want %v", got, want)
	}
	// Resumable: a second run skips what is there.
	if p, err := blobs.Copy(ctx, local, b, nil); err != nil || p.Copied != 0 || p.Skipped != len(want) {
		t.Fatalf("second copy: %+v %v", p, err)
	}
	// And back, into an empty directory, each file hashing to its name.
	back, err := blobs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if p, err := blobs.Copy(ctx, b, back, nil); err != nil || p.Copied != len(want) {
		t.Fatalf("copy back: %+v %v", p, err)
	}
	for sha, size := range want {
		path, err := back.Path(sha)
		if err != nil {
			t.Fatal(err)
		}
		content, _ := os.ReadFile(path)
		if shaOf(content) != sha || int64(len(content)) != size {
			t.Errorf("%s came back as %d bytes hashing to %s", sha, len(content), shaOf(content))
		}
	}
}

// A file whose bytes do not match its name (damaged on disk) is not
// copied, and the others are.
func TestCopyRefusesADamagedFile(t *testing.T) {
	_, _, b := openBucket(t, "d")
	ctx := context.Background()
	local, err := blobs.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good, _, _ := local.Put(ctx, strings.NewReader("good"), 0)
	bad, _, _ := local.Put(ctx, strings.NewReader("soon damaged"), 0)
	path, _ := local.Path(bad)
	if err := os.WriteFile(path, []byte("DAMAGED BYTES"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := blobs.Copy(ctx, local, b, nil)
	if err == nil || !strings.Contains(err.Error(), "damaged") || p.Copied != 1 {
		t.Fatalf("copy with a damaged file: %+v %v", p, err)
	}
	if _, err := b.Stat(ctx, good); err != nil {
		t.Errorf("the good file was not copied: %v", err)
	}
	if _, err := b.Stat(ctx, bad); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the damaged file is in the bucket under its name: %v", err)
	}
	n := 0
	b.List(ctx, func(string, int64) error { n++; return nil })
	if n != 1 {
		t.Errorf("the bucket holds %d files, want only the good one", n)
	}
}
