package vendotest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"vendo/app"
	"vendo/app/vendotest"
)

func TestStartServesASandboxShopWithTwoBrowsers(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	if s.Sandbox == nil || !strings.HasPrefix(s.URL, "http://127.0.0.1:") || s.Config.BaseURL != s.URL {
		t.Fatalf("sandbox %v, URL %q, base URL %q", s.Sandbox != nil, s.URL, s.Config.BaseURL)
	}
	if resp, page := s.Customer.Get("/"); resp.StatusCode != 200 || !strings.Contains(page, "Sandbox — no real payments") {
		t.Fatalf("home: %d", resp.StatusCode)
	}
	s.Customer.SignIn("ada@example.com")
	s.Admin.SignInAdmin()
	if resp, _ := s.Customer.Get("/admin"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the customer on /admin: %d, want 403", resp.StatusCode)
	}
	if resp, page := s.Admin.Get("/admin/customers?q=ada"); resp.StatusCode != 200 || !strings.Contains(page, "ada@example.com") {
		t.Errorf("the admin's customer list: %d", resp.StatusCode)
	}
	if c, err := s.Store.CustomerByEmail(context.Background(), "ada@example.com"); err != nil || !c.EmailVerified {
		t.Errorf("the customer in the store: %+v %v", c, err)
	}
}

// TestStripeModeAgainstAnotherShopsSandbox starts shop B in Stripe mode
// with shop A's sandbox as its Stripe: B mounts no sandbox, and its
// checkout creates the session on A.
func TestStripeModeAgainstAnotherShopsSandbox(t *testing.T) {
	t.Parallel()
	a := vendotest.Start(t, vendotest.Options{})
	b := vendotest.Start(t, vendotest.Options{StripeFrom: a})
	if b.Sandbox != nil || b.Config.SandboxMode() || b.Config.StripeAPIBase != a.URL+"/sandbox/stripe" {
		t.Fatalf("B: sandbox %v, API base %q", b.Sandbox != nil, b.Config.StripeAPIBase)
	}
	if _, page := b.Customer.Get("/"); strings.Contains(page, "Sandbox — no real payments") {
		t.Error("B shows the sandbox banner")
	}
	if resp, _ := b.Customer.Get("/sandbox/stripe/clock"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("B's /sandbox/stripe/clock: %d, want 404", resp.StatusCode)
	}
	p := app.Product{Slug: "b-kit", Title: "B Kit", Price: app.Money{Amount: 700, Currency: "usd"}, Active: true}
	if err := b.Store.PutProduct(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	b.Customer.AddToCart("b-kit")
	resp, page := b.Customer.Checkout()
	if !strings.HasPrefix(resp.Request.URL.String(), a.URL+"/sandbox/stripe/checkout/cs_") || !strings.Contains(page, "B Kit") {
		t.Fatalf("B's checkout landed on %s (%d)", resp.Request.URL, resp.StatusCode)
	}
}

// TestClockAndRestart: the store's clock is the test's, and a shop
// started again on the same directory is the same shop.
func TestClockAndRestart(t *testing.T) {
	t.Parallel()
	clock := vendotest.NewClock(time.Now())
	s := vendotest.Start(t, vendotest.Options{Now: clock.Now})
	s.Customer.SignIn("ada@example.com")
	clock.Advance(31 * 24 * time.Hour)
	if who := s.Customer.SignedInAs(); who != "" {
		t.Errorf("signed in as %q after 31 idle days", who)
	}
	s.Stop()

	again := vendotest.Start(t, vendotest.Options{DataDir: s.Dir})
	if _, err := again.Store.CustomerByEmail(context.Background(), "ada@example.com"); err != nil {
		t.Errorf("the restarted shop lost its customer: %v", err)
	}
}
