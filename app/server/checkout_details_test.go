package server_test

import (
	"strings"
	"testing"
)

// Issue 15, "Checkout and money details", in sandbox mode and in Stripe
// mode against another shop's sandbox (account, in foreign_test.go).

// TestCheckoutAgainAfterSubscribing: a signed-in customer without a Stripe
// customer yet opens Checkout for a cart (sent with customer_email) and
// leaves; then subscribes to a plan (which makes the Stripe customer) and
// checks the same cart out (sent with customer). The two requests differ,
// so they must not share an idempotency key: before, the second was
// refused by Stripe ("Keys for idempotent requests can only be used with
// the same parameters") for 24 hours.
func TestCheckoutAgainAfterSubscribing(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"sandbox", "stripe"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			acct := newAccount(t, mode, false)
			c := acct.shop.NewClient()
			c.SignIn("again@example.com")
			c.AddToCart("the-calm-inbox")
			resp, page := c.Checkout()
			if !strings.HasPrefix(resp.Request.URL.String(), acct.stripe.URL+"/sandbox/stripe/checkout/cs_") {
				t.Fatalf("first checkout landed on %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
			}
			first := resp.Request.URL.String()
			c.Subscribe("starter", "month", "4242424242424242")

			resp, page = c.Checkout()
			if !strings.HasPrefix(resp.Request.URL.String(), acct.stripe.URL+"/sandbox/stripe/checkout/cs_") {
				t.Fatalf("checkout after subscribing landed on %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
			}
			if resp.Request.URL.String() == first {
				t.Fatal("the second checkout reused the first session, made for a customer_email")
			}
			mustContain(t, page, "The Calm Inbox")
			resp, page = c.Pay("again@example.com", "4242424242424242")
			if resp.Request.URL.Path != "/checkout/success" {
				t.Fatalf("after paying: %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
			}
			mustContain(t, page, "Thank you for your order")
		})
	}
}

// TestItemsAddedWhilePayingStayInTheCart: the buyer leaves for Checkout
// with one product, adds another in the shop meanwhile, then pays. The
// purchased product leaves the cart; the one added later stays, and the
// cart badge on the success page counts it.
func TestItemsAddedWhilePayingStayInTheCart(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"sandbox", "stripe"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			acct := newAccount(t, mode, false)
			c := acct.shop.NewClient()
			c.AddToCart("the-calm-inbox")
			c.Checkout()
			checkout := c.At.String()
			c.AddToCart("sunrise-wallpapers") // in another tab
			c.Get(checkout)
			resp, page := c.Pay("tabs@example.com", "4242424242424242")
			if resp.Request.URL.Path != "/checkout/success" {
				t.Fatalf("after paying: %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
			}
			mustContain(t, page, "Thank you for your order", `aria-label="1 items in cart">1</span>`)
			_, cart := c.Get("/cart")
			mustContain(t, cart, "Sunrise Wallpapers")
			if strings.Contains(cart, "The Calm Inbox") {
				t.Error("the purchased product is still in the cart")
			}
		})
	}
}
