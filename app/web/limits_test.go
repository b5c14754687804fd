package web_test

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// The license API refuses a burst from one address with 429 and a JSON
// error, before it looks at any key.
func TestLicenseValidationIsRateLimited(t *testing.T) {
	shop := newTestShop(t)
	codes := map[int]int{}
	for i := 0; i < 70; i++ {
		req := httptest.NewRequest("POST", "/api/licenses/validate", strings.NewReader(`{"key":"VENDO-2222-3333-4444-5555"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, body := shop.do(t, req)
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
	shop := newTestShopEnv(t, map[string]string{"VENDO_TRUSTED_PROXIES": "0.0.0.0/0"})
	statuses := func(visitor string) (n429 int) {
		for i := 0; i < 61; i++ {
			req := httptest.NewRequest("POST", "/api/licenses/validate", strings.NewReader(`{"key":"VENDO-2222-3333-4444-5555"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-Forwarded-For", visitor)
			if resp, _ := shop.do(t, req); resp.StatusCode == 429 {
				n429++
			}
		}
		return
	}
	if a, b := statuses("203.0.113.1"), statuses("203.0.113.2"); a != 1 || b != 1 {
		t.Fatalf("429s: first visitor %d, second %d; want one each (separate limits)", a, b)
	}
}
