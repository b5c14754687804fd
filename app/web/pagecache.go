package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
)

// pageCache keeps rendered anonymous pages (home, catalog, product and
// plan pages) in memory. A page with forms is cached with a placeholder
// where the visitor's CSRF token goes, filled in per request, so one entry
// serves every anonymous visitor.
//
// Each entry remembers the versions of what it shows, and is re-rendered
// on its next request once one has moved: a change of the plans or the
// settings (which any page may show) bumps version and drops every page;
// a product edit bumps lists (the pages that list products) and that
// product's own pages, by slug, and leaves the other products' pages alone.
type pageCache struct {
	version atomic.Uint64
	lists   atomic.Uint64
	mu      sync.RWMutex
	entries map[string]*cachedPage
	// products holds, by slug, the stamp of the product's last change (a
	// value of bumps); a slug never changed is absent, as 0.
	products map[string]uint64
	bumps    uint64
	max      int // entries
	bytes    int // held now
	// placeholder stands for the visitor's token in cached bytes
	// (newPlaceholder).
	placeholder []byte
}

// What a cached page shows of the catalog, so which changes drop it.
type pageDep uint8

const (
	depLists   pageDep = iota // lists products: every product change
	depProduct                // one product's page: its own changes
	depNone                   // no product: plans and settings only
)

// pageStamp is the versions a page was rendered at.
type pageStamp struct {
	version, lists, product uint64
}

// maxCacheBytes bounds the memory the cache holds, whatever URLs visitors
// make up.
const maxCacheBytes = 64 << 20

type cachedPage struct {
	stamp       pageStamp
	dep         pageDep
	slug        string // of a depProduct page
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
	// mint says whether the page's route gives a visitor without a token
	// the anonymous cookie (withToken), as seen when it was served:
	// servePageHit needs it for such a visitor and leaves the page to the
	// middleware chain while it is unknown.
	mint atomic.Uint32
}

// The values of cachedPage.mint.
const (
	mintUnknown uint32 = iota
	mintYes
	mintNo
)

// noteMint records whether the route minted the cookie of an anonymous
// visitor served e with token: none brought (token ""), so not minted;
// one set on this response, so minted; else the visitor brought theirs
// and it says nothing.
func (e *cachedPage) noteMint(c *fiber.Ctx, token string) {
	m := mintNo
	if token != "" {
		if len(c.Response().Header.PeekCookie(anonCookie)) == 0 {
			return
		}
		m = mintYes
	}
	if e.mint.Load() != m {
		e.mint.Store(m)
	}
}

// brotli returns the page brotli-encoded, encoding it on first use; nil
// when that is no smaller.
func (e *cachedPage) brotli() []byte {
	e.brOnce.Do(func() { e.br = compressOnce(e.body).brotli })
	return e.br
}

// newPlaceholder makes the string that stands for the visitor's token in
// a cache's bytes: plain ASCII so template escaping leaves it alone, and
// random per process, because a page may show what a visitor typed (a
// search): a known placeholder in a link made by someone else would be
// replaced by the token of whoever opened it, where the link's author
// chose.
func newPlaceholder() []byte {
	var b [16]byte
	rand.Read(b[:])
	return []byte("vendoCSRF" + hex.EncodeToString(b[:]))
}

func newPageCache(max int) *pageCache {
	return &pageCache{entries: map[string]*cachedPage{}, products: map[string]uint64{}, max: max, placeholder: newPlaceholder()}
}

// Invalidate drops every cached page (lazily: entries of an older version
// are re-rendered on their next request).
func (p *pageCache) Invalidate() { p.version.Add(1) }

// maxProductStamps bounds the slugs remembered; past it, one change drops
// every page and the memory is given back.
const maxProductStamps = 1 << 16

// ProductsChanged drops the pages that list products and the pages of the
// products at slugs (a product's slug before and after an edit).
func (p *pageCache) ProductsChanged(slugs ...string) {
	p.mu.Lock()
	p.bumps++
	if len(p.products)+len(slugs) > maxProductStamps {
		p.products = map[string]uint64{}
		p.version.Add(1)
	}
	for _, slug := range slugs {
		p.products[slug] = p.bumps
	}
	p.lists.Add(1)
	p.mu.Unlock()
}

// stamp returns the versions a page of dep (at slug) is current at. A page
// takes its stamp before it reads the store, so a change committed while
// it renders leaves it stale, never a stale page current.
func (p *pageCache) stamp(dep pageDep, slug string) pageStamp {
	st := pageStamp{version: p.version.Load()}
	switch dep {
	case depLists:
		st.lists = p.lists.Load()
	case depProduct:
		p.mu.RLock()
		st.product = p.products[slug]
		p.mu.RUnlock()
	}
	return st
}

