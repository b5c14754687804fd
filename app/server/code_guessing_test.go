package server_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"vendo/app/vendotest"
)

// TestDiscountCodesCannotBeGuessedInBulk: every page that takes a code
// (?code= on the plans, product and cart pages, the cart's field) says
// whether it is one of the shop's, paused or ended. Unlimited, an
// anonymous visitor could try codes until one works (a staff code, a
// code meant for a few). Past 30 tries a minute from one address the
// shop refuses with a sentence and says nothing about the code tried, not
// even a real one; a visitor without a code, and other addresses, are
// served as before.
func TestDiscountCodesCannotBeGuessedInBulk(t *testing.T) {
	t.Parallel()
	srv := vendotest.Start(t, vendotest.Options{})
	srv.Admin.SignInAdmin()
	createCode(t, srv, url.Values{"code": {"STAFF50"}, "name": {"Staff"}, "percent_off": {"50"}, "currency": {"usd"}})

	guesser := srv.NewClient()
	for i := range 30 {
		path := []string{"/plans?code=", "/products/the-calm-inbox?code=", "/cart?code="}[i%3] + fmt.Sprintf("GUESS%d", i)
		// The plans page names a refused code; the product page and a
		// cart show a discounted price for a real one.
		resp, body := guesser.Get(path)
		if resp.StatusCode != 200 || (strings.HasPrefix(path, "/plans") && !strings.Contains(body, fmt.Sprintf("GUESS%d", i))) {
			t.Fatalf("try %d (%s): %d, want the page with the code's sentence", i, path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/plans?code=STAFF50", "/products/the-calm-inbox?code=STAFF50", "/cart?code=STAFF50"} {
		resp, body := guesser.Get(path)
		if resp.StatusCode != 429 || !strings.Contains(body, "Too many") || strings.Contains(body, "STAFF50") {
			t.Fatalf("%s after 30 tries: %d, want 429 saying nothing of the code\n%.1500s", path, resp.StatusCode, body)
		}
	}
	guesser.AddToCart("sunrise-wallpapers")
	guesser.Get("/cart")
	if resp, body := guesser.Submit("/cart/code", url.Values{"code": {"STAFF50"}}); resp.StatusCode != 429 || strings.Contains(body, "STAFF50") {
		t.Fatalf("the cart's field after 30 tries: %d, want 429 saying nothing of the code\n%.3000s", resp.StatusCode, body)
	}
	// Pages without a code are not counted.
	if resp, _ := guesser.Get("/plans"); resp.StatusCode != 200 {
		t.Fatalf("plans without a code: %d", resp.StatusCode)
	}
}
