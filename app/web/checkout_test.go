package web_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"vendo/app"
	"vendo/app/store"
	"vendo/app/vendotest"
)

// buy signs a browser in as email (unless email is ""), buys slug with
// the good card and returns the success page's URL and body.
func buy(t *testing.T, s *vendotest.Shop, c *vendotest.Client, email, slug string) (string, string) {
	t.Helper()
	if email != "" {
		c.SignIn(email)
	} else {
		email = "anonymous-buyer@example.com"
	}
	c.AddToCart(slug)
	c.Checkout()
	resp, page := c.Pay(email, "4242 4242 4242 4242")
	if resp.Request.URL.Path != "/checkout/success" || !strings.Contains(page, "Thank you") {
		t.Fatalf("after paying: %s (%d)\n%.800s", resp.Request.URL, resp.StatusCode, page)
	}
	return resp.Request.URL.String(), page
}

func setCookie(c *vendotest.Client, base, name, value string) {
	u, _ := url.Parse(base)
	c.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/"}})
}

// TestSuccessPageTrustsOnlyTheBuyersSignedCart is issue 17, hole 2: a
// signed-in buyer's cart id was cart_c_<customer id>, the customer id
// could be read from any download link, and the success page believed a
// vendo_cart cookie saying so: a stranger with the success URL saw the
// buyer's email and fresh download links. The cookie is now signed, and
// download links carry no customer id.
func TestSuccessPageTrustsOnlyTheBuyersSignedCart(t *testing.T) {
	t.Parallel()
	s := vendotest.Start(t, vendotest.Options{})
	ctx := context.Background()
	buyer := s.NewClient()
	successURL, page := buy(t, s, buyer, "victim@example.com", "the-calm-inbox")
	if !downloadRE.MatchString(page) {
		t.Fatalf("the buyer's success page has no download links:\n%.1200s", page)
	}
	cust, err := s.Store.CustomerByEmail(ctx, "victim@example.com")
	if err != nil {
		t.Fatal(err)
	}

	// No link that leaves the shop names the customer.
	for _, m := range downloadRE.FindAllStringSubmatch(page, -1) {
		token := m[1][strings.LastIndex(m[1], "/")+1:]
		payload, _, _ := strings.Cut(token, ".")
		raw, _ := base64.RawURLEncoding.DecodeString(payload)
		if strings.Contains(token, cust.ID) || strings.Contains(string(raw), cust.ID) {
			t.Errorf("a download token names the customer %s: %q", cust.ID, raw)
		}
	}

	// The attack, and its variations: the forged cookie; the same with a
	// signature taken from a real cookie; an old, unsigned anonymous
	// cookie for the right cart (an anonymous buyer's, below).
	stranger := s.NewClient()
	stranger.AddToCart("sunrise-wallpapers") // a genuine signed cookie of its own
	own := stranger.Cookie("vendo_cart")
	_, sig, _ := strings.Cut(own, ".")
	for _, forged := range []string{app.CustomerCartID(cust.ID), app.CustomerCartID(cust.ID) + "." + sig, own} {
		setCookie(stranger, s.URL, "vendo_cart", forged)
		_, page := stranger.Get(successURL)
		if strings.Contains(page, "victim@example.com") || downloadRE.MatchString(page) || !strings.Contains(page, "is paid") {
			t.Errorf("with vendo_cart=%q a stranger sees:\n%.1200s", forged, page)
		}
	}

	// An anonymous buyer still sees their order (their browser's signed
	// cart became it); the cart id alone, unsigned, shows nothing.
	anon := s.NewClient()
	anonURL, page := buy(t, s, anon, "", "sunrise-wallpapers")
	if !downloadRE.MatchString(page) {
		t.Fatalf("the anonymous buyer's success page has no download links")
	}
	var cartID string
	s.Store.View(ctx, func(tx *store.Tx) error {
		os, _, _ := tx.Orders(store.OrderFilter{})
		for _, o := range os {
			if o.Email == "anonymous-buyer@example.com" {
				cartID = o.CartID
			}
		}
		return nil
	})
	if cartID == "" {
		t.Fatal("the anonymous order has no cart id")
	}
	other := s.NewClient()
	setCookie(other, s.URL, "vendo_cart", cartID)
	if _, page := other.Get(anonURL); strings.Contains(page, "anonymous-buyer@example.com") || downloadRE.MatchString(page) {
		t.Errorf("the bare cart id %q opened the anonymous buyer's order", cartID)
	}
}
