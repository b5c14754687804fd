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
	s.encodeResponse(c)
	return nil
}

// encodeResponse is compressResponses' work on the response a handler
// made; the page cache's hit lane (pagecache.go) ends with it too.
func (s *Server) encodeResponse(c *fiber.Ctx) {
	resp := c.Response()
	if !compressible(string(resp.Header.ContentType())) {
		return
	}
	addVary(c)
	status := resp.StatusCode()
	if len(resp.Header.Peek(headerContentEncoding)) > 0 || resp.IsBodyStream() || c.Method() == fiber.MethodHead ||
		status < 200 || status == fiber.StatusNoContent || status == fiber.StatusPartialContent || status == fiber.StatusNotModified {
		return
	}
	body := resp.Body()
	if len(body) < minCompressSize || negotiate(c.Get(headerAcceptEncoding), false) != encodingGzip {
		return
	}
	var buf bytes.Buffer
	buf.Grow(len(body) / 3)
	zw := s.gzips.get(&buf)
	zw.Write(body)
	zw.Close()
	s.gzips.put(zw)
	if buf.Len() >= len(body) {
		return
	}
	resp.SetBodyRaw(buf.Bytes())
	c.Set(headerContentEncoding, encodingGzip)
	if etag := string(resp.Header.Peek(fiber.HeaderETag)); etag != "" {
		c.Set(fiber.HeaderETag, encodedETag(etag, encodingGzip))
	}
}

// Cached pages that carry the visitor's CSRF token cannot be compressed
// once as a whole: the token differs per visitor. Deflate can splice,
// though: each part of the page between tokens is compressed once into
// blocks that end on a byte boundary (a sync flush), and a visitor's page
// is those blocks with the token between them as stored (uncompressed)
// blocks, wrapped in a gzip header and a trailer (CRC-32 and length)
// computed per request. Brotli has no such seam; these pages go gzipped.

// gzipSplice is a page's parts, deflated once, with what the trailer
// needs of each: its CRC-32 and the operator that shifts a CRC past it.
type gzipSplice struct {
	deflated [][]byte
	crcs     []uint32 // CRC-32 of each raw part
	shifts   []uint32 // x^(8·len) mod P of each raw part (crc32Shift)
	size     uint32   // of the raw parts together
}

func newGzipSplice(parts [][]byte) *gzipSplice {
	g := &gzipSplice{deflated: make([][]byte, len(parts)), crcs: make([]uint32, len(parts)), shifts: make([]uint32, len(parts))}
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, onceGzipLevel) // the level is valid
	for i, p := range parts {
		buf.Reset()
		fw.Reset(&buf) // no back-references across a token
		fw.Write(p)
		fw.Flush() // ends the part's blocks on a byte boundary
		g.deflated[i] = bytes.Clone(buf.Bytes())
		g.crcs[i] = crc32.ChecksumIEEE(p)
		g.shifts[i] = crc32Shift(len(p))
		g.size += uint32(len(p))
	}
	return g
}

// gzipHeader is a gzip member header: deflate, no name, no time, unknown
// OS.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

// appendTo appends the gzipped page with token between the parts to dst.
// Per request, only the token is checksummed: the CRC runs on through the
// token's bytes, then jumps over each part with its precomputed shift
// and CRC (crc32Combine) instead of reading the part again.
func (g *gzipSplice) appendTo(dst []byte, token string) []byte {
	dst = append(dst, gzipHeader...)
	crc, size := uint32(0), g.size
	var block [5]byte
	for i, part := range g.deflated {
		if i > 0 {
			dst = append(dst, storedBlockHeader(&block, len(token), false)...)
			dst = append(dst, token...)
			crc = crc32.Update(crc, crc32.IEEETable, dst[len(dst)-len(token):])
			size += uint32(len(token))
			crc = crc32Combine(crc, g.crcs[i], g.shifts[i])
		} else {
			crc = g.crcs[0]
		}
		dst = append(dst, part...)
	}
	dst = append(dst, storedBlockHeader(&block, 0, true)...) // the last block, empty
	dst = binary.LittleEndian.AppendUint32(dst, crc)
	return binary.LittleEndian.AppendUint32(dst, size)
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

// CRC-32 arithmetic in GF(2) modulo the IEEE polynomial, bit-reflected, as
// zlib's crc32_combine does it: the CRC of A followed by B is the CRC of A
// multiplied by x^(8·len(B)) (A's CRC shifted past B's bytes), plus the
// CRC of B.

const crc32Poly = 0xedb88320 // IEEE, reflected

// crc32MulMod returns a·b modulo the polynomial.
func crc32MulMod(a, b uint32) uint32 {
	var p uint32
	for m := uint32(1) << 31; m != 0; m >>= 1 {
		if a&m != 0 {
			p ^= b
		}
		if b&1 != 0 {
			b = b>>1 ^ crc32Poly
		} else {
			b >>= 1
		}
	}
	return p
}

// crc32Shift returns x^(8·n) modulo the polynomial: the operator that
// shifts a CRC past n bytes.
func crc32Shift(n int) uint32 {
	p := uint32(1) << 31 // x^0
	x := uint32(1) << 23 // x^8: one byte
	for ; n > 0; n >>= 1 {
		if n&1 != 0 {
			p = crc32MulMod(x, p)
		}
		x = crc32MulMod(x, x)
	}
	return p
}

// crc32Combine returns the CRC-32 of A followed by B from A's CRC, B's
// CRC and crc32Shift(len(B)).
func crc32Combine(crcA, crcB, shiftB uint32) uint32 {
	return crc32MulMod(shiftB, crcA) ^ crcB
}
