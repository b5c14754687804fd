package web

import (
	"bytes"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// Request bodies stream (fiber.Config.StreamRequestBody): Fiber does not
// read them before the handler, so an upload goes from the socket to disk
// without ever being held in memory. That also means Fiber's own BodyLimit
// no longer refuses anything (fasthttp streams an oversized body rather
// than failing), so bodyLimit does it, per route: 1 MiB for every form,
// JSON and webhook, the configured upload limit for the upload routes.

// formBodyLimit is the largest body of any route but an upload.
const formBodyLimit = 1 << 20

// multipartSlack is room for the multipart framing around an upload's
// file (boundaries, part headers, the CSRF field).
const multipartSlack = 64 << 10

// uploadRouteRE matches the routes whose body is a streamed upload (Fiber
// routes ignore case and a trailing slash, so the match does too).
var uploadRouteRE = regexp.MustCompile(`^/admin/products/[^/]+/(files|cover)/?$`)

func isUploadRoute(c *fiber.Ctx) bool {
	return c.Method() == fiber.MethodPost && uploadRouteRE.MatchString(strings.ToLower(c.Path()))
}

const localBodyLimit = "vendo.body_limit" // int64, the limit bodyLimit applied

// errTooLarge is the answer to a body over its route's limit.
func errTooLarge(limit int64) error {
	return app.Errorf(app.ETOOLARGE, "That is larger than this shop accepts here (at most %s). Nothing was changed.", humanBytes(limit))
}

// bodyLimit refuses (413) a request whose declared Content-Length is over
// its route's limit before reading a byte of it, and caps a chunked body
// (no Content-Length) as it is read: for an ordinary route it is read here,
// at most the limit, and handed on as a normal body; an upload handler
// reads it through uploadStream, which stops at the limit. After the
// handler, what it left unread of a small body is drained so the next
// request on the connection starts where it should; an upload left unread
// closes the connection instead of reading on.
func (s *Server) bodyLimit(c *fiber.Ctx) error {
	upload := isUploadRoute(c)
	limit := int64(formBodyLimit)
	if upload {
		limit = s.cfg.UploadLimit + multipartSlack
	}
	c.Locals(localBodyLimit, limit)
	n := c.Request().Header.ContentLength() // -1: chunked, -2: no body
	if int64(n) > limit {
		lingerClose(c)
		return errTooLarge(limit - multipartSlackIf(upload))
	}
	if n == -1 && !upload {
		if rs := c.Context().RequestBodyStream(); rs != nil {
			var buf bytes.Buffer
			if m, err := io.Copy(&buf, io.LimitReader(rs, limit+1)); err != nil {
				lingerClose(c)
				return app.Errorf(app.EINVALID, "The request body could not be read.")
			} else if m > limit {
				lingerClose(c)
				return errTooLarge(limit)
			}
			c.Request().SetBody(buf.Bytes())
			c.Request().Header.SetContentLength(buf.Len())
		}
	}
	err := c.Next()
	if rs := c.Context().RequestBodyStream(); rs != nil {
		rest := limit
		if upload {
			rest = multipartSlack
		}
		if m, derr := io.Copy(io.Discard, io.LimitReader(rs, rest+1)); derr != nil || m > rest {
			lingerClose(c)
		}
	}
	return err
}

// Lingering close: how long and how much of a refused body is read and
// dropped after the answer.
const (
	lingerTimeout = 5 * time.Second
	lingerMax     = 64 << 20
)

// lingerClose ends the connection after the response without handing the
// rest of the request body to anyone: the response is written, the write
// side shut, and what the client is still sending is read and dropped for
// a few seconds, so a browser in the middle of a large upload sees the
// answer (a 413) rather than a connection reset, as nginx's lingering
// close does. Past lingerMax or lingerTimeout the connection just closes.
func lingerClose(c *fiber.Ctx) {
	c.Context().Hijack(func(conn net.Conn) {
		raw := conn
		if u, ok := conn.(interface{ UnsafeConn() net.Conn }); ok {
			raw = u.UnsafeConn()
		}
		if cw, ok := raw.(interface{ CloseWrite() error }); ok {
			cw.CloseWrite()
		}
		conn.SetReadDeadline(time.Now().Add(lingerTimeout))
		io.Copy(io.Discard, io.LimitReader(conn, lingerMax))
	})
}

func multipartSlackIf(upload bool) int64 {
	if upload {
		return multipartSlack
	}
	return 0
}

// errUploadTooLarge is what uploadStream returns past the limit.
var errUploadTooLarge = errors.New("upload over the limit")

// uploadStream is the request body of an upload route as a stream capped
// at the route's limit. Every read pushes the connection's read deadline
// forward, so a long upload is not cut by the server's ReadTimeout while
// a stalled one still times out.
func (s *Server) uploadStream(c *fiber.Ctx) io.Reader {
	limit, _ := c.Locals(localBodyLimit).(int64)
	if limit <= 0 {
		limit = s.cfg.UploadLimit + multipartSlack
	}
	var r io.Reader = c.Context().RequestBodyStream()
	if r == nil { // streaming off (a test app): the body is in memory already
		r = bytes.NewReader(c.Body())
	}
	return &cappedReader{r: r, left: limit, conn: c.Context().Conn(), idle: 60 * time.Second}
}

type cappedReader struct {
	r    io.Reader
	left int64
	conn net.Conn
	idle time.Duration
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// One byte more than allowed tells "exactly the limit" from "over".
		var one [1]byte
		if _, err := io.ReadFull(c.r, one[:]); err == nil {
			return 0, errUploadTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	if c.conn != nil {
		c.conn.SetReadDeadline(time.Now().Add(c.idle))
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
