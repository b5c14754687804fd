package web

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/gofiber/fiber/v2"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
)

// Compression. Text responses (HTML, CSS, JavaScript, SVG, JSON, XML) go
// out gzip- or brotli-encoded when the browser accepts it. What is the same
// for everyone is compressed once, as hard as pays: the embedded assets at
// start-up (assets.go), cached pages when cached (pagecache.go). Everything
// else is gzipped per response at a fast level: brotli in pure Go costs
// several times gzip's time for a few per cent less, worth it only once.

const (
	// minCompressSize: below it the headers cost more than is saved.
	minCompressSize = 512
	// onceBrotliLevel and onceGzipLevel are for bytes compressed once and
	// sent many times; perResponseGzipLevel for a response compressed for
	// one request.
	onceBrotliLevel       = 6
	onceGzipLevel         = gzip.BestCompression
	perResponseGzipLevel  = 5
	encodingGzip          = "gzip"
	encodingBrotli        = "br"
	headerAcceptEncoding  = "Accept-Encoding"
	headerContentEncoding = "Content-Encoding"
	sandboxAPIPrefix      = "/sandbox/stripe/v1/"
)

// compressible reports whether a content type is text worth compressing.
// (It runs on every response: no allocation.)
func compressible(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	for _, t := range compressibleTypes {
		if strings.EqualFold(mt, t) {
			return true
		}
	}
	return false
}

var compressibleTypes = [...]string{"text/html", "text/css", "text/javascript", "application/javascript", "image/svg+xml",
	"application/json", "application/manifest+json", "application/ld+json", "application/xml", "text/xml", "text/plain"}

// negotiate picks the encoding for an Accept-Encoding header among the
// ones offered (brotli first): "br", "gzip", or "" for the bytes as they
// are. A coding with q=0 is refused, and "*" stands for any not named.
func negotiate(accept string, offerBrotli bool) string {
	br, gz, star := -1.0, -1.0, -1.0 // -1: not named
	for rest := accept; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		weight := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				weight = f
			}
		}
		switch {
		case strings.EqualFold(name, encodingBrotli):
			br = weight
		case strings.EqualFold(name, encodingGzip):
			gz = weight
		case name == "*":
			star = weight
		}
	}
	if br < 0 {
		br = max(star, 0)
	}
	if gz < 0 {
		gz = max(star, 0)
	}
	switch {
	case offerBrotli && br > 0 && br >= gz:
		return encodingBrotli
	case gz > 0:
		return encodingGzip
	case offerBrotli && br > 0:
		return encodingBrotli
	}
	return ""
}

// addVary adds Accept-Encoding to the response's Vary header, once.
// Pages set it in their own Vary, so this allocates only for responses
// that set another Vary.
func addVary(c *fiber.Ctx) {
	h := &c.Response().Header
	vary := h.Peek(fiber.HeaderVary)
	if len(vary) == 0 {
		h.Set(fiber.HeaderVary, headerAcceptEncoding)
		return
	}
	for rest := vary; len(rest) > 0; {
		var v []byte
		v, rest, _ = bytes.Cut(rest, []byte(","))
		if v = bytes.TrimSpace(v); bytes.EqualFold(v, []byte(headerAcceptEncoding)) || string(v) == "*" {
			return
		}
	}
	h.Set(fiber.HeaderVary, string(vary)+", "+headerAcceptEncoding)
}

// encodedETag is the ETag of an encoded form of the representation whose
// ETag is etag: a strong ETag names one sequence of bytes.
func encodedETag(etag, encoding string) string {
	if encoding == "" || !strings.HasSuffix(etag, `"`) {
		return etag
	}
	return strings.TrimSuffix(etag, `"`) + "-" + encoding + `"`
}

// compressed holds the encoded forms of bytes sent many times; a form is
// nil when it would not be smaller.
type compressed struct {
	gzip, brotli []byte
}

// compressOnce encodes b both ways, as hard as pays for bytes sent many
// times.
func compressOnce(b []byte) compressed {
	if len(b) < minCompressSize {
		return compressed{}
	}
	out := compressed{gzip: gzipOnce(b)}
	var buf bytes.Buffer
	bw := brotli.NewWriterLevel(&buf, onceBrotliLevel)
	bw.Write(b)
	bw.Close()
	if buf.Len() < len(b) {
		out.brotli = bytes.Clone(buf.Bytes())
	}
	return out
}

// gzipOnce gzips b as hard as pays; nil when that is no smaller.
func gzipOnce(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, onceGzipLevel) // the level is valid
	zw.Write(b)
	zw.Close()
	if buf.Len() >= len(b) {
		return nil
	}
	return bytes.Clone(buf.Bytes())
}

// pick returns the form for an encoding, or nil when there is none.
func (cp *compressed) pick(encoding string) []byte {
	switch encoding {
	case encodingBrotli:
		return cp.brotli
	case encodingGzip:
		return cp.gzip
	}
	return nil
}