// get takes the key as bytes: the lookup converts it without a copy.
func (p *pageCache) get(key []byte) *cachedPage {
	p.mu.RLock()
	e := p.entries[string(key)]
	var product uint64
	if e != nil && e.dep == depProduct {
		product = p.products[e.slug]
	}
	p.mu.RUnlock()
	if e == nil || e.stamp.version != p.version.Load() ||
		(e.dep == depLists && e.stamp.lists != p.lists.Load()) ||
		(e.dep == depProduct && e.stamp.product != product) {
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

// InvalidatePages is called when the plans or the settings change, or
// many products at once.
func (s *Server) InvalidatePages() { s.pages.Invalidate(); s.signedPages.Invalidate() }

// ProductsChanged is called when products changed: the lists and the
// pages at slugs (each product's slug before and after) are dropped.
func (s *Server) ProductsChanged(slugs ...string) {
	s.pages.ProductsChanged(slugs...)
	s.signedPages.ProductsChanged(slugs...)
}

// cacheDep says what the page being cached shows of the catalog, from its
// route.
func cacheDep(c *fiber.Ctx) (pageDep, string) {
	switch c.Route().Path {
	case "/products/:slug":
		return depProduct, c.Params("slug")
	case "/plans":
		return depNone, ""
	}
	return depLists, ""
}

// cached serves anonymous GET pages from the page cache, rendering and
// storing them on a miss; signed-in visitors' pages come from a cache of
// their own, keyed also by their standing (signedpages.go). Visitors with
// an anonymous cart (the header shows its count) and a session that is
// not signed in bypass it.
func (s *Server) cached(c *fiber.Ctx) error {
	if c.Method() != fiber.MethodGet || c.Cookies(cartCookie) != "" ||
		c.Cookies(codeCookie) != "" || c.Query("code") != "" || // the price depends on the code
		c.Get("HX-History-Restore-Request") == "true" {
		return c.Next()
	}
	pages := s.pages
	// The key is looked up as bytes, copied only to be stored: a view of
	// the connection's buffer must not outlive the request.
	var kb [256]byte
	key := pageKey(kb[:0], c)
	signed := s.session(c) != nil
	if signed {
		st, ok, err := s.signedStateFor(c)
		if err != nil {
			return err
		}
		if !ok {
			return c.Next()
		}
		c.Locals(localSigned, st)
		pages, key = s.signedPages, append(append(key, 0), st.key...)
	}
	token := s.csrfToken(c)
	if e := pages.get(key); e != nil {
		if !signed {
			e.noteMint(c, token)
		}
		return s.sendCached(c, e, token)
	}
	dep, slug := cacheDep(c)
	stamp := pages.stamp(dep, slug)
	if token != "" {
		c.Locals(localCSRF, string(pages.placeholder))
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
			resp.SetBody(bytes.ReplaceAll(resp.Body(), pages.placeholder, []byte(token)))
		}
		return nil
	}
	e := newCachedPage(append([]byte(nil), resp.Body()...), ct, pages.placeholder)
	e.stamp, e.dep, e.slug = stamp, dep, slug
	if !signed {
		e.noteMint(c, token)
	}
	pages.put(string(key), e)
	return s.sendCached(c, e, token)
}

// pageKey appends the page cache's key of the request to dst: its address,
// and whether htmx asks for it.
func pageKey(dst []byte, c *fiber.Ctx) []byte {
	dst = append(dst, c.Request().Header.RequestURI()...)
	if isHTMX(c) {
		dst = append(dst, "\x00htmx"...)
	}
	return dst
}

// servePageHit is the page cache's lane: an anonymous visitor's GET of a
// page in the cache is answered here, first thing, instead of through the
// middleware chain and the route. A hit needs little of the chain, and its
// share of the time is largest for a cached page (make bench's compressed
// rows: a quarter of Vendo's CPU per request, which the bare-Fiber
// baseline does not spend). What the chain would add to a hit is done
// here by the same functions — HSTS, the security headers, the visitor's
// token (their anonymous cookie, or a new one where the route mints it:
// cachedPage.mint), sendCached, the encoding's Vary — and every request
// the chain would treat otherwise goes on to it: another method, a body,
// a session, a cart, a discount code, a history restore, debug logging (the
// chain logs each request), a page not cached or whose route's minting is
// not known yet. TestPageHitLaneAnswersAsTheChain compares both ways.
func (s *Server) servePageHit(c *fiber.Ctx) error {
	req := &c.Request().Header
	if n := req.ContentLength(); c.Method() != fiber.MethodGet || (n != 0 && n != -2) ||
		c.Cookies(sessionCookie) != "" || c.Cookies(cartCookie) != "" || c.Cookies(codeCookie) != "" ||
		c.Query("code") != "" || c.Get("HX-History-Restore-Request") == "true" ||
		s.log.Enabled(c.UserContext(), slog.LevelDebug) {
		return c.Next()
	}
	var kb [256]byte
	e := s.pages.get(pageKey(kb[:0], c))
	if e == nil {
		return c.Next()
	}
	token, mint := s.cookieToken(c), false
	if token == "" {
		switch e.mint.Load() {
		case mintUnknown:
			return c.Next()
		case mintYes:
			mint = true
		}
	}
	s.hsts(c)
	s.security.apply(c)
	if mint {
		s.setAnonCookie(c)
		token = s.csrfToken(c)
	}
	if err := s.sendCached(c, e, token); err != nil {
		return err
	}
	if len(c.Response().Header.ContentEncoding()) == 0 {
		// An encoded page has its Vary already (cachedVary): nothing
		// for encodeResponse to do.
		s.encodeResponse(c)
	}
	return nil
}

// newCachedPage prepares a rendered body, whose visitor's token is
// placeholder, for sendCached: split at the token, compressed once.
func newCachedPage(body []byte, contentType string, placeholder []byte) *cachedPage {
	sum := sha256.Sum256(body)
	e := &cachedPage{body: body, contentType: contentType, etag: hex.EncodeToString(sum[:12]),
		hasToken: bytes.Contains(body, placeholder)}
	if e.hasToken {
		e.parts = bytes.Split(body, placeholder)
		if len(body) >= minCompressSize {
			e.splice = newGzipSplice(e.parts)
		}
	} else if len(body) >= minCompressSize && compressible(contentType) {
		e.gzip = gzipOnce(body)
	}
	return e
}

// What sendCached sets, prepared: c.Set would copy and normalize each
// header's name on every request.
var (
	headerVaryBytes         = []byte(fiber.HeaderVary)
	headerCacheControlBytes = []byte(fiber.HeaderCacheControl)
	headerETagBytes         = []byte(fiber.HeaderETag)
	cachedVary              = []byte("HX-Request, Cookie, Accept-Encoding")
	cachedPublic            = []byte("public, no-cache")
	cachedPrivate           = []byte("private, no-cache")
)

func (s *Server) sendCached(c *fiber.Ctx, e *cachedPage, token string) error {
	resp := c.Response()
	h := &resp.Header
	h.SetContentType(e.contentType)
	h.SetCanonical(headerVaryBytes, cachedVary)
	// Read in place: c.Get would copy each value (Immutable).
	req := &c.Request().Header
	accept := string(req.Peek(headerAcceptEncoding))
	// The first request of a page without a token gets no brotli (see
	// cachedPage); the counter stops at 2 so hits stop writing to it.
	offerBrotli := !e.hasToken && (e.hits.Load() > 1 || e.hits.Add(1) > 1)
	encoding := negotiate(accept, offerBrotli)
	if encoding == encodingBrotli && e.brotli() == nil {
		encoding = negotiate(accept, false)
	}
	if encoding == encodingGzip && e.gzip == nil && e.splice == nil {
		encoding = ""
	}
	// The ETag, built on the stack: "page[-token][-encoding]" (encodedETag).
	var buf [96]byte
	etag := append(append(buf[:0], '"'), e.etag...)
	if e.hasToken {
		// The token makes the bytes personal: no shared cache may keep them,
		// and the ETag covers the token too.
		var tb [64]byte
		t := sha256.Sum256(append(tb[:0], token...))
		etag = hex.AppendEncode(append(etag, '-'), t[:6])
		h.SetCanonical(headerCacheControlBytes, cachedPrivate)
	} else {
		h.SetCanonical(headerCacheControlBytes, cachedPublic)
	}
	if encoding != "" {
		etag = append(append(etag, '-'), encoding...)
	}
	etag = append(etag, '"')
	h.SetCanonical(headerETagBytes, etag)
	if inm := req.Peek(fiber.HeaderIfNoneMatch); len(inm) > 0 && bytes.Contains(inm, etag) {
		resp.ResetBody()
		return c.SendStatus(fiber.StatusNotModified)
	}
	resp.SetStatusCode(fiber.StatusOK)
	if encoding != "" {
		h.SetContentEncoding(encoding)
		switch {
		case encoding == encodingBrotli:
			resp.SetBodyRaw(e.br)
		case e.splice != nil:
			// Into the response's pooled buffer: no allocation.
			resp.SwapBody(e.splice.appendTo(resp.SwapBody(nil)[:0], token))
		default:
			resp.SetBodyRaw(e.gzip)
		}
		return nil
	}
	if e.hasToken {
		// Appended into the response's pooled buffer: no allocation.
		resp.ResetBody()
		for i, part := range e.parts {
			if i > 0 {
				resp.AppendBodyString(token)
			}
			resp.AppendBody(part)
		}
		return nil
	}
	resp.SetBodyRaw(e.body)
	return nil
}
