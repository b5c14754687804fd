package web

import (
	"context"
	"fmt"
	"io"
	"mime"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app/shop"
)

// handleDownload streams a purchased file for a signed link: Range
// (206/416), If-Range, ETag, Content-Disposition, never the whole file in
// memory, and a log line per transfer with the bytes really sent.
//
// The response is decided first — If-Range, then the Range read against
// the file's real size — and exactly its bytes are charged to the
// download limit before the first is sent (shop.SpendDownload), so no
// header gets a file for free (issue 17, hole 3); what a cut-off transfer
// did not send is given back when it ends.
func (s *Server) handleDownload(c *fiber.Ctx) error {
	d, err := s.shop.OpenDownload(c.UserContext(), c.Params("token"), s.viewerID(c))
	if err != nil {
		return err
	}
	rangeHeader := c.Get(fiber.HeaderRange)
	// A conditional range for a different version means "send it all".
	if ir := c.Get(fiber.HeaderIfRange); ir != "" && ir != d.ETag {
		rangeHeader = ""
	}
	status, start, length := fiber.StatusOK, int64(0), d.Size
	if rangeHeader != "" {
		r, ok, unsatisfiable := parseRange(rangeHeader, d.Size)
		switch {
		case unsatisfiable:
			c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(d.Size, 10))
			return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
		case ok:
			status, start, length = fiber.StatusPartialContent, r.Start, r.Length
		default:
			rangeHeader = "" // several ranges, another unit, malformed: the whole file
		}
	}
	head := c.Method() == fiber.MethodHead
	if !head {
		if err := s.shop.SpendDownload(c.UserContext(), d, length); err != nil {
			return err
		}
	}
	ip := c.IP()
	// The log is written after the request ended, when its context is gone.
	ctx := context.WithoutCancel(c.UserContext())
	ps, inBucket := s.files.(presigner)
	// A conditional range goes through the shop: the bucket would compare
	// If-Range with its own ETag, not the shop's, and send the whole file
	// where one range was charged. So does a Range the bucket might read
	// otherwise than the shop did (bucketRange).
	if inBucket && !s.cfg.FilesProxy && !head && c.Get(fiber.HeaderIfRange) == "" && bucketRange(c.Get(fiber.HeaderRange), status) {
		signedRange := ""
		if status == fiber.StatusPartialContent {
			signedRange = c.Get(fiber.HeaderRange)
		}
		return s.redirectDownload(c, ps, d, signedRange, func(sent int64) { s.shop.LogDownload(ctx, d, sent, length, rangeHeader, ip) }, length)
	}
	var body io.ReadCloser
	if !head {
		body, err = s.files.Open(c.UserContext(), d.FileSHA256, start, length)
		if err != nil {
			s.shop.LogDownload(ctx, d, 0, length, rangeHeader, ip)
			if inBucket && c.UserContext().Err() == nil {
				s.log.Error("download from the file store", "file", d.FileSHA256, "err", err)
				return shop.ErrFilesUnavailable
			}
			return fmt.Errorf("open %s: %w", d.FileSHA256, err)
		}
	}
	c.Set(fiber.HeaderETag, d.ETag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	c.Set(fiber.HeaderContentType, downloadType(d))
	c.Status(status)
	if status == fiber.StatusPartialContent {
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, d.Size))
	}
	if head {
		c.Set(fiber.HeaderContentLength, strconv.FormatInt(length, 10))
		return nil
	}
	c.Context().SetBodyStream(&loggedBody{r: body, length: length, done: func(n int64) {
		s.shop.LogDownload(ctx, d, n, length, rangeHeader, ip)
	}}, int(length))
	return nil
}

// downloadType is the Content-Type a download is sent with.
func downloadType(d shop.Download) string {
	if d.ContentType == "" {
		return "application/octet-stream"
	}
	return d.ContentType
}

