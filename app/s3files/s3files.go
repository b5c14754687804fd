// Package s3files keeps product files and covers in an S3-compatible
// bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO, SeaweedFS) under the
// same content-addressed names as data/files/ (prefix + ab/abcdef…), with
// the same methods as blobs.Dir. It is the only importer of the S3 client
// library (minio-go), which does the request signing.
//
// An upload streams as a multipart upload to a temporary object while its
// SHA-256 is computed, then the bucket copies it to its content name and
// the temporary object is deleted: a file is never visible under its name
// before its hash is known, and an interrupted upload is aborted, leaving
// nothing behind.
package s3files

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"vendo/app/blobs"
	"vendo/app/config"
)

// PartSize is the size of one part of a multipart upload: the one buffer
// an upload holds in memory, whatever the file's size (16 MiB × the
// 10,000 parts S3 allows is 156 GiB, far above any upload limit).
const PartSize = 16 << 20

// copyLimit is the largest object one CopyObject request copies (S3's
// 5 GiB); larger ones are copied part by part.
const copyLimit = 5 << 30

// tempDir is where uploads live until their hash is known, under the
// prefix; start-up deletes what a crash left there.
const tempDir = "tmp/"

// Config says which bucket to use: VENDO_FILES_URL, as config reads it.
type Config = config.Bucket

// Bucket is a content-addressed file store in an S3 bucket.
type Bucket struct {
	client *minio.Client
	core   *minio.Core
	cfg    Config
}

// Open connects to the bucket and checks, before the shop starts, that
// the endpoint answers, the credentials are accepted, the bucket exists
// and the shop may list, write and delete in it: each failure is one
// sentence saying what to fix. Uploads a crash left unfinished are
// removed.
func Open(ctx context.Context, cfg Config) (*Bucket, error) {
	if cfg.Prefix != "" && !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.Secure,
		Region:     cfg.Region,
		MaxRetries: 3, // a bucket that is down is said so in seconds, not after ten tries
	})
	if err != nil {
		return nil, fmt.Errorf("VENDO_FILES_URL: cannot use the endpoint %s: %w", cfg.Endpoint, err)
	}
	b := &Bucket{client: client, core: &minio.Core{Client: client}, cfg: cfg}
	probeCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := b.probe(probeCtx); err != nil {
		return nil, err
	}
	b.cleanTemp(probeCtx)
	return b, nil
}

// probe lists one key (the endpoint answers, the credentials and the
// bucket are good, reading is allowed), then writes and deletes a small
// object (writing is allowed).
func (b *Bucket) probe(ctx context.Context) error {
	for obj := range b.client.ListObjects(ctx, b.cfg.Name, minio.ListObjectsOptions{Prefix: b.cfg.Prefix, MaxKeys: 1}) {
		if obj.Err != nil {
			return b.explain(obj.Err, "list the files in")
		}
		break
	}
	key := b.cfg.Prefix + tempDir + "probe-" + randomHex()
	if _, err := b.client.PutObject(ctx, b.cfg.Name, key, strings.NewReader("vendo"), 5, minio.PutObjectOptions{}); err != nil {
		return b.explain(err, "write to")
	}
	if err := b.client.RemoveObject(ctx, b.cfg.Name, key, minio.RemoveObjectOptions{}); err != nil {
		return b.explain(err, "delete from")
	}
	return nil
}

