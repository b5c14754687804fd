package vendotest

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// The flows a customer goes through on a sandbox-mode shop, each failing
// the test at the step that went wrong.

var (
	productIDRE = regexp.MustCompile(`name="product" value="(prod_[a-z0-9]+)"`)
	prefillRE   = regexp.MustCompile(`name="email"[^>]*value="([^"]*)"`)
)

// AddToCart opens a product page and presses "Add to cart".
func (c *Client) AddToCart(slug string) {
	c.t.Helper()
	_, page := c.Get("/products/" + slug)
	m := productIDRE.FindStringSubmatch(page)
	if m == nil {
		c.t.Fatalf("no add-to-cart form on %s", slug)
	}
	resp, _ := c.Submit("/cart/items", url.Values{"product": {m[1]}, "quantity": {"1"}})
	if resp.StatusCode != 200 || !strings.Contains(resp.Request.URL.Path, "/cart") {
		c.t.Fatalf("add to cart: %d at %s", resp.StatusCode, resp.Request.URL)
	}
}

// Checkout opens the cart and presses "Checkout": in sandbox mode the
// browser lands on the sandbox's hosted Checkout page.
func (c *Client) Checkout() (*http.Response, string) {
	c.t.Helper()
	c.Get("/cart")
	return c.Submit("/checkout", url.Values{})
}

// Pay fills in the sandbox's hosted Checkout page the browser is on.
func (c *Client) Pay(email, card string) (*http.Response, string) {
	c.t.Helper()
	return c.Post(c.At.String(), url.Values{"email": {email}, "name": {"Test Buyer"}, "card_number": {card}, "exp": {"12/34"}, "cvc": {"123"}})
}

// Subscribe picks a plan on /plans and pays on the sandbox's Checkout,
// which prefills the signed-in customer's email; it ends on /account.
func (c *Client) Subscribe(plan, interval, card string) {
	c.t.Helper()
	c.Get("/plans?interval=" + interval)
	resp, page := c.Submit("/subscribe", url.Values{"plan": {plan}, "interval": {interval}})
	if !strings.Contains(resp.Request.URL.Path, "/sandbox/stripe/checkout/") {
		c.t.Fatalf("subscribe landed on %s (%d)\n%.600s", resp.Request.URL, resp.StatusCode, page)
	}
	email := ""
	if m := prefillRE.FindStringSubmatch(page); m != nil {
		email = m[1]
	}
	if email == "" {
		c.t.Fatal("the sandbox Checkout did not prefill the customer's email")
	}
	resp, page = c.Pay(email, card)
	if resp.Request.URL.Path != "/account" {
		c.t.Fatalf("after paying: %s (%d)\n%.800s", resp.Request.URL, resp.StatusCode, page)
	}
}
