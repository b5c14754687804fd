package web

import (
	"context"
	"fmt"
	"io"
	"mime"
	"os"
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"
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
	f, err := os.Open(d.Path)
	if err != nil {
		if !head {
			s.shop.LogDownload(context.WithoutCancel(c.UserContext()), d, 0, length, rangeHeader, c.IP())
		}
		return fmt.Errorf("open %s: %w", d.FileSHA256, err)
	}
	c.Set(fiber.HeaderETag, d.ETag)
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	ct := d.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ct)
	c.Status(status)
	if status == fiber.StatusPartialContent {
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, d.Size))
	}
	if head {
		f.Close()
		c.Set(fiber.HeaderContentLength, strconv.FormatInt(length, 10))
		return nil
	}
	ip := c.IP()
	// The log is written after the request ended, when its context is gone.
	ctx := context.WithoutCancel(c.UserContext())
	body := &loggedFile{f: f, start: start, length: length, done: func(n int64) {
		s.shop.LogDownload(ctx, d, n, length, rangeHeader, ip)
	}}
	c.Context().SetBodyStream(body, int(length))
	return nil
}

// fasthttp and io.Copy find WriteTo and Close with type assertions.
var (
	_ io.ReadCloser = (*loggedFile)(nil)
	_ io.WriterTo   = (*loggedFile)(nil)
)

// loggedFile streams a file section, counting bytes, and logs the
// transfer once when fasthttp closes it (finished or cut off).
type loggedFile struct {
	f             *os.File
	start, length int64 // the section to send
	n             int64 // bytes sent so far
	once          sync.Once
	done          func(int64)
}

func (l *loggedFile) Read(p []byte) (int, error) {
	if l.n >= l.length {
		return 0, io.EOF
	}
	if rest := l.length - l.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := l.f.ReadAt(p, l.start+l.n)
	l.n += int64(n)
	if err == io.EOF && l.n < l.length {
		err = io.ErrUnexpectedEOF // the file shrank under us
	} else if err == io.EOF {
		err = nil
	}
	return n, err
}

// WriteTo is how fasthttp copies the body (io.Copy prefers it): the file,
// positioned at the section and limited to it, is handed to the
// connection's ReadFrom, which sends it with sendfile(2) — the bytes never
// pass through user space, as with c.SendFile.
func (l *loggedFile) WriteTo(w io.Writer) (int64, error) {
	if _, err := l.f.Seek(l.start+l.n, io.SeekStart); err != nil {
		return 0, err
	}
	n, err := io.Copy(w, io.LimitReader(l.f, l.length-l.n))
	l.n += n
	return n, err
}

func (l *loggedFile) Close() error {
	err := l.f.Close()
	l.once.Do(func() { l.done(l.n) })
	return err
}
