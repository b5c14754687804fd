package web

import (
	"bytes"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// securityHeaders sets the headers every response carries: a strict
// Content-Security-Policy (no inline script or style: behaviour lives in
// static/js, htmx's config in a meta tag), no sniffing, no framing, a
// Referrer-Policy that keeps same-origin referers (Fiber's CSRF check over
// https needs them). HSTS is set by hsts, on every response.
func (s *Server) securityHeaders() fiber.Handler { return s.security.middleware }

// privatePaths are the pages with a visitor's own data or the shop's
// keys: account, admin, sign-in. They get Cross-Origin-Opener-Policy:
// same-origin, so a page that opened them keeps no handle to them. The
// public storefront does not (securityHeaderList sends unsafe-none): it
// shows nothing personal and refuses framing, and isolating it makes a
// phone swap browsing context groups on every arrival from another site,
// a navigation's longest task (Lighthouse mobile: 86–89 with, 97–99
// without, the same pages).
var privatePaths = [][]byte{[]byte("/account"), []byte("/admin"), []byte("/login"), []byte("/auth/"), []byte("/logout")}

func privatePath(path []byte) bool {
	for _, p := range privatePaths {
		if bytes.HasPrefix(path, p) && (len(path) == len(p) || p[len(p)-1] == '/' || path[len(p)] == '/') {
			return true
		}
	}
	return false
}

// setHeaders is a middleware setting headers on every response, with
// the opener isolated on private pages (privatePaths).
func setHeaders(headers []securityHeader) fiber.Handler {
	return newHeaderSet(headers).middleware
}

// headerSet is the security headers, prepared as bytes once.
type headerSet struct {
	kv             [][2][]byte
	coop, isolated []byte
}

func newHeaderSet(headers []securityHeader) *headerSet {
	set := &headerSet{coop: []byte("Cross-Origin-Opener-Policy"), isolated: []byte("same-origin")}
	for _, h := range headers {
		set.kv = append(set.kv, [2][]byte{[]byte(h.name), []byte(h.value)})
	}
	return set
}

func (set *headerSet) middleware(c *fiber.Ctx) error {
	set.apply(c)
	return c.Next()
}

// apply sets the headers on c's response. The page cache's hit lane
// (pagecache.go) calls it too: one list for both ways to a page.
func (set *headerSet) apply(c *fiber.Ctx) {
	h := &c.Response().Header
	for _, p := range set.kv {
		h.SetCanonical(p[0], p[1])
	}
	if privatePath(c.Request().URI().Path()) {
		h.SetCanonical(set.coop, set.isolated)
	}
}

// contentSecurityPolicy is the shop's CSP.
func (s *Server) contentSecurityPolicy() string {
	// Checkout and the portal are reached by form posts that redirect:
	// browsers apply form-action to the redirect target too.
	formAction := "'self'"
	if !s.cfg.SandboxMode() {
		formAction += " https://checkout.stripe.com https://billing.stripe.com"
		// A Stripe stand-in at STRIPE_API_BASE (another Vendo's sandbox)
		// serves its hosted pages from its own origin.
		if u, err := url.Parse(s.cfg.StripeAPIBase); err == nil && u.Scheme != "" && u.Host != "" {
			formAction += " " + u.Scheme + "://" + u.Host
		}
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self'",
		"connect-src 'self'",
		"object-src 'none'",
		"base-uri 'self'",
		"frame-ancestors 'none'",
		"form-action " + formAction,
	}, "; ")
}

// securityHeaderList is what securityHeaders sets, names in canonical
// form: the headers helmet.New set with the shop's configuration (its
// defaults for the ones not named; TestSecurityHeadersAsHelmet checks
// they stay equal). They are written as prepared bytes: helmet sets each
// with c.Set, which copies and normalizes the name and scans the value
// for line breaks on every response, a fifth of a cached page's time.
func securityHeaderList(csp string) []securityHeader {
	return []securityHeader{
		{"X-Xss-Protection", "0"},
		{fiber.HeaderXContentTypeOptions, "nosniff"},
		{fiber.HeaderXFrameOptions, "DENY"},
		{"Cross-Origin-Embedder-Policy", "unsafe-none"}, // require-corp blocks downloads and images
		{"Cross-Origin-Opener-Policy", "unsafe-none"},   // same-origin on private pages only (privatePaths)
		{"Cross-Origin-Resource-Policy", "same-origin"},
		{"Origin-Agent-Cluster", "?1"},
		{"Referrer-Policy", "same-origin"},
		{"X-Dns-Prefetch-Control", "off"},
		{"X-Download-Options", "noopen"},
		{"X-Permitted-Cross-Domain-Policies", "none"},
		// HSTS is hsts's, below: helmet sends it only when the request
		// itself came over https.
		{fiber.HeaderContentSecurityPolicy, csp},
		{fiber.HeaderPermissionsPolicy, "camera=(), microphone=(), geolocation=(), payment=()"},
	}
}

// securityHeader is a response header, its name in canonical form.
type securityHeader struct{ name, value string }

// hstsValue is two years, this host only (the shop may share a domain
// with sites it knows nothing about).
const hstsValue = "max-age=63072000"

// hsts marks the response https-only whenever the shop's public address
// (VENDO_BASE_URL) is https. It does not look at the request: behind a
// TLS proxy every request arrives as plain http, which is why helmet's
// own HSTS (sent only for requests that came over https) never fired
// (issue 17, hole 9). It runs first, and the error handler calls it
// again for errors raised before any middleware ran.
func (s *Server) hsts(c *fiber.Ctx) {
	if s.cfg.Secure() {
		c.Set(fiber.HeaderStrictTransportSecurity, hstsValue)
	}
}

// withHSTS is hsts as the first middleware.
func (s *Server) withHSTS(c *fiber.Ctx) error {
	s.hsts(c)
	return c.Next()
}
