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
// https needs them), and HSTS when the shop is served over https.
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
	hsts := 0
	if s.cfg.Secure() {
		hsts = 63072000 // two years
	}
	return helmet.New(helmet.Config{
		ContentSecurityPolicy:     csp,
		ReferrerPolicy:            "same-origin",
		XFrameOptions:             "DENY",
		HSTSMaxAge:                hsts,
		HSTSExcludeSubdomains:     true,
		CrossOriginEmbedderPolicy: "unsafe-none", // require-corp blocks downloads and images
		CrossOriginOpenerPolicy:   "same-origin",
		CrossOriginResourcePolicy: "same-origin",
		PermissionPolicy:          "camera=(), microphone=(), geolocation=(), payment=()",
	})
}
