package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"vendo/app/vendotest"
)

// The license API refuses a burst from one address with 429 and a JSON
// error, before it looks at any key.
func TestLicenseValidationIsRateLimited(t *testing.T) {
	t.Parallel()
	_, c := visitor(t, nil)
	codes := map[int]int{}
	for i := 0; i < 70; i++ {
		resp, body := validate(t, c, `{"key":"VENDO-2222-3333-4444-5555"}`)
		codes[resp.StatusCode]++
		if resp.StatusCode == 429 && !strings.Contains(body, "Too many license checks") {
			t.Fatalf("429 body: %s", body)
		}
	}
	if codes[200] != 60 || codes[429] != 10 {
		t.Fatalf("statuses %v, want 60×200 and 10×429", codes)
	}
}

// Behind a trusted proxy, limits apply per visitor (X-Forwarded-For), not
// to the proxy's one address.
func TestLimitsFollowForwardedForFromTrustedProxies(t *testing.T) {
	t.Parallel()
	_, c := visitor(t, map[string]string{"VENDO_TRUSTED_PROXIES": "0.0.0.0/0"})
	statuses := func(visitor string) (n429 int) {
		for i := 0; i < 61; i++ {
			if resp, _ := validate(t, c, `{"key":"VENDO-2222-3333-4444-5555"}`, "X-Forwarded-For", visitor); resp.StatusCode == 429 {
				n429++
			}
		}
		return
	}
	if a, b := statuses("203.0.113.1"), statuses("203.0.113.2"); a != 1 || b != 1 {
		t.Fatalf("429s: first visitor %d, second %d; want one each (separate limits)", a, b)
	}
}

// validate posts a JSON body to the license API; header holds name, value
// pairs.
func validate(t *testing.T, c *vendotest.Client, body string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", c.URL("/api/licenses/validate"), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return c.Do(req)
}

// TestForwardedForCannotBeSpoofedPastTheProxy is issue 17, hole 4: with
// VENDO_TRUSTED_PROXIES set, the visitor's address was the whole
// X-Forwarded-For header as the client sent it, so 150 license checks
// with a rotating spoofed part were never limited, and junk was taken as
// an address. The visitor is now the right-most address the proxy did
// not vouch for; each shape an appending proxy produces, with the
// client's part rotating, is one visitor and meets the limit (60 a
// minute) after 60 checks.
func TestForwardedForCannotBeSpoofedPastTheProxy(t *testing.T) {
	t.Parallel()
	_, c := visitor(t, map[string]string{"VENDO_TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"})
	shapes := []struct {
		name  string
		lines func(i int) []string
	}{
		{"one line, the client's part then the proxy's", func(i int) []string {
			return []string{fmt.Sprintf("198.51.100.%d, 203.0.113.1", i%250)}
		}},
		{"two header lines", func(i int) []string {
			return []string{fmt.Sprintf("198.51.100.%d", i%250), "203.0.113.2"}
		}},
		{"spaces and ports", func(i int) []string {
			return []string{fmt.Sprintf("  198.51.100.%d:%d ,   203.0.113.3:%d  ", i%250, 1000+i, 2000+i)}
		}},
		{"two proxies, both trusted", func(i int) []string {
			return []string{fmt.Sprintf("198.51.100.%d, 203.0.113.4", i%250), "10.1.2.3"}
		}},
		{"IPv6 in brackets with a port", func(i int) []string {
			return []string{fmt.Sprintf("2001:db8:ffff::%x, [2001:db8:5:5::1]:443", i)}
		}},
		{"stepping through an IPv6 /64", func(i int) []string {
			return []string{fmt.Sprintf("2001:db8:6:6:%x::1", i+1)}
		}},
		{"IPv4-mapped IPv6", func(i int) []string {
			return []string{fmt.Sprintf("198.51.100.%d, ::ffff:203.0.113.7", i%250)}
		}},
		// Junk is no address: the proxy's own address stands in (one
		// visitor for all junk, whatever lies left of it).
		{"junk, rotating, alone or right of an address", func(i int) []string {
			if i%2 == 0 {
				return []string{fmt.Sprintf("not-an-address-%d", i)}
			}
			return []string{fmt.Sprintf("198.51.100.%d, unknown", i%250)}
		}},
	}
	for n, sh := range shapes {
		// A key of its own per shape: a key has its own limit (300 a
		// minute), which all the shapes together would reach.
		body := fmt.Sprintf(`{"key":"VENDO-2222-3333-4444-555%c"}`, "23456789ABCDEFGH"[n])
		limited := 0
		for i := 0; i < 150; i++ {
			req, _ := http.NewRequest("POST", c.URL("/api/licenses/validate"), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for _, l := range sh.lines(i) {
				req.Header.Add("X-Forwarded-For", l)
			}
			if resp, _ := c.Do(req); resp.StatusCode == 429 {
				limited++
			}
		}
		if limited != 90 {
			t.Errorf("%s: %d of 150 checks limited, want 90", sh.name, limited)
		}
	}
}