// explain turns a failed start-up request into one sentence.
func (b *Bucket) explain(err error, doing string) error {
	where := b.String()
	resp := minio.ToErrorResponse(err)
	var netErr net.Error
	var dnsErr *net.DNSError
	switch {
	case resp.Code == "NoSuchBucket":
		return fmt.Errorf("the bucket %q does not exist at %s: create it with your storage provider's console or CLI, or fix the bucket name in VENDO_FILES_URL", b.cfg.Name, b.endpointURL())
	case resp.Code == "InvalidAccessKeyId" || resp.Code == "SignatureDoesNotMatch" || resp.Code == "InvalidToken" ||
		resp.Code == "AuthorizationHeaderMalformed" && !strings.Contains(resp.Message, "region"):
		return fmt.Errorf("the storage at %s refused the credentials (%s): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the key and secret in VENDO_FILES_URL)", b.endpointURL(), resp.Code)
	case resp.Code == "AuthorizationHeaderMalformed" || resp.Code == "PermanentRedirect" || resp.Code == "IllegalLocationConstraintException":
		return fmt.Errorf("the bucket %s is in another region than VENDO_FILES_URL says (%s): set ?region= to the bucket's region", where, resp.Message)
	case resp.Code == "AccessDenied" || resp.StatusCode == http.StatusForbidden:
		return fmt.Errorf("the credentials may not %s %s (%s): give the key permission to list, read, write and delete objects in the bucket", doing, where, firstNonEmpty(resp.Code, "403 Forbidden"))
	case errors.As(err, &dnsErr):
		return fmt.Errorf("cannot find the storage host %s (%v): check the endpoint in VENDO_FILES_URL", b.cfg.Endpoint, dnsErr.Err)
	case errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("cannot reach the storage at %s (%v): check the endpoint in VENDO_FILES_URL and that the service is running", b.endpointURL(), rootCause(err))
	case resp.StatusCode != 0:
		return fmt.Errorf("the storage at %s answered %d %s when asked to %s %s: check VENDO_FILES_URL", b.endpointURL(), resp.StatusCode, firstNonEmpty(resp.Code, resp.Message), doing, where)
	}
	return fmt.Errorf("cannot %s %s: %w (check VENDO_FILES_URL)", doing, where, err)
}

func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// cleanTemp aborts multipart uploads and deletes temporary objects that
// are more than a day old under the temp prefix: a crash left them (a
// younger one may be an upload in progress in another process, such as
// `vendo files migrate`).
func (b *Bucket) cleanTemp(ctx context.Context) {
	cutoff := time.Now().Add(-24 * time.Hour)
	prefix := b.cfg.Prefix + tempDir
	for up := range b.client.ListIncompleteUploads(ctx, b.cfg.Name, prefix, true) {
		if up.Err != nil {
			break
		}
		if up.Initiated.Before(cutoff) {
			_ = b.core.AbortMultipartUpload(ctx, b.cfg.Name, up.Key, up.UploadID)
		}
	}
	for obj := range b.client.ListObjects(ctx, b.cfg.Name, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			break
		}
		if obj.LastModified.Before(cutoff) {
			_ = b.client.RemoveObject(ctx, b.cfg.Name, obj.Key, minio.RemoveObjectOptions{})
		}
	}
}

// String is the bucket as a URL without credentials: s3://bucket/prefix.
func (b *Bucket) String() string { return "s3://" + b.cfg.Name + "/" + b.cfg.Prefix }

func (b *Bucket) endpointURL() string {
	if b.cfg.Secure {
		return "https://" + b.cfg.Endpoint
	}
	return "http://" + b.cfg.Endpoint
}

// key is the object name of the file sha.
func (b *Bucket) key(sha string) (string, error) {
	if !blobs.ValidSHA(sha) {
		return "", fmt.Errorf("bad file id %q", sha)
	}
	return b.cfg.Prefix + sha[:2] + "/" + sha, nil
}

