package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"
)

// securityHeaders sets the headers every response carries: a strict
// Content-Security-Policy (no inline script or style: behaviour lives in
// static/js, htmx's config in a meta tag), no sniffing, no framing, a
// Referrer-Policy that keeps same-origin referers (Fiber's CSRF check over
// https needs them). HSTS is set by hsts, on every response.
func (s *Server) securityHeaders() fiber.Handler {
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
	csp := strings.Join([]string{
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
	return helmet.New(helmet.Config{
		ContentSecurityPolicy:     csp,
		ReferrerPolicy:            "same-origin",
		XFrameOptions:             "DENY",
		HSTSMaxAge:                0,             // hsts below: helmet sends it only when the request itself came over https
		CrossOriginEmbedderPolicy: "unsafe-none", // require-corp blocks downloads and images
		CrossOriginOpenerPolicy:   "same-origin",
		CrossOriginResourcePolicy: "same-origin",
		PermissionPolicy:          "camera=(), microphone=(), geolocation=(), payment=()",
	})
}

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
