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
func (s *Server) handleDownload(c *fiber.Ctx) error {
	token := c.Params("token")
	rangeHeader := c.Get(fiber.HeaderRange)
	// One download is counted per transfer from the first byte: resuming
	// with a Range, or a HEAD, does not use up the limit.
	r, ranged, _ := parseRange(rangeHeader, 1<<62)
	countIt := c.Method() == fiber.MethodGet && (!ranged || r.Start == 0)
	d, err := s.shop.OpenDownload(c.UserContext(), token, s.viewerID(c), countIt)
	if err != nil {
		return err
	}
	// A conditional range for a different version means "send it all".
	if ir := c.Get(fiber.HeaderIfRange); ir != "" && ir != d.ETag {
		rangeHeader = ""
	}
	f, err := os.Open(d.Path)
	if err != nil {
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

	start, length := int64(0), d.Size
	if rangeHeader != "" {
		r, ok, unsatisfiable := parseRange(rangeHeader, d.Size)
		switch {
		case unsatisfiable:
			f.Close()
			c.Set(fiber.HeaderContentRange, "bytes */"+strconv.FormatInt(d.Size, 10))
			return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
		case ok:
			start, length = r.Start, r.Length
			c.Status(fiber.StatusPartialContent)
			c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", start, start+length-1, d.Size))
		}
	}
	if c.Method() == fiber.MethodHead {
		f.Close()
		c.Set(fiber.HeaderContentLength, strconv.FormatInt(length, 10))
		return nil
	}
	ip := c.IP()
	// The log is written after the request ended, when its context is gone.
	ctx := context.WithoutCancel(c.UserContext())
	body := &loggedFile{f: f, start: start, length: length, done: func(n int64) {
		s.shop.LogDownload(ctx, d, n, rangeHeader, ip)
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