// Put streams r into the bucket as a multipart upload of PartSize parts,
// hashing it on the way, and stores it under its SHA-256. limit ≤ 0 means
// no limit; past it the upload is aborted and blobs.ErrTooLarge returned.
func (b *Bucket) Put(ctx context.Context, r io.Reader, limit int64) (sha string, size int64, err error) {
	tmp := b.cfg.Prefix + tempDir + "upload-" + randomHex()
	defer func() {
		// Always, even when the upload failed (minio-go may have completed
		// it with the bytes that came) and when the request's context
		// ended.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		_ = b.client.RemoveObject(rctx, b.cfg.Name, tmp, minio.RemoveObjectOptions{})
	}()
	src := &hashingReader{ctx: ctx, r: r, limit: limit, h: sha256.New()}
	// With size -1 minio-go reads one part at a time into one buffer and
	// aborts the multipart upload when the reader fails. The requests run
	// on a context that outlives the caller's: when an admin's upload is
	// cut off, the reader fails (it watches ctx) and the abort still
	// reaches the bucket, instead of failing with the request's context.
	info, err := b.client.PutObject(context.WithoutCancel(ctx), b.cfg.Name, tmp, src, -1, minio.PutObjectOptions{
		PartSize: PartSize, ContentType: "application/octet-stream"})
	if src.err != nil {
		// The reader's own failure says more than the client's wrapping.
		return "", 0, fmt.Errorf("upload to %s: %w", b, src.err)
	}
	if err != nil {
		return "", 0, fmt.Errorf("upload to %s: %w: %w", b, blobs.ErrUnavailable, err)
	}
	if info.Size != src.n {
		return "", 0, fmt.Errorf("upload to %s: the bucket stored %d of %d bytes", b, info.Size, src.n)
	}
	sha = hex.EncodeToString(src.h.Sum(nil))
	key, _ := b.key(sha)
	if st, err := b.client.StatObject(ctx, b.cfg.Name, key, minio.StatObjectOptions{}); err == nil && st.Size == src.n {
		return sha, src.n, nil // the same bytes are already stored
	}
	dst := minio.CopyDestOptions{Bucket: b.cfg.Name, Object: key}
	srcObj := minio.CopySrcOptions{Bucket: b.cfg.Name, Object: tmp}
	if src.n <= copyLimit {
		_, err = b.client.CopyObject(ctx, dst, srcObj)
	} else {
		_, err = b.client.ComposeObject(ctx, dst, srcObj)
	}
	if err != nil {
		return "", 0, fmt.Errorf("move the upload into place in %s: %w: %w", b, blobs.ErrUnavailable, err)
	}
	return sha, src.n, nil
}

// PutBytes stores small in-memory content (demo files).
func (b *Bucket) PutBytes(ctx context.Context, p []byte) (string, int64, error) {
	return b.Put(ctx, strings.NewReader(string(p)), 0)
}

// hashingReader hashes what it reads, stops at the context's end, and
// fails past the limit.
type hashingReader struct {
	ctx   context.Context
	r     io.Reader
	limit int64
	h     hash.Hash
	n     int64
	err   error
}

func (h *hashingReader) Read(p []byte) (int, error) {
	if h.err != nil {
		return 0, h.err
	}
	if err := h.ctx.Err(); err != nil {
		h.err = err
		return 0, err
	}
	n, err := h.r.Read(p)
	h.n += int64(n)
	h.h.Write(p[:n])
	if h.limit > 0 && h.n > h.limit {
		h.err = blobs.ErrTooLarge
		return n, h.err
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// A body cut off in the middle (the multipart reader says so):
		// minio-go takes io.ErrUnexpectedEOF itself for the end of the
		// last part and would complete the upload with what came, so it
		// gets an error it does not know and aborts.
		err = fmt.Errorf("the upload ended before its end: %w", err)
	}
	if err != nil && err != io.EOF {
		h.err = err
	}
	return n, err
}

// Stat returns the size of the file sha; a missing one matches
// fs.ErrNotExist.
func (b *Bucket) Stat(ctx context.Context, sha string) (int64, error) {
	key, err := b.key(sha)
	if err != nil {
		return 0, err
	}
	st, err := b.client.StatObject(ctx, b.cfg.Name, key, minio.StatObjectOptions{})
	if err != nil {
		return 0, b.wrap(err, sha)
	}
	return st.Size, nil
}

// Open returns length bytes of the file sha from offset on, as one ranged
// GET whose body streams.
func (b *Bucket) Open(ctx context.Context, sha string, offset, length int64) (io.ReadCloser, error) {
	key, err := b.key(sha)
	if err != nil {
		return nil, err
	}
	opts := minio.GetObjectOptions{}
	if length > 0 {
		if err := opts.SetRange(offset, offset+length-1); err != nil {
			return nil, err
		}
	}
	body, _, _, err := b.core.GetObject(ctx, b.cfg.Name, key, opts)
	if err != nil {
		return nil, b.wrap(err, sha)
	}
	if length == 0 {
		body.Close()
		return io.NopCloser(strings.NewReader("")), nil
	}
	return body, nil
}

