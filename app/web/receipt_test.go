package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"vendo/app/vendotest"
)

var productFieldRE = regexp.MustCompile(`name="product" value="(prod_[a-z0-9]+)"`)

// A tab opened before its visitor signed in elsewhere sends the anonymous
// token: the refusal changes nothing, says why, and carries the token that
// works now; a plain form gets a page with a way back.
func TestStaleTokenIsAnsweredWithTheCurrentOne(t *testing.T) {
	shop := vendotest.Start(t, vendotest.Options{NoBackground: true})
	c := shop.Customer
	_, page := c.Get("/products/cafe-budget-planner")
	stale := c.CSRF()
	product := productFieldRE.FindStringSubmatch(page)[1]
	c.SignIn("twotabs@example.com") // "in another tab": same cookies, new session
	c.Get("/products/cafe-budget-planner")
	current := c.CSRF()
	if current == stale {
		t.Fatal("signing in kept the anonymous token")
	}
	add := url.Values{"product": {product}, "quantity": {"1"}, "_csrf": {stale}}

	resp, body := c.Post("/cart/items", add, "HX-Request", "true", "X-CSRF-Token", stale)
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("stale token: %d, want 403", resp.StatusCode)
	}
	if got := resp.Header.Get("X-CSRF-Token"); got != current {
		t.Errorf("the refusal carries token %q, want the session's %q", got, current)
	}
	if !strings.Contains(body, "Your session changed — please try again.") || !strings.Contains(body, `role="alert"`) {
		t.Errorf("the htmx refusal does not say what happened:\n%s", body)
	}
	if _, cart := c.Get("/cart"); !strings.Contains(cart, "Your cart is empty") {
		t.Fatal("the refused request changed the cart")
	}

	add.Set("_csrf", resp.Header.Get("X-CSRF-Token"))
	if resp, _ := c.Post("/cart/items", add, "HX-Request", "true", "X-CSRF-Token", add.Get("_csrf")); resp.StatusCode != http.StatusOK {
		t.Fatalf("retry with the token from the refusal: %d, want 200", resp.StatusCode)
	}

	add.Set("_csrf", stale)
	resp, body = c.NoFollow().Post("/cart/items", add, "Referer", shop.URL+"/products/cafe-budget-planner")
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "<h1>Your session changed</h1>") ||
		!strings.Contains(body, `href="/products/cafe-budget-planner"`) || !strings.Contains(body, "nothing was changed") {
		t.Fatalf("plain form with a stale token: %d\n%.2000s", resp.StatusCode, body)
	}
	// A referer from elsewhere is not offered as the way back.
	_, body = c.NoFollow().Post("/cart/items", add, "Referer", "https://evil.example/products/x")
	if strings.Contains(body, "evil.example") || strings.Contains(body, "Back to the page") {
		t.Error("the error page links back to another site")
	}
}

// Each order has a receipt page in the account, for its buyer only.
func TestOrderReceipt(t *testing.T) {
	shop := vendotest.Start(t, vendotest.Options{})
	buyer := shop.Customer
	buyer.SignIn("receipt@example.com")
	buyer.AddToCart("cafe-budget-planner")
	buyer.Checkout()
	if resp, page := buyer.Pay("receipt@example.com", "4242424242424242"); resp.StatusCode != 200 || !strings.Contains(page, "Thank you for your order") {
		t.Fatalf("pay: %d\n%.600s", resp.StatusCode, page)
	}
	_, account := buyer.Get("/account")
	m := regexp.MustCompile(`href="(/account/orders/[^"]+)"`).FindStringSubmatch(account)
	if m == nil {
		t.Fatalf("the account does not link the order's receipt:\n%.3000s", account)
	}
	resp, receipt := buyer.Get(m[1])
	for _, want := range []string{"Receipt for order #1001", "Café Budget Planner", "$7.00", ">Paid<", "receipt@example.com"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("the receipt lacks %q", want)
		}
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("receipt Cache-Control %q, want no-store", cc)
	}

	other := shop.NewClient()
	other.SignIn("someone-else@example.com")
	resp, body := other.Get(m[1])
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, "We couldn&#39;t find that order in your account.") || strings.Contains(body, "Café Budget Planner") {
		t.Errorf("someone else's receipt: %d\n%.1500s", resp.StatusCode, body)
	}
	if resp, _ := shop.NewClient().NoFollow().Get(m[1]); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signed out: %d, want 303 to sign in", resp.StatusCode)
	}
}

// A customer's error reads as a sentence about their order, never as
// Stripe's vocabulary.
func TestUnknownCheckoutSessionReadsPlainly(t *testing.T) {
	shop := vendotest.Start(t, vendotest.Options{NoBackground: true})
	resp, page := shop.NewClient().Get("/checkout/success?session_id=cs_test_unknown")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "We couldn&#39;t find that order or payment.") ||
		strings.Contains(page, "object") || strings.Contains(page, "Stripe does not") {
		t.Fatalf("unknown session: %d\n%.1500s", resp.StatusCode, page)
	}
}
