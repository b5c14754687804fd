package web_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

var (
	inlineScript  = regexp.MustCompile(`(?is)<script\b[^>]*>\s*[^<\s]`) // a script with a body
	eventHandler  = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	styleAttr     = regexp.MustCompile(`(?i)\sstyle\s*=`)
	scriptTag     = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	hasSrc        = regexp.MustCompile(`(?i)\ssrc\s*=`)
	inlineStyleEl = regexp.MustCompile(`(?i)<style\b`)
	dataBlock     = regexp.MustCompile(`(?i)<script type="application/ld\+json">`)
)

// TestSecurityHeadersAndNoInlineScript checks every page type for the
// headers and that nothing inline would need the CSP relaxed.
func TestSecurityHeadersAndNoInlineScript(t *testing.T) {
	t.Parallel()
	_, c := visitor(t, nil)
	for _, path := range []string{"/", "/products", "/products?q=icon", "/products/the-calm-inbox", "/plans", "/plans?interval=year",
		"/cart", "/login", "/checkout/cancel", "/no-such-page", "/healthz", "/static/css/app.css"} {
		resp, body := c.Get(path)
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline or eval: %q", path, csp)
		}
		for k, v := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
			if h.Get(k) != v {
				t.Errorf("%s: %s = %q, want %q", path, k, h.Get(k), v)
			}
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			continue
		}
		// A JSON-LD data block is never executed, so the CSP does not
		// apply to it; any other script must come from a file.
		for _, tag := range scriptTag.FindAllString(body, -1) {
			if !hasSrc.MatchString(tag) && !dataBlock.MatchString(tag) {
				t.Errorf("%s: inline script %q", path, tag)
			}
		}
		for _, m := range inlineScript.FindAllString(body, -1) {
			if !dataBlock.MatchString(m) {
				t.Errorf("%s: script with a body: %q", path, m)
			}
		}
		if m := eventHandler.FindString(body); m != "" {
			t.Errorf("%s: inline event handler %q", path, m)
		}
		if m := styleAttr.FindString(body); m != "" {
			t.Errorf("%s: inline style attribute %q", path, m)
		}
		if inlineStyleEl.MatchString(body) {
			t.Errorf("%s: inline <style> element", path)
		}
	}
}

// TestPathTraversalIsRefused tries to reach files outside what a route
// serves, plain and encoded: nothing answers 200.
func TestPathTraversalIsRefused(t *testing.T) {
	t.Parallel()
	_, c := visitor(t, nil)
	for _, path := range []string{
		"/downloads/../../etc/passwd", "/downloads/..%2f..%2fetc%2fpasswd", "/downloads/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"/downloads/....//....//etc/passwd", "/static/..%2f..%2fgo.mod", "/static/%2e%2e/%2e%2e/go.mod", "/static/../main.go",
		"/static/css/..%2f..%2f..%2fgo.mod", "/media/..%2f..%2fvendo.db", "/media/%2e%2e%2fsecret", "/sw.js/../go.mod",
	} {
		resp, body := c.Get(path)
		if resp.StatusCode == 200 || strings.Contains(body, "module vendo") || strings.Contains(body, "root:") {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
}

// TestHSTSOnEveryResponseOfAnHTTPSShop is issue 17, hole 9: behind a TLS
// proxy the shop sees plain http, yet its public address is https, so
// every answer — pages, errors, refusals, assets, the sandbox, the
// webhook — tells the browser to use https only. A shop served over http
// sends none (a browser would refuse it for two years).
func TestHSTSOnEveryResponseOfAnHTTPSShop(t *testing.T) {
	t.Parallel()
	s, c := visitor(t, map[string]string{"VENDO_BASE_URL": "https://shop.example"})
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/", ""},
		{"GET", "/products/the-calm-inbox", ""},
		{"GET", "/no-such-page", ""},
		{"GET", "/static/css/app.css", ""},
		{"GET", "/healthz", ""},
		{"GET", "/downloads/forged.token", ""},
		{"POST", "/cart/items", "product=x"},            // no CSRF token: 403
		{"POST", "/webhooks/stripe", "{}"},              // no signature: 400
		{"GET", "/sandbox/stripe/checkout/cs_nope", ""}, // the sandbox's own 404
		{"GET", "/sandbox/stripe/v1/customers", ""},     // the sandbox API's 401
	} {
		req, _ := http.NewRequest(r.method, s.URL+r.path, strings.NewReader(r.body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, _ := c.Do(req)
		if got := resp.Header.Get("Strict-Transport-Security"); !strings.Contains(got, "max-age=63072000") {
			t.Errorf("%s %s (%d): Strict-Transport-Security = %q", r.method, r.path, resp.StatusCode, got)
		}
	}
	// A body over the limit is refused by its declared length (413); sent
	// by hand, since a client still writing it when the answer comes
	// sees the connection reset.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /cart/items HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s", 2<<20, strings.Repeat("x", 64<<10))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	conn.Close()
	if err != nil || resp.StatusCode != 413 || !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=63072000") {
		t.Errorf("a body over the limit: %v %v", resp, err)
	}

	// The variation: headers too large for fasthttp's buffer fail before
	// any middleware runs (Fiber's server error handler answers).
	req, _ := http.NewRequest("GET", s.URL+"/", nil)
	req.Header.Set("X-Padding", strings.Repeat("p", 16<<10))
	req.Close = true
	if resp, _ := c.Do(req); resp.StatusCode < 400 || !strings.Contains(resp.Header.Get("Strict-Transport-Security"), "max-age=63072000") {
		t.Errorf("oversized headers (%d): Strict-Transport-Security = %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}

	_, plain := visitor(t, nil)
	if resp, _ := plain.Get("/"); resp.Header.Get("Strict-Transport-Security") != "" {
		t.Errorf("a shop on http sent HSTS: %q", resp.Header.Get("Strict-Transport-Security"))
	}
}

// TestOpenerIsolationOnPrivatePages: the account, admin and sign-in pages
// cut any cross-origin opener off (Cross-Origin-Opener-Policy:
// same-origin), so a page that opened them holds no handle to them. The
// storefront's public pages (no personal data, framing refused anyway) do
// not: isolating them makes a phone swap its browsing context group on
// every arrival from another site, the navigation's single longest task
// in Lighthouse (Performance 86–89 with it, 97–99 without, same pages).
func TestOpenerIsolationOnPrivatePages(t *testing.T) {
	t.Parallel()
	_, c := visitor(t, nil)
	nf := c.NoFollow()
	for path, want := range map[string]string{
		"/": "unsafe-none", "/products": "unsafe-none", "/products/the-calm-inbox": "unsafe-none", "/plans": "unsafe-none", "/cart": "unsafe-none",
		"/account": "same-origin", "/account/orders/x": "same-origin", "/admin": "same-origin", "/admin/products": "same-origin",
		"/login": "same-origin", "/login/email/nope": "same-origin", "/login/admin/nope": "same-origin", "/auth/github": "same-origin",
	} {
		resp, _ := nf.Get(path)
		if got := resp.Header.Values("Cross-Origin-Opener-Policy"); len(got) != 1 || got[0] != want {
			t.Errorf("%s (%d): Cross-Origin-Opener-Policy %q, want %q", path, resp.StatusCode, got, want)
		}
	}
}
