package web_test

import (
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
