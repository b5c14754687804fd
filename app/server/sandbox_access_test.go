package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"vendo/app/vendotest"
)

// Issue 17, hole 1, through the whole shop behind a trusted proxy: a
// visitor cannot use the sandbox's API, events page or clock; an admin
// sees the key on the settings page and can.
func TestSandboxIsTheShopsOwnBehindAProxy(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{Env: map[string]string{"VENDO_TRUSTED_PROXIES": "127.0.0.1", "VENDO_ADMIN_EMAILS": "boss@example.com"}})
	// The proxy names the visitor in X-Forwarded-For.
	const visitorIP = "X-Forwarded-For"
	before := s.Sandbox.Now()

	visitor := s.NewClient()
	if resp, page := visitor.Get("/sandbox/stripe/events", visitorIP, "203.0.113.7"); resp.StatusCode != http.StatusForbidden || strings.Contains(page, "evt_") {
		t.Errorf("visitor on the events page: %d", resp.StatusCode)
	}
	if resp, _ := visitor.Post("/sandbox/stripe/clock", url.Values{"advance": {"31d"}}, visitorIP, "203.0.113.7"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("visitor moved the clock: %d", resp.StatusCode)
	}
	if d := s.Sandbox.Now().Sub(before); d > time.Hour {
		t.Fatalf("the clock moved by %v for a visitor", d)
	}
	s.Customer.SignIn("someone@example.com")
	if resp, _ := s.Customer.Get("/sandbox/stripe/clock", visitorIP, "203.0.113.8"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a signed-in customer on the clock page: %d", resp.StatusCode)
	}
	// A made-up test key gets Stripe's 401.
	req, _ := http.NewRequest("GET", s.URL+"/sandbox/stripe/v1/customers", nil)
	req.SetBasicAuth("sk_test_"+strings.Repeat("x", 32), "")
	if resp, body := visitor.Do(req); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, `"invalid_request_error"`) {
		t.Errorf("made-up key: %d %s", resp.StatusCode, body)
	}

	// The admin finds the key on the settings page, and it works.
	s.Admin.SignInAdmin()
	_, page := s.Admin.Get("/admin/settings")
	m := regexp.MustCompile(`id="sandbox_key" type="text" value="(sk_test_[A-Za-z0-9]+)"`).FindStringSubmatch(page)
	if m == nil || m[1] != s.Sandbox.SecretKey() || !strings.Contains(page, s.URL+"/sandbox/stripe") {
		t.Fatalf("the settings page does not show the sandbox key:\n%.2000s", page)
	}
	req, _ = http.NewRequest("GET", s.URL+"/sandbox/stripe/v1/customers?limit=1", nil)
	req.SetBasicAuth(m[1], "")
	if resp, body := visitor.Do(req); resp.StatusCode != http.StatusOK || !strings.Contains(body, `"object":"list"`) {
		t.Errorf("the settings page's key: %d %s", resp.StatusCode, body)
	}
	// The admin, through the same proxy, may use the events page and clock.
	if resp, page := s.Admin.Get("/sandbox/stripe/events", visitorIP, "203.0.113.9"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Events and webhook deliveries") {
		t.Errorf("admin on the events page: %d", resp.StatusCode)
	}
	if resp, body := s.Admin.Post("/sandbox/stripe/clock", url.Values{"advance": {"1d"}}, visitorIP, "203.0.113.9"); resp.StatusCode != http.StatusOK {
		t.Errorf("admin clock advance: %d %s", resp.StatusCode, body)
	}
	if d := s.Sandbox.Now().Sub(before); d < 24*time.Hour {
		t.Errorf("the admin's advance moved the clock by %v", d)
	}
}