// canonicalRange is one byte range in its plainest spelling: digits
// without sign, leading zero or space.
var canonicalRange = regexp.MustCompile(`^bytes=(?:(?:0|[1-9][0-9]{0,17})-(?:0|[1-9][0-9]{0,17})?|-[1-9][0-9]{0,17})$`)

// bucketRange reports whether a download may be redirected to the bucket
// with the request's Range header (the browser sends it again there): no
// header, or one range (status 206) spelled so plainly that every S3
// service reads it as the shop did. The shop charged what it read; a
// service that read a spelling the shop accepts (a sign, spaces, a
// number too large) otherwise would refuse it after the charge, or ignore
// it and send the whole file for the price of a part, and a range the
// shop ignored (several, another unit) could get a part for the price of
// the whole. Those stream through the shop, which sends what it charged.
func bucketRange(header string, status int) bool {
	if header == "" {
		return true
	}
	return status == fiber.StatusPartialContent && canonicalRange.MatchString(header)
}

// presigner hands out short-lived links straight to a file in a bucket
// (s3files.Bucket).
type presigner interface {
	PresignGet(ctx context.Context, sha string, ttl time.Duration, name, contentType, rangeHeader string) (string, error)
}

// presignTTL is how long a bucket link works: long enough for the
// browser to follow the redirect, short enough that a shared link is
// useless a minute later.
const presignTTL = 60 * time.Second

// redirectDownload answers a charged download with a redirect to the file
// in the bucket, so the bytes do not pass through the shop. The link names
// the file as the customer knows it, and a range that was charged is
// signed into it: the bucket refuses the link with any other Range, so a
// link charged for a part cannot fetch the whole. The shop cannot see the
// transfer, so it is logged as handed over.
func (s *Server) redirectDownload(c *fiber.Ctx, ps presigner, d shop.Download, signedRange string, logged func(int64), length int64) error {
	u, err := ps.PresignGet(c.UserContext(), d.FileSHA256, presignTTL, d.Name, downloadType(d), signedRange)
	if err != nil {
		logged(0)
		s.log.Error("presign a download", "file", d.FileSHA256, "err", err)
		return shop.ErrFilesUnavailable
	}
	logged(length)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	return c.Redirect(u, fiber.StatusFound)
}

// fasthttp and io.Copy find WriteTo and Close with type assertions.
var (
	_ io.ReadCloser = (*loggedBody)(nil)
	_ io.WriterTo   = (*loggedBody)(nil)
)

// loggedBody streams a file section (FileOpener.Open), counting bytes,
// and logs the transfer once when fasthttp closes it (finished or cut
// off).
type loggedBody struct {
	r      io.ReadCloser
	length int64 // the section to send
	n      int64 // bytes sent so far
	once   sync.Once
	done   func(int64)
}

func (l *loggedBody) Read(p []byte) (int, error) {
	if l.n >= l.length {
		return 0, io.EOF
	}
	if rest := l.length - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	if err == io.EOF && l.n < l.length {
		err = io.ErrUnexpectedEOF // the file shrank under us
	} else if err == io.EOF {
		err = nil
	}
	return n, err
}

// WriteTo is how fasthttp copies the body (io.Copy prefers it). A file
// on disk (blobs.Dir) has its own WriteTo, which hands the file, limited
// to the section, to the connection's ReadFrom: sendfile(2), the bytes
// never pass through user space, as with c.SendFile. A bucket's body is
// copied through one buffer.
func (l *loggedBody) WriteTo(w io.Writer) (int64, error) {
	var n int64
	var err error
	if wt, ok := l.r.(io.WriterTo); ok {
		n, err = wt.WriteTo(w) // Open limited it to the section
	} else {
		n, err = io.Copy(w, io.LimitReader(l.r, l.length-l.n))
	}
	l.n += n
	if err == nil && l.n < l.length {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (l *loggedBody) Close() error {
	err := l.r.Close()
	l.once.Do(func() { l.done(l.n) })
	return err
}