// Remove deletes the file sha (deleting a missing object is no error in S3).
func (b *Bucket) Remove(ctx context.Context, sha string) error {
	key, err := b.key(sha)
	if err != nil {
		return err
	}
	if err := b.client.RemoveObject(ctx, b.cfg.Name, key, minio.RemoveObjectOptions{}); err != nil {
		return b.wrap(err, sha)
	}
	return nil
}

// List calls fn for every stored file, in name order, with its size;
// other keys under the prefix (temp objects, strangers) are skipped.
func (b *Bucket) List(ctx context.Context, fn func(sha string, size int64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing goroutine when fn fails
	for obj := range b.client.ListObjects(ctx, b.cfg.Name, minio.ListObjectsOptions{Prefix: b.cfg.Prefix, Recursive: true}) {
		if obj.Err != nil {
			return fmt.Errorf("list %s: %w", b, obj.Err)
		}
		rest := strings.TrimPrefix(obj.Key, b.cfg.Prefix)
		dir, sha, ok := strings.Cut(rest, "/")
		if !ok || !blobs.ValidSHA(sha) || dir != sha[:2] {
			continue
		}
		if err := fn(sha, obj.Size); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// Check asks the bucket whether it is there (/healthz).
func (b *Bucket) Check(ctx context.Context) error {
	for obj := range b.client.ListObjects(ctx, b.cfg.Name, minio.ListObjectsOptions{Prefix: b.cfg.Prefix, MaxKeys: 1}) {
		if obj.Err != nil {
			return fmt.Errorf("bucket %s: %w", b, obj.Err)
		}
		break
	}
	return ctx.Err()
}

// PresignGet returns a URL that fetches the file sha straight from the
// bucket for ttl, without credentials, with the customer-facing name as
// its Content-Disposition and contentType as its Content-Type. A
// non-empty rangeHeader is signed into the URL: the bucket then refuses
// the URL without exactly that Range header, so a URL handed out for a
// part of a file cannot fetch all of it.
func (b *Bucket) PresignGet(ctx context.Context, sha string, ttl time.Duration, name, contentType, rangeHeader string) (string, error) {
	key, err := b.key(sha)
	if err != nil {
		return "", err
	}
	q := url.Values{}
	q.Set("response-content-disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	if contentType != "" {
		q.Set("response-content-type", contentType)
	}
	q.Set("response-cache-control", "private, no-store")
	var h http.Header
	if rangeHeader != "" {
		h = http.Header{"Range": {rangeHeader}}
	}
	u, err := b.client.PresignHeader(ctx, http.MethodGet, b.cfg.Name, key, ttl, q, h)
	if err != nil {
		return "", fmt.Errorf("presign %s in %s: %w", sha, b, err)
	}
	return u.String(), nil
}

// wrap makes a missing object match fs.ErrNotExist, as a missing file
// does in blobs.Dir.
func (b *Bucket) wrap(err error, sha string) error {
	if code := minio.ToErrorResponse(err).Code; code == "NoSuchKey" || code == "NotFound" {
		return fmt.Errorf("file %s in %s: %w", sha, b, errNotExist{err})
	}
	return fmt.Errorf("file %s in %s: %w", sha, b, err)
}

func randomHex() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// errNotExist is a missing object that errors.Is reports as
// fs.ErrNotExist, keeping the client's error in the chain too.
type errNotExist struct{ err error }

func (e errNotExist) Error() string        { return e.err.Error() }
func (e errNotExist) Unwrap() error        { return e.err }
func (e errNotExist) Is(target error) bool { return target == fs.ErrNotExist }

var _ blobs.Store = (*Bucket)(nil)
