package sandbox

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stripe/stripe-go/v76"
)

// Issue 17, hole 1: the sandbox was anyone's. These tests are the
// attacks: a made-up test key, a visitor on the events page and clock.

func TestAPIRefusesAnyKeyButItsOwn(t *testing.T) {
	e := newEnv(t)
	if !strings.HasPrefix(e.key(), "sk_test_") || len(e.key()) < 40 {
		t.Fatalf("generated key %q", e.key())
	}
	cus, err := e.api.Customers.New(&stripe.CustomerParams{Email: stripe.String("ada@example.com")})
	if err != nil {
		t.Fatal(err)
	}
	guess := "sk_test_" + randomString(32)
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/v1/customers", ""},
		{"GET", "/v1/customers/" + cus.ID, ""},
		{"POST", "/v1/refunds", "charge=ch_x"},
		{"POST", "/v1/webhook_endpoints", "url=https://evil.example/hook&enabled_events[]=*"},
		{"GET", "/v1/webhook_endpoints", ""},
		{"GET", "/v1/widgets", ""},
	} {
		for _, key := range []string{guess, "sk_test_sandbox", "sk_live_" + randomString(24), ""} {
			req, _ := http.NewRequest(tc.method, e.sb.APIBase()+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var env struct {
				Error struct {
					Type    string `json:"type"`
					Message string `json:"message"`
				} `json:"error"`
			}
			_ = json.Unmarshal(raw, &env)
			if resp.StatusCode != http.StatusUnauthorized || env.Error.Type != "invalid_request_error" || env.Error.Message == "" ||
				strings.Contains(string(raw), "ada@example.com") {
				t.Errorf("%s %s with key %.12s…: %d %s", tc.method, tc.path, key, resp.StatusCode, raw)
			}
			if key != "" && strings.Contains(env.Error.Message, key) {
				t.Errorf("the error repeats the whole key: %s", env.Error.Message)
			}
		}
	}
	// Nothing was created by the refused calls.
	if it := e.api.WebhookEndpoints.List(&stripe.WebhookEndpointListParams{}); it.Next() {
		t.Errorf("a refused call registered endpoint %s", it.WebhookEndpoint().ID)
	}
	// The key is the sandbox's own: kept across restarts, different in
	// another sandbox.
	key := e.key()
	e.sb.Close()
	e.open(true)
	if e.key() != key {
		t.Error("the key changed at restart")
	}
	other, err := Open(Config{Path: filepath.Join(t.TempDir(), "other.db"), BaseURL: "http://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if other.SecretKey() == key || other.WebhookSecret() == e.sb.WebhookSecret() {
		t.Error("two sandboxes share a key or a webhook secret")
	}
}

// staffApp serves a sandbox in-process, as app.Test does: the remote
// address is 0.0.0.0, a visitor from elsewhere. admin marks requests
// carrying X-Admin: yes as an admin's (the shop's session check in
// production).
func staffApp(t *testing.T, base string) (*Sandbox, *fiber.App) {
	t.Helper()
	sb, err := Open(Config{Path: filepath.Join(t.TempDir(), "sb.db"), BaseURL: base, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Admin: func(c *fiber.Ctx) bool { return c.Get("X-Admin") == "yes" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	a := fiber.New(fiber.Config{DisableStartupMessage: true})
	sb.Mount(a.Group(mountPath))
	return sb, a
}

func do(t *testing.T, a *fiber.App, req *http.Request) (int, string) {
	t.Helper()
	resp, err := a.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func clockPost(advance string, admin bool) *http.Request {
	req := httptest.NewRequest("POST", mountPath+"/clock", strings.NewReader(url.Values{"advance": {advance}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if admin {
		req.Header.Set("X-Admin", "yes")
	}
	return req
}

func TestEventsAndClockAreForAdminsOrThisMachine(t *testing.T) {
	sb, a := staffApp(t, "http://127.0.0.1:8080")
	before := sb.offset()

	// A visitor from another address.
	for _, path := range []string{"/events", "/clock"} {
		if status, body := do(t, a, httptest.NewRequest("GET", mountPath+path, nil)); status != http.StatusForbidden || !strings.Contains(body, "admins") {
			t.Errorf("visitor GET %s: %d", path, status)
		}
	}
	if status, body := do(t, a, clockPost("31d", false)); status != http.StatusForbidden || !strings.Contains(body, "admins") {
		t.Errorf("visitor moved the clock: %d %s", status, body)
	}
	if sb.offset() != before {
		t.Fatalf("the clock moved for a visitor: %v", sb.offset())
	}
	// Nor may a visitor act as the bank or hold deliveries back.
	for _, tc := range []struct{ method, path string }{
		{"POST", "/charges/ch_x/dispute"}, {"POST", "/disputes/dp_x/close"}, {"POST", "/deliveries/hold"},
		{"POST", "/deliveries/unhold"}, {"GET", "/deliveries/held"}, {"POST", "/deliveries/release"},
	} {
		req := httptest.NewRequest(tc.method, mountPath+tc.path, strings.NewReader("type=*&outcome=won"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if status, body := do(t, a, req); status != http.StatusForbidden || !strings.Contains(body, "admins") {
			t.Errorf("visitor %s %s: %d", tc.method, tc.path, status)
		}
	}
	if h, _ := sb.Held(); len(h) != 0 || sb.hasHoldRules() {
		t.Error("a visitor's hold was kept")
	}

	// An admin can.
	if status, _ := do(t, a, clockPost("31d", true)); status != http.StatusOK || sb.offset()-before != 31*24*time.Hour {
		t.Errorf("admin clock advance: %d, offset %v", status, sb.offset())
	}
	req := httptest.NewRequest("GET", mountPath+"/events", nil)
	req.Header.Set("X-Admin", "yes")
	if status, body := do(t, a, req); status != http.StatusOK || !strings.Contains(body, "Events and webhook deliveries") {
		t.Errorf("admin events page: %d", status)
	}
}

func TestLocalMeansThisMachineAndNotForwarded(t *testing.T) {
	e := newEnv(t) // served on 127.0.0.1, reached over loopback
	if resp, _ := e.get(mountPath + "/events"); resp.StatusCode != http.StatusOK {
		t.Errorf("events page from this machine: %d", resp.StatusCode)
	}
	// A reverse proxy on this machine forwards visitors from anywhere.
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip"} {
		req, _ := http.NewRequest("GET", e.base+mountPath+"/events", nil)
		req.Header.Set(h, "203.0.113.9")
		resp, err := e.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("forwarded with %s: %d", h, resp.StatusCode)
		}
		req, _ = http.NewRequest("POST", e.base+mountPath+"/clock", strings.NewReader("advance=1d"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set(h, "203.0.113.9")
		if resp, err = e.http.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("forwarded clock advance with %s: %d", h, resp.StatusCode)
		}
	}
	if off := e.sb.offset(); off != 0 {
		t.Errorf("forwarded requests moved the clock by %v", off)
	}

	// A shop published under a public name (behind a TLS proxy on this
	// machine) counts no connection as local.
	e.sb.Close()
	e.cfg.BaseURL = "https://shop.example"
	e.open(true)
	if resp, _ := e.get(mountPath + "/events"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("events page of a published shop over loopback: %d", resp.StatusCode)
	}
}

func TestHostedPagesArePublicByUnguessableIDs(t *testing.T) {
	e := newEnv(t)
	c := e.catalog()
	s := e.paymentSession(c)
	if len(s.ID) < len("cs_test_")+35 {
		t.Errorf("session id %q is short enough to guess at", s.ID)
	}
	// A customer's page works from anywhere, and links to no operator page.
	sb, a := staffApp(t, "http://127.0.0.1:8080")
	_ = sb
	status, _ := do(t, a, httptest.NewRequest("GET", mountPath+"/checkout/cs_test_0000001aaaaaaaaaa", nil))
	if status != http.StatusNotFound {
		t.Errorf("a guessed session: %d", status)
	}
	resp, page := e.get(s.URL)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Events") {
		t.Errorf("checkout page on this machine: %d, staff links %v", resp.StatusCode, strings.Contains(page, "Test clock"))
	}
	e.sb.Close()
	e.cfg.BaseURL = "https://shop.example"
	e.open(true)
	resp, page = e.get(mountPath + "/checkout/" + s.ID)
	if resp.StatusCode != http.StatusOK || strings.Contains(page, "Test clock") || strings.Contains(page, "/events") {
		t.Errorf("checkout page for a visitor: %d, links to the operator pages %v", resp.StatusCode, strings.Contains(page, "Test clock"))
	}
}