// gzipWriters reuses gzip writers across responses (each holds several
// hundred KiB of tables).
type gzipWriters struct{ pool sync.Pool }

func (g *gzipWriters) get(w io.Writer) *gzip.Writer {
	if zw, ok := g.pool.Get().(*gzip.Writer); ok {
		zw.Reset(w)
		return zw
	}
	zw, _ := gzip.NewWriterLevel(w, perResponseGzipLevel) // the level is valid
	return zw
}

func (g *gzipWriters) put(zw *gzip.Writer) { g.pool.Put(zw) }

// compressResponses gzips the text responses that no handler encoded,
// for browsers that accept it, and says in Vary that text responses
// depend on Accept-Encoding. It renders errors itself (through the app's
// error handler) so error pages are compressed too.
func (s *Server) compressResponses(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), sandboxAPIPrefix) {
		// The sandbox's Stripe API answers the shop itself, on this
		// machine: encoding costs both ends and saves no network.
		return c.Next()
	}
	if err := c.Next(); err != nil {
		if herr := s.app.Config().ErrorHandler(c, err); herr != nil {
			return herr
		}
	}
	resp := c.Response()
	if !compressible(string(resp.Header.ContentType())) {
		return nil
	}
	addVary(c)
	status := resp.StatusCode()
	if len(resp.Header.Peek(headerContentEncoding)) > 0 || resp.IsBodyStream() || c.Method() == fiber.MethodHead ||
		status < 200 || status == fiber.StatusNoContent || status == fiber.StatusPartialContent || status == fiber.StatusNotModified {
		return nil
	}
	body := resp.Body()
	if len(body) < minCompressSize || negotiate(c.Get(headerAcceptEncoding), false) != encodingGzip {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 3)
	zw := s.gzips.get(&buf)
	zw.Write(body)
	zw.Close()
	s.gzips.put(zw)
	if buf.Len() >= len(body) {
		return nil
	}
	resp.SetBodyRaw(buf.Bytes())
	c.Set(headerContentEncoding, encodingGzip)
	if etag := string(resp.Header.Peek(fiber.HeaderETag)); etag != "" {
		c.Set(fiber.HeaderETag, encodedETag(etag, encodingGzip))
	}
	return nil
}

// Cached pages that carry the visitor's CSRF token cannot be compressed
// once as a whole: the token differs per visitor. Deflate can splice,
// though: each part of the page between tokens is compressed once into
// blocks that end on a byte boundary (a sync flush), and a visitor's page
// is those blocks with the token between them as stored (uncompressed)
// blocks, wrapped in a gzip header and a trailer (CRC-32 and length)
// computed per request. Brotli has no such seam; these pages go gzipped.

// gzipSplice is a page's parts, deflated once.
type gzipSplice struct {
	raw, deflated [][]byte
}

func newGzipSplice(parts [][]byte) *gzipSplice {
	g := &gzipSplice{raw: parts, deflated: make([][]byte, len(parts))}
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, onceGzipLevel) // the level is valid
	for i, p := range parts {
		buf.Reset()
		fw.Reset(&buf) // no back-references across a token
		fw.Write(p)
		fw.Flush() // ends the part's blocks on a byte boundary
		g.deflated[i] = bytes.Clone(buf.Bytes())
	}
	return g
}

// gzipHeader is a gzip member header: deflate, no name, no time, unknown
// OS.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

// writeTo writes the gzipped page with token between the parts (a
// response's body writer appends without allocating).
func (g *gzipSplice) writeTo(w io.Writer, token string) {
	w.Write(gzipHeader)
	crc, size := uint32(0), uint32(0)
	tok := []byte(token) // small; the CRC needs bytes
	var block [5]byte
	for i, part := range g.deflated {
		if i > 0 {
			w.Write(storedBlockHeader(&block, len(tok), false))
			w.Write(tok)
			crc = crc32.Update(crc, crc32.IEEETable, tok)
			size += uint32(len(tok))
		}
		w.Write(part)
		crc = crc32.Update(crc, crc32.IEEETable, g.raw[i])
		size += uint32(len(g.raw[i]))
	}
	w.Write(storedBlockHeader(&block, 0, true)) // the last block, empty
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc)
	binary.LittleEndian.PutUint32(trailer[4:], size)
	w.Write(trailer[:])
}

// storedBlockHeader fills b with the header of a stored deflate block of n
// bytes (at most 65,535), starting on a byte boundary.
func storedBlockHeader(b *[5]byte, n int, final bool) []byte {
	b[0] = 0 // BFINAL 0, BTYPE 00: stored
	if final {
		b[0] = 1
	}
	binary.LittleEndian.PutUint16(b[1:3], uint16(n))
	binary.LittleEndian.PutUint16(b[3:5], ^uint16(n))
	return b[:]
}
