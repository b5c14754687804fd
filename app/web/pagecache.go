package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
)

// pageCache keeps rendered anonymous pages (home, catalog, product and
// plan pages) in memory. Any catalog or settings change bumps the version
// and so invalidates every entry at once. A page with forms is cached
// with a placeholder where the visitor's CSRF token goes, filled in per
// request, so one entry serves every anonymous visitor.
type pageCache struct {
	version atomic.Uint64
	mu      sync.RWMutex
	entries map[string]*cachedPage
	max     int // entries
	bytes   int // held now
}

// maxCacheBytes bounds the memory the cache holds, whatever URLs visitors
// make up.
const maxCacheBytes = 64 << 20

type cachedPage struct {
	version     uint64
	body        []byte
	contentType string
	etag        string // of the body with the placeholder
	hasToken    bool
	// parts is body split at the placeholders, so a visitor's page is
	// written straight into the response without building a copy first.
	parts [][]byte
	// Compressed forms (compress.go): a page without a token is gzipped
	// when cached and brotli-encoded on its second request (a search typed
	// letter by letter makes many pages asked for once); a page with one
	// is spliced into gzip per request.
	gzip   []byte
	splice *gzipSplice
	hits   atomic.Int32
	brOnce sync.Once
	br     []byte
}

// brotli returns the page brotli-encoded, encoding it on first use; nil
// when that is no smaller.
func (e *cachedPage) brotli() []byte {
	e.brOnce.Do(func() { e.br = compressOnce(e.body).brotli })
	return e.br
}

// tokenPlaceholder stands for the visitor's token in cached bytes; it is
// plain ASCII so template escaping leaves it alone.
const tokenPlaceholder = "vendoCSRFplaceholder7f3a9c"

func newPageCache(max int) *pageCache {
	return &pageCache{entries: map[string]*cachedPage{}, max: max}
}

// Invalidate drops every cached page (lazily: entries of an older version
// are re-rendered on their next request).
func (p *pageCache) Invalidate() { p.version.Add(1) }

func (p *pageCache) get(key string) *cachedPage {
	p.mu.RLock()
	e := p.entries[key]
	p.mu.RUnlock()
	if e == nil || e.version != p.version.Load() {
		return nil
	}
	return e
}

func (p *pageCache) put(key string, e *cachedPage) {
	p.mu.Lock()
	if len(p.entries) >= p.max || p.bytes+len(e.body) > maxCacheBytes {
		// Crude but bounded: start over rather than grow without limit
		// (the key space is URLs, which visitors choose).
		p.entries = make(map[string]*cachedPage, p.max)
		p.bytes = 0
	}
	if old := p.entries[key]; old != nil {
		p.bytes -= len(old.body)
	}
	p.entries[key] = e
	p.bytes += len(e.body)
	p.mu.Unlock()
}

// InvalidatePages is called when the catalog or the settings change.
func (s *Server) InvalidatePages() { s.pages.Invalidate() }

// cached serves anonymous GET pages from the page cache, rendering and
// storing them on a miss. Signed-in visitors, visitors with a cart (the
// header shows its count) and any request with a session bypass it.
func (s *Server) cached(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet || s.session(c) != nil || c.Cookies(cartCookie) != "" ||
		c.Cookies(codeCookie) != "" || c.Query("code") != "" || // the price depends on the code
		c.Get("HX-History-Restore-Request") == "true" {
		return c.Next()
	}
	key := c.OriginalURL()
	if isHTMX(c) {
		key += "\x00htmx"
	}
	token := s.csrfToken(c)
	if e := s.pages.get(key); e != nil {
		return s.sendCached(c, e, token)
	}
	version := s.pages.version.Load()
	if token != "" {
		c.Locals(localCSRF, tokenPlaceholder)
	}
	err := c.Next()
	if token != "" {
		c.Locals(localCSRF, token) // the error page, if any, gets the real one
	}
	if err != nil {
		return err
	}
	resp := c.Response()
	ct := string(resp.Header.ContentType())
	if resp.StatusCode() != fiber.StatusOK || !strings.HasPrefix(ct, "text/html") {
		if token != "" {
			resp.SetBody(bytes.ReplaceAll(resp.Body(), []byte(tokenPlaceholder), []byte(token)))
		}
		return nil
	}
	body := append([]byte(nil), resp.Body()...)
	sum := sha256.Sum256(body)
	e := &cachedPage{version: version, body: body, contentType: ct, etag: hex.EncodeToString(sum[:12]),
		hasToken: bytes.Contains(body, []byte(tokenPlaceholder))}
	if e.hasToken {
		e.parts = bytes.Split(body, []byte(tokenPlaceholder))
		if len(body) >= minCompressSize {
			e.splice = newGzipSplice(e.parts)
		}
	} else if len(body) >= minCompressSize && compressible(ct) {
		e.gzip = gzipOnce(body)
	}
	s.pages.put(key, e)
	return s.sendCached(c, e, token)
}

func (s *Server) sendCached(c *fiber.Ctx, e *cachedPage, token string) error {
	c.Set(fiber.HeaderContentType, e.contentType)
	c.Set(fiber.HeaderVary, "HX-Request, Cookie, Accept-Encoding")
	etag := e.etag
	if e.hasToken {
		// The token makes the bytes personal: no shared cache may keep them,
		// and the ETag covers the token too.
		t := sha256.Sum256([]byte(token))
		etag += "-" + hex.EncodeToString(t[:6])
		c.Set(fiber.HeaderCacheControl, "private, no-cache")
	} else {
		c.Set(fiber.HeaderCacheControl, "public, no-cache")
	}
	etag = `"` + etag + `"`
	accept := c.Get(headerAcceptEncoding)
	encoding := negotiate(accept, !e.hasToken && e.hits.Add(1) > 1)
	if encoding == encodingBrotli && e.brotli() == nil {
		encoding = negotiate(accept, false)
	}
	if encoding == encodingGzip && e.gzip == nil && e.splice == nil {
		encoding = ""
	}
	etag = encodedETag(etag, encoding)
	c.Set(fiber.HeaderETag, etag)
	if inm := c.Get(fiber.HeaderIfNoneMatch); inm != "" && strings.Contains(inm, etag) {
		c.Response().ResetBody()
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Status(fiber.StatusOK)
	if encoding != "" {
		c.Set(headerContentEncoding, encoding)
		switch {
		case encoding == encodingBrotli:
			return c.Send(e.br)
		case e.splice != nil:
			c.Response().ResetBody()
			e.splice.writeTo(c.Response().BodyWriter(), token)
			return nil
		default:
			return c.Send(e.gzip)
		}
	}
	if e.hasToken {
		// Appended into the response's pooled buffer: no allocation.
		resp := c.Response()
		resp.ResetBody()
		for i, part := range e.parts {
			if i > 0 {
				resp.AppendBodyString(token)
			}
			resp.AppendBody(part)
		}
		return nil
	}
	return c.Send(e.body)
}
