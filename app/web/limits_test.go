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
